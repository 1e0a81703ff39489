//! The short form of the fuzz targets `forms_csv`, `form_body` and `query` of `fuzz/`:
//! every seed (`fuzz/seeds/TARGET/`) and every input kept from a finding
//! (`fuzz/regressions/TARGET/`) goes through the entry points the target calls, and none may
//! panic. The long form is `scripts/fuzz.sh` (see docs/fuzzing.md).

use std::path::Path;

use axum::body::Body;
use axum::extract::{FromRequest, Query};
use axum::http::{Request, Uri, header};
use chrono::{TimeZone, Utc};
use rasd_core::{Config, Item, Lang};
use rasd_search::{SearchIndex, SearchQuery};
use rasd_web::SearchParams;
use rasd_web::forms_csv::{ColumnMap, Table, decode};
use rasd_web::report::{FormFields, SubmissionInput, validate};

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

fn config() -> Config {
    Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")).unwrap()
}

#[test]
fn forms_csv_seeds_and_regressions_do_not_panic() {
    let config = config();
    let maps = [
        "المعرف=reference,نص البلاغ=text,النوع=category,المحافظة=governorate,الاسم=name,الهاتف=contact,التاريخ=date,اللغة=lang",
        "text=text",
    ]
    .map(|m| ColumnMap::parse(&[m.to_string()]).unwrap());
    replay("forms_csv", |data| {
        let (text, _) = decode(data);
        for map in &maps {
            if let Ok(mut table) = Table::open(&text, map, &config) {
                while table.next_row(&config).is_some() {}
            }
        }
    });
    // The seeds are read, not merely survived: the windows-1256 file's first row is a report.
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/forms_csv/windows-1256.csv"),
    )
    .unwrap();
    let (text, encoding) = decode(&bytes);
    assert!(encoding.starts_with("windows-1256"), "{encoding}");
    let mut table = Table::open(&text, &maps[0], &config).unwrap();
    let (line, row) = table.next_row(&config).unwrap();
    let row = row.unwrap();
    assert_eq!((line, row.input.governorate.as_str()), (2, "zarqa"));
}

fn request(path: &str, content_type: &str, data: &[u8]) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(data.to_vec()))
        .unwrap()
}

#[test]
fn form_body_seeds_and_regressions_do_not_panic() {
    let config = config();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    replay("form_body", |data| {
        runtime.block_on(async {
            let form = request("/report", "application/x-www-form-urlencoded", data);
            if let Ok(axum::Form(fields)) = axum::Form::<FormFields>::from_request(form, &()).await
            {
                let _ = validate(&config, &fields.input);
            }
            let json = request("/api/v1/submissions", "application/json", data);
            if let Ok(axum::Json(input)) =
                axum::Json::<SubmissionInput>::from_request(json, &()).await
            {
                let _ = validate(&config, &input);
            }
        });
    });
}

#[test]
fn query_seeds_and_regressions_do_not_panic() {
    let config = config();
    let names: Vec<(String, String)> = config
        .places
        .iter()
        .flat_map(|p| {
            [&p.name_ar, &p.name_en]
                .into_iter()
                .chain(&p.aliases)
                .map(|n| (n.clone(), p.governorate.clone()))
        })
        .collect();
    let index = SearchIndex::create_in_ram()
        .unwrap()
        .with_place_names(names);
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let mut item = Item::new(
        "alrai",
        "https://fuzz.example.jo/0",
        "سرقة سيارة في الزرقاء",
        "ضبطت الأجهزة الأمنية مشتبهاً بسرقة سيارة من أمام منزل في الزرقاء.",
        at,
    );
    item.published = Some(at);
    item.tags.lang = Lang::Ar;
    item.tags.topics = vec!["theft".into()];
    item.tags.places = vec!["zarqa".into()];
    let mut writer = index.writer().unwrap();
    writer.index_items(&[item]).unwrap();
    writer.commit().unwrap();
    index.reload().unwrap();
    replay("query", |data| {
        let text = String::from_utf8_lossy(data);
        let q = SearchQuery {
            text: text.to_string(),
            ..SearchQuery::default()
        };
        let _ = index.search(&q);
        let Ok(uri) = format!("/api/v1/search?{text}").parse::<Uri>() else {
            return;
        };
        let Ok(Query(params)) = Query::<SearchParams>::try_from_uri(&uri) else {
            return;
        };
        if let Ok(q) = params.to_query(&config, None) {
            let _ = index.search(&q);
        }
    });
}
