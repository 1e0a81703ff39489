//! [`SearchQuery`] and its translation into a tantivy query: the text through tantivy's
//! query parser (with phrases moved to the exact fields), the filters as constant-score
//! MUST clauses.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use chrono::{DateTime, Utc};
use rasd_core::{ItemKind, Lang, Polarity};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, QueryParserError,
    RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::query_grammar::{
    self, Delimiter, Occur as AstOccur, UserInputAst, UserInputLeaf, UserInputLiteral,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, Searcher, Term};

use crate::schema::{Fields, NO, NO_SENTIMENT, YES, names, to_tantivy, yes_no};
use crate::{Error, Result, analyzer};

/// A search: text in the query language below, filters, and the page wanted.
///
/// # The query language (`text`)
/// - Words separated by spaces must **all** appear, in the title or the body (conjunction
///   by default: an analyst narrowing a search adds words). Words are matched after
///   normalization and stemming, so `أمن`, `الأمن`, `والأمن` and `الأَمْن` are one word,
///   and `thefts` finds `theft`. A match in the title counts double. A bare word glued to
///   و/ف/ب/ل/ك (`بحادث`) also finds the word alone (`حادث`) when the index holds that as a
///   word of its own (at least twice as often), not when it is the tail of another (`فساد`).
/// - A word (or two or three) that names a place of `places.toml` lists the items tagged with
///   that place first (see [`crate::SearchIndex::with_place_names`]).
/// - `"quoted words"` must appear as that phrase, in that unstemmed form (articles and
///   و/ف/ب/ل/ك before them aside): `"إطلاق نار"` finds `إطلاق النار`.
/// - `-word` or `-"a phrase"` leaves out items that contain it (alone, it means every item
///   but those).
/// - `a OR b` accepts either; `( )` group; `+word` is the same as `word`.
/// - `field:value` looks in one field: `title`, `body`, `source`, `lang`, `kind`, `topics`
///   (or `topic`), `places` (or `place`), `published:[2026-11-01T00:00:00Z TO *]`,
///   `sentiment:negative` (`positive`, `negative`, `neutral`, or `none` for unscored items)
///   and `police:yes` or `police:no` (about the Public Security Directorate or not). Values
///   of `sentiment` and `police` are checked: anything else is an [`Error::Query`] that
///   lists what to write.
/// - `field:*` means "has a value": every item for the fields every item has (`title:*`,
///   `source:*`…), items with at least one topic or place for `topics:*` and `places:*`.
/// - `since:7d` or `since:24h` (filed within that long before now), `after:2026-11-01` and
///   `before:2026-11-15` (dates are midnight UTC; RFC 3339 times are read as written) narrow
///   the dates; `sort:date` lists newest first, `sort:relevance` by score (the default with
///   words). Inside quotes they are plain text; a bad value is an [`Error::Query`] with its
///   position and what to write.
/// - Any other field name (`url`, `fetched`…), a query longer than [`MAX_QUERY_CHARS`] or
///   nested deeper than [`MAX_QUERY_DEPTH`] is an [`Error::Query`] saying what to write; no query
///   text is an internal error.
///
/// Empty text matches every item that passes the filters, newest first. With text, hits are
/// ordered by score, then newest first.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// The words to look for (see above); empty for "everything".
    pub text: String,
    /// Hits per page; 0 means [`crate::DEFAULT_LIMIT`], more than [`crate::MAX_LIMIT`] is
    /// cut to it.
    pub limit: usize,
    /// Hits to skip (for paging).
    pub offset: usize,
    /// Only items in this language.
    pub lang: Option<Lang>,
    /// Only items tagged with at least one of these topic ids (empty: no filter).
    pub topics: Vec<String>,
    /// Only items tagged with at least one of these place ids (empty: no filter).
    pub places: Vec<String>,
    /// Only items from one of these source ids (empty: no filter).
    pub sources: Vec<String>,
    /// Only articles, or only public comments.
    pub kind: Option<ItemKind>,
    /// Only items filed at or after this time (published, or fetched when undated).
    pub from: Option<DateTime<Utc>>,
    /// Only items filed strictly before this time.
    pub to: Option<DateTime<Utc>>,
    /// Only items with one of these sentiments (empty: no filter; items without a
    /// sentiment never match a non-empty list).
    pub sentiment: Vec<Polarity>,
    /// Only items about the police (`Some(true)`) or not about it (`Some(false)`).
    pub about_police: Option<bool>,
    /// Only these item ids (empty: no filter); alert rules run their query on the items
    /// just stored this way.
    pub ids: Vec<String>,
    /// `Some(true)`: newest first; `Some(false)`: by relevance; `None`: by relevance when
    /// there are words, else newest first. A `sort:` in the text wins.
    pub by_date: Option<bool>,
    /// The time zone whose days the date histogram ([`crate::Facets::by_date`]) counts;
    /// UTC when `None`.
    pub tz: Option<chrono_tz::Tz>,
}

/// Place names as the exact analyzer reads them (words joined by one space), with the
/// place ids they name: a query that names a place ranks the items tagged with it first.
pub(crate) type PlaceWords = HashMap<String, Vec<String>>;

/// What a query is compiled against besides the schema.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The index's statistics, for reading a word glued to a proclitic (`بحادث`); `None`
    /// when only the syntax is checked.
    pub searcher: Option<&'a Searcher>,
    /// Place names (see [`PlaceWords`]).
    pub places: &'a PlaceWords,
}

/// The score added to an item tagged with a place the query names: larger than any text
/// score, so that `عمان` lists items about Amman before items about Oman.
const PLACE_BOOST: f32 = 100.0;

/// The weight of the rest of a word glued to a proclitic (`حادث` for `بحادث`), against 1
/// for the word as written.
const PROCLITIC_REST_BOOST: f64 = 0.7;

/// The rest of a proclitic word is searched too when it is at least this many times as
/// frequent as the word as written: then it is a word of its own (حادث, 1,827 items
/// against بحادث's 54 in the shared Arabic corpus), not the tail of another word (فساد is
/// not ف + ساد).
const PROCLITIC_REST_RATIO: u64 = 2;

/// A query ready to run.
pub(crate) struct Compiled {
    /// Text and filters together.
    pub query: Box<dyn Query>,
    /// Whether hits are ordered by score (there was text, and no `sort:date`).
    pub has_text: bool,
}

/// Field names users may write before `:`, with the field they mean.
const USER_FIELDS: &[(&str, &str)] = &[
    ("title", names::TITLE),
    ("body", names::BODY),
    ("title_exact", names::TITLE_EXACT),
    ("body_exact", names::BODY_EXACT),
    ("source", names::SOURCE),
    ("lang", names::LANG),
    ("kind", names::KIND),
    ("topics", names::TOPICS),
    ("topic", names::TOPICS),
    ("places", names::PLACES),
    ("place", names::PLACES),
    ("published", names::PUBLISHED),
    ("id", names::ID),
    ("sentiment", names::SENTIMENT),
    ("police", names::ABOUT_POLICE),
    ("about_police", names::ABOUT_POLICE),
];

/// The longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;

/// The deepest nesting of `( )` accepted.
pub const MAX_QUERY_DEPTH: usize = 16;

/// The field names listed in error messages.
const FIELD_LIST: &str =
    "title, body, source, lang, kind, topics, places, published, sentiment, police";

pub(crate) const HOW_TO_WRITE: &str = "write words separated by spaces (all must appear), \"quoted words\" \
     for an exact phrase, -word to leave a word out, OR between alternatives, and field:value \
     to look in one field (title, body, source, lang, kind, topics, places, published, \
     sentiment, police)";

/// Directives in the query text, taken out before the words are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Directives {
    /// `since:7d`, `since:24h`, `after:2026-11-01`: items filed at or after this.
    pub from: Option<DateTime<Utc>>,
    /// `before:2026-11-15`: items filed strictly before this.
    pub to: Option<DateTime<Utc>>,
    /// `sort:date` (newest first) or `sort:relevance` (the default with words).
    pub by_date: Option<bool>,
}

/// Takes `since:`, `after:`, `before:` and `sort:` out of `text` (outside quotes), reading
/// relative times against `now`. A bad value is an [`Error::Query`] naming it, its position
/// (in characters, from 1) and what to write.
pub(crate) fn directives(text: &str, now: DateTime<Utc>) -> Result<(String, Directives)> {
    let mut d = Directives::default();
    let mut rest = String::with_capacity(text.len());
    let mut in_quotes = false;
    let mut chars_before = 0usize;
    for (piece, is_space) in split_keep(text) {
        let start = chars_before + 1;
        chars_before += piece.chars().count();
        if is_space {
            rest.push_str(piece);
            continue;
        }
        let quotes = piece.matches('"').count();
        let outside = !in_quotes;
        if quotes % 2 == 1 {
            in_quotes = !in_quotes;
        }
        let Some((key, value)) = piece.split_once(':').filter(|_| outside && quotes == 0) else {
            rest.push_str(piece);
            continue;
        };
        let bad = |what: &str| Error::Query {
            query: text.to_string(),
            message: format!("{piece:?} at position {start}: {what}"),
        };
        match key.to_ascii_lowercase().as_str() {
            "since" => {
                let iv: rasd_core::Interval = value.parse().map_err(|_| {
                    bad("write since: and a duration, such as since:24h or since:7d")
                })?;
                let dur = chrono::Duration::from_std(iv.as_duration())
                    .map_err(|_| bad("that duration is too long"))?;
                d.from = Some(d.from.map_or(now - dur, |f| f.max(now - dur)));
            }
            "after" | "before" => {
                let t = date_value(value).ok_or_else(|| {
                    bad("write a date (2026-11-01) or a time (2026-11-01T08:00:00Z)")
                })?;
                if key.eq_ignore_ascii_case("after") {
                    d.from = Some(d.from.map_or(t, |f| f.max(t)));
                } else {
                    d.to = Some(d.to.map_or(t, |x| x.min(t)));
                }
            }
            "sort" => match value.to_ascii_lowercase().as_str() {
                "date" | "newest" => d.by_date = Some(true),
                "relevance" | "score" => d.by_date = Some(false),
                _ => return Err(bad("write sort:date (newest first) or sort:relevance")),
            },
            _ => rest.push_str(piece),
        }
    }
    Ok((rest.split_whitespace().collect::<Vec<_>>().join(" "), d))
}

/// `text` cut into runs of whitespace and of the rest, in order.
fn split_keep(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut space: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let s = c.is_whitespace();
        if space.is_some_and(|prev| prev != s) {
            out.push((&text[start..i], space.unwrap_or(false)));
            start = i;
        }
        space = Some(s);
    }
    if start < text.len() {
        out.push((&text[start..], space.unwrap_or(false)));
    }
    out
}

/// A date (`2026-11-01`, midnight UTC) or an RFC 3339 time.
fn date_value(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Builds the tantivy query for `q`.
pub(crate) fn compile(
    index: &Index,
    fields: &Fields,
    q: &SearchQuery,
    ctx: Context<'_>,
) -> Result<Compiled> {
    let (text, d) = directives(q.text.trim(), Utc::now())?;
    let mut q = q.clone();
    if let Some(f) = d.from {
        q.from = Some(q.from.map_or(f, |x| x.max(f)));
    }
    if let Some(t) = d.to {
        q.to = Some(q.to.map_or(t, |x| x.min(t)));
    }
    let q = &q;
    let text = text.as_str();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let has_text = !text.is_empty();
    if has_text {
        let (query, places) = parse_text(index, fields, text, q.text.trim(), ctx)?;
        clauses.push((Occur::Must, query));
        if !places.is_empty() {
            let named = TermSetQuery::new(
                places
                    .iter()
                    .map(|p| Term::from_field_text(fields.places, p)),
            );
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(named), PLACE_BOOST)),
            ));
        }
    }
    for filter in filters(fields, q)? {
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
    }
    let query: Box<dyn Query> = match clauses.len() {
        0 => Box::new(AllQuery),
        1 if has_text => clauses.remove(0).1,
        _ => {
            if !has_text {
                clauses.insert(0, (Occur::Must, Box::new(AllQuery)));
            }
            Box::new(BooleanQuery::new(clauses))
        }
    };
    Ok(Compiled {
        query,
        has_text: has_text && d.by_date.or(q.by_date) != Some(true),
    })
}

/// The filter clauses of `q`.
fn filters(fields: &Fields, q: &SearchQuery) -> Result<Vec<Box<dyn Query>>> {
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    let term = |field, value: &str| Term::from_field_text(field, value);
    if let Some(lang) = q.lang {
        out.push(Box::new(TermQuery::new(
            term(fields.lang, lang.code()),
            IndexRecordOption::Basic,
        )));
    }
    if let Some(kind) = q.kind {
        out.push(Box::new(TermQuery::new(
            term(fields.kind, kind.code()),
            IndexRecordOption::Basic,
        )));
    }
    if let Some(flag) = q.about_police {
        out.push(Box::new(TermQuery::new(
            term(fields.about_police, yes_no(flag)),
            IndexRecordOption::Basic,
        )));
    }
    if !q.sentiment.is_empty() {
        let labels: BTreeSet<&str> = q.sentiment.iter().map(|p| p.as_str()).collect();
        out.push(Box::new(TermSetQuery::new(
            labels.into_iter().map(|v| term(fields.sentiment, v)),
        )));
    }
    for (field, values) in [
        (fields.topics, &q.topics),
        (fields.places, &q.places),
        (fields.source, &q.sources),
        (fields.id, &q.ids),
    ] {
        let values: BTreeSet<&str> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        match values.len() {
            0 => {}
            // One value: a term query, which skips building the set's automaton per segment.
            1 => out.push(Box::new(TermQuery::new(
                term(field, values.first().copied().unwrap_or_default()),
                IndexRecordOption::Basic,
            ))),
            _ => out.push(Box::new(TermSetQuery::new(
                values.into_iter().map(|v| term(field, v)),
            ))),
        }
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        return Err(Error::Query {
            query: q.text.clone(),
            message: format!(
                "the date range is empty: it starts at {from} and ends at {to}; the end must \
                 come after the start (swap them?)"
            ),
        });
    }
    if q.from.is_some() || q.to.is_some() {
        let bound =
            |t: DateTime<Utc>| Term::from_field_date_for_search(fields.published, to_tantivy(t));
        out.push(Box::new(RangeQuery::new(
            q.from
                .map_or(Bound::Unbounded, |t| Bound::Included(bound(t))),
            q.to.map_or(Bound::Unbounded, |t| Bound::Excluded(bound(t))),
        )));
    }
    Ok(out)
}

/// Parses the text part of a query; with it, the ids of the places its words name.
fn parse_text(
    index: &Index,
    fields: &Fields,
    text: &str,
    original: &str,
    ctx: Context<'_>,
) -> Result<(Box<dyn Query>, BTreeSet<String>)> {
    let user_error = |message: String| Error::Query {
        query: original.to_string(),
        message,
    };
    check_size(text).map_err(user_error)?;
    let cleaned = sanitize(text);
    let ast =
        query_grammar::parse_query(&cleaned).map_err(|_| user_error(diagnose_syntax(original)))?;
    let ast = rewrite(ast);
    check_fields(&ast).map_err(user_error)?;
    let ast = check_values(ast).map_err(user_error)?;
    let places = named_places(&ast, ctx.places);
    let ast = match ctx.searcher {
        Some(searcher) => expand_proclitics(ast, searcher, fields),
        None => ast,
    };
    let parser = parser(index, fields);
    let query = match parser.build_query_from_user_input_ast(ast.clone()) {
        Ok(query) => Ok(query),
        Err(QueryParserError::AllButQueryForbidden) => {
            // Only exclusions: everything except them.
            parser
                .build_query_from_user_input_ast(match_all_but(ast))
                .map_err(|e| query_error(text, e))
        }
        Err(e) => Err(query_error(text, e)),
    }?;
    Ok((query, places))
}

/// A bare word glued to a proclitic letter (`بحادث`, `وحادث`) is searched as written or
/// without the letter when the rest is a word of its own (see [`PROCLITIC_REST_RATIO`]); the
/// index already files `بحادث` under `حادث`, so this makes the two queries meet. Quoted
/// phrases and other fields are left as written.
fn expand_proclitics(ast: UserInputAst, searcher: &Searcher, fields: &Fields) -> UserInputAst {
    match ast {
        UserInputAst::Clause(children) => UserInputAst::Clause(
            children
                .into_iter()
                .map(|(occur, child)| (occur, expand_proclitics(child, searcher, fields)))
                .collect(),
        ),
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(expand_proclitics(*inner, searcher, fields)), boost)
        }
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(literal)
                if literal.delimiter == Delimiter::None
                    && !literal.prefix
                    && literal
                        .field_name
                        .as_deref()
                        .is_none_or(|f| f == names::TITLE || f == names::BODY) =>
            {
                let Some(rest) = proclitic_rest_worth_searching(&literal.phrase, searcher, fields)
                else {
                    return UserInputLeaf::Literal(literal).into();
                };
                let mut alt = literal.clone();
                alt.phrase = rest;
                UserInputAst::Clause(vec![
                    (
                        Some(AstOccur::Should),
                        UserInputLeaf::Literal(literal).into(),
                    ),
                    (
                        Some(AstOccur::Should),
                        UserInputAst::Boost(
                            Box::new(UserInputLeaf::Literal(alt).into()),
                            PROCLITIC_REST_BOOST.into(),
                        ),
                    ),
                ])
            }
            other => other.into(),
        },
    }
}

/// The rest of `word` without its proclitic letter, when the index holds it at least
/// [`PROCLITIC_REST_RATIO`] times as often as `word` itself.
fn proclitic_rest_worth_searching(
    word: &str,
    searcher: &Searcher,
    fields: &Fields,
) -> Option<String> {
    let (form, rest_form, rest) = analyzer::proclitic_split(word)?;
    let df = |form: &str| {
        searcher
            .doc_freq(&Term::from_field_text(fields.body, form))
            .unwrap_or(0)
            + searcher
                .doc_freq(&Term::from_field_text(fields.title, form))
                .unwrap_or(0)
    };
    let rest_df = df(&rest_form);
    (rest_df > 0 && rest_df >= PROCLITIC_REST_RATIO * df(&form)).then_some(rest)
}

/// The ids of the places named by the words the query looks for (not those it leaves out),
/// single words or runs of up to three.
fn named_places(ast: &UserInputAst, places: &PlaceWords) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    if places.is_empty() {
        return found;
    }
    let mut phrases = Vec::new();
    positive_phrases(ast, &mut phrases);
    for phrase in phrases {
        let words: Vec<String> = analyzer::analyze_exact(&phrase)
            .into_iter()
            .map(|w| w.text)
            .collect();
        for n in 1..=3.min(words.len()) {
            for run in words.windows(n) {
                if let Some(ids) = places.get(&run.join(" ")) {
                    found.extend(ids.iter().cloned());
                }
            }
        }
    }
    found
}

/// Whether a literal looks in the words of the title or body (any of the four text fields,
/// or all of them).
fn is_text_field(l: &UserInputLiteral) -> bool {
    l.field_name.as_deref().is_none_or(|f| {
        [
            names::TITLE,
            names::BODY,
            names::TITLE_EXACT,
            names::BODY_EXACT,
        ]
        .contains(&f)
    })
}

/// The text of the literals of `ast` that must or may match, in order (runs of bare words
/// joined, so a two-word name written unquoted is seen).
fn positive_phrases(ast: &UserInputAst, out: &mut Vec<String>) {
    match ast {
        UserInputAst::Clause(children) => {
            let mut run = String::new();
            for (occur, child) in children {
                if *occur == Some(AstOccur::MustNot) {
                    continue;
                }
                match child {
                    UserInputAst::Leaf(leaf) => match leaf.as_ref() {
                        UserInputLeaf::Literal(l) if is_text_field(l) => {
                            run.push(' ');
                            run.push_str(&l.phrase);
                        }
                        _ => {}
                    },
                    other => positive_phrases(other, out),
                }
            }
            if !run.is_empty() {
                out.push(run);
            }
        }
        UserInputAst::Boost(inner, _) => positive_phrases(inner, out),
        UserInputAst::Leaf(leaf) => {
            if let UserInputLeaf::Literal(l) = leaf.as_ref()
                && is_text_field(l)
            {
                out.push(l.phrase.clone());
            }
        }
    }
}

/// The query parser, with the query-time analyzers: all four text fields by default (so an exact-form match scores more
/// than a stem-only one), titles boosted ×2, conjunction by default.
fn parser(index: &Index, fields: &Fields) -> QueryParser {
    let mut parser = QueryParser::new(
        index.schema(),
        vec![
            fields.title,
            fields.body,
            fields.title_exact,
            fields.body_exact,
        ],
        analyzer::query_tokenizers(),
    );
    parser.set_conjunction_by_default();
    parser.set_field_boost(fields.title, 2.0);
    parser.set_field_boost(fields.title_exact, 2.0);
    parser
}

/// Makes everyday text safe for the query grammar before it is parsed:
/// - a `:` is a field separator only right after a lower-case ASCII name and before a
///   value (`source:petra`), or part of an RFC 3339 time (`2026-11-01T00:00:00Z`);
///   elsewhere (`عاجل: حريق`, `10:30`, `https://`) it is a space;
/// - an apostrophe inside a word (`police's`) is escaped rather than opening a quote;
/// - `[ ] { }` are spaces unless the text holds a range (` TO `); `<` and `>` are spaces
///   unless right after a field name (`published:>2026-11-01T00:00:00Z`); a `^` not followed
///   by a number and a backquote are spaces.
fn sanitize(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let has_range = text.contains(" TO ");
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        match c {
            ':' => {
                let name: String = chars[..i]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_ascii_lowercase() || **c == '_')
                    .collect();
                let name_starts_word = i == name.len()
                    || chars[i - name.len() - 1].is_whitespace()
                    || matches!(chars[i - name.len() - 1], '(' | '-' | '+');
                let value_follows = next.is_some_and(|n| !n.is_whitespace() && n != '/');
                if (!name.is_empty() && name_starts_word && value_follows)
                    || in_timestamp(&chars[..i], next)
                {
                    out.push(':');
                } else {
                    out.push(' ');
                }
            }
            '\'' | '\u{2019}'
                if prev.is_some_and(char::is_alphanumeric)
                    && next.is_some_and(char::is_alphanumeric) =>
            {
                out.push('\\');
                out.push('\'');
            }
            '[' | ']' | '{' | '}' if !has_range => out.push(' '),
            '<' | '>' if prev != Some(':') => out.push(' '),
            '^' if !next.is_some_and(|n| n.is_ascii_digit()) => out.push(' '),
            '`' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Whether a `:` after `before` and before `next` sits inside an RFC 3339 time, as in
/// `published:[2026-11-01T00:00:00Z TO *]`: the word before it (after any `field:`) reads
/// `YYYY-MM-DDTh…` and a digit follows.
fn in_timestamp(before: &[char], next: Option<char>) -> bool {
    if !next.is_some_and(|n| n.is_ascii_digit()) {
        return false;
    }
    let start = before
        .iter()
        .rposition(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '+')))
        .map_or(0, |p| p + 1);
    let word = &before[start..];
    // Skip a leading `field:`.
    let word = match word.iter().position(|c| *c == ':') {
        Some(p)
            if word[..p]
                .iter()
                .all(|c| c.is_ascii_lowercase() || *c == '_') =>
        {
            &word[p + 1..]
        }
        _ => word,
    };
    word.len() >= 12
        && word[..4].iter().all(char::is_ascii_digit)
        && word[4] == '-'
        && word[7] == '-'
        && word[10] == 'T'
        && word[11].is_ascii_digit()
}

/// Moves quoted phrases to the exact fields and resolves field aliases.
fn rewrite(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(children) => UserInputAst::Clause(
            children
                .into_iter()
                .map(|(occur, child)| (occur, rewrite(child)))
                .collect(),
        ),
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(rewrite(*inner)), boost),
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(literal) => rewrite_literal(literal),
            UserInputLeaf::Range {
                field,
                lower,
                upper,
            } => UserInputLeaf::Range {
                field: field.map(alias),
                lower,
                upper,
            }
            .into(),
            UserInputLeaf::Set { field, elements } => UserInputLeaf::Set {
                field: field.map(alias),
                elements,
            }
            .into(),
            UserInputLeaf::Exists { field } => rewrite_exists(alias(field)),
            UserInputLeaf::Regex { field, pattern } => UserInputLeaf::Regex {
                field: field.map(alias),
                pattern,
            }
            .into(),
            other => other.into(),
        },
    }
}

/// `field:*`. tantivy answers it from the field's fast column, which the text fields, `id`
/// and `url` do not have (the search then failed inside tantivy): for the searchable
/// fields every item has, it means every item; `topics:*` and `places:*` (fast,
/// multi-valued) keep their meaning "has at least one". Other names stay as written, for
/// [`check_fields`] to refuse.
fn rewrite_exists(field: String) -> UserInputAst {
    let every_item_has = USER_FIELDS
        .iter()
        .any(|(_, real)| *real == field && *real != names::TOPICS && *real != names::PLACES);
    if every_item_has {
        UserInputLeaf::All.into()
    } else {
        UserInputLeaf::Exists { field }.into()
    }
}

/// Refuses text too long or too deeply nested to read safely (the grammar recurses on
/// groups).
fn check_size(text: &str) -> std::result::Result<(), String> {
    let chars = text.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(format!(
            "the query is {chars} characters long; keep it under {MAX_QUERY_CHARS} (the few \
             words that matter, with filters for the rest)"
        ));
    }
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_QUERY_DEPTH {
        return Err(format!(
            "the query nests ( ) {deepest} deep; use at most {MAX_QUERY_DEPTH} levels, as in \
             (سرقة OR سطو) عمان"
        ));
    }
    Ok(())
}

/// Refuses field names the query language does not offer (after [`rewrite`] resolved
/// aliases): an unknown name, or a field of the index that cannot be searched (`url`).
fn check_fields(ast: &UserInputAst) -> std::result::Result<(), String> {
    match ast {
        UserInputAst::Clause(children) => children
            .iter()
            .try_for_each(|(_, child)| check_fields(child)),
        UserInputAst::Boost(inner, _) => check_fields(inner),
        UserInputAst::Leaf(leaf) => {
            let field = match leaf.as_ref() {
                UserInputLeaf::Literal(literal) => literal.field_name.as_deref(),
                UserInputLeaf::Range { field, .. }
                | UserInputLeaf::Set { field, .. }
                | UserInputLeaf::Regex { field, .. } => field.as_deref(),
                UserInputLeaf::Exists { field } => Some(field.as_str()),
                UserInputLeaf::All => None,
            };
            match field {
                Some(field) if !USER_FIELDS.iter().any(|(_, real)| *real == field) => {
                    Err(unknown_field(field))
                }
                _ => Ok(()),
            }
        }
    }
}

/// The message for a field name the query language does not offer.
fn unknown_field(field: &str) -> String {
    let fields = FIELD_LIST;
    if [names::URL, names::DATED, names::SENTIMENT_SCORE].contains(&field) {
        format!(
            "the field `{field}` cannot be searched; the fields you can name are {fields} (as \
             in source:petra)"
        )
    } else {
        format!(
            "there is no field `{field}`; the fields you can name are {fields} (as in \
             source:petra). To search for the word itself, leave out the colon"
        )
    }
}

fn alias(field: String) -> String {
    USER_FIELDS
        .iter()
        .find(|(name, _)| *name == field)
        .map_or(field, |(_, real)| real.to_string())
}

fn rewrite_literal(mut literal: UserInputLiteral) -> UserInputAst {
    literal.field_name = literal.field_name.map(alias);
    if literal.delimiter == Delimiter::None {
        return UserInputLeaf::Literal(literal).into();
    }
    let on = |field: &str| {
        let mut l = literal.clone();
        l.field_name = Some(field.to_string());
        UserInputAst::from(UserInputLeaf::Literal(l))
    };
    match literal.field_name.as_deref() {
        None => UserInputAst::Clause(vec![
            (Some(AstOccur::Should), on(names::TITLE_EXACT)),
            (Some(AstOccur::Should), on(names::BODY_EXACT)),
        ]),
        Some(names::TITLE) => on(names::TITLE_EXACT),
        Some(names::BODY) => on(names::BODY_EXACT),
        Some(_) => UserInputLeaf::Literal(literal).into(),
    }
}

/// Checks and normalizes the values given to the closed-vocabulary fields `sentiment` and
/// `about_police` (after [`rewrite`] resolved aliases): `sentiment:Negative` becomes
/// `sentiment:negative`, `police:true` becomes `about_police:yes`. A value outside the
/// vocabulary is an error message saying what to write.
fn check_values(ast: UserInputAst) -> std::result::Result<UserInputAst, String> {
    Ok(match ast {
        UserInputAst::Clause(children) => UserInputAst::Clause(
            children
                .into_iter()
                .map(|(occur, child)| Ok((occur, check_values(child)?)))
                .collect::<std::result::Result<_, String>>()?,
        ),
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(check_values(*inner)?), boost)
        }
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(mut literal) => {
                if let Some(field) = literal.field_name.as_deref() {
                    literal.phrase = closed_value(field, &literal.phrase)?;
                }
                UserInputLeaf::Literal(literal).into()
            }
            UserInputLeaf::Set {
                field: Some(field),
                elements,
            } => {
                let elements = elements
                    .iter()
                    .map(|e| closed_value(&field, e))
                    .collect::<std::result::Result<_, String>>()?;
                UserInputLeaf::Set {
                    field: Some(field),
                    elements,
                }
                .into()
            }
            UserInputLeaf::Range {
                field: Some(field), ..
            } if is_closed(&field) => {
                let user = user_name(&field);
                return Err(format!(
                    "{user} has no range of values: name one, as in {user}:{}",
                    if field == names::SENTIMENT {
                        "negative"
                    } else {
                        YES
                    }
                ));
            }
            other => other.into(),
        },
    })
}

fn is_closed(field: &str) -> bool {
    field == names::SENTIMENT || field == names::ABOUT_POLICE
}

/// The name users write for `field` in messages.
fn user_name(field: &str) -> &str {
    if field == names::ABOUT_POLICE {
        "police"
    } else {
        field
    }
}

/// The indexed form of `value` in `field` when the field has a closed vocabulary (other
/// fields keep `value` as written); an error message when the value is not in it.
fn closed_value(field: &str, value: &str) -> std::result::Result<String, String> {
    let v = value.trim().to_ascii_lowercase();
    if field == names::SENTIMENT {
        if v == NO_SENTIMENT {
            return Ok(v);
        }
        if let Some(p) = Polarity::parse(&v) {
            // The indexed form, also when the label was written in Arabic (سلبي).
            return Ok(p.as_str().to_string());
        }
        return Err(format!(
            "`{value}` is not a sentiment: write sentiment:positive, sentiment:negative, \
             sentiment:neutral, or sentiment:none for items without one"
        ));
    }
    if field == names::ABOUT_POLICE {
        return match v.as_str() {
            "yes" | "true" => Ok(YES.to_string()),
            "no" | "false" => Ok(NO.to_string()),
            _ => Err(format!(
                "`{value}` is not a police flag: write police:yes for items about the Public \
                 Security Directorate or police:no for the others"
            )),
        };
    }
    Ok(value.to_string())
}

/// `-a -b` becomes `* -a -b`.
fn match_all_but(ast: UserInputAst) -> UserInputAst {
    let all: UserInputAst = UserInputLeaf::All.into();
    match ast {
        UserInputAst::Clause(mut children) => {
            children.insert(0, (Some(AstOccur::Must), all));
            UserInputAst::Clause(children)
        }
        other => UserInputAst::Clause(vec![(Some(AstOccur::Must), all), (None, other)]),
    }
}

/// A message for text the grammar rejected, naming the likely cause.
fn diagnose_syntax(text: &str) -> String {
    let mut quote_at: Option<usize> = None; // the open quote, when one is open
    let mut opens: Vec<usize> = Vec::new();
    let mut stray_close: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in text.chars().enumerate() {
        let at = i + 1;
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quote_at = if quote_at.is_some() { None } else { Some(at) },
            '(' if quote_at.is_none() => opens.push(at),
            ')' if quote_at.is_none() && opens.pop().is_none() && stray_close.is_none() => {
                stray_close = Some(at);
            }
            _ => {}
        }
    }
    // Position (from 1, in characters) of each word.
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut chars = 0usize;
    for (piece, is_space) in split_keep(text) {
        if !is_space {
            words.push((chars + 1, piece));
        }
        chars += piece.chars().count();
    }
    let operator = match (words.first(), words.last()) {
        (Some(&(at, w)), _) if ["AND", "OR"].contains(&w) => Some(at),
        (_, Some(&(at, w))) if ["AND", "OR", "NOT"].contains(&w) => Some(at),
        _ => words
            .windows(2)
            .find(|p| ["AND", "OR", "NOT"].contains(&p[0].1) && ["AND", "OR"].contains(&p[1].1))
            .map(|p| p[1].0),
    };
    let (at, cause) = if let Some(at) = quote_at {
        (
            Some(at),
            "this double quote (\") is not closed: close it, as in \"إطلاق نار\", or remove it",
        )
    } else if let Some(&at) = opens.last() {
        (
            Some(at),
            "this ( has no matching ): close the group, as in (سرقة OR سطو) عمان",
        )
    } else if let Some(at) = stray_close {
        (
            Some(at),
            "this ) has no matching (: remove it or open the group before it",
        )
    } else if let Some(at) = operator {
        (
            Some(at),
            "AND, OR and NOT need a word on each side, as in سرقة OR سطو",
        )
    } else if text.ends_with('\\') {
        (Some(chars), "the query ends with a backslash: remove it")
    } else if let Some(i) = text.chars().position(|c| c == '\'') {
        (
            Some(i + 1),
            "a single quote (') opens a phrase that is not closed: close it or remove it",
        )
    } else {
        (None, "the query could not be read")
    };
    match at {
        Some(at) => format!("at position {at}: {cause}. In short: {HOW_TO_WRITE}."),
        None => format!("{cause}. In short: {HOW_TO_WRITE}."),
    }
}

/// An [`Error::Query`] for what the query parser rejected.
fn query_error(text: &str, e: QueryParserError) -> Error {
    let fields = FIELD_LIST;
    let message = match e {
        QueryParserError::FieldDoesNotExist(field) => unknown_field(&field),
        QueryParserError::FieldNotIndexed(field) => {
            format!("the field `{field}` cannot be searched; use one of {fields}")
        }
        QueryParserError::DateFormatError(_) => "dates must be written in RFC 3339 form, as in \
             published:[2026-11-01T00:00:00Z TO 2026-11-08T00:00:00Z]"
            .to_string(),
        QueryParserError::UnsupportedQuery(_) | QueryParserError::RangeMustNotHavePhrase => {
            "a range needs a field and plain bounds, as in \
             published:[2026-11-01T00:00:00Z TO *]"
                .to_string()
        }
        QueryParserError::PhrasePrefixRequiresAtLeastTwoTerms { .. } => {
            "a * after a phrase needs at least two words in the phrase, as in \"إطلاق نا\"*; \
             for one word, leave out the *"
                .to_string()
        }
        QueryParserError::ExpectedBool(_)
        | QueryParserError::ExpectedInt(_)
        | QueryParserError::ExpectedFloat(_) => {
            format!("a value does not fit its field ({e}); {HOW_TO_WRITE}")
        }
        QueryParserError::AllButQueryForbidden => {
            "the query only excludes words; add a word to look for, as in سرقة -سيارة".to_string()
        }
        other => format!("{other}; {HOW_TO_WRITE}"),
    };
    Error::Query {
        query: text.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colons_outside_field_names_become_spaces() {
        assert_eq!(sanitize("عاجل: حريق"), "عاجل  حريق");
        assert_eq!(sanitize("source:petra"), "source:petra");
        assert_eq!(sanitize("الساعة 10:30"), "الساعة 10 30");
        assert_eq!(sanitize("https://petra.gov.jo"), "https //petra.gov.jo");
        assert_eq!(sanitize("Jordan: police"), "Jordan  police");
        assert_eq!(sanitize("-lang:en"), "-lang:en");
    }

    #[test]
    fn apostrophes_inside_words_are_escaped() {
        assert_eq!(sanitize("police's car"), "police\\'s car");
        assert_eq!(sanitize("'قيد التحقيق'"), "'قيد التحقيق'");
    }

    #[test]
    fn brackets_only_survive_in_ranges() {
        assert_eq!(sanitize("[عاجل] حريق"), " عاجل  حريق");
        assert!(sanitize("published:[2026-01-01T00:00:00Z TO *]").contains('['));
    }

    #[test]
    fn angle_brackets_only_survive_after_a_field_name() {
        assert_eq!(sanitize("<script>"), " script ");
        assert_eq!(sanitize("الحرارة > 40"), "الحرارة   40");
        assert_eq!(
            sanitize("published:>=2026-11-01T00:00:00Z"),
            "published:>=2026-11-01T00:00:00Z"
        );
        assert!(query_grammar::parse_query(&sanitize("<script> سرقة")).is_ok());
    }

    #[test]
    fn colons_inside_timestamps_survive() {
        assert_eq!(
            sanitize("published:[2026-11-01T00:00:00Z TO 2026-11-08T10:30:00+03:00]"),
            "published:[2026-11-01T00:00:00Z TO 2026-11-08T10:30:00+03:00]"
        );
        // Not a timestamp: still a space.
        assert_eq!(sanitize("2026-11-01 10:30"), "2026-11-01 10 30");
    }

    #[test]
    fn quoted_phrases_move_to_exact_fields() {
        let ast = rewrite(query_grammar::parse_query("\"إطلاق نار\" عمان").unwrap());
        let dump = format!("{ast:?}");
        assert!(dump.contains("title_exact"), "{dump}");
        assert!(dump.contains("body_exact"), "{dump}");
        let ast = rewrite(query_grammar::parse_query("topic:theft").unwrap());
        assert!(format!("{ast:?}").contains("topics"));
    }

    fn checked(text: &str) -> std::result::Result<String, String> {
        let ast = query_grammar::parse_query(&sanitize(text)).unwrap();
        check_values(rewrite(ast)).map(|ast| format!("{ast:?}"))
    }

    #[test]
    fn sentiment_and_police_values_are_normalized() {
        let dump = checked("سرقة sentiment:Negative police:TRUE").unwrap();
        assert!(dump.contains("\"sentiment\":negative"), "{dump}");
        assert!(dump.contains("\"about_police\":yes"), "{dump}");
        let dump = checked("-police:no sentiment:none").unwrap();
        assert!(dump.contains("\"about_police\":no"), "{dump}");
        assert!(dump.contains("\"sentiment\":none"), "{dump}");
        // Other fields keep their values as written.
        assert!(checked("source:Petra").unwrap().contains("Petra"));
    }

    #[test]
    fn bad_sentiment_and_police_values_say_what_to_write() {
        let e = checked("الأمن العام sentiment:غاضب").unwrap_err();
        assert!(e.contains("`غاضب` is not a sentiment"), "{e}");
        assert!(e.contains("sentiment:negative"), "{e}");
        let e = checked("police:maybe").unwrap_err();
        assert!(e.contains("police:yes") && e.contains("police:no"), "{e}");
        let e = checked("police:[a TO z]").unwrap_err();
        assert!(e.contains("police:yes"), "{e}");
    }

    #[test]
    fn syntax_diagnosis_names_the_cause() {
        assert!(diagnose_syntax("\"إطلاق نار").contains("at position 1: this double quote"));
        assert!(diagnose_syntax("سرقة \"إطلاق نار").contains("at position 6: this double quote"));
        assert!(diagnose_syntax("(سرقة OR سطو").contains("at position 1: this ( has no"));
        assert!(diagnose_syntax("(a) (b OR c").contains("at position 5: this ("));
        assert!(diagnose_syntax("سرقة) عمان").contains("at position 5: this )"));
        assert!(diagnose_syntax("سرقة OR").contains("at position 6: AND, OR and NOT"));
        assert!(diagnose_syntax("OR سرقة").contains("at position 1: AND"));
    }
}
