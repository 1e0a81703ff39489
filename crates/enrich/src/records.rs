//! JSON-lines records for `rasd classify`, `rasd train` and `rasd eval`.
//!
//! A line is an object with an `id` and either `text` or `title` and `body` (each
//! optional), and for training or evaluation the gold `topics` (a list of topic ids) or
//! `label` (`positive`, `negative`, `neutral`; a `sentiment` field, as the shared English
//! sets have beside their original labels, takes its place). [`read_records`] reads a stream line by line
//! and never stops at a bad line: a line that is not a JSON object is returned as a
//! [`LineError`] naming the line and what is wrong, the next line is read as usual. Bytes
//! that are not UTF-8 are replaced by U+FFFD and the record says so in `replaced_bytes`, so
//! the rest of the line is not lost.

use std::io::BufRead;

use serde::Deserialize;

/// One input line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// 1-based line number in the input.
    pub line: usize,
    /// The `id` field (a string or a number written as text); empty when absent.
    pub id: String,
    /// The title, or empty.
    pub title: String,
    /// The `text` field, else the `body`.
    pub body: String,
    /// Gold topic ids, when the line has `topics`.
    pub topics: Option<Vec<String>>,
    /// Gold sentiment label: the line's `sentiment` when it has that field (null: none),
    /// else its `label`.
    pub label: Option<String>,
    /// `train` or `test`, when the line has `split`.
    pub split: Option<String>,
    /// True when invalid UTF-8 bytes were replaced.
    pub replaced_bytes: bool,
}

impl Record {
    /// True for a held-out test row: `"split": "test"`, or in a line without `split`, a
    /// numeric id divisible by 5 (the fixed test fold of the AJGT corpus).
    pub fn is_test_row(&self) -> bool {
        match &self.split {
            Some(s) => s == "test",
            None => self.id.parse::<u64>().is_ok_and(|id| id % 5 == 0),
        }
    }

    /// Title and body joined by a newline (either may be empty).
    pub fn full_text(&self) -> String {
        match (self.title.is_empty(), self.body.is_empty()) {
            (true, _) => self.body.clone(),
            (false, true) => self.title.clone(),
            (false, false) => format!("{}\n{}", self.title, self.body),
        }
    }
}

/// A line that could not be read as a record.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// The `id` of the line when it could still be read, else empty.
    pub id: String,
    /// What is wrong and how to write it.
    pub message: String,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    topics: Option<Vec<String>>,
    #[serde(default)]
    label: Option<String>,
    /// A clean sentiment beside an original `label` (the shared English sets): present even
    /// when null, so a null here means "no usable label".
    #[serde(default, deserialize_with = "present")]
    sentiment: Option<Option<String>>,
    #[serde(default)]
    split: Option<String>,
}

/// `Some(value)` for a field that is present, null included.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

/// Longest line read whole; the rest of a longer line is skipped and the line reported.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Reads `input` line by line. Blank lines are skipped; every other line gives one item,
/// a [`Record`] or a [`LineError`]. An I/O error ends the stream after being returned.
pub fn read_records<R: BufRead>(
    input: R,
) -> impl Iterator<Item = Result<Record, LineError>> + use<R> {
    let mut input = input;
    let mut line_no = 0usize;
    let mut buf = Vec::new();
    let mut done = false;
    std::iter::from_fn(move || {
        loop {
            if done {
                return None;
            }
            buf.clear();
            line_no += 1;
            let read = std::io::Read::take(&mut input, MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    done = true;
                    return Some(Err(LineError {
                        line: line_no,
                        id: String::new(),
                        message: format!("cannot read the input: {e}"),
                    }));
                }
            }
            if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
                // Skip the rest of the over-long line.
                let mut sink = Vec::new();
                while let Ok(n) = input.read_until(b'\n', &mut sink) {
                    if n == 0 || sink.last() == Some(&b'\n') {
                        break;
                    }
                    sink.clear();
                }
                return Some(Err(LineError {
                    line: line_no,
                    id: String::new(),
                    message: format!(
                        "the line is longer than {} MiB: split the text or shorten it",
                        MAX_LINE_BYTES >> 20
                    ),
                }));
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_line(line_no, &buf));
        }
    })
}

/// Parses one line (see [`read_records`]).
pub fn parse_line(line: usize, bytes: &[u8]) -> Result<Record, LineError> {
    let (text, replaced_bytes) = match std::str::from_utf8(bytes) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(bytes), true),
    };
    let raw: Raw = serde_json::from_str(text.trim()).map_err(|e| LineError {
        line,
        id: String::new(),
        message: format!(
            "not a JSON object with id and text ({e}): write {{\"id\": \"1\", \"text\": \"...\"}}"
        ),
    })?;
    let id = match raw.id {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
    };
    if raw.text.is_none() && raw.title.is_none() && raw.body.is_none() {
        return Err(LineError {
            line,
            id,
            message: "no \"text\", \"title\" or \"body\" field: add the text to classify".into(),
        });
    }
    Ok(Record {
        line,
        id,
        title: raw.title.unwrap_or_default(),
        body: raw.text.or(raw.body).unwrap_or_default(),
        topics: raw.topics,
        label: match raw.sentiment {
            Some(sentiment) => sentiment,
            None => raw.label,
        },
        split: raw.split,
        replaced_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> Vec<Result<Record, LineError>> {
        read_records(input).collect()
    }

    #[test]
    fn a_sentiment_field_takes_the_place_of_the_label() {
        let out = read(
            concat!(
                "{\"id\": \"a\", \"text\": \"so glad\", \"label\": \"joy\", \"sentiment\": \"positive\"}\n",
                "{\"id\": \"b\", \"text\": \"hmm\", \"label\": \"ambiguous\", \"sentiment\": null}\n",
                "{\"id\": \"c\", \"text\": \"سيء\", \"label\": \"negative\"}\n"
            )
            .as_bytes(),
        );
        let labels: Vec<Option<&str>> = out
            .iter()
            .map(|r| r.as_ref().unwrap().label.as_deref())
            .collect();
        assert_eq!(labels, [Some("positive"), None, Some("negative")]);
    }

    #[test]
    fn text_or_title_and_body() {
        let out = read(
            "{\"id\": \"a\", \"text\": \"حادث سير\"}\n\n{\"id\": 7, \"title\": \"T\", \"body\": \"B\", \"topics\": [\"theft\"]}\n"
                .as_bytes(),
        );
        assert_eq!(out.len(), 2);
        let a = out[0].as_ref().unwrap();
        assert_eq!(
            (a.id.as_str(), a.body.as_str(), a.line),
            ("a", "حادث سير", 1)
        );
        let b = out[1].as_ref().unwrap();
        assert_eq!(b.id, "7");
        assert_eq!(b.line, 3);
        assert_eq!(b.full_text(), "T\nB");
        assert_eq!(b.topics.as_deref(), Some(&["theft".to_string()][..]));
    }

    #[test]
    fn bad_lines_are_reported_and_the_rest_read() {
        let mut input =
            b"not json\n{\"id\": \"x\"}\n{\"id\": \"y\", \"text\": \"ok \xff\xfe here\"}\n"
                .to_vec();
        input.extend_from_slice(
            "{\"id\": \"z\", \"text\": \"سليم\", \"label\": \"positive\"}".as_bytes(),
        );
        let out = read(&input);
        assert_eq!(out.len(), 4);
        let e = out[0].as_ref().unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.to_string().contains("line 1: not a JSON object"), "{e}");
        let e = out[1].as_ref().unwrap_err();
        assert_eq!(e.id, "x");
        assert!(e.message.contains("no \"text\""));
        let y = out[2].as_ref().unwrap();
        assert!(y.replaced_bytes);
        assert!(y.body.starts_with("ok ") && y.body.ends_with(" here"));
        let z = out[3].as_ref().unwrap();
        assert_eq!(z.label.as_deref(), Some("positive"));
        assert_eq!(z.line, 4);
    }

    #[test]
    fn test_rows_by_split_or_id_fold() {
        let rows = read(
            b"{\"id\": 10, \"text\": \"a\"}\n{\"id\": 11, \"text\": \"b\"}\n\
              {\"id\": 10, \"text\": \"c\", \"split\": \"train\"}\n{\"id\": \"x\", \"text\": \"d\", \"split\": \"test\"}\n",
        );
        let test: Vec<bool> = rows
            .iter()
            .map(|r| r.as_ref().unwrap().is_test_row())
            .collect();
        assert_eq!(test, [true, false, false, true]);
    }

    #[test]
    fn crlf_and_empty_text_are_fine() {
        let out = read(b"{\"id\": \"1\", \"text\": \"\"}\r\n");
        let r = out[0].as_ref().unwrap();
        assert_eq!(r.body, "");
        assert_eq!(r.full_text(), "");
    }
}
