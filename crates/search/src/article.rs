//! The knowledge-base index (知识库): ranked search over articles, and suggestions of articles for a
//! citizen's message.
//!
//! A search box query is short and precise, so every term must match, as for cases. A citizen's
//! message is long and rambling, and requiring all its bigrams would find nothing; `suggest` keeps the
//! message's most telling bigrams (frequent in the message, rare among articles) and ranks articles by
//! how many of them they share, weighted by BM25 — a more-like-this query.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crate::engine::{Engine, IndexOptions, Layout, OpenStatus, UpsertStats};
use crate::error::{Error, Result};
use crate::query::{self, QueryTerms};
use crate::snippet::snippet;
use crate::tokenizer::{TOKENIZER_NAME, terms};
use crate::{MAX_LIMIT, MAX_QUERY_CHARS};

const SCHEMA_VERSION: u32 = 1;
const TITLE_BOOST: f32 = 3.0;
const KEYWORD_BOOST: f32 = 3.0;
/// The part of a message `suggest` reads; the rest rarely changes which articles fit.
const SUGGEST_MAX_CHARS: usize = 2000;
/// Bigrams of the message kept for `suggest`.
const SUGGEST_TERMS: usize = 24;
/// An article must share this many of them to be suggested, so one stray bigram does not qualify it.
const SUGGEST_MIN_SHARED: usize = 2;

/// A knowledge article as the index needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleDoc {
    pub id: i64,
    /// Bumped on every edit; an older or equal version is not written over a newer one.
    pub version: i64,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub keywords: Vec<String>,
    /// Whether the article is in force (published, not expired).
    pub valid: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArticleHit {
    pub id: i64,
    /// Plain text, not escaped.
    pub title: String,
    pub score: f32,
    /// HTML: escaped, matches in `<mark>`.
    pub snippet: String,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    version: Field,
    title: Field,
    keywords: Field,
    body: Field,
    all: Field,
    category: Field,
    unit: Field,
    valid: Field,
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
        version: b.add_i64_field("version", tantivy::schema::FAST),
        title: b.add_text_field("title", analysed(true)),
        keywords: b.add_text_field("keywords", analysed(true)),
        body: b.add_text_field("body", STORED),
        all: b.add_text_field("all", analysed(false)),
        category: b.add_text_field("category", STRING | STORED),
        unit: b.add_text_field("unit", STRING | STORED),
        valid: b.add_bool_field("valid", INDEXED),
    };
    let layout = Layout { kind: "articles", schema_version: SCHEMA_VERSION, schema: b.build(), id: fields.id, version: "version" };
    (layout, fields)
}

/// The knowledge-base index. Small: keep it in memory and fill it from the database at start-up.
#[derive(Clone)]
pub struct ArticleIndex {
    engine: Arc<Engine>,
    f: Fields,
}

impl ArticleIndex {
    pub fn in_memory() -> Result<ArticleIndex> {
        let (layout, f) = layout();
        Ok(ArticleIndex { engine: Arc::new(Engine::in_memory(layout, &IndexOptions::small())?), f })
    }

    /// On disk, like [`crate::CaseIndex::open`].
    pub fn open(dir: impl AsRef<Path>) -> Result<ArticleIndex> {
        let (layout, f) = layout();
        Ok(ArticleIndex { engine: Arc::new(Engine::open(dir.as_ref(), layout, &IndexOptions::small())?), f })
    }

    pub fn open_status(&self) -> &OpenStatus {
        self.engine.status()
    }

    /// Adds or replaces articles by id (skipping versions not above the indexed one).
    pub fn upsert(&self, docs: &[ArticleDoc]) -> Result<UpsertStats> {
        self.engine.upsert(docs.iter().map(|d| (d.id, d.version, self.document(d))))
    }

    pub fn delete(&self, id: i64) -> Result<()> {
        self.engine.delete(id)
    }

    /// Makes writes visible.
    pub fn commit(&self) -> Result<()> {
        self.engine.commit(None)
    }

    /// Drops every article (until the next commit searches see the old ones).
    pub fn clear(&self) -> Result<()> {
        self.engine.clear()
    }

    pub fn doc_count(&self) -> u64 {
        self.engine.doc_count()
    }

    fn document(&self, d: &ArticleDoc) -> TantivyDocument {
        let f = &self.f;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id);
        doc.add_i64(f.version, d.version);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.all, &d.title);
        doc.add_text(f.all, &d.body);
        for k in &d.keywords {
            doc.add_text(f.keywords, k);
            doc.add_text(f.all, k);
        }
        if let Some(c) = &d.category {
            doc.add_text(f.category, c);
        }
        if let Some(u) = &d.unit {
            doc.add_text(f.unit, u);
        }
        doc.add_bool(f.valid, d.valid);
        doc
    }

    /// Articles containing every term of `text` (at most [`MAX_QUERY_CHARS`] characters), best first;
    /// title and keyword matches weigh more. Empty text finds nothing.
    pub fn search(&self, text: &str, only_valid: bool, limit: usize) -> Result<Vec<ArticleHit>> {
        let text = text.trim();
        let chars = text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(Error::QueryTooLong { chars, max: MAX_QUERY_CHARS });
        }
        let terms = QueryTerms::parse(text);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut clauses = query::all_terms(self.f.all, &terms)?;
        clauses.extend(query::boosts(self.f.title, &terms, TITLE_BOOST));
        clauses.extend(query::boosts(self.f.keywords, &terms, KEYWORD_BOOST));
        if only_valid {
            clauses.push(self.valid_filter());
        }
        self.run(&BooleanQuery::new(clauses), limit, &terms)
    }

    /// The valid articles that best fit a citizen's message, best first. Reads the first
    /// 2,000 characters; an article must share at least two of the message's telling bigrams.
    pub fn suggest(&self, message: &str, limit: usize) -> Result<Vec<ArticleHit>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let end = message.char_indices().nth(SUGGEST_MAX_CHARS).map_or(message.len(), |(i, _)| i);
        let mut tf: HashMap<String, u32> = HashMap::new();
        for t in terms(&message[..end]) {
            // Lone characters and single digits say little about a topic.
            if t.text.chars().count() >= 2 {
                *tf.entry(t.text).or_default() += 1;
            }
        }
        let searcher = self.engine.reader.searcher();
        let n = searcher.num_docs() as f32;
        let mut weighted = Vec::with_capacity(tf.len());
        for (term, count) in tf {
            let df = searcher.doc_freq(&Term::from_field_text(self.f.all, &term))?;
            if df == 0 {
                continue;
            }
            let idf = (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
            // Repetition in the message counts, but sublinearly: a rant repeating one word is still about more.
            weighted.push((term, (1.0 + (count as f32).ln()) * idf));
        }
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        weighted.truncate(SUGGEST_TERMS);
        if weighted.len() < SUGGEST_MIN_SHARED {
            return Ok(Vec::new());
        }
        let terms = QueryTerms { words: weighted.iter().map(|(t, _)| t.clone()).collect(), chars: Vec::new() };
        let shoulds: Vec<(Occur, Box<dyn Query>)> = weighted
            .iter()
            .map(|(t, w)| {
                let fields = [(self.f.all, 1.0), (self.f.title, TITLE_BOOST), (self.f.keywords, KEYWORD_BOOST)];
                let per_field: Vec<(Occur, Box<dyn Query>)> = fields
                    .iter()
                    .map(|(field, boost)| {
                        (Occur::Should, Box::new(BoostQuery::new(query::term_query(*field, t), *boost)) as Box<dyn Query>)
                    })
                    .collect();
                // Weighting by the message-side weight makes the telling terms count more than the merely present.
                (Occur::Should, Box::new(BoostQuery::new(Box::new(BooleanQuery::new(per_field)), *w)) as Box<dyn Query>)
            })
            .collect();
        let shared = Box::new(BooleanQuery::with_minimum_required_clauses(shoulds, SUGGEST_MIN_SHARED));
        let query = BooleanQuery::new(vec![(Occur::Must, shared as Box<dyn Query>), self.valid_filter()]);
        self.run(&query, limit.min(MAX_LIMIT), &terms)
    }

    fn valid_filter(&self) -> (Occur, Box<dyn Query>) {
        query::filter(Box::new(TermQuery::new(Term::from_field_bool(self.f.valid, true), IndexRecordOption::Basic)))
    }

    fn run(&self, query: &dyn Query, limit: usize, terms: &QueryTerms) -> Result<Vec<ArticleHit>> {
        let searcher = self.engine.reader.searcher();
        let top = searcher.search(query, &TopDocs::with_limit(limit.min(MAX_LIMIT)).order_by_score())?;
        top.into_iter().map(|(score, addr)| self.hit(&searcher, addr, score, terms)).collect()
    }

    fn hit(&self, searcher: &Searcher, addr: DocAddress, score: f32, terms: &QueryTerms) -> Result<ArticleHit> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let f = &self.f;
        let id = doc.get_first(f.id).and_then(|v| v.as_i64()).unwrap_or_default();
        let title = doc.get_first(f.title).and_then(|v| v.as_str()).unwrap_or("");
        let body = doc.get_first(f.body).and_then(|v| v.as_str()).unwrap_or("");
        Ok(ArticleHit { id, title: title.to_owned(), score, snippet: snippet([body, title], terms, false) })
    }
}
