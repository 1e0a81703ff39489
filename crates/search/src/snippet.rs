//! Plain-text snippets: the window of the body (at most [`MAX_SNIPPET_CHARS`] characters)
//! that holds the most distinct query words.
//!
//! The body is analyzed with both analyzers (they cut the same words at the same offsets), and
//! a word matches when its stemmed form is a query term of `title`/`body` or its exact form a
//! query term of `title_exact`/`body_exact`. Tantivy's own snippet generator counts its limit
//! in bytes, which would halve Arabic snippets; this one counts characters.

use std::collections::HashSet;

/// Longest snippet, in characters, ellipses included.
pub(crate) const MAX_SNIPPET_CHARS: usize = 200;
/// How much text, in characters, to show before the first match of a window.
const LEAD_CHARS: usize = 40;
const ELLIPSIS: char = '…';

/// The query terms a snippet looks for, per analyzer.
#[derive(Debug, Default)]
pub(crate) struct SnippetTerms {
    /// Terms of the stemmed fields.
    pub stemmed: HashSet<String>,
    /// Terms of the exact fields.
    pub exact: HashSet<String>,
}

impl SnippetTerms {
    fn is_empty(&self) -> bool {
        self.stemmed.is_empty() && self.exact.is_empty()
    }
}

/// A snippet: text and the matched words in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Snippet {
    /// The text, whitespace collapsed, `…` where the body was cut.
    pub text: String,
    /// The matched words, as ranges of characters (Unicode scalar values) of `text`, in
    /// order, not overlapping.
    pub marks: Vec<(usize, usize)>,
}

/// The snippet of `body` for `terms`: the best window, whitespace collapsed, with `…` where
/// text was cut and the matched words marked. With no match, the start of the body. A
/// window opens and closes between words; only a single word longer than the whole window
/// is cut, and then between grapheme clusters (never between a letter and its marks).
pub(crate) fn snippet(body: &str, terms: &SnippetTerms, max_chars: usize) -> Snippet {
    let body = body.trim();
    let matches = if terms.is_empty() {
        Vec::new()
    } else {
        matches(body, terms)
    };
    if body.chars().count() <= max_chars {
        return render(body, 0, body.len(), &matches);
    }
    let budget = max_chars.saturating_sub(2).max(1);
    let mut best: Option<(usize, usize, usize)> = None; // (score, start, end)
    for &(from, _, _) in &matches {
        let start = window_start(body, from);
        let end = window_end(body, start, budget);
        let distinct: HashSet<&str> = matches
            .iter()
            .filter(|(f, t, _)| *f >= start && *t <= end)
            .map(|(_, _, term)| term.as_str())
            .collect();
        if best.is_none_or(|(score, _, _)| distinct.len() > score) {
            best = Some((distinct.len(), start, end));
        }
    }
    let (start, end) = match best {
        Some((_, start, end)) => (start, end),
        None => (0, window_end(body, 0, budget)),
    };
    render(body, start, end, &matches)
}

/// `body[start..end]` with whitespace collapsed, an ellipsis on each side where the body
/// goes on, and the `matches` inside marked.
fn render(body: &str, start: usize, end: usize, matches: &[(usize, usize, String)]) -> Snippet {
    let mut out = Snippet::default();
    let mut chars = 0usize;
    if start > 0 {
        out.text.push(ELLIPSIS);
        chars += 1;
    }
    for (n, piece) in body[start..end].split_whitespace().enumerate() {
        // `split_whitespace` yields subslices: where this one starts in `body`.
        let from = piece.as_ptr() as usize - body.as_ptr() as usize;
        let to = from + piece.len();
        if n > 0 {
            out.text.push(' ');
            chars += 1;
        }
        for &(f, t, _) in matches.iter().filter(|(f, t, _)| *f >= from && *t <= to) {
            let at = chars + body[from..f].chars().count();
            out.marks.push((at, at + body[f..t].chars().count()));
        }
        out.text.push_str(piece);
        chars += piece.chars().count();
    }
    if end < body.len() {
        out.text.push(ELLIPSIS);
    }
    out
}

/// Byte ranges of the words of `body` that match a query term, with the matched term.
fn matches(body: &str, terms: &SnippetTerms) -> Vec<(usize, usize, String)> {
    crate::analyzer::matching_words(body, &terms.exact, &terms.stemmed)
}

/// Where a window showing a match at byte `from` starts: about [`LEAD_CHARS`] earlier, at
/// the start of a word.
fn window_start(body: &str, from: usize) -> usize {
    let back = body[..from]
        .char_indices()
        .rev()
        .take(LEAD_CHARS)
        .last()
        .map_or(from, |(i, _)| i);
    if back == 0 {
        return 0;
    }
    // Move forward to the next word start so the window does not open mid-word.
    match body[back..from].find(char::is_whitespace) {
        Some(ws) => {
            let after = back + ws;
            body[after..]
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map_or(from, |(i, _)| after + i)
        }
        // No word start in the lead: open at the match itself.
        None => from,
    }
}

/// Where a window starting at `start` ends: `budget` characters later, cut back to the end of
/// a word; a single word longer than the window is cut between grapheme clusters.
fn window_end(body: &str, start: usize, budget: usize) -> usize {
    let end = body[start..]
        .char_indices()
        .nth(budget)
        .map_or(body.len(), |(i, _)| start + i);
    if end == body.len() || body[end..].starts_with(char::is_whitespace) {
        return end;
    }
    match body[start..end].rfind(char::is_whitespace) {
        Some(ws) => start + ws,
        None => grapheme_boundary_before(body, end),
    }
}

/// The last place at or before byte `at` where a grapheme cluster begins: not before a
/// combining mark (Arabic harakat, shadda, Latin accents), a joiner or a variation selector.
fn grapheme_boundary_before(body: &str, mut at: usize) -> usize {
    while at > 0
        && body[at..].chars().next().is_some_and(|c| {
            crate::analyzer::is_combining(c)
                || matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}')
        })
    {
        at = body[..at].char_indices().next_back().map_or(0, |(i, _)| i);
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms_for(query: &str) -> SnippetTerms {
        SnippetTerms {
            stemmed: crate::analyzer::analyze_query(query).into_iter().collect(),
            exact: HashSet::new(),
        }
    }

    fn filler(words: usize) -> String {
        vec!["كلام"; words].join(" ")
    }

    #[test]
    fn window_holds_the_match_and_stays_short() {
        let body = format!(
            "{} وأعلنت مديرية الأمن العام ضبط كمية من المخدرات في الزرقاء {}",
            filler(80),
            filler(80)
        );
        let s = snippet(&body, &terms_for("مخدرات"), MAX_SNIPPET_CHARS).text;
        assert!(s.contains("المخدرات"), "{s}");
        assert!(
            s.chars().count() <= MAX_SNIPPET_CHARS,
            "{}",
            s.chars().count()
        );
        assert!(s.starts_with(ELLIPSIS) && s.ends_with(ELLIPSIS));
    }

    #[test]
    fn prefers_the_window_with_more_distinct_words() {
        let body = format!("سرقة {} سرقة سيارة في إربد {}", filler(60), filler(60));
        let s = snippet(&body, &terms_for("سرقة سيارة"), MAX_SNIPPET_CHARS).text;
        assert!(s.contains("سيارة"), "{s}");
    }

    #[test]
    fn second_forms_match() {
        let body = format!("{} قام بسرقة سيارة {}", filler(70), filler(70));
        assert!(
            snippet(&body, &terms_for("سرقة"), MAX_SNIPPET_CHARS)
                .text
                .contains("بسرقة")
        );
    }

    #[test]
    fn exact_terms_match_too() {
        let body = format!("{} إطلاق النار {}", filler(70), filler(70));
        let terms = SnippetTerms {
            stemmed: HashSet::new(),
            exact: crate::analyzer::analyze_exact("اطلاق نار")
                .into_iter()
                .map(|w| w.text)
                .collect(),
        };
        assert!(
            snippet(&body, &terms, MAX_SNIPPET_CHARS)
                .text
                .contains("إطلاق النار")
        );
    }

    #[test]
    fn no_match_gives_the_start_and_short_bodies_are_whole() {
        let body = format!("بداية الخبر {}", filler(100));
        let s = snippet(&body, &terms_for("theft"), MAX_SNIPPET_CHARS).text;
        assert!(s.starts_with("بداية الخبر"));
        assert!(s.chars().count() <= MAX_SNIPPET_CHARS);
        assert_eq!(
            snippet("  خبر\n\nقصير  ", &terms_for("خبر"), MAX_SNIPPET_CHARS).text,
            "خبر قصير"
        );
    }

    #[test]
    fn one_long_word_is_cut_on_a_char_boundary() {
        let body = "ش".repeat(500);
        let s = snippet(&body, &terms_for("ش"), 50).text;
        assert_eq!(s.chars().count(), 49); // 48 letters and the closing ellipsis
    }

    fn marked(s: &Snippet) -> Vec<String> {
        s.marks
            .iter()
            .map(|&(a, b)| s.text.chars().skip(a).take(b - a).collect())
            .collect()
    }

    #[test]
    fn matched_words_are_marked_by_character_ranges() {
        let body = format!(
            "{} قام لص بسرقة سيارة من أمام    منزل في الزرقاء، وسرقة أخرى {}",
            filler(70),
            filler(70)
        );
        let s = snippet(&body, &terms_for("سرقة سيارة"), MAX_SNIPPET_CHARS);
        assert_eq!(marked(&s), ["بسرقة", "سيارة", "وسرقة"], "{}", s.text);
        // Short bodies are marked too, after whitespace is collapsed.
        let s = snippet("سرقة  \n\n سيارة", &terms_for("سيارة"), MAX_SNIPPET_CHARS);
        assert_eq!(s.text, "سرقة سيارة");
        assert_eq!(s.marks, [(5, 10)]);
    }

    #[test]
    fn windows_open_and_close_between_words() {
        let words = [
            "الأمن",
            "العام",
            "يعلن",
            "ضبط",
            "مطلوبين",
            "في",
            "محافظة",
            "إربد",
            "بعد",
            "مداهمة",
        ];
        let body = (0..60)
            .map(|i| words[i % words.len()])
            .collect::<Vec<_>>()
            .join(" ");
        for query in ["مداهمة", "إربد", "الأمن", "مطلوبين"] {
            let s = snippet(&body, &terms_for(query), 90);
            let inner = s.text.trim_matches(ELLIPSIS);
            for w in inner.split(' ') {
                assert!(words.contains(&w), "{w:?} is a cut word in {:?}", s.text);
            }
            assert!(!marked(&s).is_empty());
        }
    }

    #[test]
    fn a_word_longer_than_the_window_is_cut_between_graphemes() {
        // Every letter carries a shadda and a fatha: no cut may separate them.
        let body = "شَّ".repeat(100);
        let s = snippet(&body, &SnippetTerms::default(), 51).text;
        let kept = s.trim_end_matches(ELLIPSIS);
        assert!(!kept.is_empty());
        assert_eq!(kept.chars().count() % 3, 0, "{kept:?}");
    }
}
