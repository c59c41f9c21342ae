//! The case index: ranked full-text search over case text, replies and addresses, with the structured
//! filters of the case lists.
//!
//! Matching runs on one field, `all` (title, text, address, replies, number), so a query is an
//! intersection of one posting list per term — the cheapest shape there is. The title is indexed a
//! second time on its own and adds a boosted score when it matches too, which puts a case whose title
//! names the thing above one whose long text mentions it once. Filters are term queries that do not
//! score: paths and catalogue codes are indexed with all their prefixes, so "this unit's subtree" and
//! "this category" are single term lookups.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::engine::{Engine, IndexOptions, Layout, OpenStatus, UpsertStats};
use crate::error::{Error, Result};
use crate::query::{self, QueryTerms};
use crate::snippet::snippet;
use crate::tokenizer::TOKENIZER_NAME;
use crate::{MAX_LIMIT, MAX_QUERY_CHARS, MAX_WINDOW};

/// Bump when fields or their indexing change: an index of another version is wiped on open.
const SCHEMA_VERSION: u32 = 1;
/// Filter-only searches with fewer matches than this sort them all by date; above, see `newest`.
const SORT_ALL_BELOW: usize = 20_000;
const DAY_MS: i64 = 86_400_000;
/// How much a title match weighs against a match elsewhere.
const TITLE_BOOST: f32 = 2.0;

/// A case as the index needs it. The caller builds it from the database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseDoc {
    pub id: i64,
    /// The case number (HK20261122000123), found by exact search.
    pub number: String,
    /// The case's version; an update with a version not above the indexed one is skipped.
    pub version: i64,
    pub title: String,
    pub text: String,
    /// Replies to the citizen, and other texts worth finding the case by.
    pub replies: Vec<String>,
    pub address: Option<String>,
    pub state: String,
    pub case_type: String,
    pub channel: String,
    /// The catalogue item code (A010203); its category and subcategory codes are its prefixes.
    pub catalogue_item: Option<String>,
    /// Unit paths like `/1/5/` of the lead and handling units, for subtree filters.
    pub unit_paths: Vec<String>,
    /// The path of the place's division, for area filters.
    pub division_path: Option<String>,
    /// Milliseconds since the epoch.
    pub received_at: i64,
    pub updated_at: i64,
}

/// A search: optional text and any combination of filters. All filters must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseSearch {
    /// Words to find, at most [`MAX_QUERY_CHARS`] characters; every term must match (路灯不亮 needs
    /// 路灯, 灯不, 不亮). Empty, or only spaces and punctuation: no text condition, newest first.
    pub text: Option<String>,
    /// Any of these states; empty means any state.
    pub states: Vec<String>,
    pub case_type: Option<String>,
    pub channel: Option<String>,
    /// An item, subcategory or category code: the item code starts with it.
    pub catalogue_prefix: Option<String>,
    /// A unit path: the case has a lead or handling unit in this subtree.
    pub unit_path_prefix: Option<String>,
    /// A division path: the case's place is in this area.
    pub division_prefix: Option<String>,
    /// Received at or after (ms, inclusive).
    pub received_from: Option<i64>,
    /// Received before (ms, exclusive).
    pub received_to: Option<i64>,
    /// Hits to return, at most [`MAX_LIMIT`]; 0 counts only.
    pub limit: usize,
    /// Hits to skip; `offset + limit` at most [`MAX_WINDOW`].
    pub offset: usize,
    /// Show phone numbers in snippets in full. Off (the default) they read 138****1234, as case pages show
    /// them to staff who may not call citizens back. Searching by a full number matches either way.
    pub show_phones: bool,
}

/// One found case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseHit {
    pub id: i64,
    pub number: String,
    /// The title as indexed, plain text (not escaped).
    pub title: String,
    pub received_at: i64,
    /// BM25 relevance; 0 for searches without text.
    pub score: f32,
    /// An excerpt in HTML: escaped, with the matches in `<mark>`.
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// All matching cases (exact).
    pub total: usize,
    pub hits: Vec<CaseHit>,
    pub took_ms: f64,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    number: Field,
    title: Field,
    all: Field,
    text: Field,
    replies: Field,
    address: Field,
    state: Field,
    case_type: Field,
    channel: Field,
    catalogue: Field,
    units: Field,
    division: Field,
    version: Field,
    received_at: Field,
    updated_at: Field,
}

fn layout() -> (Layout, Fields) {
    let mut b = Schema::builder();
    let analysed = |stored: bool| {
        let indexing = TextFieldIndexing::default().set_tokenizer(TOKENIZER_NAME).set_index_option(IndexRecordOption::WithFreqs);
        let opts = TextOptions::default().set_indexing_options(indexing);
        if stored { opts.set_stored() } else { opts }
    };
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED),
        number: b.add_text_field("number", STRING | STORED),
        title: b.add_text_field("title", analysed(true)),
        all: b.add_text_field("all", analysed(false)),
        text: b.add_text_field("text", STORED),
        replies: b.add_text_field("replies", STORED),
        address: b.add_text_field("address", STORED),
        state: b.add_text_field("state", STRING),
        case_type: b.add_text_field("case_type", STRING),
        channel: b.add_text_field("channel", STRING),
        catalogue: b.add_text_field("catalogue", STRING),
        units: b.add_text_field("units", STRING),
        division: b.add_text_field("division", STRING),
        version: b.add_i64_field("version", FAST),
        received_at: b.add_i64_field("received_at", FAST),
        updated_at: b.add_i64_field("updated_at", FAST),
    };
    let layout = Layout { kind: "cases", schema_version: SCHEMA_VERSION, schema: b.build(), id: fields.id, version: "version" };
    (layout, fields)
}

/// The case index of one node. Cheap to clone and share between threads; writes are serialised
/// inside, searches run in parallel on the last committed state.
#[derive(Clone)]
pub struct CaseIndex {
    engine: Arc<Engine>,
    f: Fields,
}

impl CaseIndex {
    /// Opens the index in `dir`, creating it when absent and wiping it when it was written by another
    /// schema version (then [`checkpoint`](Self::checkpoint) is `None`: rebuild). The directory is the
    /// index's own; a non-empty directory that holds no index is refused.
    pub fn open(dir: impl AsRef<Path>, options: &IndexOptions) -> Result<CaseIndex> {
        let (layout, f) = layout();
        Ok(CaseIndex { engine: Arc::new(Engine::open(dir.as_ref(), layout, options)?), f })
    }

    /// An index in memory, for tests and tools.
    pub fn in_memory() -> Result<CaseIndex> {
        let (layout, f) = layout();
        Ok(CaseIndex { engine: Arc::new(Engine::in_memory(layout, &IndexOptions::small())?), f })
    }

    pub fn open_status(&self) -> &OpenStatus {
        self.engine.status()
    }

    /// Adds or replaces cases by id. A case whose indexed version (committed or pending) is the same or
    /// newer is skipped, so replaying a feed is harmless. Visible to searches after [`commit`](Self::commit).
    pub fn upsert(&self, docs: &[CaseDoc]) -> Result<UpsertStats> {
        self.engine.upsert(docs.iter().map(|d| (d.id, d.version, self.document(d))))
    }

    /// Removes a case; visible after the next commit.
    pub fn delete(&self, id: i64) -> Result<()> {
        self.engine.delete(id)
    }

    /// The version the index holds for a case, uncommitted writes included.
    pub fn indexed_version(&self, id: i64) -> Result<Option<i64>> {
        self.engine.indexed_version(id)
    }

    /// Makes writes durable and visible, keeping the previous checkpoint. Costs a segment flush and an
    /// fsync (milliseconds to tens of milliseconds): batch writes, commit about once a second.
    pub fn commit(&self) -> Result<()> {
        self.engine.commit(None)
    }

    /// As [`commit`](Self::commit), storing `checkpoint` with it atomically (e.g. the feed's position).
    pub fn commit_with_checkpoint(&self, checkpoint: &str) -> Result<()> {
        self.engine.commit(Some(checkpoint))
    }

    /// The checkpoint of the last commit; `None` for a new, reset or cleared index, which needs a rebuild.
    pub fn checkpoint(&self) -> Result<Option<String>> {
        self.engine.checkpoint()
    }

    /// Starts a rebuild: drops every document and the checkpoint. Searches keep seeing the old
    /// documents until the next commit, so feed everything, then commit once.
    pub fn clear(&self) -> Result<()> {
        self.engine.clear()
    }

    /// Merges the index into one segment (faster searches). Rewrites everything: after a rebuild only.
    pub fn optimize(&self) -> Result<()> {
        self.engine.optimize()
    }

    /// Cases visible to searches.
    pub fn doc_count(&self) -> u64 {
        self.engine.doc_count()
    }

    fn document(&self, d: &CaseDoc) -> TantivyDocument {
        let f = &self.f;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id);
        doc.add_i64(f.version, d.version);
        doc.add_i64(f.received_at, d.received_at);
        doc.add_i64(f.updated_at, d.updated_at);
        doc.add_text(f.number, &d.number);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.text, &d.text);
        doc.add_text(f.all, &d.title);
        doc.add_text(f.all, &d.text);
        doc.add_text(f.all, &d.number);
        if let Some(address) = &d.address {
            doc.add_text(f.address, address);
            doc.add_text(f.all, address);
        }
        for reply in &d.replies {
            doc.add_text(f.replies, reply);
            doc.add_text(f.all, reply);
        }
        doc.add_text(f.state, &d.state);
        doc.add_text(f.case_type, &d.case_type);
        doc.add_text(f.channel, &d.channel);
        if let Some(item) = &d.catalogue_item {
            for prefix in code_prefixes(item) {
                doc.add_text(f.catalogue, prefix);
            }
        }
        for path in &d.unit_paths {
            for prefix in path_prefixes(path) {
                doc.add_text(f.units, prefix);
            }
        }
        if let Some(path) = &d.division_path {
            for prefix in path_prefixes(path) {
                doc.add_text(f.division, prefix);
            }
        }
        doc
    }

    /// Runs a search on the last committed state.
    pub fn search(&self, s: &CaseSearch) -> Result<SearchResult> {
        let started = Instant::now();
        if s.limit > MAX_LIMIT {
            return Err(Error::InvalidRequest(format!("limit {} above {MAX_LIMIT}", s.limit)));
        }
        if s.offset.saturating_add(s.limit) > MAX_WINDOW {
            return Err(Error::InvalidRequest(format!("offset + limit above {MAX_WINDOW}")));
        }
        let text = s.text.as_deref().unwrap_or("").trim();
        let chars = text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(Error::QueryTooLong { chars, max: MAX_QUERY_CHARS });
        }
        let terms = QueryTerms::parse(text);
        if terms.is_empty() && text.chars().any(char::is_alphanumeric) {
            // Only words too long to index (see tokenizer::MAX_WORD_CHARS): nothing can match them,
            // and listing every case instead would answer a question nobody asked.
            return Ok(SearchResult { total: 0, hits: Vec::new(), took_ms: started.elapsed().as_secs_f64() * 1000.0 });
        }
        let mut clauses = self.filters(s)?;
        let searcher = self.engine.reader.searcher();

        let (total, found): (usize, Vec<(f32, DocAddress)>) = if terms.is_empty() {
            let query: Box<dyn Query> = if clauses.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(clauses)) };
            let total = searcher.search(&query, &Count)?;
            let found = if s.limit == 0 { Vec::new() } else { self.newest(&searcher, query.as_ref(), total, s)? };
            (total, found.into_iter().map(|addr| (0.0, addr)).collect())
        } else {
            clauses.extend(query::all_terms(self.f.all, &terms)?);
            clauses.extend(query::boosts(self.f.title, &terms, TITLE_BOOST));
            let query = BooleanQuery::new(clauses);
            if s.limit == 0 {
                (searcher.search(&query, &Count)?, Vec::new())
            } else {
                let best = TopDocs::with_limit(s.limit).and_offset(s.offset).order_by_score();
                searcher.search(&query, &(Count, best))?
            }
        };

        let hits =
            found.into_iter().map(|(score, addr)| self.hit(&searcher, addr, score, &terms, !s.show_phones)).collect::<Result<Vec<_>>>()?;
        Ok(SearchResult { total, hits, took_ms: started.elapsed().as_secs_f64() * 1000.0 })
    }

    /// The page of `query`'s matches, newest first. Sorting every match reads the date of each (14 ms
    /// for a million): when there are many, look in a recent window sized to hold about twice the page,
    /// widened until it does. Every case outside a window [from, to) is older than every case in it,
    /// so the page is the same as a full sort's.
    fn newest(&self, searcher: &Searcher, query: &dyn Query, total: usize, s: &CaseSearch) -> Result<Vec<DocAddress>> {
        let wanted = s.offset + s.limit;
        let page = |q: &dyn Query| -> Result<(usize, Vec<DocAddress>)> {
            let newest = TopDocs::with_limit(s.limit).and_offset(s.offset).order_by_fast_field::<i64>("received_at", Order::Desc);
            let (count, top) = searcher.search(q, &(Count, newest))?;
            Ok((count, top.into_iter().map(|(_, addr)| addr).collect()))
        };
        if total <= SORT_ALL_BELOW {
            return Ok(page(query)?.1);
        }
        let (mut oldest, mut newest) = (i64::MAX, i64::MIN);
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().i64("received_at")?;
            if column.num_docs() > 0 {
                oldest = oldest.min(column.min_value());
                newest = newest.max(column.max_value());
            }
        }
        let oldest = s.received_from.map_or(oldest, |from| from.max(oldest));
        let end = s.received_to.map_or(newest.saturating_add(1), |to| to.min(newest.saturating_add(1)));
        let share = (wanted * 2) as f64 / total as f64;
        let mut width = ((end - oldest) as f64 * share).max(DAY_MS as f64) as i64;
        loop {
            let from = end.saturating_sub(width);
            if from <= oldest {
                return Ok(page(query)?.1);
            }
            let window = RangeQuery::new(Bound::Included(Term::from_field_i64(self.f.received_at, from)), Bound::Unbounded);
            let windowed = BooleanQuery::new(vec![(Occur::Must, query.box_clone()), query::filter(Box::new(window))]);
            let (count, found) = page(&windowed)?;
            if count >= wanted {
                return Ok(found);
            }
            width = width.saturating_mul(8);
        }
    }

    fn filters(&self, s: &CaseSearch) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = &self.f;
        let mut clauses = Vec::new();
        if !s.states.is_empty() {
            clauses.push(query::filter(query::any_of(f.state, &s.states)));
        }
        if let Some(t) = &s.case_type {
            clauses.push(query::filter(query::exact(f.case_type, t)));
        }
        if let Some(c) = &s.channel {
            clauses.push(query::filter(query::exact(f.channel, c)));
        }
        if let Some(code) = &s.catalogue_prefix {
            clauses.push(query::filter(query::exact(f.catalogue, code.trim())));
        }
        if let Some(path) = &s.unit_path_prefix {
            clauses.push(query::filter(query::exact(f.units, &normalize_path(path)?)));
        }
        if let Some(path) = &s.division_prefix {
            clauses.push(query::filter(query::exact(f.division, &normalize_path(path)?)));
        }
        if s.received_from.is_some() || s.received_to.is_some() {
            let lower = s.received_from.map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_i64(f.received_at, t)));
            let upper = s.received_to.map_or(Bound::Unbounded, |t| Bound::Excluded(Term::from_field_i64(f.received_at, t)));
            clauses.push(query::filter(Box::new(RangeQuery::new(lower, upper))));
        }
        Ok(clauses)
    }

    fn hit(&self, searcher: &Searcher, addr: DocAddress, score: f32, terms: &QueryTerms, mask: bool) -> Result<CaseHit> {
        let f = &self.f;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text_of = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let id = doc.get_first(f.id).and_then(|v| v.as_i64()).unwrap_or_default();
        let received_at =
            searcher.segment_reader(addr.segment_ord).fast_fields().i64("received_at")?.first(addr.doc_id).unwrap_or_default();
        let body = doc.get_first(f.text).and_then(|v| v.as_str()).unwrap_or("");
        let title = doc.get_first(f.title).and_then(|v| v.as_str()).unwrap_or("");
        let address = doc.get_first(f.address).and_then(|v| v.as_str());
        let replies = doc.get_all(f.replies).filter_map(|v| v.as_str());
        let snippet = snippet([body, title].into_iter().chain(replies).chain(address), terms, mask);
        Ok(CaseHit { id, number: text_of(f.number), title: title.to_owned(), received_at, score, snippet })
    }
}

/// Every prefix of a catalogue code, the code included (A0102 → A, A0, A01, A010, A0102).
fn code_prefixes(code: &str) -> impl Iterator<Item = &str> {
    let code = code.trim();
    code.char_indices().map(|(i, c)| &code[..i + c.len_utf8()])
}

/// Every ancestor of a path, itself included (/1/5/9/ → /1/, /1/5/, /1/5/9/).
fn path_prefixes(path: &str) -> impl Iterator<Item = String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    (1..=parts.len()).map(move |n| format!("/{}/", parts[..n].join("/")))
}

/// A path as indexed: leading and trailing slash, no empty segments (1/5 → /1/5/).
fn normalize_path(path: &str) -> Result<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err(Error::InvalidRequest(format!("empty path filter {path:?}")));
    }
    Ok(format!("/{}/", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(code_prefixes("A0102").collect::<Vec<_>>(), ["A", "A0", "A01", "A010", "A0102"]);
        assert_eq!(path_prefixes("/1/5/9/").collect::<Vec<_>>(), ["/1/", "/1/5/", "/1/5/9/"]);
        assert_eq!(path_prefixes("1/5").collect::<Vec<_>>(), ["/1/", "/1/5/"]);
        assert_eq!(normalize_path("1/5").ok().as_deref(), Some("/1/5/"));
        assert!(normalize_path("/").is_err());
    }
}
