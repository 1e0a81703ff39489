//! Reading the CSV export of another form tool as form reports, for `rasd import forms
//! FILE.csv --map COLUMN=FIELD,…` (the command stores what this reads).
//!
//! Before any row is read, the map ([`ColumnMap`]) is checked against the header: an unknown
//! field, a column the header lacks, a field or column mapped twice and a missing `text` are
//! refused with what to write ([`Table::open`]). The bytes are read by [`decode`]: a BOM
//! wins, valid UTF-8 stays UTF-8 (so does UTF-8 with a few damaged bytes, whose rows are then
//! unreadable), anything else is windows-1256. Each row is checked by [`validate`] as the
//! form checks a report ([`read_row`]); a bad row gives its line and reason. Every row gets
//! a stable reference ([`reference_from_id`], [`reference_from_row`]), so importing a file
//! twice stores nothing twice. Nothing here does I/O or panics on any bytes (the fuzz
//! target `forms_csv` feeds it).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rasd_core::import::parse_time;
use rasd_core::text::{ascii_digit, normalize, normalize_for_matching, strip_clitics, tokens};
use rasd_core::{Config, PlaceKind};

use crate::report::{SubmissionInput, validate};

/// What a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// What happened (required).
    Text,
    /// A topic id or name, or `other`.
    Category,
    /// A governorate (or any place of `places.toml`) by id or name.
    Governorate,
    /// The submitter's name.
    Name,
    /// A telephone number or an e-mail address.
    Contact,
    /// When it was sent.
    Date,
    /// The language the form was shown in.
    Lang,
    /// The other tool's id of the submission.
    Reference,
}

impl Field {
    const ALL: [Field; 8] = [
        Field::Text,
        Field::Category,
        Field::Governorate,
        Field::Name,
        Field::Contact,
        Field::Date,
        Field::Lang,
        Field::Reference,
    ];

    /// Its name in `--map`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Text => "text",
            Field::Category => "category",
            Field::Governorate => "governorate",
            Field::Name => "name",
            Field::Contact => "contact",
            Field::Date => "date",
            Field::Lang => "lang",
            Field::Reference => "reference",
        }
    }

    fn parse(s: &str) -> Option<Field> {
        let s = s.trim().to_ascii_lowercase();
        Field::ALL.into_iter().find(|f| f.name() == s)
    }

    fn list() -> String {
        Field::ALL.map(Field::name).join(", ")
    }
}

/// The `--map` pairs: which column holds which field, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap(Vec<(String, Field)>);

impl ColumnMap {
    /// Reads `--map` values: `COLUMN=FIELD` pairs separated by commas (the flag may also be
    /// repeated). Refuses a pair without `=`, an unknown field and a field or column mapped
    /// twice, saying what to write.
    pub fn parse(values: &[String]) -> Result<ColumnMap, String> {
        let mut pairs: Vec<(String, Field)> = Vec::new();
        for pair in values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some((column, field)) = pair.rsplit_once('=') else {
                return Err(format!(
                    "--map {pair:?} has no \"=\": write COLUMN=FIELD pairs separated by commas, \
                     such as --map \"نص البلاغ=text,الهاتف=contact\""
                ));
            };
            let (column, field_name) = (column.trim(), field.trim());
            if column.is_empty() {
                return Err(format!(
                    "--map {pair:?} names no column: write the header's name of the column \
                     before \"=\""
                ));
            }
            let Some(field) = Field::parse(field_name) else {
                return Err(format!(
                    "--map {pair:?}: unknown field {field_name:?}; write one of {}",
                    Field::list()
                ));
            };
            if let Some((other, _)) = pairs.iter().find(|(_, f)| *f == field) {
                return Err(format!(
                    "--map gives the field {} two columns ({other:?} and {column:?}): map each \
                     field to one column",
                    field.name()
                ));
            }
            if pairs.iter().any(|(c, _)| c == column) {
                return Err(format!(
                    "--map maps the column {column:?} twice: map each column to one field"
                ));
            }
            pairs.push((column.to_string(), field));
        }
        Ok(ColumnMap(pairs))
    }

    /// Finds each mapped column in the header, or says what is wrong and what the columns
    /// are.
    pub fn resolve(&self, header: &[String]) -> Result<Columns, String> {
        let listed = || {
            let names: Vec<String> = header.iter().map(|h| format!("{h:?}")).collect();
            let mut s = format!("the file's columns are {}", names.join(", "));
            if let [only] = header
                && (only.contains(';') || only.contains('\t'))
            {
                s.push_str(
                    " (one column: the file seems separated by semicolons or tabs; save it \
                     as comma-separated CSV)",
                );
            }
            s
        };
        let mut columns = Columns::default();
        for (column, field) in &self.0 {
            let exact: Vec<usize> = (0..header.len())
                .filter(|&i| header[i] == *column)
                .collect();
            let found = if exact.is_empty() {
                let key = normalize(column);
                (0..header.len())
                    .filter(|&i| normalize(&header[i]) == key)
                    .collect()
            } else {
                exact
            };
            match found.as_slice() {
                [i] => columns.index[*field as usize] = Some(*i),
                [] => {
                    let hint = if column.contains('=') {
                        " (separate the pairs of --map with commas)"
                    } else {
                        ""
                    };
                    return Err(format!(
                        "the file has no column {column:?} (--map {column}={}){hint}; {}",
                        field.name(),
                        listed()
                    ));
                }
                _ => {
                    return Err(format!(
                        "the header names {} columns {column:?}: rename all but one in the file",
                        found.len()
                    ));
                }
            }
        }
        if self.0.is_empty() {
            return Err(format!(
                "no --map given: name at least the column holding what happened, such as \
                 --map \"COLUMN=text,COLUMN=date\" (fields: {}); {}",
                Field::list(),
                listed()
            ));
        }
        if columns.get(Field::Text).is_none() {
            return Err(format!(
                "--map names no column for text, which is required: add --map \
                 \"COLUMN=text\" with the column holding what happened; {}",
                listed()
            ));
        }
        Ok(columns)
    }
}

/// The header's index of each mapped field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Columns {
    index: [Option<usize>; 8],
}

impl Columns {
    fn get(&self, field: Field) -> Option<usize> {
        self.index[field as usize]
    }
}

/// Decodes the file (see the module docs) and says how it was read.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, String) {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (text, format!("{} with BOM", enc.name()));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(s), "UTF-8".into());
    }
    // Arabic in windows-1256 never makes more than stray UTF-8 sequences: text whose
    // non-ASCII characters are mostly valid UTF-8 is UTF-8 with some damage.
    let (mut good, mut bad) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        bad += usize::from(!chunk.invalid().is_empty());
    }
    if good >= 10 * bad {
        return (
            String::from_utf8_lossy(bytes),
            format!(
                "UTF-8, damaged in {bad} place{}",
                if bad == 1 { "" } else { "s" }
            ),
        );
    }
    let (text, _) = encoding_rs::WINDOWS_1256.decode_without_bom_handling(bytes);
    (text, "windows-1256 (not UTF-8)".into())
}

/// Reads a submission time: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD` (in `tz`),
/// in ASCII or Arabic-Indic digits.
pub fn parse_date(s: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let ascii: String = s
        .trim()
        .chars()
        .map(|c| ascii_digit(c).unwrap_or(c))
        .collect();
    parse_time(&ascii, tz)
}

/// The longest reference the inbox takes (its links allow ASCII letters, digits and `-`).
const MAX_REFERENCE: usize = 32;

/// The stable reference of a row with the other tool's `id`: `IMP-` and the id (Arabic-Indic
/// digits made ASCII) when it is ASCII letters, digits and dashes and short enough;
/// otherwise `IMP-`, what of it is such characters (at most 15) and a hash of the whole id,
/// so the office can still match it. `None` for a blank id.
pub fn reference_from_id(id: &str) -> Option<String> {
    let id: String = id
        .trim()
        .chars()
        .map(|c| ascii_digit(c).unwrap_or(c))
        .collect();
    if id.is_empty() {
        return None;
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '-';
    if id.chars().all(safe) && id.len() + 4 <= MAX_REFERENCE {
        return Some(format!("IMP-{id}"));
    }
    let mut part = String::new();
    for c in id.chars() {
        if safe(c) {
            part.push(c);
        } else if c.is_ascii() && !part.is_empty() && !part.ends_with('-') {
            part.push('-');
        }
    }
    let part: String = part.trim_matches('-').chars().take(15).collect();
    let part = part.trim_end_matches('-');
    let hash = short_hash(&format!("id\u{1f}{id}"), 12);
    Some(if part.is_empty() {
        format!("IMP-{hash}")
    } else {
        format!("IMP-{part}-{hash}")
    })
}

/// The stable reference of a row without an id: `IMP-` and a hash of its text, time, name,
/// contact, category and governorate as written (two identical rows are one submission).
pub fn reference_from_row(values: &[&str]) -> String {
    format!(
        "IMP-{}",
        short_hash(&format!("row\u{1f}{}", values.join("\u{1f}")), 16)
    )
}

/// The first `n` hex digits of the SHA-256 of `s` (through the item-id hash).
fn short_hash(s: &str, n: usize) -> String {
    rasd_core::item_id_for_url(s)[..n].to_string()
}

/// A name as compared with the config's: normalized for matching, clitics and the article
/// stripped from each word (`السرقة` and `سرقة` agree), words joined by one space.
fn name_key(s: &str) -> String {
    let n = normalize_for_matching(s);
    tokens(&n).map(strip_clitics).collect::<Vec<_>>().join(" ")
}

/// The config's topics and places by id and by their Arabic and English names (and the
/// places' other spellings), for category and governorate values.
#[derive(Debug, Default)]
pub struct Names {
    topics: HashMap<String, String>,
    governorates: HashMap<String, String>,
}

/// Category values that mean "other".
const OTHER: &[&str] = &["other", "أخرى", "اخرى", "غير ذلك", "غيرها"];

/// Words a governorate value may carry around the name (`محافظة إربد`, `Irbid Governorate`).
const GOVERNORATE_WORDS: &[&str] = &["محافظه", "governorate"];

impl Names {
    /// From the config's topics and places.
    pub fn new(config: &Config) -> Names {
        let mut names = Names::default();
        for t in &config.topics {
            for n in [&t.id, &t.name_ar, &t.name_en] {
                names
                    .topics
                    .entry(name_key(n))
                    .or_insert_with(|| t.id.clone());
            }
        }
        for o in OTHER {
            names.topics.insert(name_key(o), "other".into());
        }
        let governorates = config.governorate_ids();
        // Governorates first: a city's name never takes a governorate's.
        let mut places: Vec<_> = config
            .places
            .iter()
            .filter(|p| governorates.contains(&p.governorate))
            .collect();
        places.sort_by_key(|p| p.kind != PlaceKind::Governorate);
        for p in places {
            for n in [&p.id, &p.name_ar, &p.name_en]
                .into_iter()
                .chain(&p.aliases)
            {
                names
                    .governorates
                    .entry(Names::governorate_key(n))
                    .or_insert_with(|| p.governorate.clone());
            }
        }
        names
    }

    fn governorate_key(s: &str) -> String {
        name_key(s)
            .split(' ')
            .filter(|w| !GOVERNORATE_WORDS.contains(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The topic id (or `other`) a category value names.
    pub fn category(&self, value: &str) -> Option<&str> {
        self.topics.get(&name_key(value)).map(String::as_str)
    }

    /// The governorate id a governorate (or place) value names.
    pub fn governorate(&self, value: &str) -> Option<&str> {
        self.governorates
            .get(&Names::governorate_key(value))
            .map(String::as_str)
    }
}

/// `ar` or `en` from a language value (`ar`, `Arabic`, `العربية`, `en`, `English`,
/// `الإنجليزية`…).
fn lang_code(value: &str) -> Option<&'static str> {
    match name_key(value).as_str() {
        "ar" | "ara" | "arabic" | "عربي" | "عربيه" | "لغه عربيه" => Some("ar"),
        "en"
        | "eng"
        | "english"
        | "انجليزي"
        | "انجليزيه"
        | "انكليزي"
        | "انكليزيه"
        | "لغه انجليزيه" => Some("en"),
        _ => None,
    }
}

/// The line each record starts on, from the byte offsets csv gives: its own line count
/// falls one behind at every CRLF (rust-csv issue 395), and Windows exports end lines so.
#[derive(Debug)]
pub struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line of a record (or error) at `position`.
    pub fn line_of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(p) = position else { return 0 };
        let mut end = usize::try_from(p.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // The offset may fall before the blank lines skipped, or on the "\n" of a CRLF: a
        // record itself never starts with a line break.
        while matches!(self.text.get(end), Some(b'\n' | b'\r')) {
            end += 1;
        }
        if end < self.at {
            (self.at, self.line) = (0, 1);
        }
        self.line += self.text[self.at..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.at = end;
        self.line
    }
}

/// A row read and checked, ready to be tagged and stored.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line it starts on.
    pub line: u64,
    pub reference: String,
    /// As [`validate`] returned it (category and governorate are ids or `other` / empty).
    pub input: SubmissionInput,
    /// `ar` or `en`, or `None` to take the text's language.
    pub lang: Option<&'static str>,
    /// When it was sent, or `None` for the time of the import.
    pub created: Option<DateTime<Utc>>,
    /// Values the config does not know, as (field, value).
    pub unknown: Vec<(Field, String)>,
}

/// Reads one record as a submission, or says why it cannot be one.
pub fn read_row(
    record: &csv::StringRecord,
    line: u64,
    header_len: usize,
    columns: &Columns,
    names: &Names,
    config: &Config,
) -> Result<Row, String> {
    if record.len() != header_len {
        return Err(format!(
            "it has {} fields where the header has {header_len} (a quote left open, or a comma \
             in a field without quotes?)",
            record.len()
        ));
    }
    let get = |f: Field| {
        columns
            .get(f)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .unwrap_or("")
    };
    if let Some(f) = Field::ALL
        .into_iter()
        .find(|&f| get(f).contains('\u{FFFD}'))
    {
        return Err(format!(
            "unreadable: its {} holds bytes that are not text",
            f.name()
        ));
    }
    let mut unknown = Vec::new();
    let text = get(Field::Text).replace("\r\n", "\n").replace('\r', "\n");
    let category = match get(Field::Category) {
        "" => "other".to_string(),
        v => match names.category(v) {
            Some(id) => id.to_string(),
            None => {
                unknown.push((Field::Category, v.to_string()));
                "other".to_string()
            }
        },
    };
    let governorate = match get(Field::Governorate) {
        "" => String::new(),
        v => match names.governorate(v) {
            Some(id) => id.to_string(),
            None => {
                unknown.push((Field::Governorate, v.to_string()));
                String::new()
            }
        },
    };
    let lang = match get(Field::Lang) {
        "" => None,
        v => {
            let code = lang_code(v);
            if code.is_none() {
                unknown.push((Field::Lang, v.to_string()));
            }
            code
        }
    };
    let tz = config.settings.tz();
    let created = match get(Field::Date) {
        "" => None,
        v => Some(parse_date(v, tz).ok_or_else(|| {
            format!(
                "date {v:?} is not a time: write RFC 3339 (2026-11-22T09:30:00+03:00), \
                 2026-11-22 09:30 or 2026-11-22 (in {tz})"
            )
        })?),
    };
    let input = SubmissionInput {
        category,
        governorate,
        text,
        name: get(Field::Name).to_string(),
        contact: get(Field::Contact).to_string(),
        // The messages in English, as the rest of the command line.
        lang: Some("en".into()),
    };
    let mut input = validate(config, &input).map_err(|problems| {
        problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    input.lang = lang.map(str::to_string);
    let created_key = created
        .map(|t| t.timestamp().to_string())
        .unwrap_or_default();
    let reference = reference_from_id(get(Field::Reference)).unwrap_or_else(|| {
        reference_from_row(&[
            &input.text,
            &created_key,
            &input.name,
            &input.contact,
            get(Field::Category),
            get(Field::Governorate),
        ])
    });
    Ok(Row {
        line,
        reference,
        input,
        lang,
        created,
        unknown,
    })
}

/// Why a file cannot be imported at all.
#[derive(Debug)]
pub enum OpenError {
    /// The header line cannot be read.
    Header(csv::Error),
    /// The header names no column.
    Empty,
    /// The map does not fit the header (the message says what to write).
    Map(String),
}

/// A decoded file whose header fits the map, read row by row ([`Table::next_row`]).
#[derive(Debug)]
pub struct Table<'t> {
    /// The column names (whitespace and a stray BOM trimmed).
    pub header: Vec<String>,
    columns: Columns,
    names: Names,
    reader: csv::Reader<&'t [u8]>,
    records: csv::StringRecord,
    lines: Lines<'t>,
}

impl<'t> Table<'t> {
    /// Reads the header of `text` (from [`decode`]) and finds the mapped columns in it.
    pub fn open(text: &'t str, map: &ColumnMap, config: &Config) -> Result<Table<'t>, OpenError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(OpenError::Header)?
            .iter()
            .map(|h| h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
            .map(str::to_string)
            .collect();
        if header.iter().all(String::is_empty) {
            return Err(OpenError::Empty);
        }
        let columns = map.resolve(&header).map_err(OpenError::Map)?;
        Ok(Table {
            header,
            columns,
            names: Names::new(config),
            reader,
            records: csv::StringRecord::new(),
            lines: Lines::new(text),
        })
    }

    /// The next row that is not blank: the line it starts on, and the submission it holds
    /// or why it cannot be one. `None` at the end of the file.
    pub fn next_row(&mut self, config: &Config) -> Option<(u64, Result<Row, String>)> {
        loop {
            return match self.reader.read_record(&mut self.records) {
                Ok(false) => None,
                Ok(true) if self.records.iter().all(|f| f.trim().is_empty()) => continue,
                Ok(true) => {
                    let line = self.lines.line_of(self.records.position());
                    let row = read_row(
                        &self.records,
                        line,
                        self.header.len(),
                        &self.columns,
                        &self.names,
                        config,
                    );
                    Some((line, row))
                }
                Err(e) => {
                    let line = self.lines.line_of(e.position());
                    Some((line, Err(format!("unreadable: {e}"))))
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config"))
            .unwrap()
    }

    fn map(s: &str) -> Result<ColumnMap, String> {
        ColumnMap::parse(&[s.to_string()])
    }

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_map_names_known_fields_once_and_a_text_column() {
        let m = map("نص البلاغ = text, الهاتف=contact,,").unwrap();
        let h = header(&["الهاتف", "نص البلاغ"]);
        let c = m.resolve(&h).unwrap();
        assert_eq!(
            (c.get(Field::Text), c.get(Field::Contact)),
            (Some(1), Some(0))
        );
        // Repeated flags add up.
        let two = ColumnMap::parse(&["نص البلاغ=text".into(), "الهاتف=contact".into()]).unwrap();
        assert_eq!(two, m);

        let e = map("نص البلاغ=body").unwrap_err();
        assert!(
            e.contains("unknown field \"body\"") && e.contains("text, category"),
            "{e}"
        );
        let e = map("نص البلاغ").unwrap_err();
        assert!(e.contains("has no \"=\""), "{e}");
        let e = map("a=text,b=text").unwrap_err();
        assert!(e.contains("two columns"), "{e}");
        let e = map("a=text,a=name").unwrap_err();
        assert!(e.contains("twice"), "{e}");

        let e = map("نص=text").unwrap().resolve(&h).unwrap_err();
        assert!(
            e.contains("no column \"نص\"") && e.contains("\"الهاتف\", \"نص البلاغ\""),
            "{e}"
        );
        let e = map("الهاتف=contact").unwrap().resolve(&h).unwrap_err();
        assert!(e.contains("no column for text"), "{e}");
        let e = map("a=text")
            .unwrap()
            .resolve(&header(&["a;b;c"]))
            .unwrap_err();
        assert!(e.contains("semicolons"), "{e}");
        // Case and Arabic spelling variants of a header still match.
        let c = map("MESSAGE=text,نص البلاغ=name")
            .unwrap()
            .resolve(&header(&["Message", "نصّ البلاغ"]))
            .unwrap();
        assert_eq!((c.get(Field::Text), c.get(Field::Name)), (Some(0), Some(1)));
        let e = map("a=text")
            .unwrap()
            .resolve(&header(&["a", "a"]))
            .unwrap_err();
        assert!(e.contains("2 columns"), "{e}");
    }

    #[test]
    fn bytes_are_utf8_with_or_without_bom_else_windows_1256() {
        let (t, e) = decode("\u{feff}نص,x".as_bytes());
        assert_eq!((t.as_ref(), e.as_str()), ("نص,x", "UTF-8 with BOM"));
        let (t, e) = decode("نص,x".as_bytes());
        assert_eq!((t.as_ref(), e.as_str()), ("نص,x", "UTF-8"));
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode("سرقة سيارة في الزرقاء,x");
        let (t, e) = decode(&bytes);
        assert_eq!(t, "سرقة سيارة في الزرقاء,x");
        assert!(e.starts_with("windows-1256"), "{e}");
        // UTF-8 with one damaged byte stays UTF-8; the damage is marked.
        let mut damaged = "نص البلاغ,رقم\nسرقة سيارة في الزرقاء,1\n"
            .as_bytes()
            .to_vec();
        damaged.extend_from_slice(b"\xff,2\n");
        let (t, e) = decode(&damaged);
        assert!(t.starts_with("نص البلاغ") && t.contains('\u{FFFD}'), "{t}");
        assert_eq!(e, "UTF-8, damaged in 1 place");
    }

    #[test]
    fn lines_count_quoted_breaks_blank_lines_and_crlf() {
        for text in [
            "a,b\n\n\nx,\"y\ny\"\nz,w\n",
            "a,b\r\n\r\n\r\nx,\"y\r\ny\"\r\nz,w\r\n",
        ] {
            let mut r = csv::Reader::from_reader(text.as_bytes());
            let mut lines = Lines::new(text);
            let got: Vec<u64> = r
                .records()
                .map(|rec| lines.line_of(rec.unwrap().position()))
                .collect();
            assert_eq!(got, [4, 6], "{text:?}");
        }
    }

    #[test]
    fn dates_take_arabic_indic_digits_and_the_zone() {
        let tz = chrono_tz::Asia::Amman;
        let want = DateTime::parse_from_rfc3339("2026-11-22T09:30:00+03:00").unwrap();
        assert_eq!(parse_date("٢٠٢٦-١١-٢٢ ٠٩:٣٠", tz).unwrap(), want);
        assert_eq!(parse_date("2026-11-22 09:30:00", tz).unwrap(), want);
        assert_eq!(parse_date("2026-11-22T06:30:00Z", tz).unwrap(), want);
        assert_eq!(
            parse_date("۲۰۲۶-۱۱-۲۲", tz).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-22T00:00:00+03:00").unwrap()
        );
        assert!(parse_date("22/11/2026", tz).is_none());
    }

    #[test]
    fn references_are_stable_and_fit_the_inbox() {
        assert_eq!(reference_from_id(" F-1001 ").unwrap(), "IMP-F-1001");
        assert_eq!(reference_from_id("٢٠٢٦٠٠١").unwrap(), "IMP-2026001");
        assert_eq!(reference_from_id("  "), None);
        let arabic = reference_from_id("طلب/٧").unwrap();
        assert!(
            arabic.starts_with("IMP-7-") && arabic.len() == 4 + 2 + 12,
            "{arabic}"
        );
        assert_eq!(reference_from_id("طلب/٧").unwrap(), arabic);
        assert_ne!(reference_from_id("طلب/8").unwrap(), arabic);
        let long = reference_from_id("submission_2026_11_22_0001_from_google").unwrap();
        assert!(long.starts_with("IMP-submission-2026-"), "{long}");
        let row = reference_from_row(&["نص", "", "", "", "", ""]);
        assert_eq!(row, reference_from_row(&["نص", "", "", "", "", ""]));
        assert_ne!(row, reference_from_row(&["نص", "1", "", "", "", ""]));
        for r in [arabic, long, row] {
            assert!(r.len() <= MAX_REFERENCE, "{r}");
            assert!(
                r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{r}"
            );
        }
    }

    #[test]
    fn categories_and_governorates_are_ids_or_names() {
        let names = Names::new(&config());
        assert_eq!(names.category("theft"), Some("theft"));
        assert_eq!(names.category("سرقة"), Some("theft"));
        assert_eq!(names.category("السرقة"), Some("theft"));
        assert_eq!(
            names.category("Traffic accidents"),
            Some("traffic_accident")
        );
        assert_eq!(names.category("أخرى"), Some("other"));
        assert_eq!(names.category("شكوى عامة"), None);
        assert_eq!(names.governorate("zarqa"), Some("zarqa"));
        assert_eq!(names.governorate("الزرقاء"), Some("zarqa"));
        assert_eq!(names.governorate("محافظة إربد"), Some("irbid"));
        assert_eq!(names.governorate("Irbid Governorate"), Some("irbid"));
        assert_eq!(names.governorate("الرمثا"), Some("irbid"));
        assert_eq!(names.governorate("عمان"), Some("amman"));
        assert_eq!(names.governorate("دبي"), None);
        assert_eq!(lang_code("العربية"), Some("ar"));
        assert_eq!(lang_code("English"), Some("en"));
        assert_eq!(lang_code("fr"), None);
    }

    #[test]
    fn rows_are_checked_like_the_form() {
        let config = config();
        let names = Names::new(&config);
        let csv_text = "id,msg,cat,gov,phone,when,lang\r\n\
            F-1,\"سرقت سيارتي من أمام البيت.\r\nأرجو المتابعة.\",السرقة,الزرقاء,٠٧٩ ١٢٣ ٤٥٦٧,٢٠٢٦-١١-٢٢ ٠٩:٣٠,العربية\r\n\
            F-2,قصير,,,,,\r\n\
            F-3,A long enough complaint about noise,Complaint,Dubai,not a phone,,en\r\n\
            F-4,A long enough complaint about noise,Complaint,Dubai,,tomorrow,en\r\n\
            F-5,\"A long enough complaint\",x\r\n\
            ,Another long enough complaint about noise,Complaint,Dubai,,,fr\r\n";
        let m = map(
            "id=reference,msg=text,cat=category,gov=governorate,phone=contact,when=date,lang=lang",
        )
        .unwrap();
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(csv_text.as_bytes());
        let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let cols = m.resolve(&h).unwrap();
        let mut lines = Lines::new(csv_text);
        let rows: Vec<Result<Row, String>> = r
            .records()
            .map(|rec| {
                let rec = rec.unwrap();
                let line = lines.line_of(rec.position());
                read_row(&rec, line, h.len(), &cols, &names, &config)
            })
            .collect();
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.line, 2);
        assert_eq!(first.reference, "IMP-F-1");
        assert_eq!(
            first.input.text,
            "سرقت سيارتي من أمام البيت.\nأرجو المتابعة."
        );
        assert_eq!(
            (
                first.input.category.as_str(),
                first.input.governorate.as_str()
            ),
            ("theft", "zarqa")
        );
        assert_eq!(first.input.contact, "0791234567");
        assert_eq!(first.lang, Some("ar"));
        assert_eq!(
            first.created,
            Some(
                DateTime::parse_from_rfc3339("2026-11-22T06:30:00Z")
                    .unwrap()
                    .into()
            )
        );
        assert!(first.unknown.is_empty());
        let e = rows[1].as_ref().unwrap_err();
        assert!(e.starts_with("text: "), "{e}");
        let e = rows[2].as_ref().unwrap_err();
        assert!(e.starts_with("contact: "), "{e}");
        let e = rows[3].as_ref().unwrap_err();
        assert!(e.contains("date \"tomorrow\""), "{e}");
        let e = rows[4].as_ref().unwrap_err();
        assert!(e.contains("3 fields where the header has 7"), "{e}");
        let last = rows[5].as_ref().unwrap();
        assert_eq!(
            (
                last.input.category.as_str(),
                last.input.governorate.as_str(),
                last.lang
            ),
            ("other", "", None)
        );
        assert_eq!(
            last.unknown,
            vec![
                (Field::Category, "Complaint".to_string()),
                (Field::Governorate, "Dubai".to_string()),
                (Field::Lang, "fr".to_string())
            ]
        );
        assert!(last.reference.starts_with("IMP-") && last.created.is_none());
        assert_eq!(last.line, 8, "the quoted line break counts");
        // Damaged bytes make a row unreadable.
        let bad =
            csv::StringRecord::from(vec!["F-9", "نص \u{FFFD} طويل بما يكفي", "", "", "", "", ""]);
        let e = read_row(&bad, 9, 7, &cols, &names, &config).unwrap_err();
        assert!(e.starts_with("unreadable"), "{e}");
    }
}
