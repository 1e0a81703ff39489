//! Near-duplicate fingerprints: a 64-bit SimHash of an item's text.
//!
//! The text is normalized for matching (diacritics, hamza forms, ة/ه, ى/ي, digits, case),
//! split into words, Arabic clitics stripped; every run of [`SHINGLE`] consecutive words is
//! hashed to 64 bits and each bit votes +1 or -1; the fingerprint keeps the bits whose votes
//! are positive. Two reports of the same story, one lightly edited or re-punctuated, differ
//! in a few bits; unrelated texts differ in about 32. [`hamming`] counts the differing bits
//! and [`is_near_duplicate`] applies the usual threshold ([`NEAR_BITS`]).

use rasd_core::text::{normalize_for_matching, strip_clitics, tokens};

/// Words per shingle.
pub const SHINGLE: usize = 3;

/// Fingerprints at most this many bits apart are near-duplicates (for 64-bit SimHash over
/// word shingles, 3 is the usual choice).
pub const NEAR_BITS: u32 = 3;

/// Only the first this many words are read (the title and lead of a long article): two
/// reports of one story share their opening, and a fingerprint costs bounded time.
pub const MAX_WORDS: usize = 200;

/// The SimHash of `text`; 0 for a text without words.
pub fn simhash(text: &str) -> u64 {
    simhash_normalized(&[&normalize_for_matching(text)])
}

/// [`simhash`] of parts already passed through `normalize_for_matching`, read in order as
/// one text.
pub fn simhash_normalized(parts: &[&str]) -> u64 {
    let words: Vec<u64> = parts
        .iter()
        .flat_map(|p| tokens(p))
        .take(MAX_WORDS)
        .map(|w| fnv1a(strip_clitics(w).as_bytes()))
        .collect();
    if words.is_empty() {
        return 0;
    }
    // Byte `j` of `ones[i]` counts the shingle hashes with bit `8 * i + j` set (a table
    // spreads each byte of a hash over eight byte-wide counters); a bit of the fingerprint is
    // set when more than half do.
    let mut ones = [0u64; 8];
    let n = SHINGLE.min(words.len());
    let mut shingles = 0u32;
    for window in words.windows(n) {
        let h = mix(window
            .iter()
            .fold(0x9e37_79b9_7f4a_7c15, |acc, &w| mix(acc ^ w).rotate_left(5)));
        for (i, count) in ones.iter_mut().enumerate() {
            *count += SPREAD[(h >> (8 * i)) as usize & 0xFF];
        }
        shingles += 1;
    }
    (0..64)
        .filter(|bit| (ones[bit / 8] >> (8 * (bit % 8)) & 0xFF) as u32 * 2 > shingles)
        .fold(0u64, |acc, bit| acc | 1 << bit)
}

// The byte-wide counters of `simhash_normalized` never overflow: there are fewer shingles
// than words.
const _: () = assert!(MAX_WORDS < 256);

/// `SPREAD[b]` has byte `j` set to bit `j` of `b`.
static SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        while j < 8 {
            table[b] |= ((b as u64 >> j) & 1) << (8 * j);
            j += 1;
        }
        b += 1;
    }
    table
};

/// The number of bits in which two fingerprints differ.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// True when both fingerprints are set and at most [`NEAR_BITS`] bits apart.
pub fn is_near_duplicate(a: u64, b: u64) -> bool {
    a != 0 && b != 0 && hamming(a, b) <= NEAR_BITS
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The SplitMix64 finalizer: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "أعلنت مديرية الأمن العام، اليوم الأحد، ضبط ثلاثة أشخاص بحوزتهم كميات \
        كبيرة من المواد المخدرة في محافظة الزرقاء، بعد متابعة استمرت أسبوعين، وجرى تحويلهم \
        إلى المدعي العام المختص لاستكمال التحقيق معهم، فيما تتواصل الحملات الأمنية في المحافظة";

    #[test]
    fn spelling_variants_give_the_same_fingerprint() {
        let marked = STORY.replace("الأمن", "الأَمْن").replace("أشخاص", "اشخاص");
        assert_eq!(simhash(STORY), simhash(&marked));
        assert_ne!(simhash(STORY), 0);
    }

    #[test]
    fn a_light_edit_is_a_near_duplicate() {
        let edited = STORY
            .replace("اليوم الأحد،", "الأحد")
            .replace("أسبوعين", "عدة أسابيع");
        let d = hamming(simhash(STORY), simhash(&edited));
        assert!(d <= 12, "{d} bits apart");
        let republished = format!("{STORY}.");
        assert!(is_near_duplicate(simhash(STORY), simhash(&republished)));
    }

    #[test]
    fn different_stories_are_far_apart() {
        let other = "The Civil Defence put out a fire in a timber warehouse in Sahab on \
            Sunday evening; no one was hurt and the cause is being investigated by the teams";
        let d = hamming(simhash(STORY), simhash(other));
        assert!(d > 16, "{d} bits apart");
        assert!(!is_near_duplicate(simhash(STORY), simhash(other)));
    }

    #[test]
    fn empty_and_odd_texts() {
        assert_eq!(simhash(""), 0);
        assert_eq!(simhash("😀😀 ... !!"), 0);
        assert!(!is_near_duplicate(0, 0));
        assert_ne!(simhash("حادث"), 0, "one word still has a fingerprint");
        let big = "كلمة أخرى ".repeat(200_000);
        let start = std::time::Instant::now();
        let _ = simhash(&big);
        assert!(start.elapsed().as_secs() < 10);
        let opening = STORY.repeat(12);
        assert!(opening.split_whitespace().count() > MAX_WORDS);
        assert_eq!(
            simhash(&format!("{opening} {big}")),
            simhash(&format!("{opening} {}", "نص مختلف تماما ".repeat(1000))),
            "only the opening words count"
        );
        assert_eq!(simhash_normalized(&["حادث", "سير"]), simhash("حادث سير"));
    }

    #[test]
    fn spread_counters_agree_with_counting_bit_by_bit() {
        for b in [0usize, 1, 0x80, 0xA5, 0xFF] {
            for j in 0..8 {
                assert_eq!(SPREAD[b] >> (8 * j) & 0xFF, (b as u64 >> j) & 1);
            }
        }
        // The straightforward count over the same shingles.
        let reference = |text: &str| {
            let words: Vec<u64> = tokens(&normalize_for_matching(text))
                .take(MAX_WORDS)
                .map(|w| fnv1a(strip_clitics(w).as_bytes()))
                .collect();
            if words.is_empty() {
                return 0;
            }
            let mut ones = [0u32; 64];
            let mut shingles = 0;
            for window in words.windows(SHINGLE.min(words.len())) {
                let h = mix(window
                    .iter()
                    .fold(0x9e37_79b9_7f4a_7c15, |acc, &w| mix(acc ^ w).rotate_left(5)));
                for (bit, count) in ones.iter_mut().enumerate() {
                    *count += (h >> bit & 1) as u32;
                }
                shingles += 1;
            }
            (0..64)
                .filter(|&bit| ones[bit] * 2 > shingles)
                .fold(0u64, |acc, bit| acc | 1 << bit)
        };
        for text in [
            STORY,
            "حادث",
            "حادث سير",
            "The Civil Defence put out a fire",
            "",
        ] {
            assert_eq!(simhash(text), reference(text), "{text}");
        }
        let long = STORY.repeat(20);
        assert_eq!(simhash(&long), reference(&long));
    }
}
