//! A result set written out for other tools: CSV (UTF-8 with a byte-order mark, so
//! spreadsheet programs read Arabic as Arabic) and JSON lines, the same columns in both.

use std::io::{self, Write};

use chrono_tz::Tz;
use serde::Serialize;

use crate::Hit;

/// The columns of an export, in order.
pub const EXPORT_COLUMNS: [&str; 13] = [
    "id",
    "published",
    "source",
    "lang",
    "title",
    "url",
    "topics",
    "places",
    "sentiment",
    "sentiment_score",
    "about_police",
    "score",
    "snippet",
];

/// One exported row.
#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    /// RFC 3339 in the export's time zone (Amman for Rasd), empty when undated.
    published: String,
    source: &'a str,
    lang: &'a str,
    title: &'a str,
    url: &'a str,
    topics: &'a [String],
    places: &'a [String],
    sentiment: Option<&'static str>,
    sentiment_score: Option<f32>,
    about_police: bool,
    score: f32,
    snippet: &'a str,
}

fn row(hit: &Hit, tz: Tz) -> Row<'_> {
    Row {
        id: &hit.id,
        published: hit
            .published
            .map(|t| t.with_timezone(&tz).to_rfc3339())
            .unwrap_or_default(),
        source: &hit.source,
        lang: &hit.lang,
        title: &hit.title,
        url: &hit.url,
        topics: &hit.topics,
        places: &hit.places,
        sentiment: hit.sentiment.map(|s| s.label.as_str()),
        sentiment_score: hit.sentiment.map(|s| s.score),
        about_police: hit.about_police,
        score: hit.score,
        snippet: &hit.snippet,
    }
}

/// Writes `hits` as CSV: a byte-order mark, the header of [`EXPORT_COLUMNS`], one line per
/// hit (CRLF, as RFC 4180 says); lists joined with `;`. A cell that a spreadsheet would run
/// as a formula (starting with `=`, `+`, `-`, `@`, tab or CR, and not a number) is written
/// with a leading `'`.
pub fn write_csv<W: Write>(out: &mut W, hits: &[Hit], tz: Tz) -> io::Result<()> {
    out.write_all("\u{FEFF}".as_bytes())?;
    write_line(out, EXPORT_COLUMNS.iter().map(|c| c.to_string()))?;
    for hit in hits {
        let r = row(hit, tz);
        write_line(
            out,
            [
                r.id.to_string(),
                r.published,
                r.source.to_string(),
                r.lang.to_string(),
                r.title.to_string(),
                r.url.to_string(),
                r.topics.join(";"),
                r.places.join(";"),
                r.sentiment.unwrap_or_default().to_string(),
                r.sentiment_score
                    .map(|s| format!("{s:.3}"))
                    .unwrap_or_default(),
                if r.about_police { "yes" } else { "no" }.to_string(),
                format!("{:.3}", r.score),
                r.snippet.to_string(),
            ],
        )?;
    }
    Ok(())
}

fn write_line<W: Write>(out: &mut W, cells: impl IntoIterator<Item = String>) -> io::Result<()> {
    let mut line = String::new();
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&csv_cell(&cell));
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())
}

/// One CSV cell: quoted when it holds a comma, quote or line break; defused when a
/// spreadsheet would read it as a formula (numbers aside).
fn csv_cell(value: &str) -> String {
    let defused;
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err() {
            defused = format!("'{value}");
            defused.as_str()
        } else {
            value
        };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Writes `hits` as JSON lines, one object per hit with the keys of [`EXPORT_COLUMNS`].
pub fn write_jsonl<W: Write>(out: &mut W, hits: &[Hit], tz: Tz) -> io::Result<()> {
    for hit in hits {
        serde_json::to_writer(&mut *out, &row(hit, tz))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("سرقة"), "سرقة");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-0.640"), "-0.640", "numbers stay numbers");
        assert_eq!(csv_cell("-cmd"), "'-cmd");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }
}
