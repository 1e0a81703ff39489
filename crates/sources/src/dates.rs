//! Reading the dates feeds and pages actually write.
//!
//! [`parse_date`] tries RFC 3339 and RFC 2822 first, then a lenient reader that finds a day,
//! a month and a year in any order: numeric (`2026-11-22`, `22/11/2026`), or with a month
//! name in English (`Nov`, `November`) or Arabic, both the Levantine names used in Jordan
//! (`تشرين الثاني`, `شباط`, `آذار`…) and the Egyptian/Gulf and Maghreb ones (`نوفمبر`,
//! `فبراير`, `جانفي`…); Arabic-Indic digits, weekday names, `ص`/`م` (AM/PM) and a trailing
//! `م` after the year are handled. An ambiguous `01/02/2026` is read day first, as in Jordan.
//!
//! A time without a zone is read in [`NAIVE_TZ`] (Asia/Amman): the sources Rasd watches are
//! mostly Jordanian. A date without a time is midnight there. Nothing is ever invented: a
//! string without a day, month and year is `None`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone a date without an offset is read in.
pub const NAIVE_TZ: Tz = chrono_tz::Asia::Amman;

/// Parses a date as written by a feed or a page (see the module docs).
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    parse_loose(s)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A run of digits: its value and how many digits it had.
    Num(u32, usize),
    /// A run of letters, normalized.
    Word(String),
    /// One of `: - / . +`.
    P(char),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let norm = rasd_core::text::normalize(s);
    let mut toks = Vec::new();
    let mut chars = norm.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                digits.push(d);
                chars.next();
            }
            let n = digits.len();
            // Long digit runs cannot be a date part; keep them as an impossible number.
            let v = if n > 9 {
                u32::MAX
            } else {
                digits.parse().unwrap_or(u32::MAX)
            };
            toks.push(Tok::Num(v, n));
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&d) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                word.push(d);
                chars.next();
            }
            toks.push(Tok::Word(word));
        } else {
            if matches!(c, ':' | '-' | '/' | '.' | '+') {
                toks.push(Tok::P(c));
            }
            chars.next();
        }
    }
    toks
}

const EN_MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Arabic month names after [`rasd_core::text::normalize`] (alef forms unified).
const AR_MONTHS: &[(&str, u32)] = &[
    // Levantine (Syriac) names, used in Jordan.
    ("شباط", 2),
    ("اذار", 3),
    ("نيسان", 4),
    ("ايار", 5),
    ("حزيران", 6),
    ("تموز", 7),
    ("اب", 8),
    ("ايلول", 9),
    // Egyptian / Gulf transliterations.
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("ابريل", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("اغسطس", 8),
    ("سبتمبر", 9),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
    // Maghreb.
    ("جانفي", 1),
    ("فيفري", 2),
    ("افريل", 4),
    ("ماي", 5),
    ("جوان", 6),
    ("جويلية", 7),
    ("اوت", 8),
    ("يوليوز", 7),
    ("غشت", 8),
    ("شتنبر", 9),
    ("نونبر", 11),
    ("دجنبر", 12),
];

/// A month written as one word.
fn month_word(w: &str) -> Option<u32> {
    if w.is_ascii() {
        if w == "sept" {
            return Some(9);
        }
        if w.len() < 3 {
            return None;
        }
        return EN_MONTHS
            .iter()
            .position(|m| m.starts_with(w))
            .map(|i| i as u32 + 1);
    }
    AR_MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

/// A Levantine month written as two words: تشرين/كانون + الأول/الثاني.
fn month_two_words(a: &str, b: &str) -> Option<u32> {
    let first = matches!(b, "الاول" | "اول");
    let second = matches!(b, "الثاني" | "ثاني");
    match a {
        "تشرين" if first => Some(10),
        "تشرين" if second => Some(11),
        "كانون" if first => Some(12),
        "كانون" if second => Some(1),
        _ => None,
    }
}

fn zone_word(w: &str) -> Option<i32> {
    let h = match w {
        "z" | "gmt" | "ut" | "utc" => 0,
        "est" => -5,
        "edt" => -4,
        "cst" => -6,
        "cdt" => -5,
        "mst" => -7,
        "mdt" => -6,
        "pst" => -8,
        "pdt" => -7,
        "wet" => 0,
        "west" | "cet" | "met" | "bst" => 1,
        "cest" | "mest" | "eet" => 2,
        "eest" | "msk" => 3,
        _ => return None,
    };
    Some(h * 3600)
}

#[derive(Debug, Default)]
struct Parts {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<(u32, u32, u32, u32)>,
    time_end: usize,
    offset: Option<i32>,
    /// The offset came from `GMT`/`UTC`, which a `+3` may still follow (`GMT+3`).
    offset_is_utc_word: bool,
    pm: Option<bool>,
}

fn num(toks: &[Tok], i: usize) -> Option<(u32, usize)> {
    match toks.get(i) {
        Some(Tok::Num(v, n)) => Some((*v, *n)),
        _ => None,
    }
}

fn punct(toks: &[Tok], i: usize) -> Option<char> {
    match toks.get(i) {
        Some(Tok::P(c)) => Some(*c),
        _ => None,
    }
}

/// `a sep b sep c` with the same separator: a numeric date.
fn numeric_date(toks: &[Tok], i: usize, p: &mut Parts) -> bool {
    let (Some((a, an)), Some(s1), Some((b, bn)), Some(s2), Some((c, cn))) = (
        num(toks, i),
        punct(toks, i + 1),
        num(toks, i + 2),
        punct(toks, i + 3),
        num(toks, i + 4),
    ) else {
        return false;
    };
    if s1 != s2 || !matches!(s1, '-' | '/' | '.') || bn > 2 {
        return false;
    }
    if an == 4 && cn <= 2 {
        p.year = Some(a as i32);
        p.month = Some(b);
        p.day = Some(c);
    } else if cn == 4 && an <= 2 {
        // Day first unless that is impossible.
        let (d, m) = if b > 12 && a <= 12 { (b, a) } else { (a, b) };
        p.year = Some(c as i32);
        p.month = Some(m);
        p.day = Some(d);
    } else {
        return false;
    }
    true
}

/// `h:mm[:ss[.frac]]`; returns how many tokens it took.
fn time_at(toks: &[Tok], i: usize) -> Option<((u32, u32, u32, u32), usize)> {
    let (h, hn) = num(toks, i)?;
    if hn > 2 || punct(toks, i + 1) != Some(':') {
        return None;
    }
    let (m, mn) = num(toks, i + 2)?;
    if mn != 2 {
        return None;
    }
    let mut used = 3;
    let mut sec = 0;
    let mut nanos = 0;
    if punct(toks, i + 3) == Some(':')
        && let Some((s, 2)) = num(toks, i + 4)
    {
        sec = s;
        used = 5;
        if punct(toks, i + 5) == Some('.')
            && let Some((f, fn_)) = num(toks, i + 6)
        {
            // The digit count gives the scale: ".25" is 250 ms, ".025" 25 ms.
            used = 7;
            if fn_ <= 9 {
                nanos = f * 10u32.pow(9 - fn_ as u32);
            }
        }
    }
    Some(((h, m, sec, nanos), used))
}

/// `+hhmm`, `-hh:mm`, `+hh` after a time.
fn offset_at(toks: &[Tok], i: usize) -> Option<(i32, usize)> {
    let sign = match punct(toks, i)? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (a, an) = num(toks, i + 1)?;
    let (secs, used) = if an == 4 {
        ((a / 100 * 3600 + a % 100 * 60) as i32, 2)
    } else if an <= 2 {
        if punct(toks, i + 2) == Some(':')
            && let Some((m, 2)) = num(toks, i + 3)
        {
            ((a * 3600 + m * 60) as i32, 4)
        } else {
            ((a * 3600) as i32, 2)
        }
    } else {
        return None;
    };
    (secs <= 14 * 3600).then_some((sign * secs, used))
}

fn parse_loose(s: &str) -> Option<DateTime<Utc>> {
    let toks = tokenize(s);
    let mut p = Parts::default();
    let mut loose: Vec<(u32, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Num(v, n) => {
                if p.day.is_none() && p.month.is_none() && numeric_date(&toks, i, &mut p) {
                    i += 5;
                    continue;
                }
                if p.time.is_none()
                    && let Some((t, used)) = time_at(&toks, i)
                {
                    p.time = Some(t);
                    i += used;
                    p.time_end = i;
                    continue;
                }
                loose.push((*v, *n));
            }
            Tok::P('+' | '-')
                if p.time.is_some() && (p.offset.is_none() || p.offset_is_utc_word) =>
            {
                if let Some((off, used)) = offset_at(&toks, i) {
                    p.offset = Some(off);
                    p.offset_is_utc_word = false;
                    i += used;
                    continue;
                }
            }
            Tok::P(_) => {}
            Tok::Word(w) => {
                if p.month.is_none() {
                    if let Some(Tok::Word(next)) = toks.get(i + 1)
                        && let Some(m) = month_two_words(w, next)
                    {
                        p.month = Some(m);
                        i += 2;
                        continue;
                    }
                    if let Some(m) = month_word(w) {
                        p.month = Some(m);
                        i += 1;
                        continue;
                    }
                }
                if p.time.is_some() && i == p.time_end {
                    match w.as_str() {
                        // Tanwin is already removed by normalization.
                        "am" | "a" | "ص" | "صباحا" => p.pm = Some(false),
                        "pm" | "p" | "م" | "مساء" | "مساءا" => p.pm = Some(true),
                        _ => {}
                    }
                }
                if p.time.is_some()
                    && p.offset.is_none()
                    && let Some(off) = zone_word(w)
                {
                    p.offset = Some(off);
                    p.offset_is_utc_word = matches!(w.as_str(), "gmt" | "utc" | "ut" | "z");
                }
            }
        }
        i += 1;
    }
    if p.day.is_none() && p.month.is_some() {
        // With a month name: a 4-digit number is the year, a 1–2 digit number the day.
        if let Some(pos) = loose
            .iter()
            .position(|(v, n)| *n <= 2 && (1..=31).contains(v))
        {
            p.day = Some(loose[pos].0);
            loose.remove(pos);
        }
        p.year = loose
            .iter()
            .find(|(_, n)| *n == 4)
            .or_else(|| loose.iter().find(|(_, n)| *n == 2))
            .map(|(v, n)| if *n == 2 { 2000 + *v as i32 } else { *v as i32 });
    }
    let (year, month, day) = (p.year?, p.month?, p.day?);
    if !(1970..=2100).contains(&year) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let (mut h, m, sec, nanos) = p.time.unwrap_or((0, 0, 0, 0));
    match p.pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    if h == 24 && m == 0 && sec == 0 {
        h = 0;
    }
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    let naive = NaiveDateTime::new(date, time);
    match p.offset {
        Some(off) => FixedOffset::east_opt(off)?
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.with_timezone(&Utc)),
        None => NAIVE_TZ
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn standard_formats() {
        assert_eq!(
            parse_date("Sun, 22 Nov 2026 11:30:00 +0300"),
            Some(utc("2026-11-22T08:30:00Z"))
        );
        assert_eq!(
            parse_date("2026-11-22T11:30:00Z"),
            Some(utc("2026-11-22T11:30:00Z"))
        );
    }

    #[test]
    fn naive_times_are_amman_time() {
        // Jordan is on UTC+3 all year since 2022.
        assert_eq!(
            parse_date("2026-11-22 11:30:00"),
            Some(utc("2026-11-22T08:30:00Z"))
        );
        assert_eq!(parse_date("22/11/2026"), Some(utc("2026-11-21T21:00:00Z")));
    }

    #[test]
    fn arabic_month_names() {
        let want = Some(utc("2026-11-22T08:30:00Z"));
        assert_eq!(parse_date("22 تشرين الثاني 2026 11:30"), want);
        assert_eq!(parse_date("22 نوفمبر 2026 11:30"), want);
        assert_eq!(parse_date("الأحد، ٢٢ تشرين الثاني ٢٠٢٦ - ١١:٣٠"), want);
        assert_eq!(parse_date("الأحد 22 نوفمبر 2026م 11:30 ص"), want);
        assert_eq!(
            parse_date("الأحد، 22 نوفمبر 2026 11:30:00 +0300"),
            want,
            "RFC 822 with Arabic day and month"
        );
        assert_eq!(
            parse_date("3 آذار 2026 05:10 م"),
            Some(utc("2026-03-03T14:10:00Z"))
        );
        assert_eq!(
            parse_date("1 كانون الثاني 2027"),
            Some(utc("2026-12-31T21:00:00Z"))
        );
    }

    #[test]
    fn lenient_english() {
        assert_eq!(
            parse_date("Thurs, November 22 2026 11:30:00 GMT"),
            Some(utc("2026-11-22T11:30:00Z"))
        );
        assert_eq!(
            parse_date("2026-11-22T11:30:00.250-05:00"),
            Some(utc("2026-11-22T16:30:00.250Z"))
        );
        assert_eq!(
            parse_date("22 Nov 2026 11:30 UTC"),
            Some(utc("2026-11-22T11:30:00Z"))
        );
    }

    #[test]
    fn missing_or_named_zones() {
        // RFC 822 without a zone: Amman time (UTC+3 all year since 2022).
        assert_eq!(
            parse_date("Sun, 22 Nov 2026 11:30:00"),
            Some(utc("2026-11-22T08:30:00Z"))
        );
        assert_eq!(
            parse_date("2026-11-22 11:30 GMT+3"),
            Some(utc("2026-11-22T08:30:00Z"))
        );
        assert_eq!(
            parse_date("22/11/2026 11:30 UTC+03:00"),
            Some(utc("2026-11-22T08:30:00Z"))
        );
        assert_eq!(
            parse_date("Sun, 22 Nov 2026 11:30:00 EET"),
            Some(utc("2026-11-22T09:30:00Z"))
        );
        assert_eq!(
            parse_date("الأحد، 22 تشرين الثاني 2026 11:30:00 GMT"),
            Some(utc("2026-11-22T11:30:00Z"))
        );
    }

    #[test]
    fn unreadable_is_none() {
        for s in [
            "",
            "yesterday",
            "منذ ساعتين",
            "32/13/2026",
            "Nov 2026",
            "99999999999",
            "1 Jan 1850",
        ] {
            assert_eq!(parse_date(s), None, "{s:?}");
        }
    }
}
