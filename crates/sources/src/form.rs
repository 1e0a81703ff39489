//! Imports of public comment form exports (`kind = "form_export"`).
//!
//! An export is a JSON array of records:
//! `{"reference": "JO-2026-0001", "submitted_at": "2026-11-22T09:00:00+03:00",
//!   "text": "…", "governorate": "irbid" | null, "lang": "ar"}`.
//! Each good record becomes an [`Item`] of kind [`ItemKind::Comment`] with
//! `id = item_id_for_url("form:<source id>/<reference>")`, the same URL as its `url`, an
//! empty title (the text is the whole message; repeating its first line as a title would
//! count its words twice in enrichment), and `published = submitted_at`. A bad record is a
//! `bad_record` [`Problem`] naming its index and what is wrong; the others go on.
//! `governorate` and `lang` are checked for type but not used yet: enrichment finds places
//! and language from the text.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rasd_core::{Item, ItemKind, SourceConfig, item_id_for_url};
use serde_json::Value;

use crate::encoding::decode_text;
use crate::error::{Error, Problem, Result};
use crate::html::plain_text;

/// The longest reference accepted.
const MAX_REFERENCE: usize = 128;

/// Parses a form export (see the module docs). Only an export that is not a JSON array at all
/// is an error ([`Error::BadExport`]).
pub fn parse_form_export(
    source: &SourceConfig,
    bytes: &[u8],
    fetched: DateTime<Utc>,
) -> Result<(Vec<Item>, Vec<Problem>)> {
    let text = decode_text(bytes, Some("application/json"), None);
    let bad_export = |message: String| Error::BadExport {
        url: source.url.clone(),
        message,
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        bad_export(format!(
            "invalid JSON ({e}); expected an array of {{\"reference\", \"submitted_at\", \"text\", \"governorate\", \"lang\"}} records"
        ))
    })?;
    let Value::Array(records) = value else {
        return Err(bad_export(format!(
            "the top level is {}, expected an array of records",
            kind_of(&value)
        )));
    };
    let mut items = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (index, record) in records.iter().enumerate() {
        match record_to_item(source, record, fetched) {
            Ok(item) => {
                if seen.insert(item.id.clone()) {
                    items.push(item);
                } else {
                    problems.push(Problem::new(
                        &source.id,
                        Some(&item.url),
                        "bad_record",
                        format!("record {index}: duplicate reference, already seen earlier in this export; skipped"),
                    ));
                }
            }
            Err(why) => problems.push(Problem::new(
                &source.id,
                Some(&source.url),
                "bad_record",
                format!("record {index}: {why}; skipped"),
            )),
        }
    }
    Ok((items, problems))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn record_to_item(
    source: &SourceConfig,
    record: &Value,
    fetched: DateTime<Utc>,
) -> std::result::Result<Item, String> {
    let Value::Object(obj) = record else {
        return Err(format!("is {}, expected an object", kind_of(record)));
    };
    let reference = match obj.get("reference") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(format!(
                "\"reference\" is {}, expected a string",
                kind_of(other)
            ));
        }
        None => return Err("\"reference\" is missing".to_string()),
    };
    if reference.is_empty() {
        return Err("\"reference\" is empty".to_string());
    }
    if reference.chars().count() > MAX_REFERENCE || reference.chars().any(char::is_control) {
        return Err(format!(
            "\"reference\" must be at most {MAX_REFERENCE} characters without control characters"
        ));
    }
    let submitted = match obj.get("submitted_at") {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .map_err(|e| format!("\"submitted_at\" {s:?} is not an RFC 3339 time ({e}), such as \"2026-11-22T09:00:00+03:00\""))?
            .with_timezone(&Utc),
        Some(other) => return Err(format!("\"submitted_at\" is {}, expected a string", kind_of(other))),
        None => return Err("\"submitted_at\" is missing".to_string()),
    };
    let body = match obj.get("text") {
        Some(Value::String(s)) => plain_text(s),
        Some(other) => return Err(format!("\"text\" is {}, expected a string", kind_of(other))),
        None => return Err("\"text\" is missing".to_string()),
    };
    if body.is_empty() {
        return Err("\"text\" is empty".to_string());
    }
    for key in ["governorate", "lang"] {
        match obj.get(key) {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(other) => {
                return Err(format!(
                    "{key:?} is {}, expected a string or null",
                    kind_of(other)
                ));
            }
        }
    }
    let url = format!("form:{}/{}", source.id, reference);
    Ok(Item {
        id: item_id_for_url(&url),
        kind: ItemKind::Comment,
        source: source.id.clone(),
        url,
        guid: None,
        title: String::new(),
        body,
        author: None,
        published: Some(submitted),
        fetched,
        tags: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rasd_core::{FullText, SourceKind};

    fn source() -> SourceConfig {
        SourceConfig {
            fetch_full_text: FullText::Never,
            ..SourceConfig::new(
                "public-form",
                "Form",
                SourceKind::FormExport,
                "file:///tmp/export.json",
            )
        }
    }

    #[test]
    fn one_bad_record_among_good_ones() {
        let json = r#"[
 {"reference":"JO-2026-0001","submitted_at":"2026-11-22T09:00:00+03:00","text":"يوجد تجمع لسيارات مسرعة قرب دوار الداخلية كل ليلة","governorate":"amman","lang":"ar"},
 {"reference":"JO-2026-0002","submitted_at":"yesterday","text":"x","governorate":null,"lang":"ar"},
 {"reference":"JO-2026-0003","submitted_at":"2026-11-22T10:00:00Z","text":"Thank you to the officers at the Irbid station.","governorate":null,"lang":"en"},
 "not an object",
 {"reference":"JO-2026-0001","submitted_at":"2026-11-22T09:00:00+03:00","text":"مكرر","lang":"ar"},
 {"submitted_at":"2026-11-22T10:00:00Z","text":"بلا مرجع"}
]"#;
        let (items, problems) = parse_form_export(&source(), json.as_bytes(), Utc::now()).unwrap();
        assert_eq!(items.len(), 2);
        let a = &items[0];
        assert_eq!(a.kind, ItemKind::Comment);
        assert_eq!(a.url, "form:public-form/JO-2026-0001");
        assert_eq!(a.id, item_id_for_url("form:public-form/JO-2026-0001"));
        assert_eq!(a.title, "");
        assert!(a.body.starts_with("يوجد تجمع"));
        assert_eq!(
            a.published.unwrap().to_rfc3339(),
            "2026-11-22T06:00:00+00:00"
        );
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().all(|p| p.reason == "bad_record"));
        assert!(problems[0].message.starts_with("record 1:"));
        assert!(problems[0].message.contains("submitted_at"));
        assert!(problems[1].message.starts_with("record 3:"));
        assert!(problems[2].message.contains("duplicate"));
        assert!(problems[3].message.contains("\"reference\" is missing"));
    }

    #[test]
    fn not_an_array_is_an_error() {
        let err = parse_form_export(&source(), br#"{"records":[]}"#, Utc::now()).unwrap_err();
        assert_eq!(err.reason(), "bad_export");
        assert!(err.to_string().contains("an object"));
        let err = parse_form_export(&source(), b"[{", Utc::now()).unwrap_err();
        assert!(err.to_string().contains("invalid JSON"));
    }
}
