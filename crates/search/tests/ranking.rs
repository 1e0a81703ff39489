//! How words glued to a proclitic letter and place names are searched.

use chrono::{TimeZone, Utc};
use rasd_core::{Item, Lang};
use rasd_search::{SearchIndex, SearchQuery, SearchResults};

fn item(n: u32, title: &str, body: &str, places: &[&str]) -> Item {
    let at = Utc.with_ymd_and_hms(2026, 11, 1 + n % 28, 9, 0, 0).unwrap();
    let mut item = Item::new("petra", &format!("https://example.jo/{n}"), title, body, at);
    item.published = Some(at);
    item.tags.lang = Lang::Ar;
    item.tags.places = places.iter().map(|p| p.to_string()).collect();
    item
}

fn index_with(items: &[Item]) -> SearchIndex {
    let index = SearchIndex::create_in_ram().unwrap().with_place_names([
        ("عمان", "amman"),
        ("Amman", "amman"),
        ("وادي موسى", "maan"),
    ]);
    let mut sink = index.writer().unwrap();
    sink.index_items(items).unwrap();
    sink.commit().unwrap();
    index
}

fn search(index: &SearchIndex, text: &str) -> SearchResults {
    index
        .search(&SearchQuery {
            text: text.into(),
            limit: 100,
            ..SearchQuery::default()
        })
        .unwrap()
}

#[test]
fn a_word_glued_to_a_proclitic_finds_the_word_alone() {
    let mut items: Vec<Item> = (0..6)
        .map(|n| {
            item(
                n,
                "حادث سير",
                &format!("وقع حادث سير رقم {n} على الطريق."),
                &[],
            )
        })
        .collect();
    items.push(item(10, "إصابة", "أصيب شاب بحادث دهس.", &[]));
    items.push(item(11, "تصادم", "وحادث آخر في المدينة.", &[]));
    let index = index_with(&items);
    let plain = search(&index, "حادث").total;
    assert_eq!(plain, 8, "the index files بحادث and وحادث under حادث");
    assert_eq!(search(&index, "بحادث").total, plain, "بحادث meets حادث");
    assert_eq!(search(&index, "وحادث").total, plain, "وحادث meets حادث");
    // The item that says it as written ranks first.
    assert_eq!(search(&index, "بحادث").hits[0].id, items[6].id);
    // Excluding the glued form leaves out every form.
    assert_eq!(search(&index, "سير -بحادث").total, 0);
    // A quoted glued word stays as written.
    assert_eq!(search(&index, "\"بحادث\"").total, 1);
}

#[test]
fn a_word_that_is_not_clitic_plus_word_stays_as_written() {
    // فساد is far more common than ساد alone: فساد is not ف + ساد.
    let mut items: Vec<Item> = (0..6)
        .map(|n| item(n, "قضية فساد", &format!("تحقيق في فساد إداري {n}."), &[]))
        .collect();
    items.push(item(10, "طقس", "ساد الهدوء المدينة.", &[]));
    let index = index_with(&items);
    assert_eq!(search(&index, "فساد").total, 6);
    assert_eq!(
        search(&index, "ساد").total,
        7,
        "ساد also finds the tail of فساد"
    );
}

#[test]
fn a_place_name_ranks_items_tagged_with_that_place_first() {
    let items = vec![
        // About Oman: the word many times, in the title too, but not tagged amman.
        item(
            1,
            "سلطنة عمان: عمان تستضيف قمة في مسقط",
            "قالت عمان إن عمان ترحب بالوفود، وأكدت عمان ذلك.",
            &[],
        ),
        item(2, "افتتاح جسر", "افتتح جسر جديد في عمان أمس.", &["amman"]),
        item(3, "زحام", "زحام على طريق المطار قرب عمان.", &["amman"]),
        item(4, "سياحة", "زوار في وادي موسى والبترا.", &["maan"]),
    ];
    let index = index_with(&items);
    let r = search(&index, "عمان");
    assert_eq!(r.total, 3);
    assert!(
        r.hits[..2].iter().all(|h| h.places == ["amman"]),
        "Amman first: {:?}",
        r.hits.iter().map(|h| &h.title).collect::<Vec<_>>()
    );
    assert_eq!(r.hits[2].id, items[0].id, "Oman last");
    // English and multi-word names too; a name left out boosts nothing.
    assert_eq!(search(&index, "وادي موسى").hits[0].id, items[3].id);
    let r = search(&index, "قمة -عمان");
    assert_eq!(r.total, 0);
}
