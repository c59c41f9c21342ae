//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong in indexing or searching.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The search text is longer than [`crate::MAX_QUERY_CHARS`]; the caller should say so
    /// rather than search a cut-off query.
    #[error("search text too long: {chars} characters, at most {max}")]
    QueryTooLong { chars: usize, max: usize },
    /// A request the index refuses to run (page too large, paging too deep, malformed filter).
    #[error("invalid search request: {0}")]
    InvalidRequest(String),
    /// The directory holds files but no index of ours; it is left alone rather than wiped.
    #[error("{0} is not empty and holds no search index; refusing to overwrite it")]
    NotAnIndex(PathBuf),
    #[error("search index I/O on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("search index: {0}")]
    Engine(#[from] tantivy::TantivyError),
    /// A write lock was poisoned by a panic in another thread; the index must be reopened.
    #[error("search index writer poisoned by an earlier panic")]
    Poisoned,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
