//! Ranked Chinese full-text search over cases and knowledge articles, one in-process index per node.
//!
//! The database stays the source of truth; an index here is a cache that each node keeps current by
//! feeding it the cases that changed ([`CaseIndex::upsert`], then [`CaseIndex::commit_with_checkpoint`]
//! with the feed's position) and can always rebuild ([`CaseIndex::clear`], upsert everything, commit).
//! This crate knows nothing of the store: the caller turns rows into [`CaseDoc`]s.
//!
//! # Layout
//! - [`tokenizer`]: text → terms. CJK runs become overlapping character bigrams, letters and digits
//!   whole lowercase words; the same cut serves documents and queries.
//! - `query`: a query's terms and the tantivy queries built from them.
//! - `snippet`: highlighted, HTML-escaped excerpts.
//! - `engine`: the index directory and its schema marker, the writer, commits and checkpoints,
//!   version checks — shared by both indexes.
//! - `case`: the case index — text, filters, ranking.
//! - `article`: the knowledge-base index — search and suggestions for a message.
//! - `error`: the error type.
//!
//! # Use
//! ```
//! use minsheng_search::{CaseDoc, CaseIndex, CaseSearch};
//!
//! let index = CaseIndex::in_memory()?; // on a server: CaseIndex::open(dir, &IndexOptions::default())
//! index.upsert(&[CaseDoc {
//!     id: 1,
//!     number: "HK20261122000123".into(),
//!     version: 3,
//!     title: "路灯不亮".into(),
//!     text: "小区门口路灯灯不亮一个月了".into(),
//!     unit_paths: vec!["/1/5/9/".into()],
//!     ..CaseDoc::default()
//! }])?;
//! index.commit_with_checkpoint("event:1042")?;
//!
//! let found = index.search(&CaseSearch {
//!     text: Some("路灯".into()),
//!     unit_path_prefix: Some("/1/5/".into()),
//!     limit: 20,
//!     ..CaseSearch::default()
//! })?;
//! assert_eq!(found.hits[0].number, "HK20261122000123");
//! assert!(found.hits[0].snippet.contains("<mark>路灯</mark>"));
//! # Ok::<(), minsheng_search::Error>(())
//! ```

mod article;
mod case;
mod engine;
mod error;
mod query;
mod snippet;
pub mod tokenizer;

pub use article::{ArticleDoc, ArticleHit, ArticleIndex};
pub use case::{CaseDoc, CaseHit, CaseIndex, CaseSearch, SearchResult};
pub use engine::{IndexOptions, MARKER_FILE, OpenStatus, UpsertStats};
pub use error::{Error, Result};
pub use snippet::SNIPPET_CHARS;

/// Longest search text accepted, in characters. Longer text is refused ([`Error::QueryTooLong`])
/// rather than cut, so a user never sees results for half of what they typed; to find cases or
/// articles like a whole message, use [`ArticleIndex::suggest`].
pub const MAX_QUERY_CHARS: usize = 200;
/// Most hits in one page.
pub const MAX_LIMIT: usize = 100;
/// Deepest hit reachable by paging (`offset + limit`): deeper pages cost more and nobody reads them.
pub const MAX_WINDOW: usize = 10_000;
