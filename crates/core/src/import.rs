//! The import format of `rasd import items` and `rasd replay`: one JSON object a line
//! ([`ImportLine`]), read by [`parse_line`] into an [`Item`] with its language hint and
//! owner. `title`, `body`, `published` or `date` (RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or a
//! date, in the configured time zone), and optional `id` (a string or a number, unique
//! within its source), `url`, `source` (default `replay`), `owner` (default: the source),
//! `lang` (`ar`, `en`) and `kind` (`news` or `comment`); other fields are ignored, and `src`
//! is read as `source`. A line that cannot be an item gives the reason, never a panic.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use serde::Deserialize;

use crate::{Item, ItemKind, Lang};

/// One line of the import format. Fields it does not know (other tools' extra columns) are
/// ignored; `src` is read as `source`.
#[derive(Debug, Deserialize)]
pub struct ImportLine {
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, alias = "src")]
    pub source: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

/// An item read from a line, with its language hint and owner.
#[derive(Debug)]
pub struct Imported {
    pub item: Item,
    pub hint: Option<Lang>,
    pub owner: String,
}

/// Reads a time as lines write it: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or a date (both in
/// `tz`).
pub fn parse_time(s: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

impl ImportLine {
    /// The item this line describes, or why it cannot be one.
    pub fn into_item(self, tz: chrono_tz::Tz) -> Result<Imported, String> {
        if self.title.trim().is_empty() && self.body.trim().is_empty() {
            return Err("no title and no body: write at least one".into());
        }
        let when =
            self.published.as_deref().or(self.date.as_deref()).ok_or(
                "no published or date: write \"published\": \"2026-11-29T09:00:00+03:00\"",
            )?;
        let at = parse_time(when, tz).ok_or_else(|| {
            format!("{when:?} is not a time: write RFC 3339 (2026-11-29T09:00:00+03:00) or a date (2026-11-29)")
        })?;
        let source = self
            .source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("replay")
            .to_string();
        let id = match &self.id {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                Some(s.trim().to_string())
            }
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(other) => return Err(format!("id {other} is neither a string nor a number")),
        };
        let url = match (&self.url, &id) {
            (Some(u), _) if u.starts_with("http://") || u.starts_with("https://") => u.clone(),
            (Some(u), _) if !u.trim().is_empty() => {
                return Err(format!("url {u:?} is not an http(s) address"));
            }
            (_, Some(id)) => format!("rasd-import://{source}/{id}"),
            _ => {
                let text = format!("{}\n{}", self.title.trim(), self.body.trim());
                format!(
                    "rasd-import://{source}/text-{}",
                    crate::item_id_for_url(&text)
                )
            }
        };
        let hint = match self.lang.as_deref() {
            None | Some("") => None,
            Some(code @ ("ar" | "en")) => Some(Lang::from_code(code)),
            Some(other) => return Err(format!("lang {other:?}: write ar or en")),
        };
        let kind = match self.kind.as_deref() {
            None | Some("") | Some("news") | Some("article") => ItemKind::Article,
            Some("comment") => ItemKind::Comment,
            Some(other) => return Err(format!("kind {other:?}: write news or comment")),
        };
        let mut item = Item::new(&source, &url, self.title.trim(), self.body.trim(), at);
        item.published = Some(at);
        item.kind = kind;
        let owner = self
            .owner
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| source.clone());
        Ok(Imported { item, hint, owner })
    }
}

/// One line of the import format as an item, or why it cannot be one.
pub fn parse_line(line: &str, tz: chrono_tz::Tz) -> Result<Imported, String> {
    serde_json::from_str::<ImportLine>(line)
        .map_err(|e| format!("not an item line ({e})"))
        .and_then(|l| l.into_item(tz))
}
