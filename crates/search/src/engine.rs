//! What both indexes share: the directory and its schema-version marker, the one writer, commits with a
//! checkpoint, and the version bookkeeping that makes replayed updates harmless.
//!
//! The database is the source of truth and an index is a cache of it, so an index written by another
//! schema is never read: the directory carries a marker naming the index kind and schema version, and
//! when it does not match the index is wiped and comes back empty with no checkpoint, which tells the
//! caller to rebuild.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{Field, IndexRecordOption, Schema};
use tantivy::{DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TERMINATED, TantivyDocument, Term};

use crate::error::{Error, Result};
use crate::tokenizer::{BigramTokenizer, TOKENIZER_NAME};

/// The marker file in an index directory.
pub const MARKER_FILE: &str = "minsheng-search.json";

/// Writer settings. The defaults suit a server: the writer's memory is a ceiling (tantivy flushes a
/// segment when a thread's share fills), and merging uses one thread so searches keep a core.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Indexing threads (at least 1). Two halve a rebuild on two cores; a tailer needs one.
    pub writer_threads: usize,
    /// Memory for buffered documents across all indexing threads, in bytes (at least 15 MB a thread).
    pub writer_memory: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
        IndexOptions { writer_threads: threads, writer_memory: 128 << 20 }
    }
}

impl IndexOptions {
    /// One thread and the smallest budget: for small in-memory indexes and tests.
    pub fn small() -> Self {
        IndexOptions { writer_threads: 1, writer_memory: MIN_MEMORY_PER_THREAD }
    }
}

const MIN_MEMORY_PER_THREAD: usize = 15_000_000;

/// How an index came to be open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenStatus {
    /// There was none; it is empty.
    Created,
    /// An existing index of this schema.
    Opened,
    /// An index of another kind or schema version was there and has been wiped; it is empty.
    Reset { found: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    kind: String,
    schema_version: u32,
    tokenizer: String,
}

/// The parts of a schema the engine needs to know by name.
pub(crate) struct Layout {
    pub kind: &'static str,
    pub schema_version: u32,
    pub schema: Schema,
    pub id: Field,
    /// Fast i64 field holding the source record's version.
    pub version: &'static str,
}

struct WriterState {
    writer: IndexWriter,
    /// Ids written since the last commit: `Some(version)` added, `None` deleted. The reader does not
    /// see them yet, so version checks look here first.
    pending: HashMap<i64, Option<i64>>,
    /// Set by `clear` until the next commit: the committed documents are already gone for the writer
    /// even though searchers still see them.
    cleared: bool,
    checkpoint: Option<String>,
}

pub(crate) struct Engine {
    pub index: Index,
    pub reader: IndexReader,
    writer: Mutex<WriterState>,
    pub id: Field,
    version: &'static str,
    status: OpenStatus,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertStats {
    /// Documents written (new or replacing an older version).
    pub written: usize,
    /// Documents skipped because the index already holds that version or a newer one.
    pub skipped: usize,
}

impl Engine {
    pub fn open(dir: &Path, layout: Layout, options: &IndexOptions) -> Result<Engine> {
        let io = |source| Error::Io { path: dir.to_path_buf(), source };
        fs::create_dir_all(dir).map_err(io)?;
        let expected = Marker { kind: layout.kind.to_owned(), schema_version: layout.schema_version, tokenizer: TOKENIZER_NAME.to_owned() };
        let marker_path = dir.join(MARKER_FILE);
        let has_meta = dir.join("meta.json").exists();
        let marker = fs::read(&marker_path).ok().map(|bytes| serde_json::from_slice::<Marker>(&bytes));

        let status = match &marker {
            Some(Ok(found)) if *found == expected && has_meta => OpenStatus::Opened,
            Some(found) if has_meta => OpenStatus::Reset { found: describe(found) },
            None if has_meta => OpenStatus::Reset { found: "an index without a marker".to_owned() },
            Some(_) => OpenStatus::Created,
            None if fs::read_dir(dir).map_err(io)?.next().is_some() => return Err(Error::NotAnIndex(dir.to_path_buf())),
            None => OpenStatus::Created,
        };
        let (index, status) = match status {
            OpenStatus::Opened => {
                let index = Index::open_in_dir(dir)?;
                if index.schema() == layout.schema {
                    (index, OpenStatus::Opened)
                } else {
                    // Same marker, different fields: a schema change without a version bump. Still never misread.
                    drop(index);
                    (
                        create(dir, &layout.schema, &expected)?,
                        OpenStatus::Reset { found: "a different schema under the same version".to_owned() },
                    )
                }
            }
            other => (create(dir, &layout.schema, &expected)?, other),
        };
        Engine::start(index, layout, options, status)
    }

    pub fn in_memory(layout: Layout, options: &IndexOptions) -> Result<Engine> {
        let index = Index::create_in_ram(layout.schema.clone());
        Engine::start(index, layout, options, OpenStatus::Created)
    }

    fn start(index: Index, layout: Layout, options: &IndexOptions, status: OpenStatus) -> Result<Engine> {
        index.tokenizers().register(TOKENIZER_NAME, BigramTokenizer);
        let threads = options.writer_threads.max(1);
        let writer_options = tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread((options.writer_memory / threads).max(MIN_MEMORY_PER_THREAD))
            .num_merge_threads(1)
            .build();
        let writer = index.writer_with_options(writer_options)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let checkpoint = index.load_metas()?.payload;
        Ok(Engine {
            index,
            reader,
            writer: Mutex::new(WriterState { writer, pending: HashMap::new(), cleared: false, checkpoint }),
            id: layout.id,
            version: layout.version,
            status,
        })
    }

    pub fn status(&self) -> &OpenStatus {
        &self.status
    }

    fn lock(&self) -> Result<MutexGuard<'_, WriterState>> {
        self.writer.lock().map_err(|_| Error::Poisoned)
    }

    /// Writes documents keyed by id and version; see [`UpsertStats`].
    pub fn upsert(&self, docs: impl IntoIterator<Item = (i64, i64, TantivyDocument)>) -> Result<UpsertStats> {
        let mut state = self.lock()?;
        let searcher = self.reader.searcher();
        let mut stats = UpsertStats::default();
        for (id, version, doc) in docs {
            let current = match state.pending.get(&id) {
                Some(pending) => *pending,
                None if state.cleared => None,
                None => self.committed_version(&searcher, id)?,
            };
            if current.is_some_and(|v| v >= version) {
                stats.skipped += 1;
                continue;
            }
            if current.is_some() {
                state.writer.delete_term(Term::from_field_i64(self.id, id));
            }
            state.writer.add_document(doc)?;
            state.pending.insert(id, Some(version));
            stats.written += 1;
        }
        Ok(stats)
    }

    pub fn delete(&self, id: i64) -> Result<()> {
        let mut state = self.lock()?;
        state.writer.delete_term(Term::from_field_i64(self.id, id));
        state.pending.insert(id, None);
        Ok(())
    }

    /// The version the index holds for an id, counting writes not yet committed.
    pub fn indexed_version(&self, id: i64) -> Result<Option<i64>> {
        let state = self.lock()?;
        match state.pending.get(&id) {
            Some(pending) => Ok(*pending),
            None if state.cleared => Ok(None),
            None => self.committed_version(&self.reader.searcher(), id),
        }
    }

    fn committed_version(&self, searcher: &Searcher, id: i64) -> Result<Option<i64>> {
        let term = Term::from_field_i64(self.id, id);
        for segment in searcher.segment_readers() {
            let Some(mut postings) = segment.inverted_index(self.id)?.read_postings(&term, IndexRecordOption::Basic).map_err(io_err)?
            else {
                continue;
            };
            let versions = segment.fast_fields().i64(self.version)?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc)
                    && let Some(v) = versions.first(doc)
                {
                    return Ok(Some(v));
                }
                doc = postings.advance();
            }
        }
        Ok(None)
    }

    /// Makes every write so far durable and visible to searches. Each commit flushes the indexing
    /// threads' buffers into new segments and fsyncs, so batch: every second or every few thousand
    /// documents, not every document. `checkpoint` (e.g. the tailer's position in the event log) is
    /// stored atomically with the commit; without one the previous checkpoint is kept.
    pub fn commit(&self, checkpoint: Option<&str>) -> Result<()> {
        let mut state = self.lock()?;
        let payload = checkpoint.map(str::to_owned).or_else(|| state.checkpoint.clone());
        let mut prepared = state.writer.prepare_commit()?;
        if let Some(payload) = &payload {
            prepared.set_payload(payload);
        }
        prepared.commit()?;
        state.checkpoint = payload;
        state.pending.clear();
        state.cleared = false;
        // Reloaded under the writer lock, so a version check after this commit sees what it wrote.
        self.reader.reload()?;
        Ok(())
    }

    /// Drops every document, written or pending, and the checkpoint; searchers keep seeing the
    /// old documents until the next commit, so a rebuild fed before that commit swaps in whole.
    pub fn clear(&self) -> Result<()> {
        let mut state = self.lock()?;
        state.writer.rollback()?;
        state.writer.delete_all_documents()?;
        state.pending.clear();
        state.cleared = true;
        state.checkpoint = None;
        Ok(())
    }

    /// The checkpoint of the last commit; `None` for a new, reset or cleared index (rebuild it).
    pub fn checkpoint(&self) -> Result<Option<String>> {
        Ok(self.lock()?.checkpoint.clone())
    }

    /// Merges all committed segments into one. Searches over one segment are faster; the merge
    /// rewrites the whole index, so do it after a rebuild, not in the normal flow.
    pub fn optimize(&self) -> Result<()> {
        let mut state = self.lock()?;
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            state.writer.merge(&segments).wait()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Live documents visible to searches.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

fn describe(found: &Result<Marker, serde_json::Error>) -> String {
    match found {
        Ok(m) => format!("{} schema {} tokenizer {}", m.kind, m.schema_version, m.tokenizer),
        Err(e) => format!("an unreadable marker ({e})"),
    }
}

pub(crate) fn io_err(e: std::io::Error) -> Error {
    Error::Engine(tantivy::TantivyError::from(e))
}

/// Creates an empty index in `dir`, removing the files of whatever index was there. Only plain files
/// are removed (an index directory has no subdirectories), and only after the caller has seen that
/// this is an index directory.
fn create(dir: &Path, schema: &Schema, marker: &Marker) -> Result<Index> {
    let io = |path: &Path| {
        let path: PathBuf = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.is_file() {
            fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    let index = Index::create(MmapDirectory::open(dir).map_err(|e| Error::Engine(e.into()))?, schema.clone(), Default::default())?;
    // Written after the index so that a crash in between leaves an index without a marker, which is reset.
    let tmp = dir.join(format!("{MARKER_FILE}.tmp"));
    let bytes = serde_json::to_vec_pretty(marker).map_err(|e| Error::Io { path: tmp.clone(), source: e.into() })?;
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, dir.join(MARKER_FILE)).map_err(io(dir))?;
    Ok(index)
}
