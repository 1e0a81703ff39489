//! [`SearchIndex`] (open, search) and [`IndexSink`] (the one writer).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rasd_core::{Item, SentimentTag};
use serde::Serialize;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};
use tracing::{info, warn};

use crate::directory::SearchDirectory;
use crate::facets::{Facets, FacetsCollector};
use crate::query::{Context, PlaceWords, SearchQuery, compile};
use crate::schema::{self, Fields, SCHEMA_TAG, from_tantivy, names};
use crate::snippet::{MAX_SNIPPET_CHARS, SnippetTerms, snippet};
use crate::{Error, Result, analyzer};

/// Hits per page when [`SearchQuery::limit`] is 0.
pub const DEFAULT_LIMIT: usize = 20;
/// Most hits one search returns.
pub const MAX_LIMIT: usize = 1000;
/// Most hits one export returns.
pub const MAX_EXPORT: usize = 100_000;
/// Deepest page start served; past it a search returns counts and facets but no hits.
const MAX_OFFSET: usize = 100_000;
/// Memory the writer buffers before it flushes a segment.
const WRITER_MEMORY_BYTES: usize = 64_000_000;

/// The search index: open it once and clone it into every task that searches.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    location: String,
    /// Place names, for ranking (see [`SearchIndex::with_place_names`]).
    places: Arc<PlaceWords>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("location", &self.location)
            .field("num_docs", &self.num_docs())
            .finish()
    }
}

/// One page of results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// How many items match (all pages).
    pub total: usize,
    /// The hits of the page asked for.
    pub hits: Vec<Hit>,
    /// Counts over all matching items, not only this page.
    pub facets: Facets,
}

/// One matching item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    /// The item id (the store's key).
    pub id: String,
    /// Headline, without bidi controls (as every display field of a hit).
    pub title: String,
    /// Link to the article.
    pub url: String,
    /// Source id.
    pub source: String,
    /// Language code: `ar`, `en` or `other`.
    pub lang: String,
    /// Topic ids.
    pub topics: Vec<String>,
    /// Place ids.
    pub places: Vec<String>,
    /// When the source says it was published; `None` when it gave no date.
    pub published: Option<DateTime<Utc>>,
    /// Relevance (BM25); 0 for a search without text.
    pub score: f32,
    /// Plain text around the best match in the body, at most 200 characters, cut between
    /// words.
    pub snippet: String,
    /// The matched words of `snippet`, as `[start, end)` ranges of characters (Unicode
    /// scalar values, not bytes or UTF-16 units), in order.
    pub highlights: Vec<[usize; 2]>,
    /// `snippet` with each matched word between `[[` and `]]`, for readers of the JSON that
    /// do not use `highlights`.
    pub snippet_marked: String,
    /// The matched words of `title`, as `highlights` are for `snippet`.
    pub title_highlights: Vec<[usize; 2]>,
    /// Sentiment label and score; `None` when the item was indexed without one.
    pub sentiment: Option<SentimentTag>,
    /// The item is about the Public Security Directorate or one of its branches.
    pub about_police: bool,
}

impl SearchIndex {
    /// Opens the index in `dir` (normally `<data_dir>/search`), creating the folder and an
    /// empty index when there is none. An index built by another schema version gives
    /// [`Error::SchemaMismatch`]: rebuild it with [`SearchIndex::recreate`] (`rasd reindex`).
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let location = dir.display().to_string();
        if !dir.join("meta.json").exists() {
            let index = Index::create_in_dir(dir, schema::build())?;
            let search = SearchIndex::from_index(index, location, Some(dir))?;
            search.stamp()?;
            info!(path = %dir.display(), "Created an empty search index.");
            return Ok(search);
        }
        let opened = || {
            let index = open_on_disk(dir, false)?;
            // A kill between creating the index and its first commit leaves an empty index
            // without the schema tag: nothing is lost by stamping it now.
            if unstamped_empty(&index)? {
                let search = SearchIndex::from_index(index, location, Some(dir))?;
                search.stamp()?;
                info!(path = %dir.display(), "Stamped an empty search index left by an interrupted start.");
                return Ok(search);
            }
            check_schema(&index, dir)?;
            SearchIndex::from_index(index, location, Some(dir))
        };
        opened().map_err(|e| damaged(e, dir))
    }

    /// Opens the index in `dir` for searching only: it never takes the writer, so it cannot
    /// stand in the way of a daemon or a reindex starting beside it. A folder without an
    /// index yet gives an empty index in memory; an empty index that its creator has not
    /// stamped yet is read as it is. Another schema gives [`Error::SchemaMismatch`].
    pub fn open_for_reading(dir: &Path) -> Result<SearchIndex> {
        let location = dir.display().to_string();
        if !dir.join("meta.json").exists() {
            let index = Index::create_in_ram(schema::build());
            return SearchIndex::from_index(index, location, None);
        }
        let opened = || {
            // Opened through the read directory only: this index is never written.
            let index = open_on_disk(dir, true)?;
            if !unstamped_empty(&index)? {
                check_schema(&index, dir)?;
            }
            SearchIndex::from_index(index, location, None)
        };
        opened().map_err(|e| damaged(e, dir))
    }

    /// Reads every file of the last commit and checks it against the checksum tantivy
    /// wrote in its footer: [`Error::Damaged`] naming the files that fail. A missing or
    /// cut-short file is already refused when the index is opened; this finds bytes changed
    /// in place. It reads the whole index (for `rasd verify`, not at every start).
    pub fn check_files(&self) -> Result<()> {
        let dir = Path::new(&self.location);
        // Through memory maps, on disk: a positioned read would copy each file whole.
        let checked = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir).and_then(|i| i.validate_checksum())
        } else {
            self.index.validate_checksum()
        };
        let mut bad: Vec<String> = checked
            .map_err(|e| damaged(Error::Tantivy(e), dir))?
            .into_iter()
            .map(|p| p.display().to_string())
            .collect();
        if bad.is_empty() {
            return Ok(());
        }
        bad.sort();
        Err(Error::Damaged {
            path: PathBuf::from(&self.location),
            detail: format!("checksum mismatch in {}", bad.join(", ")),
        })
    }

    /// Commits nothing, so that the payload carries the schema tag. When another process
    /// holds the writer (two Rasd processes opening the same new index), that process
    /// stamps it; this one goes on.
    fn stamp(&self) -> Result<()> {
        match self.writer() {
            Ok(mut writer) => writer.commit(),
            Err(Error::WriterBusy { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes whatever index `dir` holds (whatever its schema) and creates an empty one:
    /// the first step of `rasd reindex` when [`SearchIndex::open_or_create`] reports
    /// [`Error::SchemaMismatch`]. Fails with [`Error::WriterBusy`] while another process
    /// writes the index. Only tantivy's files are removed.
    pub fn recreate(dir: &Path) -> Result<SearchIndex> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        {
            let directory = MmapDirectory::open(dir).map_err(TantivyError::from)?;
            let _lock = directory
                .acquire_lock(&INDEX_WRITER_LOCK)
                .map_err(|e| lock_error(e, dir.display().to_string()))?;
            for entry in std::fs::read_dir(dir).map_err(io(dir))? {
                let path = entry.map_err(io(dir))?.path();
                if is_index_file(&path) {
                    std::fs::remove_file(&path).map_err(io(&path))?;
                }
            }
        }
        info!(path = %dir.display(), "Cleared the search index for a rebuild.");
        SearchIndex::open_or_create(dir)
    }

    /// An empty index in memory, for tests and demos.
    pub fn create_in_ram() -> Result<SearchIndex> {
        SearchIndex::from_index(Index::create_in_ram(schema::build()), "memory".into(), None)
    }

    /// `index` is what writers use; searches read the index in `dir` through a
    /// [`SearchDirectory`] (with `dir` `None`, they read `index` itself).
    fn from_index(index: Index, location: String, dir: Option<&Path>) -> Result<SearchIndex> {
        analyzer::register(index.tokenizers());
        let fields = Fields::of(&index.schema()).ok_or_else(|| Error::SchemaMismatch {
            path: PathBuf::from(&location),
            found: "a schema without Rasd's fields".into(),
        })?;
        let read_side = match dir {
            Some(dir) => {
                let read_side = Index::open(SearchDirectory::open(dir)?)?;
                analyzer::register(read_side.tokenizers());
                read_side
            }
            None => index.clone(),
        };
        let reader = read_side
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            location,
            places: Arc::default(),
        })
    }

    /// Teaches the index the names of places (`(name, place id)`, any language, any number of
    /// words): a search whose words name a place lists the items tagged with that place
    /// first, so `عمان` (Amman) ranks items about Amman above items about Oman (عُمان),
    /// which the tagger does not tag `amman`.
    pub fn with_place_names<I, N, P>(mut self, names: I) -> SearchIndex
    where
        I: IntoIterator<Item = (N, P)>,
        N: AsRef<str>,
        P: Into<String>,
    {
        let mut map = PlaceWords::new();
        for (name, id) in names {
            let key = analyzer::analyze_exact(name.as_ref())
                .into_iter()
                .map(|w| w.text)
                .collect::<Vec<_>>()
                .join(" ");
            if key.is_empty() || key.split(' ').count() > 3 {
                continue;
            }
            let ids = map.entry(key).or_default();
            let id = id.into();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.places = Arc::new(map);
        self
    }

    /// The one writer. Fails with [`Error::WriterBusy`] while another [`IndexSink`] (in this
    /// process or another) is alive.
    pub fn writer(&self) -> Result<IndexSink> {
        self.writer_with_threads(1)
    }

    /// A writer that indexes on `threads` threads (each with its own memory budget) for bulk
    /// loads: an import, a reindex. More threads make more segments, which tantivy merges in
    /// the background.
    pub fn writer_with_threads(&self, threads: usize) -> Result<IndexSink> {
        let threads = threads.clamp(1, 8);
        let writer = self
            .index
            .writer_with_num_threads(threads, WRITER_MEMORY_BYTES * threads)
            .map_err(|e| match e {
                TantivyError::LockFailure(lock, _) => lock_error(lock, self.location.clone()),
                other => Error::Tantivy(other),
            })?;
        let mark = AppliedMark::parse(self.index.load_metas()?.payload.as_deref());
        Ok(IndexSink {
            writer,
            reader: self.reader.clone(),
            fields: self.fields,
            mark,
            lost: false,
        })
    }

    /// How far the last commit on disk followed the store (`None` when it records nothing:
    /// an index made before marks were kept, or emptied for a rebuild).
    pub fn applied(&self) -> Result<Option<AppliedMark>> {
        Ok(AppliedMark::parse(
            self.index.load_metas()?.payload.as_deref(),
        ))
    }

    /// The id of every document (a deleted one excluded) as of the last reload, sorted; an id
    /// indexed twice appears twice. For checking the index against the store.
    pub fn ids(&self) -> Result<Vec<String>> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::with_capacity(usize::try_from(searcher.num_docs()).unwrap_or(0));
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|e| Error::Tantivy(e.into()))?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc?;
                if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                    ids.push(id.to_string());
                }
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// How many items the index holds (as of the last reload).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Makes the latest commit visible now (commits through [`IndexSink::commit`] already
    /// are; commits from another process are picked up within a second anyway).
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// Runs a search (see [`SearchQuery`] for the query language).
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        let limit = match q.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        self.run(q, limit, q.offset)
    }

    /// Every hit of `q` (its `limit` and `offset` aside), in its order, up to `max` (at most
    /// [`MAX_EXPORT`]): for CSV and JSON-lines export. `total` says how many match, so a
    /// caller can tell when the export was cut.
    pub fn export(&self, q: &SearchQuery, max: usize) -> Result<SearchResults> {
        self.run(q, max.clamp(1, MAX_EXPORT), 0)
    }

    fn run(&self, q: &SearchQuery, limit: usize, offset: usize) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let compiled = compile(&self.index, &self.fields, q, self.context(&searcher))?;
        let deep = offset > MAX_OFFSET;
        let (limit, offset) = if deep { (1, 0) } else { (limit, offset) };
        let page = TopDocs::with_limit(limit).and_offset(offset);
        let newest = (
            SortByStaticFastValue::<tantivy::DateTime>::for_field(names::PUBLISHED),
            Order::Desc,
        );
        let query = compiled.query.as_ref();
        let (total, scored, facets) = if compiled.has_text {
            let by_score = page.order_by((SortBySimilarityScore, newest));
            let (total, top, facets) = searcher
                .search(query, &(Count, by_score, FacetsCollector))
                .map_err(|e| run_error(q, e))?;
            let scored: Vec<(f32, DocAddress)> = top
                .into_iter()
                .map(|((score, _), addr)| (score, addr))
                .collect();
            (total, scored, facets)
        } else {
            let by_date = page.order_by(newest);
            let (total, top, facets) = searcher
                .search(query, &(Count, by_date, FacetsCollector))
                .map_err(|e| run_error(q, e))?;
            let scored = top.into_iter().map(|(_, addr)| (0.0, addr)).collect();
            (total, scored, facets)
        };
        let mut facets = facets;
        facets.finish_dates(q.tz.unwrap_or(chrono_tz::UTC));
        let mut hits = Vec::new();
        if !deep {
            let terms = self.snippet_terms(query);
            for (score, addr) in scored {
                let doc: TantivyDocument = searcher.doc(addr)?;
                hits.push(self.hit(&doc, score, &terms));
            }
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// Which of `ids` match `text` (the query language of [`SearchQuery`]); how alert rules
    /// with a `query` test the items just stored.
    pub fn matching_ids(
        &self,
        text: &str,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        if ids.is_empty() {
            return Ok(std::collections::HashSet::new());
        }
        let q = SearchQuery {
            text: text.to_string(),
            ids: ids.to_vec(),
            ..SearchQuery::default()
        };
        self.matching(&q)
    }

    /// The ids of every item `q` matches (its paging aside): how alert rules with a saved
    /// search test the items just stored (with `q.ids` set to them).
    pub fn matching(&self, q: &SearchQuery) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        let searcher = self.reader.searcher();
        let compiled = compile(&self.index, &self.fields, q, self.context(&searcher))?;
        let found = searcher
            .search(compiled.query.as_ref(), &DocSetCollector)
            .map_err(|e| run_error(q, e))?;
        for addr in found {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                out.insert(id.to_string());
            }
        }
        Ok(out)
    }

    /// Checks query text without running it: `Err(Error::Query)` says what is wrong (an
    /// alert rule's `query` is checked this way at start and by `rasd check-config`).
    pub fn check_query(text: &str) -> Result<()> {
        let index = SearchIndex::create_in_ram()?;
        let q = SearchQuery {
            text: text.to_string(),
            ..SearchQuery::default()
        };
        let ctx = Context {
            searcher: None,
            places: &index.places,
        };
        compile(&index.index, &index.fields, &q, ctx).map(|_| ())
    }

    fn context<'a>(&'a self, searcher: &'a Searcher) -> Context<'a> {
        Context {
            searcher: Some(searcher),
            places: &self.places,
        }
    }

    /// The text-field terms of `query`, for snippets.
    fn snippet_terms(&self, query: &dyn Query) -> SnippetTerms {
        let mut terms = SnippetTerms::default();
        let f = &self.fields;
        query.query_terms(&mut |term: &Term, _| {
            let value = term.value();
            let Some(text) = value.as_str() else {
                return;
            };
            let field = term.field();
            if field == f.title || field == f.body {
                terms.stemmed.insert(text.to_string());
            } else if field == f.title_exact || field == f.body_exact {
                terms.exact.insert(text.to_string());
            }
        });
        terms
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, terms: &SnippetTerms) -> Hit {
        let f = &self.fields;
        let text = |field: Field| -> String {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let all = |field: Field| -> Vec<String> {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let dated = doc
            .get_first(f.dated)
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let published = doc
            .get_first(f.published)
            .and_then(|v| v.as_datetime())
            .and_then(from_tantivy)
            .filter(|_| dated);
        // Shown to people: without bidi controls, removed before the marks are counted.
        let shown = |field| rasd_core::text::neutralize_bidi(&text(field)).into_owned();
        let body = snippet(&shown(f.body), terms, MAX_SNIPPET_CHARS);
        let title = snippet(&shown(f.title), terms, usize::MAX);
        let snippet_marked = segments(&body.text, body.marks.iter().copied())
            .into_iter()
            .map(|(piece, marked)| {
                if marked {
                    format!("[[{piece}]]")
                } else {
                    piece.to_string()
                }
            })
            .collect();
        Hit {
            id: text(f.id),
            title: title.text,
            url: text(f.url),
            source: text(f.source),
            lang: text(f.lang),
            topics: all(f.topics),
            places: all(f.places),
            published,
            score,
            snippet: body.text,
            highlights: marks(&body.marks),
            snippet_marked,
            title_highlights: marks(&title.marks),
            sentiment: f.sentiment_of(doc),
            about_police: f.about_police_of(doc),
        }
    }

    /// The searcher of the last reload, for callers that need tantivy directly.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }
}

fn marks(ranges: &[(usize, usize)]) -> Vec<[usize; 2]> {
    ranges.iter().map(|&(a, b)| [a, b]).collect()
}

/// `text` cut into pieces, each with whether it is one of the `marks` (character ranges, in
/// order); marks out of range or overlapping are ignored.
fn segments(text: &str, marks: impl IntoIterator<Item = (usize, usize)>) -> Vec<(&str, bool)> {
    // Byte offset of each character boundary.
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let mut pieces = Vec::new();
    let mut at = 0usize; // characters consumed
    for (a, b) in marks {
        if a < at || b <= a || b >= bounds.len() {
            continue;
        }
        if a > at {
            pieces.push((&text[bounds[at]..bounds[a]], false));
        }
        pieces.push((&text[bounds[a]..bounds[b]], true));
        at = b;
    }
    if at + 1 < bounds.len() {
        pieces.push((&text[bounds[at]..], false));
    }
    pieces
}

impl Hit {
    /// The snippet cut into pieces, each with whether it is a matched word: for pages, which
    /// escape each piece and wrap the matched ones in `<mark>`.
    pub fn snippet_pieces(&self) -> Vec<(&str, bool)> {
        segments(&self.snippet, self.highlights.iter().map(|&[a, b]| (a, b)))
    }

    /// The title cut into pieces, as [`Hit::snippet_pieces`].
    pub fn title_pieces(&self) -> Vec<(&str, bool)> {
        segments(
            &self.title,
            self.title_highlights.iter().map(|&[a, b]| (a, b)),
        )
    }
}

/// An error raised while a compiled query ran. The schema was checked when the index was
/// opened, so a schema, field or argument error here comes from what the query asked for
/// (a form [`compile`] let through): the user's to fix, not the server's.
fn run_error(q: &SearchQuery, e: TantivyError) -> Error {
    match e {
        TantivyError::SchemaError(_)
        | TantivyError::FieldNotFound(_)
        | TantivyError::InvalidArgument(_) => {
            tracing::warn!(query = %q.text, error = %e, "Query compiled but could not run.");
            Error::Query {
                query: q.text.clone(),
                message: format!(
                    "this form of query is not supported; {}",
                    crate::query::HOW_TO_WRITE
                ),
            }
        }
        other => Error::Tantivy(other),
    }
}

/// `e` as [`Error::Damaged`] when it says the files of the index in `dir` are missing or
/// damaged (a file of the last commit that does not exist, a footer or `meta.json` that
/// cannot be read); other errors as they are.
fn damaged(e: Error, dir: &Path) -> Error {
    match e {
        Error::Tantivy(
            t @ (TantivyError::OpenReadError(_)
            | TantivyError::DataCorruption(_)
            | TantivyError::IoError(_)),
        ) => Error::Damaged {
            path: dir.to_path_buf(),
            detail: t.to_string(),
        },
        other => other,
    }
}

/// Opens the index tantivy keeps in `dir`; files tantivy cannot read are a schema
/// mismatch (rebuilt by `rasd reindex`).
/// With `read_side`, through a [`SearchDirectory`] (for searching only).
fn open_on_disk(dir: &Path, read_side: bool) -> Result<Index> {
    let opened = if read_side {
        SearchDirectory::open(dir).and_then(Index::open)
    } else {
        Index::open_in_dir(dir)
    };
    opened.map_err(|e| match e {
        TantivyError::IncompatibleIndex(why) => Error::SchemaMismatch {
            path: dir.to_path_buf(),
            found: format!("files tantivy cannot read: {why:?}"),
        },
        other => Error::Tantivy(other),
    })
}

/// An index with Rasd's fields, no documents and no payload yet: created, not yet committed
/// (by a start killed or still under way).
fn unstamped_empty(index: &Index) -> Result<bool> {
    let metas = index.load_metas()?;
    Ok(metas.payload.is_none() && metas.segments.is_empty() && index.schema() == schema::build())
}

/// Fails unless `index` was written by this schema version.
fn check_schema(index: &Index, dir: &Path) -> Result<()> {
    let mismatch = |found: String| Error::SchemaMismatch {
        path: dir.to_path_buf(),
        found,
    };
    if index.schema() != schema::build() {
        return Err(mismatch("other fields".into()));
    }
    let payload = index.load_metas()?.payload;
    match payload.as_deref().map(|p| p.lines().next().unwrap_or("")) {
        Some(SCHEMA_TAG) => Ok(()),
        Some(other) => Err(mismatch(format!("tag {other}"))),
        None => Err(mismatch("no schema tag".into())),
    }
}

/// How far the index has followed the store: the store's lineage and the number of the last
/// change applied (see `rasd_store::Store::changes_after`). Kept in the payload of every
/// commit, so it is exactly as durable as the documents it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMark {
    /// The store's lineage id.
    pub store_id: String,
    /// The last change applied.
    pub seq: u64,
}

impl AppliedMark {
    /// The commit payload: the schema tag, then `store ID` and `seq N` lines.
    fn payload(mark: Option<&AppliedMark>) -> String {
        match mark {
            Some(m) => format!("{SCHEMA_TAG}\nstore {}\nseq {}", m.store_id, m.seq),
            None => SCHEMA_TAG.to_string(),
        }
    }

    /// Reads a commit payload; `None` for one written before marks were kept (or by a
    /// commit after [`IndexSink::delete_all`]).
    fn parse(payload: Option<&str>) -> Option<AppliedMark> {
        let mut lines = payload?.lines().skip(1);
        let store_id = lines.next()?.strip_prefix("store ")?.to_string();
        let seq = lines.next()?.strip_prefix("seq ")?.parse().ok()?;
        Some(AppliedMark { store_id, seq })
    }
}

fn lock_error(e: LockError, location: String) -> Error {
    match e {
        LockError::LockBusy => Error::WriterBusy { location },
        LockError::IoError(io) => Error::Io {
            path: PathBuf::from(location),
            source: std::io::Error::new(io.kind(), io.to_string()),
        },
    }
}

/// True for the files tantivy keeps in an index folder: `meta.json`, `.managed.json`,
/// its lock files, and segment files named by a 32-hex-digit id.
fn is_index_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if matches!(
        name,
        "meta.json" | ".managed.json" | ".tantivy-meta.lock" | ".tantivy-writer.lock"
    ) {
        return true;
    }
    let stem = name.split('.').next().unwrap_or("");
    path.is_file() && stem.len() == 32 && stem.chars().all(|c| c.is_ascii_hexdigit())
}

/// The one writer of the index, owned by the pipeline's index sink (or by `rasd reindex`).
/// Changes become visible to searches at [`IndexSink::commit`].
pub struct IndexSink {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
    /// What the next commit records (see [`AppliedMark`]).
    mark: Option<AppliedMark>,
    /// A rollback failed: the writer cannot be used again.
    lost: bool,
}

impl fmt::Debug for IndexSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexSink").finish_non_exhaustive()
    }
}

impl IndexSink {
    /// Adds `items`, replacing any document with the same id (so indexing twice is
    /// harmless). An item without an id is logged and skipped; the rest go on.
    pub fn index_items(&mut self, items: &[Item]) -> Result<()> {
        for item in items {
            if item.id.trim().is_empty() {
                warn!(source = %item.source, url = %item.url, reason = "no_id", "Item skipped by the index.");
                continue;
            }
            self.writer
                .delete_term(Term::from_field_text(self.fields.id, &item.id));
            self.writer.add_document(self.fields.document(item))?;
        }
        Ok(())
    }

    /// Removes the items with these ids (unknown ids are ignored).
    pub fn delete_ids(&mut self, ids: &[String]) -> Result<()> {
        for id in ids {
            self.writer
                .delete_term(Term::from_field_text(self.fields.id, id));
        }
        Ok(())
    }

    /// Removes every document (for a rebuild: delete, re-add, then commit, so searches see
    /// the old index until the new one is complete).
    pub fn delete_all(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        self.mark = None;
        Ok(())
    }

    /// What the last commit recorded, or what the next one will after a
    /// [`IndexSink::delete_all`] (`None`).
    pub fn mark(&self) -> Option<&AppliedMark> {
        self.mark.as_ref()
    }

    /// Makes everything added or deleted so far durable and visible to searches; the commit
    /// records the same [`AppliedMark`] as before (see [`IndexSink::commit_applied`]).
    pub fn commit(&mut self) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&AppliedMark::payload(self.mark.as_ref()));
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// [`IndexSink::commit`], recording that the store's changes up to `mark` are applied.
    pub fn commit_applied(&mut self, mark: AppliedMark) -> Result<()> {
        let previous = self.mark.replace(mark);
        let committed = self.commit();
        if committed.is_err() {
            self.mark = previous;
        }
        committed
    }

    /// Drops everything added or deleted since the last commit and starts the writer
    /// afresh; what the next commit records goes back to the last commit's mark. Needed
    /// after any failed add or commit: tantivy stops a writer whose thread met an error (a
    /// full disk, say), and every later call on it fails until it is rolled back.
    pub fn rollback(&mut self) -> Result<()> {
        if self.lost {
            return Err(Error::Tantivy(TantivyError::SystemError(
                "the index writer could not be restarted after an error; restart rasd".into(),
            )));
        }
        // A failed restart leaves tantivy's writer without its lock (a second rollback
        // would panic): refuse from then on.
        self.lost = true;
        self.writer.rollback()?;
        self.lost = false;
        self.mark = AppliedMark::parse(self.writer.index().load_metas()?.payload.as_deref());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rasd_core::{ItemKind, Lang, Polarity};

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
    }

    fn item(n: u32, title: &str, body: &str) -> Item {
        let mut item = Item::new(
            "petra",
            &format!("https://example.jo/news/{n}"),
            title,
            body,
            at(n),
        );
        item.published = Some(at(n));
        item.tags.lang = Lang::Ar;
        item
    }

    fn index_with(items: &[Item]) -> SearchIndex {
        let index = SearchIndex::create_in_ram().unwrap();
        let mut sink = index.writer().unwrap();
        sink.index_items(items).unwrap();
        sink.commit().unwrap();
        index
    }

    fn search(index: &SearchIndex, text: &str) -> SearchResults {
        index
            .search(&SearchQuery {
                text: text.into(),
                ..SearchQuery::default()
            })
            .unwrap()
    }

    fn ids(results: &SearchResults) -> Vec<String> {
        results.hits.iter().map(|h| h.id.clone()).collect()
    }

    #[test]
    fn dates_and_order_can_be_written_in_the_query() {
        let items = vec![
            item(1, "حادث سير على طريق المطار", "حادث سير قرب الجيزة."),
            item(
                10,
                "حادث سير حادث سير في إربد",
                "حادث سير مروع على طريق إربد.",
            ),
            item(20, "حادث في الزرقاء", "وقع حادث في الزرقاء."),
        ];
        let index = index_with(&items);
        let id = |n: u32| {
            items[[1, 10, 20].iter().position(|&x| x == n).unwrap()]
                .id
                .clone()
        };
        // after:/before: are dates (UTC midnight) or times; the bounds combine.
        assert_eq!(ids(&search(&index, "حادث after:2026-11-05")).len(), 2);
        assert_eq!(
            ids(&search(&index, "حادث after:2026-11-05 before:2026-11-15")),
            vec![id(10)]
        );
        assert_eq!(
            search(&index, "before:2026-11-02").total,
            1,
            "a query of directives alone"
        );
        // Relevance by default puts the item that says it most first; sort:date the newest.
        assert_eq!(ids(&search(&index, "حادث سير"))[0], id(10));
        assert_eq!(ids(&search(&index, "حادث sort:date"))[0], id(20));
        // since: counts back from now (these items are older than a day).
        assert_eq!(search(&index, "حادث since:1d").total, 0);
        assert_eq!(search(&index, "حادث since:3650d").total, 3);
        // A bad value says where it is and what to write.
        for (q, want) in [
            ("حادث after:2026-13-01", "position 6"),
            ("since:soon", "since:24h"),
            ("حادث sort:oldest", "sort:date"),
        ] {
            let e = index
                .search(&SearchQuery {
                    text: q.into(),
                    ..SearchQuery::default()
                })
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{q}: {e}");
        }
        // Inside quotes, it is only text.
        assert_eq!(
            crate::query::directives("\"sort:date\" حادث", Utc::now())
                .unwrap()
                .1,
            crate::query::Directives::default()
        );
    }

    fn security_items() -> Vec<Item> {
        vec![
            item(
                1,
                "مديرية الأمن العام تحذر",
                "حذرت مديرية الأمن العام المواطنين من الاحتيال الإلكتروني.",
            ),
            item(
                2,
                "حادث سير في الزرقاء",
                "أصيب ٣ أشخاص في حادث تصادم على الطريق، وقالت الشرطة إن التحقيق جار.",
            ),
            item(
                3,
                "ضبط مطلوب في إربد",
                "ألقت الأجهزة الأمنية القبض على مطلوب بعد إطلاق النار في الهواء عام 2026.",
            ),
        ]
    }

    #[test]
    fn arabic_spelling_variants_find_the_same_item() {
        let items = security_items();
        let index = index_with(&items);
        for q in ["أمن", "امن", "الأمن", "الأَمْنُ", "الأمـــن", "بالأمن"]
        {
            let r = search(&index, q);
            assert!(ids(&r).contains(&items[0].id), "{q} missed: {:?}", ids(&r));
        }
        // إطلاق with hamza and without.
        assert_eq!(ids(&search(&index, "اطلاق")), [items[2].id.clone()]);
        assert_eq!(ids(&search(&index, "إطلاق")), [items[2].id.clone()]);
    }

    #[test]
    fn conjunction_and_article_clitics_meet() {
        let items = security_items();
        let index = index_with(&items);
        // The text says الشرطة; the query والشرطة and فالشرطة, or the bare word.
        for q in ["والشرطة", "فالشرطة", "شرطة", "للشرطة"] {
            assert_eq!(ids(&search(&index, q)), [items[1].id.clone()], "{q}");
        }
    }

    #[test]
    fn bare_query_words_find_inflected_and_prefixed_forms() {
        let a = item(1, "القبض على متهمين بسرقة سيارات", "تحقيق في السرقات");
        let b = item(2, "الوزير يتابع قضايا الفساد", "ساد الهدوء");
        let index = index_with(&[a.clone(), b.clone()]);
        assert_eq!(ids(&search(&index, "سرقة سيارة")), [a.id]);
        assert_eq!(ids(&search(&index, "وزير فساد")), [b.id]);
        assert_eq!(search(&index, "فساد").total, 1);
        assert_eq!(search(&index, "ساد").total, 1);
    }

    #[test]
    fn arabic_indic_digits_match_ascii() {
        let items = security_items();
        let index = index_with(&items);
        assert_eq!(ids(&search(&index, "٢٠٢٦")), [items[2].id.clone()]);
        // And the other way round: the text has ٣, the query 3.
        assert_eq!(ids(&search(&index, "3 حادث")), [items[1].id.clone()]);
    }

    #[test]
    fn english_is_stemmed() {
        let mut a = item(
            1,
            "Car thefts rise in Amman",
            "Police arrested two suspects.",
        );
        a.tags.lang = Lang::En;
        let index = index_with(&[a.clone(), item(2, "سرقة سيارة", "نص")]);
        assert_eq!(ids(&search(&index, "theft")), [a.id.clone()]);
        assert_eq!(ids(&search(&index, "ARREST suspect")), [a.id.clone()]);
    }

    #[test]
    fn quoted_phrase_needs_the_words_together() {
        let together = item(1, "خبر", "سمع إطلاق النار قرب المركز");
        let apart = item(2, "خبر", "إطلاق سراح موقوف بعد إخماد النار");
        let index = index_with(&[together.clone(), apart.clone()]);
        assert_eq!(search(&index, "إطلاق نار").total, 2);
        assert_eq!(
            ids(&search(&index, "\"إطلاق نار\"")),
            vec![together.id.clone()]
        );
        assert_eq!(ids(&search(&index, "\"اطلاق النار\"")), [together.id]);
    }

    #[test]
    fn excluded_words_leave_items_out() {
        let items = security_items();
        let index = index_with(&items);
        let r = search(&index, "الأمن -الاحتيال");
        assert!(!ids(&r).contains(&items[0].id));
        // Exclusions alone mean "everything but".
        let r = search(&index, "-الاحتيال");
        assert_eq!(r.total, 2);
    }

    #[test]
    fn title_matches_rank_first_then_newest() {
        let body_only = item(5, "خبر عاجل", "وقعت سرقة في السوق");
        let in_title = item(1, "سرقة في السوق", "وقعت في السوق");
        let index = index_with(&[body_only.clone(), in_title.clone()]);
        assert_eq!(
            ids(&search(&index, "سرقة")),
            [in_title.id.clone(), body_only.id.clone()]
        );
    }

    #[test]
    fn filters_and_facets_count_all_matches() {
        let mut items = Vec::new();
        for n in 1..=6 {
            let mut it = item(n, "سرقة سيارة", "سرقت سيارة من أمام منزل");
            it.tags.topics = vec!["theft".into()];
            it.tags.places = vec![if n % 2 == 0 { "amman" } else { "irbid" }.into()];
            if n == 6 {
                it.source = "roya".into();
                it.tags.lang = Lang::En;
                it.tags.topics.push("traffic".into());
            }
            items.push(it);
        }
        items.push(item(7, "طقس", "أجواء باردة"));
        let index = index_with(&items);
        let r = index
            .search(&SearchQuery {
                text: "سيارة".into(),
                limit: 2,
                ..SearchQuery::default()
            })
            .unwrap();
        assert_eq!(r.total, 6);
        assert_eq!(r.hits.len(), 2);
        assert_eq!(r.facets.by_topic["theft"], 6);
        assert_eq!(r.facets.by_topic["traffic"], 1);
        assert_eq!(r.facets.by_place["amman"], 3);
        assert_eq!(r.facets.by_place["irbid"], 3);
        assert_eq!(r.facets.by_lang["ar"], 5);
        assert_eq!(r.facets.by_source["roya"], 1);

        let filtered = |q: SearchQuery| index.search(&q).unwrap();
        let r = filtered(SearchQuery {
            text: "سيارة".into(),
            places: vec!["amman".into()],
            ..SearchQuery::default()
        });
        assert_eq!(r.total, 3);
        assert_eq!(r.facets.by_place.get("irbid"), None);
        let r = filtered(SearchQuery {
            places: vec!["amman".into(), "irbid".into()],
            lang: Some(Lang::Ar),
            ..SearchQuery::default()
        });
        assert_eq!(r.total, 5);
        let r = filtered(SearchQuery {
            sources: vec!["roya".into()],
            topics: vec!["traffic".into(), "drugs".into()],
            ..SearchQuery::default()
        });
        assert_eq!(ids(&r), [items[5].id.clone()]);
        let r = filtered(SearchQuery {
            kind: Some(ItemKind::Comment),
            ..SearchQuery::default()
        });
        assert_eq!(r.total, 0);
        let r = filtered(SearchQuery {
            from: Some(at(2)),
            to: Some(at(4)),
            ..SearchQuery::default()
        });
        assert_eq!(ids(&r), [items[2].id.clone(), items[1].id.clone()]);
        // The same range written in the query language.
        let r = search(
            &index,
            "سيارة published:[2026-11-02T00:00:00Z TO 2026-11-04T00:00:00Z}",
        );
        assert_eq!(ids(&r), [items[2].id.clone(), items[1].id.clone()]);
        assert_eq!(search(&index, "published:>=2026-11-06T00:00:00Z").total, 2);
    }

    #[test]
    fn empty_text_with_filter_lists_newest_first() {
        let items = security_items();
        let index = index_with(&items);
        let r = index
            .search(&SearchQuery {
                lang: Some(Lang::Ar),
                ..SearchQuery::default()
            })
            .unwrap();
        assert_eq!(
            ids(&r),
            [
                items[2].id.clone(),
                items[1].id.clone(),
                items[0].id.clone()
            ]
        );
        assert!(r.hits.iter().all(|h| h.score == 0.0));
    }

    #[test]
    fn total_limit_and_offset() {
        let items: Vec<Item> = (1..=9).map(|n| item(n, "حادث سير", "حادث")).collect();
        let index = index_with(&items);
        let page = |offset| {
            index
                .search(&SearchQuery {
                    text: "حادث".into(),
                    limit: 4,
                    offset,
                    ..SearchQuery::default()
                })
                .unwrap()
        };
        let (first, last) = (page(0), page(8));
        assert_eq!((first.total, first.hits.len()), (9, 4));
        assert_eq!((last.total, last.hits.len()), (9, 1));
        // Equal scores: newest first, so the last page holds the oldest item.
        assert_eq!(first.hits[0].id, items[8].id);
        assert_eq!(last.hits[0].id, items[0].id);
        let deep = page(usize::MAX);
        assert_eq!((deep.total, deep.hits.len()), (9, 0));
    }

    #[test]
    fn indexing_the_same_id_twice_keeps_one_document() {
        let mut first = item(1, "عنوان قديم", "نص");
        let index = index_with(std::slice::from_ref(&first));
        first.title = "عنوان جديد".into();
        let mut sink = index.writer().unwrap();
        sink.index_items(&[first.clone(), first.clone()]).unwrap();
        sink.commit().unwrap();
        assert_eq!(index.num_docs(), 1);
        assert_eq!(search(&index, "جديد").hits[0].title, "عنوان جديد");
        assert_eq!(search(&index, "قديم").total, 0);
    }

    #[test]
    fn items_without_id_are_skipped_not_fatal() {
        let mut bad = item(1, "سرقة", "نص");
        bad.id = " ".into();
        let good = item(2, "سرقة", "نص");
        let index = index_with(&[bad, good]);
        assert_eq!(index.num_docs(), 1);
    }

    #[test]
    fn delete_all_and_delete_ids() {
        let items = security_items();
        let index = index_with(&items);
        let mut sink = index.writer().unwrap();
        sink.delete_ids(std::slice::from_ref(&items[0].id)).unwrap();
        sink.commit().unwrap();
        assert_eq!(index.num_docs(), 2);
        sink.delete_all().unwrap();
        sink.commit().unwrap();
        assert_eq!(index.num_docs(), 0);
        assert_eq!(search(&index, "").total, 0);
    }

    /// Asserts that `q` is refused as a query error whose message contains `expect`.
    fn assert_query_error(index: &SearchIndex, q: &str, expect: &str) {
        match index.search(&SearchQuery {
            text: q.into(),
            ..SearchQuery::default()
        }) {
            Err(Error::Query { query, message }) => {
                assert_eq!(query, q);
                assert!(message.contains(expect), "{q}: {message}");
            }
            other => panic!("{q}: expected a query error, got {other:?}"),
        }
    }

    #[test]
    fn bad_queries_are_errors_with_advice() {
        let index = index_with(&security_items());
        for (q, expect) in [
            ("\"إطلاق نار", "not closed"),
            ("(سرقة OR سطو", "no matching )"),
            ("sorce:petra", "source"),
        ] {
            assert_query_error(&index, q, expect);
        }
        // Everyday punctuation is not an error.
        for q in [
            "عاجل: حادث",
            "police's",
            "[عاجل] سير",
            "الساعة 10:30",
            "<عاجل> حريق",
            "الحرارة > 40",
        ] {
            assert!(
                index
                    .search(&SearchQuery {
                        text: q.into(),
                        ..SearchQuery::default()
                    })
                    .is_ok(),
                "{q}"
            );
        }
        let reversed = SearchQuery {
            from: Some(at(5)),
            to: Some(at(1)),
            ..SearchQuery::default()
        };
        assert!(matches!(index.search(&reversed), Err(Error::Query { .. })));
    }

    #[test]
    fn field_queries_work() {
        let mut a = item(1, "سرقة", "نص");
        a.tags.topics = vec!["theft".into()];
        let b = item(2, "سرقة", "نص");
        let index = index_with(&[a.clone(), b]);
        assert_eq!(ids(&search(&index, "سرقة topic:theft")), [a.id.clone()]);
        assert_eq!(ids(&search(&index, "title:سرقة -topics:theft")).len(), 1);
    }

    #[test]
    fn hits_carry_item_fields_and_a_snippet() {
        let dated = item(1, "مديرية الأمن العام", "حذرت مديرية الأمن العام من الاحتيال");
        let mut undated = item(2, "خبر", "الاحتيال عبر الهاتف");
        undated.published = None;
        undated.tags.places = vec!["amman".into()];
        let index = index_with(&[dated.clone(), undated.clone()]);
        let r = search(&index, "احتيال");
        let hit = |id: &str| r.hits.iter().find(|h| h.id == id).unwrap();
        assert_eq!(hit(&dated.id).published, Some(at(1)));
        assert_eq!(hit(&undated.id).published, None);
        assert_eq!(hit(&undated.id).places, ["amman"]);
        assert_eq!(hit(&dated.id).url, "https://example.jo/news/1");
        assert_eq!(hit(&dated.id).lang, "ar");
        assert!(hit(&dated.id).snippet.contains("الاحتيال"));
        assert!(hit(&dated.id).score > 0.0);
    }

    #[test]
    fn open_or_create_twice_keeps_documents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        {
            let index = SearchIndex::open_or_create(&path).unwrap();
            let mut sink = index.writer().unwrap();
            sink.index_items(&security_items()).unwrap();
            sink.commit().unwrap();
        }
        let index = SearchIndex::open_or_create(&path).unwrap();
        assert_eq!(index.num_docs(), 3);
        assert_eq!(search(&index, "الزرقاء").total, 1);
    }

    #[test]
    fn second_writer_is_refused() {
        let index = SearchIndex::create_in_ram().unwrap();
        let _sink = index.writer().unwrap();
        assert!(matches!(index.writer(), Err(Error::WriterBusy { .. })));
    }

    #[test]
    fn readers_never_take_the_writer_of_a_new_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        // No index yet: an empty one in memory, and nothing created on disk.
        let empty = SearchIndex::open_for_reading(&path).unwrap();
        assert_eq!(empty.num_docs(), 0);
        assert!(!path.join("meta.json").exists());
        // Created by a writer that has not committed yet, and holds the writer.
        std::fs::create_dir_all(&path).unwrap();
        let raw = Index::create_in_dir(&path, schema::build()).unwrap();
        let held: IndexWriter = raw.writer_with_num_threads(1, 15_000_000).unwrap();
        let reader = SearchIndex::open_for_reading(&path).unwrap();
        assert_eq!(reader.num_docs(), 0);
        // A second opener leaves the stamp to the holder instead of failing.
        assert!(SearchIndex::open_or_create(&path).is_ok());
        drop(held);
        // The reader held no writer: the next opener takes it and stamps the index. (A test
        // of this process that starts a program can hold a copy of the lock's descriptor
        // for a moment after `held` is gone, hence the few tries.)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let stamped = loop {
            let writer_side = SearchIndex::open_or_create(&path).unwrap();
            if check_schema(&writer_side.index, &path).is_ok()
                || std::time::Instant::now() > deadline
            {
                break writer_side;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(check_schema(&stamped.index, &path).is_ok());
        assert_eq!(reader.num_docs(), 0);
        assert!(SearchIndex::open_for_reading(&path).is_ok());
    }

    #[test]
    fn other_schema_is_a_mismatch_until_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        std::fs::create_dir_all(&path).unwrap();
        let mut b = tantivy::schema::Schema::builder();
        b.add_text_field("title", tantivy::schema::TEXT);
        let old = Index::create_in_dir(&path, b.build()).unwrap();
        let mut w: IndexWriter = old.writer_with_num_threads(1, 15_000_000).unwrap();
        w.commit().unwrap();
        drop(w);
        std::fs::write(path.join("notes.txt"), "kept").unwrap();
        match SearchIndex::open_or_create(&path) {
            Err(e @ Error::SchemaMismatch { .. }) => {
                assert!(e.to_string().contains("rasd reindex"))
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        let index = SearchIndex::recreate(&path).unwrap();
        assert_eq!(index.num_docs(), 0);
        assert!(path.join("notes.txt").exists());
        drop(index);
        assert!(SearchIndex::open_or_create(&path).is_ok());
    }

    fn tagged(n: u32, title: &str, sentiment: Option<(Polarity, f32)>, police: bool) -> Item {
        let mut it = item(n, title, "نص الخبر");
        it.tags.sentiment = sentiment.map(|(label, score)| SentimentTag { label, score });
        it.tags.about_police = police;
        it
    }

    /// Four Arabic items: praise of the police, a complaint about it, a neutral traffic
    /// notice about the police, and weather news with no sentiment.
    fn sentiment_items() -> Vec<Item> {
        vec![
            tagged(
                1,
                "مواطنون يشيدون بسرعة استجابة دوريات النجدة",
                Some((Polarity::Positive, 0.82)),
                true,
            ),
            tagged(
                2,
                "شكاوى من تأخر الشرطة في الاستجابة لبلاغ سرقة",
                Some((Polarity::Negative, -0.64)),
                true,
            ),
            tagged(
                3,
                "إدارة السير تعلن تحويلات مرورية في عمان",
                Some((Polarity::Neutral, 0.03)),
                true,
            ),
            tagged(4, "أجواء باردة وأمطار متفرقة", None, false),
            tagged(
                5,
                "ارتفاع أسعار الخضار يثير استياء المواطنين",
                Some((Polarity::Negative, -0.71)),
                false,
            ),
        ]
    }

    #[test]
    fn sentiment_filter_keeps_any_of_the_labels() {
        let items = sentiment_items();
        let index = index_with(&items);
        let run = |sentiment: Vec<Polarity>| {
            index
                .search(&SearchQuery {
                    sentiment,
                    ..SearchQuery::default()
                })
                .unwrap()
        };
        let negative = run(vec![Polarity::Negative]);
        assert_eq!(ids(&negative), [items[4].id.clone(), items[1].id.clone()]);
        let r = run(vec![
            Polarity::Positive,
            Polarity::Neutral,
            Polarity::Positive,
        ]);
        assert_eq!(ids(&r), [items[2].id.clone(), items[0].id.clone()]);
        // No filter: every item, including the one without a sentiment.
        assert_eq!(run(vec![]).total, 5);
        // The same through the query language, with text and case folded.
        assert_eq!(
            ids(&search(&index, "الاستجابة sentiment:NEGATIVE")),
            [items[1].id.clone()]
        );
        assert_eq!(
            ids(&search(&index, "الاستجابة sentiment:سلبي")),
            [items[1].id.clone()],
            "the Arabic label works too"
        );
        assert_eq!(
            ids(&search(&index, "sentiment:none")),
            [items[3].id.clone()]
        );
        assert_eq!(search(&index, "-sentiment:negative").total, 3);
    }

    #[test]
    fn police_filter_in_query_and_in_syntax() {
        let items = sentiment_items();
        let index = index_with(&items);
        let r = index
            .search(&SearchQuery {
                about_police: Some(true),
                sentiment: vec![Polarity::Negative],
                ..SearchQuery::default()
            })
            .unwrap();
        assert_eq!(ids(&r), [items[1].id.clone()]);
        let r = index
            .search(&SearchQuery {
                about_police: Some(false),
                ..SearchQuery::default()
            })
            .unwrap();
        assert_eq!(ids(&r), [items[4].id.clone(), items[3].id.clone()]);
        assert_eq!(search(&index, "police:yes").total, 3);
        assert_eq!(search(&index, "police:no").total, 2);
        assert_eq!(
            ids(&search(&index, "عمان police:yes")),
            [items[2].id.clone()]
        );
        assert_eq!(search(&index, "عمان police:no").total, 0);
    }

    #[test]
    fn sentiment_and_police_facets_count_all_matches() {
        let index = index_with(&sentiment_items());
        let r = index
            .search(&SearchQuery {
                limit: 1,
                ..SearchQuery::default()
            })
            .unwrap();
        assert_eq!(r.hits.len(), 1);
        let f = &r.facets;
        assert_eq!(f.by_sentiment.get("positive"), Some(&1));
        assert_eq!(f.by_sentiment.get("negative"), Some(&2));
        assert_eq!(f.by_sentiment.get("neutral"), Some(&1));
        // Unscored items are not a sentiment.
        assert_eq!(f.by_sentiment.get("none"), None);
        assert_eq!(f.by_police.get("yes"), Some(&3));
        assert_eq!(f.by_police.get("no"), Some(&2));
        // Facets follow the filters.
        let r = search(&index, "police:yes");
        assert_eq!(r.facets.by_police.get("no"), None);
        assert_eq!(r.facets.by_sentiment.get("negative"), Some(&1));
    }

    #[test]
    fn bad_sentiment_or_police_values_are_query_errors() {
        let index = index_with(&sentiment_items());
        for (q, expect) in [
            ("شكاوى sentiment:غاضب", "sentiment:negative"),
            ("sentiment:angry", "sentiment:positive"),
            ("police:maybe", "police:yes"),
            ("الشرطة about_police:1", "police:no"),
        ] {
            assert_query_error(&index, q, expect);
        }
        // An unknown field names the new ones among those that exist.
        match index.search(&SearchQuery {
            text: "sentimant:negative".into(),
            ..SearchQuery::default()
        }) {
            Err(Error::Query { message, .. }) => {
                assert!(message.contains("sentiment, police"), "{message}")
            }
            other => panic!("expected a query error, got {other:?}"),
        }
    }

    #[test]
    fn hits_carry_sentiment_and_police_flag() {
        let items = sentiment_items();
        let index = index_with(&items);
        let r = search(&index, "");
        let hit = |id: &str| r.hits.iter().find(|h| h.id == id).unwrap().clone();
        let complaint = hit(&items[1].id);
        assert_eq!(
            complaint.sentiment,
            Some(SentimentTag {
                label: Polarity::Negative,
                score: -0.64
            })
        );
        assert!(complaint.about_police);
        let weather = hit(&items[3].id);
        assert_eq!(weather.sentiment, None);
        assert!(!weather.about_police);
        let json = serde_json::to_value(&complaint).unwrap();
        assert_eq!(json["sentiment"]["label"], "negative");
        assert!((json["sentiment"]["score"].as_f64().unwrap() + 0.64).abs() < 1e-6);
        assert_eq!(json["about_police"], true);
        assert!(serde_json::to_value(&weather).unwrap()["sentiment"].is_null());
        let facets = serde_json::to_value(&r.facets).unwrap();
        assert_eq!(facets["by_police"]["yes"], 3);
    }

    #[test]
    fn stored_fields_survive_reopening_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        let items = sentiment_items();
        {
            let index = SearchIndex::open_or_create(&path).unwrap();
            let mut sink = index.writer().unwrap();
            sink.index_items(&items).unwrap();
            sink.commit().unwrap();
        }
        let index = SearchIndex::open_or_create(&path).unwrap();
        let r = search(&index, "النجدة");
        assert_eq!(r.hits.len(), 1);
        assert_eq!(r.hits[0].sentiment, items[0].tags.sentiment);
        assert!(r.hits[0].about_police);
    }

    #[test]
    fn applied_mark_survives_reopening_and_is_cleared_by_delete_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        let items = sentiment_items();
        let mark = AppliedMark {
            store_id: "0123abcd".into(),
            seq: 42,
        };
        {
            let index = SearchIndex::open_or_create(&path).unwrap();
            assert_eq!(index.applied().unwrap(), None);
            let mut sink = index.writer().unwrap();
            assert_eq!(sink.mark(), None);
            sink.index_items(&items).unwrap();
            sink.commit_applied(mark.clone()).unwrap();
            // Indexing the same items again replaces them.
            sink.index_items(&items).unwrap();
            sink.commit().unwrap();
        }
        let index = SearchIndex::open_or_create(&path).unwrap();
        assert_eq!(index.applied().unwrap(), Some(mark.clone()));
        let mut expected: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        expected.sort();
        assert_eq!(index.ids().unwrap(), expected);
        let mut sink = index.writer().unwrap();
        assert_eq!(sink.mark(), Some(&mark));
        sink.delete_all().unwrap();
        sink.commit().unwrap();
        assert_eq!(index.applied().unwrap(), None);
        assert!(index.ids().unwrap().is_empty());
    }

    /// Writes an empty index with `schema`, committed with `tag`.
    fn old_index(path: &Path, schema: tantivy::schema::Schema, tag: &str) {
        std::fs::create_dir_all(path).unwrap();
        let old = Index::create_in_dir(path, schema).unwrap();
        let mut w: IndexWriter = old.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut prepared = w.prepare_commit().unwrap();
        prepared.set_payload(tag);
        prepared.commit().unwrap();
    }

    #[test]
    fn index_of_schema_1_is_a_mismatch_until_recreated() {
        let dir = tempfile::tempdir().unwrap();
        // Version 1: today's fields without sentiment, its score and the police flag.
        let v1_path = dir.path().join("v1");
        let mut b = tantivy::schema::Schema::builder();
        for (_, entry) in schema::build().fields() {
            if ![
                names::SENTIMENT,
                names::SENTIMENT_SCORE,
                names::ABOUT_POLICE,
            ]
            .contains(&entry.name())
            {
                b.add_field(entry.clone());
            }
        }
        old_index(&v1_path, b.build(), "rasd-search/1");
        match SearchIndex::open_or_create(&v1_path) {
            Err(e @ Error::SchemaMismatch { .. }) => {
                let message = e.to_string();
                assert!(message.contains("rasd reindex"), "{message}");
                assert!(message.contains(SCHEMA_TAG), "{message}");
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        let index = SearchIndex::recreate(&v1_path).unwrap();
        let mut sink = index.writer().unwrap();
        sink.index_items(&sentiment_items()).unwrap();
        sink.commit().unwrap();
        assert_eq!(search(&index, "sentiment:negative").total, 2);
        drop((sink, index));
        assert!(SearchIndex::open_or_create(&v1_path).is_ok());

        // The same fields under the old tag are a mismatch too.
        let tag_path = dir.path().join("old-tag");
        old_index(&tag_path, schema::build(), "rasd-search/1");
        match SearchIndex::open_or_create(&tag_path) {
            Err(Error::SchemaMismatch { found, .. }) => {
                assert_eq!(found, "tag rasd-search/1")
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    /// A kill between creating the index and its first commit (seen in the crash trials of
    /// `rasd fetch`) leaves an empty index without the tag: it opens, stamped. An untagged
    /// index holding documents is still a mismatch.
    #[test]
    fn empty_untagged_index_of_an_interrupted_start_is_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("search");
        std::fs::create_dir_all(&path).unwrap();
        drop(Index::create_in_dir(&path, schema::build()).unwrap());
        let index = SearchIndex::open_or_create(&path).unwrap();
        let mut sink = index.writer().unwrap();
        sink.index_items(&sentiment_items()).unwrap();
        sink.commit().unwrap();
        drop((sink, index));
        assert!(SearchIndex::open_or_create(&path).is_ok());

        let full = dir.path().join("untagged-with-documents");
        std::fs::create_dir_all(&full).unwrap();
        let index = Index::create_in_dir(&full, schema::build()).unwrap();
        analyzer::register(index.tokenizers());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(tantivy::doc!()).unwrap();
        writer.commit().unwrap();
        drop((writer, index));
        match SearchIndex::open_or_create(&full) {
            Err(Error::SchemaMismatch { found, .. }) => assert_eq!(found, "no schema tag"),
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn index_is_shareable_across_threads() {
        fn is<T: Send + Sync + Clone>() {}
        is::<SearchIndex>();
        fn sink_is<T: Send>() {}
        sink_is::<IndexSink>();
    }

    /// Indexes part of the shared Arabic news corpus when it is present.
    #[test]
    fn real_arabic_news_is_found() {
        let Some(path) = rasd_core::shared_data::shared_data("corpus/ar_news.jsonl.gz") else {
            eprintln!("skipped: the shared corpus is absent");
            return;
        };
        let Ok(output) = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .output()
        else {
            eprintln!("skipped: gzip is not available");
            return;
        };
        let text = String::from_utf8_lossy(&output.stdout);
        let mut items = Vec::new();
        for (n, line) in text.lines().take(2000).enumerate() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let get = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let mut it = item(1, &get("title"), &get("body"));
            it.id = format!("corpus-{n}");
            it.source = get("cat");
            items.push(it);
        }
        assert!(items.len() > 1000);
        let index = index_with(&items);
        assert_eq!(index.num_docs() as usize, items.len());
        for q in [
            "الأسعار",
            "وزارة الصحة",
            "\"المملكة العربية السعودية\"",
            "أمن",
        ] {
            let r = search(&index, q);
            assert!(r.total > 0, "{q} found nothing");
            assert!(r.hits[0].snippet.chars().count() <= MAX_SNIPPET_CHARS);
        }
        // Spelling variants meet on real text too.
        assert_eq!(
            search(&index, "الاسعار").total,
            search(&index, "أسعار").total
        );
        assert_eq!(
            search(&index, "والأسعار").total,
            search(&index, "الأسعار").total
        );
    }

    /// Runs `text` and fails the test unless it gives results or an [`Error::Query`] (a
    /// 400 on the web) whose message says what to write; a panic fails too.
    fn assert_answers(index: &SearchIndex, text: &str) {
        let q = SearchQuery {
            text: text.to_string(),
            ..SearchQuery::default()
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| index.search(&q)));
        match outcome {
            Ok(Ok(_)) => {}
            Ok(Err(Error::Query { message, .. })) => {
                let advice = [
                    "write",
                    "use ",
                    "name",
                    "keep it",
                    "add ",
                    "remove",
                    "leave out",
                    "close",
                    "as in",
                ];
                assert!(
                    advice.iter().any(|a| message.contains(a)),
                    "{text:?}: the message does not say what to write: {message}"
                );
            }
            Ok(Err(other)) => panic!("{text:?}: internal error {other:?}"),
            Err(_) => panic!("{text:?}: the search panicked"),
        }
    }

    #[test]
    fn field_wildcards_are_results_or_advice_never_internal_errors() {
        let index = index_with(&security_items());
        // The regression: these answered 500 (tantivy wants a fast field for `field:*`).
        for q in ["url:*", "title:*", "body:*", "id:*", "fetched:*"] {
            assert_answers(&index, q);
        }
        let all = security_items().len();
        assert_eq!(search(&index, "title:*").total, all);
        assert_eq!(search(&index, "id:*").total, all);
        assert_eq!(search(&index, "police:*").total, all);
        assert_eq!(
            search(&index, "سرقة title:*").total,
            search(&index, "سرقة").total
        );
        assert_query_error(&index, "url:*", "cannot be searched");
        assert_query_error(&index, "fetched:*", "there is no field `fetched`");
        // topics:* keeps its meaning: items with at least one topic.
        let mut tagged = item(1, "سرقة", "نص");
        tagged.tags.topics = vec!["theft".into()];
        let index = index_with(&[tagged.clone(), item(2, "سرقة", "نص")]);
        assert_eq!(ids(&search(&index, "topics:*")), [tagged.id]);
    }

    /// A small deterministic generator (xorshift), so a failure names a query that can be
    /// run again.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn hostile_queries_are_results_or_advice_never_internal_errors() {
        let mut items = security_items();
        items[0].tags.topics = vec!["theft".into()];
        items[0].tags.places = vec!["zarqa".into()];
        let index = index_with(&items);
        let field_names = [
            // The schema, every field.
            "id",
            "url",
            "title",
            "body",
            "title_exact",
            "body_exact",
            "source",
            "lang",
            "kind",
            "topics",
            "places",
            "published",
            "dated",
            "sentiment",
            "sentiment_score",
            "about_police",
            // Aliases and names that are not fields.
            "topic",
            "place",
            "police",
            "fetched",
            "Title",
            "عنوان",
            "_",
            "a_b",
        ];
        let values = [
            "*",
            "?",
            "a*",
            "سر*",
            "[a TO b]",
            "{a TO b}",
            "[* TO *]",
            "[b TO a]",
            "[2026-11-01T00:00:00Z TO *]",
            "{2026-11-01T00:00:00Z TO 2026-11-08T10:30:00+03:00]",
            "[2026-13-45T99:00:00Z TO *]",
            "[1 TO 2",
            ">a",
            ">=2026-11-01T00:00:00Z",
            "<5",
            "IN [a b]",
            "IN [yes no]",
            "\"a b\"",
            "\"إطلاق نار\"*",
            "\"",
            "\"\"",
            "(",
            ")",
            "()",
            "a^2",
            "a^",
            "^2",
            "a~1",
            "\"a b\"~3",
            ":",
            "::",
            "/a.*/",
            "/(/",
            "سرقة",
            "negative",
            "yes",
            "-",
            "+",
            "\u{0}",
            "\u{202E}سرقة\u{202C}",
            "\u{200F}",
            "",
            " ",
            "\\",
            "'",
        ];
        let mut queries: Vec<String> = Vec::new();
        for field in field_names {
            for value in values {
                queries.push(format!("{field}:{value}"));
                queries.push(format!("-{field}:{value}"));
                queries.push(format!("سرقة {field}:{value}"));
            }
        }
        let fragments = [
            "سرقة",
            "الأمن العام",
            "theft",
            "AND",
            "OR",
            "NOT",
            "-",
            "+",
            "\"",
            "'",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "^",
            "~",
            ":",
            "*",
            "?",
            "\\",
            "/",
            "<",
            ">",
            "=",
            "!",
            "TO",
            "IN",
            "\"\"",
            "-\"\"",
            "\u{0}",
            "\u{202B}",
            "\u{202E}",
            "\u{2066}",
            "\u{200D}",
            "\u{FEFF}",
            "ـــ",
            "٣",
            "title:",
            "source:petra",
            "عنوان:سرقة",
            "police:maybe",
            "sentiment:غاضب",
            "published:[2026-11-01T00:00:00Z TO *]",
            "url:*",
            "topics:*",
            "a^0",
            "a^-1",
            "a^1e40",
            "a~99",
            "\t",
            "\n",
            "🚓",
        ];
        let mut rng = Rng(0x5eed_cafe_f00d_d00d);
        for _ in 0..3000 {
            let n = 1 + rng.below(6);
            let mut q = String::new();
            for _ in 0..n {
                q.push_str(fragments[rng.below(fragments.len())]);
                if rng.below(3) > 0 {
                    q.push(' ');
                }
            }
            queries.push(q);
        }
        // Lone operators and other edge cases.
        for q in [
            "AND",
            "OR",
            "NOT",
            "-",
            "+",
            "\"\"",
            "*",
            "?",
            "^",
            "~",
            ":",
            "-*",
            "NOT *",
            "a AND",
            "OR b",
            "a OR OR b",
            "(a OR b",
            "a OR b)",
            "((a)",
            "\"a",
            "a\"",
            "-\"\"",
            "+-a",
            "--a",
            "-+-a",
            "*:*",
            ":a",
            "a:",
            "\u{0}\u{0}",
        ] {
            queries.push(q.to_string());
        }
        // Very long and very deep.
        queries.push("سرقة ".repeat(190));
        queries.push("سرقة ".repeat(5000));
        queries.push("a OR ".repeat(150) + "b");
        queries.push("(".repeat(10_000));
        queries.push(format!("{}a{}", "(".repeat(500), ")".repeat(500)));
        queries.push(format!("{}a{}", "(".repeat(16), ")".repeat(16)));
        queries.push("\"".repeat(999));
        queries.push("-".repeat(999));
        queries.push("title:".repeat(150));
        for q in &queries {
            assert_answers(&index, q);
        }
    }

    #[test]
    fn long_and_deep_queries_are_refused_with_the_limit() {
        let index = index_with(&security_items());
        assert_query_error(&index, "سرقة ".repeat(400).trim(), "keep it under 1000");
        assert_query_error(&index, &"(".repeat(500), "at most 16 levels");
        // Within the limits they run.
        assert_answers(&index, &format!("{}سرقة{}", "(".repeat(16), ")".repeat(16)));
    }
}
