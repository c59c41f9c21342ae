//! The SQLite store: the embedded default. One writer thread owns the only writing connection and
//! commits in groups (many requests per fsync), so every acknowledged write is durable
//! (`synchronous=FULL`) without paying one fsync per request; a small pool of read-only
//! connections serves queries concurrently thanks to WAL.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use minsheng_domain::Millis;
use minsheng_domain::case::{Case, CaseId};
use minsheng_domain::event::Event;
use minsheng_domain::org::{Role, UnitId, UnitKind, UserId};
use minsheng_domain::value::{CaseNumber, case_day};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use minsheng_domain::deadline::Light;
use minsheng_domain::knowledge::Article;
use minsheng_domain::people::PersonDraft;

use crate::PersonRecord;
use crate::{
    ApiKeyRecord, CaseChange, CaseColumns, CasePage, CaseQuery, ClockFire, ColumnShape, DueClock, Engine, NewApiKey, NewCase, NewUnit,
    NewUser, Scope, Store, StoreError, StoreResult, UnitRecord, UserRecord, build_new_case, from_json, like_pattern, to_json,
};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("0001_init.sql")),
    (2, include_str!("0002_clocks.sql")),
    (3, include_str!("0003_inbox.sql")),
    (4, include_str!("0004_facts_outbox.sql")),
    (5, include_str!("0005_catalogue.sql")),
    (6, include_str!("0006_rollups.sql")),
    (7, include_str!("0007_supervision.sql")),
    (8, include_str!("0008_classifier.sql")),
    (9, include_str!("0009_knowledge_people.sql")),
    (10, include_str!("0010_channels.sql")),
];
/// Upper bound of requests committed together; bounds the latency one group adds.
const MAX_GROUP: usize = 256;
const READERS: usize = 4;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

pub struct SqliteStore {
    writer: std::sync::mpsc::Sender<Job>,
    readers: Arc<ReaderPool>,
}

struct ReaderPool {
    idle: Mutex<Vec<Connection>>,
    permits: tokio::sync::Semaphore,
}

fn db_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
        && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    {
        return StoreError::Duplicate(msg.clone().unwrap_or_default());
    }
    StoreError::Database(e.to_string())
}

fn open_connection(path: &str, read_only: bool) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(db_err)?;
    // FULL: a commit is on disk before anyone is told it happened. The writer's cache is large
    // because every index of a growing table is written to; readers map the file instead.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY;",
    )
    .map_err(db_err)?;
    if read_only {
        conn.execute_batch("PRAGMA query_only=1; PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;").map_err(db_err)?;
    } else {
        conn.execute_batch("PRAGMA cache_size=-262144;").map_err(db_err)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`. `:memory:` gives a private
    /// temporary file, because an in-memory database cannot be shared by the writer and readers.
    pub fn open(path: &str) -> StoreResult<SqliteStore> {
        let path = if path == ":memory:" || path.is_empty() {
            let dir = std::env::temp_dir().join(format!("minsheng-mem-{}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::Database(e.to_string()))?;
            let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            dir.join(format!("{n}.db")).display().to_string()
        } else {
            path.to_string()
        };
        if let Some(parent) = Path::new(&path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(format!("cannot create {}: {e}", parent.display())))?;
        }
        let writer_conn = open_connection(&path, false)?;
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(writer_conn, rx))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let mut idle = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            idle.push(open_connection(&path, true)?);
        }
        Ok(SqliteStore {
            writer: tx,
            readers: Arc::new(ReaderPool { idle: Mutex::new(idle), permits: tokio::sync::Semaphore::new(READERS) }),
        })
    }

    /// Runs `f` in the writer's current group transaction, inside its own savepoint: an error
    /// undoes only this request's writes. The answer is sent only after the group commits.
    async fn write<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |commit| {
                let out = match (result, commit) {
                    (Ok(v), Ok(())) => Ok(v),
                    (Ok(_), Err(e)) => Err(StoreError::Database(e)),
                    (Err(e), _) => Err(e),
                };
                let _ = tx.send(out);
            });
            (ok, completion)
        });
        self.writer.send(job).map_err(|_| StoreError::Database("the SQLite writer has stopped".into()))?;
        rx.await.map_err(|_| StoreError::Database("the SQLite writer dropped a request".into()))?
    }

    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
        let pool = self.readers.clone();
        let _permit = pool.permits.acquire().await.map_err(|e| StoreError::Database(e.to_string()))?;
        let pool2 = pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool2.idle.lock().map_err(|_| StoreError::Database("reader pool poisoned".into()))?.pop();
            let conn = conn.ok_or_else(|| StoreError::Database("no idle reader".into()))?;
            let result = f(&conn);
            if let Ok(mut idle) = pool2.idle.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Database(e.to_string()))?
    }
}

fn writer_loop(conn: Connection, rx: std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut completions = Vec::with_capacity(jobs.len());
        let begin = conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| e.to_string());
        if let Err(e) = begin {
            for job in jobs {
                let (_, completion) = job(&conn);
                completion(Err(e.clone()));
            }
            continue;
        }
        // Cached statements: parsing these four on every request cost ~5 % of the writer.
        let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]).map(|_| ()));
        for job in jobs {
            if let Err(e) = run("SAVEPOINT request") {
                tracing::error!(error = %e, "savepoint failed");
            }
            let (ok, completion) = job(&conn);
            let end = if ok { run("RELEASE request") } else { run("ROLLBACK TO request").and_then(|()| run("RELEASE request")) };
            if let Err(e) = end {
                tracing::error!(error = %e, "savepoint release failed");
            }
            completions.push(completion);
        }
        let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for c in completions {
            c(commit.clone());
        }
    }
}

fn unit_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UnitRecord> {
    let kind: String = row.get(3)?;
    Ok(UnitRecord {
        id: row.get(0)?,
        code: row.get(1)?,
        name: row.get(2)?,
        kind: UnitKind::parse(&kind).unwrap_or(UnitKind::Department),
        parent_id: row.get(4)?,
        path: row.get(5)?,
        division_code: row.get(6)?,
        department_type: row.get(7)?,
        active: row.get(8)?,
    })
}

const UNIT_COLS: &str = "id, code, name, kind, parent_id, path, division_code, department_type, active";
const USER_COLS: &str = "id, login, name, role, unit_id, phone, password_hash, active, created_at";
const KEY_COLS: &str = "id, name, prefix, secret_hash, role, unit_id, created_at, revoked_at";

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    let role: String = row.get(3)?;
    Ok(UserRecord {
        id: row.get(0)?,
        login: row.get(1)?,
        name: row.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Citizen),
        unit_id: row.get(4)?,
        phone: row.get(5)?,
        password_hash: row.get(6)?,
        active: row.get(7)?,
        created_at: row.get(8)?,
    })
}

fn key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    let role: String = row.get(4)?;
    Ok(ApiKeyRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        secret_hash: row.get(3)?,
        role: Role::parse(&role).unwrap_or(Role::Citizen),
        unit_id: row.get(5)?,
        created_at: row.get(6)?,
        revoked_at: row.get(7)?,
    })
}

fn insert_case_tx(conn: &Connection, new: &NewCase) -> StoreResult<Case> {
    let day = case_day(new.at);
    let seq: i64 = conn
        .prepare_cached("INSERT INTO case_counters(day, last) VALUES (?1, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last")
        .and_then(|mut s| s.query_row([&day], |r| r.get(0)))
        .map_err(db_err)?;
    let number = CaseNumber::compose(&new.number_prefix, &day, seq).map_err(|e| StoreError::Corrupt(e.message_en))?;
    let id: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM cases")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db_err)?;
    let (case, events) = build_new_case(id, number, new);
    let c = CaseColumns::of(&case);
    conn.prepare_cached(
        "INSERT INTO cases (id, number, version, state, channel, case_type, urgency, lead_unit_id, handling_unit_id, division_unit_id,
            catalogue_item, title, text, phone, received_by, received_at, updated_at, closed_at, data, supervision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )
    .and_then(|mut s| {
        s.execute(params![
            case.id,
            case.number.as_str(),
            case.version,
            c.state,
            c.channel,
            c.case_type,
            c.urgency,
            c.lead_unit_id,
            c.handling_unit_id,
            c.division_unit_id,
            c.catalogue_item,
            c.title,
            c.text,
            c.phone,
            c.received_by,
            case.received_at,
            case.updated_at,
            c.closed_at,
            to_json(&case).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            c.supervision,
        ])
    })
    .map_err(db_err)?;
    insert_events(conn, case.id, &events)?;
    sync_access(conn, &case)?;
    sync_clocks(conn, &case)?;
    sync_facts(conn, &case)?;
    if !new.notices.is_empty() {
        insert_notices(conn, &new.notices_for(&case))?;
    }
    if let Some(link) = &new.inbound {
        conn.prepare_cached("INSERT INTO inbound_messages (channel, message_id, case_id, received_at) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute(params![link.channel, link.message_id, case.id, new.at]))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Duplicate(format!("inbound {}", link.message_id))
                }
                e => db_err(e),
            })?;
        let mut st = conn
            .prepare_cached(
                "INSERT INTO channel_threads (channel, thread_key, case_id, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, thread_key) DO UPDATE SET case_id = excluded.case_id, updated_at = excluded.updated_at",
            )
            .map_err(db_err)?;
        for key in &link.thread_keys {
            st.execute(params![link.channel, key, case.id, new.at]).map_err(db_err)?;
        }
    }
    Ok(case)
}

/// Rewrites the case's row of metric facts.
fn sync_facts(conn: &Connection, case: &Case) -> StoreResult<()> {
    let row = crate::FactsRow::of(case);
    let new = crate::rollup::Snapshot::of(&row);
    let old = old_snapshot(conn, case.id, case.received_at)?;
    if old.as_ref() != Some(&new) {
        apply_rollup(conn, old.as_ref(), &new)?;
    }
    write_facts_row(conn, case, row)
}

/// The fact row alone (the roll-ups are built from these rows when their tables are created).
fn write_facts_row(conn: &Connection, case: &Case, row: crate::FactsRow) -> StoreResult<()> {
    let values = row.values();
    let n = values.len();
    let sql = format!(
        "INSERT OR REPLACE INTO case_facts (received_at, case_id, unit_id, unit_path, callback_unit_id, rated_at, channel, case_type, \
         catalogue_item, handling_bucket, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, {})",
        crate::counter_columns(),
        (11..11 + n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
    );
    let mut args: Vec<Value> = vec![
        Value::Integer(row.facts.received_at),
        Value::Integer(case.id),
        opt_int(row.facts.unit_id),
        row.unit_path.map_or(Value::Null, Value::Text),
        opt_int(row.facts.callback_unit_id),
        opt_int(row.facts.rated_at),
        Value::Text(row.channel.into()),
        Value::Text(row.case_type.into()),
        row.catalogue_item.map_or(Value::Null, Value::Text),
        opt_int(row.facts.handling_bucket.map(i64::from)),
    ];
    args.extend(values.into_iter().map(Value::Integer));
    conn.prepare_cached(&sql).and_then(|mut s| s.execute(rusqlite::params_from_iter(args))).map_err(db_err)?;
    Ok(())
}

/// The case's fact row as stored before this write, if any.
fn old_snapshot(conn: &Connection, case_id: CaseId, received_at: i64) -> StoreResult<Option<crate::rollup::Snapshot>> {
    let n = minsheng_domain::metrics::Counter::SUMMED.len();
    let sql = format!(
        "SELECT unit_id, unit_path, callback_unit_id, channel, case_type, catalogue_item, handling_bucket, {} FROM case_facts WHERE received_at = ?1 AND case_id = ?2",
        crate::counter_columns()
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![received_at, case_id], |r| {
                let mut values = Vec::with_capacity(n);
                for i in 0..n {
                    values.push(r.get::<_, i64>(7 + i)?);
                }
                Ok(crate::rollup::Snapshot {
                    day: crate::rollup::china_day(received_at),
                    unit_id: r.get(0)?,
                    unit_path: r.get(1)?,
                    callback_unit_id: r.get(2)?,
                    channel: r.get(3)?,
                    case_type: r.get(4)?,
                    catalogue_item: r.get(5)?,
                    bucket: r.get(6)?,
                    values,
                })
            })
            .optional()
        })
        .map_err(db_err)
}

fn apply_rollup(conn: &Connection, old: Option<&crate::rollup::Snapshot>, new: &crate::rollup::Snapshot) -> StoreResult<()> {
    let (sums, cells) = crate::rollup::deltas(old, new);
    let names: Vec<&str> = minsheng_domain::metrics::Counter::SUMMED.iter().map(|c| c.as_str()).collect();
    let sql = format!(
        "INSERT INTO fact_rollup (dim, day, key, unit_path, {}) VALUES (?1, ?2, ?3, ?4, {}) ON CONFLICT (dim, day, key, unit_path) DO UPDATE SET {}",
        names.join(", "),
        (5..5 + names.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", "),
        names.iter().map(|c| format!("{c} = {c} + excluded.{c}")).collect::<Vec<_>>().join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
    for d in sums {
        let mut args: Vec<Value> = vec![Value::Text(d.dim.into()), Value::Integer(d.day), Value::Text(d.key), Value::Text(d.unit_path)];
        args.extend(d.values.into_iter().map(Value::Integer));
        stmt.execute(rusqlite::params_from_iter(args)).map_err(db_err)?;
    }
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO fact_buckets (dim, day, key, unit_path, bucket, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (dim, day, key, unit_path, bucket) DO UPDATE SET n = n + excluded.n",
        )
        .map_err(db_err)?;
    for c in cells {
        stmt.execute(params![c.dim, c.day, c.key, c.unit_path, c.bucket, c.n]).map_err(db_err)?;
    }
    Ok(())
}

fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Integer)
}

fn insert_notices(conn: &Connection, notices: &[crate::NewNotice]) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO outbox (dedup_key, case_id, channel, recipient, template, body, payload, created_at, state, attempts, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', 0, ?8) ON CONFLICT(dedup_key) DO NOTHING",
        )
        .map_err(db_err)?;
    for n in notices {
        stmt.execute(params![n.dedup_key, n.case_id, n.channel, n.recipient, n.template, n.body, to_json(&n.payload)?, n.created_at])
            .map_err(db_err)?;
    }
    Ok(())
}

const NOTICE_COLUMNS: &str = "id, dedup_key, case_id, channel, recipient, template, body, payload, created_at, state, attempts, next_attempt_at, sent_at, read_at, last_error";

fn notice_of(r: &rusqlite::Row) -> rusqlite::Result<(crate::Notice, String)> {
    let payload: String = r.get(7)?;
    let state: String = r.get(9)?;
    Ok((
        crate::Notice {
            id: r.get(0)?,
            dedup_key: r.get(1)?,
            case_id: r.get(2)?,
            channel: r.get(3)?,
            recipient: r.get(4)?,
            template: r.get(5)?,
            body: r.get(6)?,
            payload: serde_json::Value::Null,
            created_at: r.get(8)?,
            state: crate::NoticeState::parse(&state),
            attempts: r.get(10)?,
            next_attempt_at: r.get(11)?,
            sent_at: r.get(12)?,
            read_at: r.get(13)?,
            last_error: r.get(14)?,
        },
        payload,
    ))
}

fn notices_from(rows: Vec<(crate::Notice, String)>) -> StoreResult<Vec<crate::Notice>> {
    rows.into_iter()
        .map(|(mut n, payload)| {
            n.payload = from_json(&payload)?;
            Ok(n)
        })
        .collect()
}

/// Runs a statement whose one column is a JSON document (a case's fold, an event) and reads each.
fn json_rows<T: serde::de::DeserializeOwned>(stmt: &mut rusqlite::Statement<'_>, params: impl rusqlite::Params) -> StoreResult<Vec<T>> {
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0)).map_err(db_err)?;
    rows.map(|d| from_json(&d.map_err(db_err)?)).collect()
}

/// Computes the fact rows of cases written before the fact table existed.
fn backfill_facts(conn: &Connection) -> StoreResult<()> {
    let mut stmt = conn.prepare("SELECT data FROM cases").map_err(db_err)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db_err)?;
    for data in rows {
        let case: Case = from_json(&data.map_err(db_err)?)?;
        write_facts_row(conn, &case, crate::FactsRow::of(&case))?;
    }
    Ok(())
}

fn insert_events(conn: &Connection, case_id: CaseId, events: &[Event]) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO case_events (case_id, seq, at, kind, actor_user_id, actor_role, actor_unit_id, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(db_err)?;
    for e in events {
        stmt.execute(params![case_id, e.seq, e.at, e.kind.name(), e.actor.user_id, e.actor.role.as_str(), e.actor.unit_id, to_json(e)?])
            .map_err(db_err)?;
        // 指定人员: the person's assignment row is written with the event, in its transaction.
        if let minsheng_domain::event::EventKind::PersonAssigned { person } = &e.kind {
            assign_person_tx(conn, case_id, person.id, e.at, e.actor.user_id)?;
        }
    }
    Ok(())
}

fn sync_access(conn: &Connection, case: &Case) -> StoreResult<()> {
    let mut ins = conn.prepare_cached("INSERT OR IGNORE INTO case_access (unit_id, case_id, state) VALUES (?1, ?2, ?3)").map_err(db_err)?;
    for unit in minsheng_domain::access::audience_units(case) {
        ins.execute(params![unit, case.id, case.state.as_str()]).map_err(db_err)?;
    }
    conn.prepare_cached("UPDATE case_access SET state = ?1 WHERE case_id = ?2 AND state <> ?1")
        .and_then(|mut s| s.execute(params![case.state.as_str(), case.id]))
        .map_err(db_err)?;
    Ok(())
}

/// Mirrors the case's running clocks into `case_clocks`: the ones running stay or are added
/// (with their current due times, which suspension and extension move), the rest go inactive.
fn sync_clocks(conn: &Connection, case: &Case) -> StoreResult<()> {
    conn.prepare_cached("UPDATE case_clocks SET active = 0 WHERE case_id = ?1 AND active")
        .and_then(|mut s| s.execute([case.id]))
        .map_err(db_err)?;
    let mut up = conn
        .prepare_cached(
            "INSERT INTO case_clocks (case_id, step, started_at, yellow_at, due_at, active) VALUES (?1, ?2, ?3, ?4, ?5, 1)
             ON CONFLICT (case_id, step, started_at) DO UPDATE SET yellow_at = excluded.yellow_at, due_at = excluded.due_at, active = 1",
        )
        .map_err(db_err)?;
    for d in &case.deadlines {
        up.execute(params![case.id, d.step.as_str(), d.started_at, d.yellow_at, d.due_at]).map_err(db_err)?;
    }
    Ok(())
}

fn apply_change(conn: &Connection, change: &CaseChange) -> StoreResult<Case> {
    let case = &change.case;
    let c = CaseColumns::of(case);
    let updated = conn
        .prepare_cached(
            "UPDATE cases SET version = ?1, state = ?2, urgency = ?3, lead_unit_id = ?4, handling_unit_id = ?5, division_unit_id = ?6,
                catalogue_item = ?7, updated_at = ?8, closed_at = ?9, data = ?10, supervision = ?13
             WHERE id = ?11 AND version = ?12",
        )
        .and_then(|mut s| {
            s.execute(params![
                case.version,
                c.state,
                c.urgency,
                c.lead_unit_id,
                c.handling_unit_id,
                c.division_unit_id,
                c.catalogue_item,
                case.updated_at,
                c.closed_at,
                to_json(case).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                case.id,
                change.expected_version,
                c.supervision,
            ])
        })
        .map_err(db_err)?;
    if updated == 0 {
        let actual: Option<i64> = conn
            .prepare_cached("SELECT version FROM cases WHERE id = ?1")
            .and_then(|mut s| s.query_row([case.id], |r| r.get(0)).optional())
            .map_err(db_err)?;
        return match actual {
            Some(actual) => Err(StoreError::Conflict { case_id: case.id, expected: change.expected_version, actual }),
            None => Err(StoreError::NotFound(format!("case {}", case.id))),
        };
    }
    insert_events(conn, case.id, &change.events)?;
    sync_access(conn, case)?;
    for fire in &change.fires {
        let column = if fire.level == Light::Red { "red_fired_at" } else { "yellow_fired_at" };
        let n = conn
            .prepare_cached(&format!(
                "UPDATE case_clocks SET {column} = ?1 WHERE case_id = ?2 AND step = ?3 AND started_at = ?4 AND {column} IS NULL"
            ))
            .and_then(|mut s| s.execute(params![case.updated_at, case.id, fire.step.as_str(), fire.started_at]))
            .map_err(db_err)?;
        if n == 0 {
            // Fired already (by another node) or no such clock: this change must not happen twice.
            return Err(StoreError::Conflict { case_id: case.id, expected: change.expected_version, actual: change.expected_version });
        }
    }
    sync_clocks(conn, case)?;
    sync_facts(conn, case)?;
    insert_notices(conn, &change.notices)?;
    Ok(case.clone())
}

fn normalise_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    if t.contains("int") {
        "integer".into()
    } else if t.contains("bool") {
        "boolean".into()
    } else if t.contains("real") || t.contains("double") || t.contains("float") {
        "real".into()
    } else {
        "text".into()
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.write(|conn| {
            conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
                .map_err(db_err)?;
            for (version, sql) in MIGRATIONS {
                let done: Option<i64> = conn
                    .query_row("SELECT version FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))
                    .optional()
                    .map_err(db_err)?;
                if done.is_none() {
                    conn.execute_batch(sql).map_err(db_err)?;
                    if *version == 4 {
                        backfill_facts(conn)?;
                    }
                    if *version == 6 {
                        for sql in crate::rollup::backfill_sql(crate::Engine::Sqlite) {
                            conn.execute_batch(&sql).map_err(db_err)?;
                        }
                    }
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
                    conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", params![version, now])
                        .map_err(db_err)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn schema(&self) -> StoreResult<Vec<ColumnShape>> {
        self.read(|conn| {
            let mut tables = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
                .map_err(db_err)?;
            let names: Vec<String> = tables.query_map([], |r| r.get(0)).map_err(db_err)?.collect::<Result<_, _>>().map_err(db_err)?;
            let mut out = Vec::new();
            for table in names {
                let mut info = conn.prepare(&format!("PRAGMA table_info({table})")).map_err(db_err)?;
                let cols = info
                    .query_map([], |r| {
                        let name: String = r.get(1)?;
                        let ty: String = r.get(2)?;
                        let notnull: i64 = r.get(3)?;
                        let pk: i64 = r.get(5)?;
                        Ok(ColumnShape { table: table.clone(), column: name, kind: normalise_type(&ty), nullable: notnull == 0 && pk == 0 })
                    })
                    .map_err(db_err)?;
                for c in cols {
                    out.push(c.map_err(db_err)?);
                }
            }
            out.sort();
            Ok(out)
        })
        .await
    }

    async fn insert_unit(&self, unit: NewUnit) -> StoreResult<UnitRecord> {
        self.write(move |conn| {
            let parent_path: Option<String> = match unit.parent_id {
                Some(pid) => Some(
                    conn.query_row("SELECT path FROM units WHERE id = ?1", [pid], |r| r.get(0))
                        .optional()
                        .map_err(db_err)?
                        .ok_or_else(|| StoreError::NotFound(format!("parent unit {pid}")))?,
                ),
                None => None,
            };
            conn.execute(
                "INSERT INTO units (code, name, kind, parent_id, path, division_code, department_type, active) VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, 1)",
                params![unit.code, unit.name, unit.kind.as_str(), unit.parent_id, unit.division_code, unit.department_type],
            )
            .map_err(db_err)?;
            let id = conn.last_insert_rowid();
            let path = format!("{}{id}/", parent_path.unwrap_or_else(|| "/".into()));
            conn.execute("UPDATE units SET path = ?1 WHERE id = ?2", params![path, id]).map_err(db_err)?;
            Ok(UnitRecord {
                id,
                code: unit.code,
                name: unit.name,
                kind: unit.kind,
                parent_id: unit.parent_id,
                path,
                division_code: unit.division_code,
                department_type: unit.department_type,
                active: true,
            })
        })
        .await
    }

    async fn get_unit(&self, id: UnitId) -> StoreResult<Option<UnitRecord>> {
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {UNIT_COLS} FROM units WHERE id = ?1"))
                .and_then(|mut s| s.query_row([id], unit_from_row).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn unit_by_code(&self, code: &str) -> StoreResult<Option<UnitRecord>> {
        let code = code.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {UNIT_COLS} FROM units WHERE code = ?1"))
                .and_then(|mut s| s.query_row([code], unit_from_row).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn list_units(&self) -> StoreResult<Vec<UnitRecord>> {
        self.read(|conn| {
            let mut s = conn.prepare_cached(&format!("SELECT {UNIT_COLS} FROM units ORDER BY path")).map_err(db_err)?;
            let rows = s.query_map([], unit_from_row).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn insert_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO users (login, name, role, unit_id, phone, password_hash, active, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
                params![user.login, user.name, user.role.as_str(), user.unit_id, user.phone, user.password_hash, user.created_at],
            )
            .map_err(db_err)?;
            Ok(UserRecord {
                id: conn.last_insert_rowid(),
                login: user.login,
                name: user.name,
                role: user.role,
                unit_id: user.unit_id,
                phone: user.phone,
                password_hash: user.password_hash,
                active: true,
                created_at: user.created_at,
            })
        })
        .await
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))
                .and_then(|mut s| s.query_row([id], user_from_row).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>> {
        let login = login.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE login = ?1"))
                .and_then(|mut s| s.query_row([login], user_from_row).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        self.read(|conn| {
            let mut s = conn.prepare_cached(&format!("SELECT {USER_COLS} FROM users ORDER BY id")).map_err(db_err)?;
            let rows = s.query_map([], user_from_row).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
        let hash = hash.to_string();
        self.write(move |conn| {
            let n = conn.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", params![hash, id]).map_err(db_err)?;
            if n == 0 { Err(StoreError::NotFound(format!("user {id}"))) } else { Ok(()) }
        })
        .await
    }

    async fn insert_session(&self, token_hash: &str, user_id: UserId, created_at: Millis, expires_at: Millis) -> StoreResult<()> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user_id, created_at, expires_at],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn session_user(&self, token_hash: &str, now: Millis) -> StoreResult<Option<UserId>> {
        let token_hash = token_hash.to_string();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.active",
            )
            .and_then(|mut s| s.query_row(params![token_hash, now], |r| r.get(0)).optional())
            .map_err(db_err)
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_string();
        self.write(move |conn| {
            conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash]).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn insert_api_key(&self, key: NewApiKey) -> StoreResult<ApiKeyRecord> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO api_keys (name, prefix, secret_hash, role, unit_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![key.name, key.prefix, key.secret_hash, key.role.as_str(), key.unit_id, key.created_at],
            )
            .map_err(db_err)?;
            Ok(ApiKeyRecord {
                id: conn.last_insert_rowid(),
                name: key.name,
                prefix: key.prefix,
                secret_hash: key.secret_hash,
                role: key.role,
                unit_id: key.unit_id,
                created_at: key.created_at,
                revoked_at: None,
            })
        })
        .await
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let prefix = prefix.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {KEY_COLS} FROM api_keys WHERE prefix = ?1"))
                .and_then(|mut s| s.query_row([prefix], key_from_row).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        self.read(|conn| {
            let mut s = conn.prepare_cached(&format!("SELECT {KEY_COLS} FROM api_keys ORDER BY id")).map_err(db_err)?;
            let rows = s.query_map([], key_from_row).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn revoke_api_key(&self, id: i64, at: Millis) -> StoreResult<bool> {
        self.write(move |conn| {
            let n = conn
                .execute("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL", params![at, id])
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn create_case(&self, new: NewCase) -> StoreResult<Case> {
        self.write(move |conn| insert_case_tx(conn, &new)).await
    }

    async fn create_cases(&self, batch: Vec<NewCase>) -> StoreResult<Vec<Case>> {
        self.write(move |conn| batch.iter().map(|n| insert_case_tx(conn, n)).collect()).await
    }

    async fn get_case(&self, id: CaseId) -> StoreResult<Option<Case>> {
        self.read(move |conn| {
            let data: Option<String> = conn
                .prepare_cached("SELECT data FROM cases WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
                .map_err(db_err)?;
            data.map(|d| from_json(&d)).transpose()
        })
        .await
    }

    async fn case_by_number(&self, number: &str) -> StoreResult<Option<Case>> {
        let number = number.to_string();
        self.read(move |conn| {
            let data: Option<String> = conn
                .prepare_cached("SELECT data FROM cases WHERE number = ?1")
                .and_then(|mut s| s.query_row([number], |r| r.get(0)).optional())
                .map_err(db_err)?;
            data.map(|d| from_json(&d)).transpose()
        })
        .await
    }

    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<Event>> {
        self.read(move |conn| {
            json_rows(&mut *conn.prepare_cached("SELECT data FROM case_events WHERE case_id = ?1 ORDER BY seq").map_err(db_err)?, [id])
        })
        .await
    }

    async fn append(&self, changes: Vec<CaseChange>) -> StoreResult<Vec<Case>> {
        self.write(move |conn| changes.iter().map(|c| apply_change(conn, c)).collect()).await
    }

    async fn list_cases(&self, query: &CaseQuery) -> StoreResult<CasePage> {
        let query = query.clone();
        self.read(move |conn| list_cases_sync(conn, &query)).await
    }

    async fn count_cases(&self) -> StoreResult<i64> {
        self.read(|conn| conn.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0)).map_err(db_err)).await
    }

    async fn due_clocks(&self, now: Millis, limit: u32) -> StoreResult<Vec<DueClock>> {
        self.read(move |conn| {
            let mut out = Vec::new();
            for (level, col, fired) in [(Light::Red, "due_at", "red_fired_at"), (Light::Yellow, "yellow_at", "yellow_fired_at")] {
                let mut s = conn
                    .prepare_cached(&format!(
                        "SELECT case_id, step, started_at, {col} FROM case_clocks WHERE active AND {fired} IS NULL AND {col} <= ?1 ORDER BY {col} LIMIT ?2"
                    ))
                    .map_err(db_err)?;
                let rows = s
                    .query_map(params![now, limit], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)))
                    .map_err(db_err)?;
                for row in rows {
                    let (case_id, step, started_at, at) = row.map_err(db_err)?;
                    if let Some(step) = crate::step_of(&step) {
                        out.push(DueClock { case_id, fire: ClockFire { step, started_at, level }, at });
                    }
                }
            }
            out.sort_by_key(|d| d.at);
            out.truncate(limit as usize);
            Ok(out)
        })
        .await
    }

    async fn aggregate_facts(&self, query: &crate::FactQuery) -> StoreResult<Vec<crate::FactGroup>> {
        let q = query.clone();
        self.read(move |conn| {
            let (dim, key) = crate::rollup::source(q.by);
            let (from, to) = (crate::rollup::china_day(q.from), crate::rollup::china_day(q.to - 1) + 1);
            let mut cond = String::from("dim = ?1 AND day >= ?2 AND day < ?3");
            let mut args: Vec<Value> = vec![Value::Text(dim.into()), Value::Integer(from), Value::Integer(to)];
            if let Some(path) = &q.unit_path {
                // Paths are like /1/4/: a prefix range keeps it an index-friendly comparison.
                cond.push_str(" AND unit_path >= ?4 AND unit_path < ?5");
                args.push(Value::Text(path.clone()));
                args.push(Value::Text(format!("{path}\u{10ffff}")));
            }
            let grouped = !matches!(q.by, crate::FactKey::All);
            let group = if grouped { format!(" GROUP BY {key}") } else { String::new() };
            let sql = format!("SELECT {key}, {} FROM fact_rollup WHERE {cond}{group}", crate::counter_sums());
            let n = minsheng_domain::metrics::Counter::SUMMED.len();
            let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
            let sums = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                    let key: Option<String> = r.get(0)?;
                    let mut v = Vec::with_capacity(n);
                    for i in 0..n {
                        v.push(r.get::<_, Option<i64>>(i + 1)?.unwrap_or(0));
                    }
                    Ok((key.filter(|k| !k.is_empty()), v))
                })
                .map_err(db_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_err)?;
            let buckets = if matches!(q.by, crate::FactKey::CallbackUnit) {
                Vec::new()
            } else {
                let group = if grouped { format!(" GROUP BY {key}, bucket") } else { " GROUP BY bucket".into() };
                let sql = format!("SELECT {key}, bucket, SUM(n) FROM fact_buckets WHERE {cond}{group}");
                let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
                stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
                    Ok((r.get::<_, Option<String>>(0)?.filter(|k| !k.is_empty()), r.get::<_, i32>(1)?, r.get::<_, i64>(2)?))
                })
                .map_err(db_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_err)?
            };
            Ok(crate::assemble_groups(
                sums.into_iter().filter(|(_, v)| v.iter().any(|x| *x != 0)).collect(),
                buckets.into_iter().filter(|(_, _, n)| *n != 0).collect(),
                q.by,
            ))
        })
        .await
    }

    async fn unsatisfied_between(&self, from: Millis, to: Millis, limit: u32) -> StoreResult<Vec<Case>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT c.data FROM case_facts f JOIN cases c ON c.id = f.case_id
                     WHERE f.unsatisfied = 1 AND f.rated_at >= ?1 AND f.rated_at < ?2 ORDER BY f.rated_at LIMIT ?3",
                )
                .map_err(db_err)?;
            json_rows(&mut stmt, params![from, to, limit])
        })
        .await
    }

    async fn count_repeats(&self, item: &str, phone: Option<&str>, division_unit_id: Option<UnitId>, since: Millis) -> StoreResult<i64> {
        let (item, phone) = (item.to_string(), phone.map(str::to_string));
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT COUNT(*) FROM cases WHERE catalogue_item = ?1 AND received_at >= ?2
                 AND ((?3 IS NOT NULL AND phone = ?3) OR (?4 IS NOT NULL AND division_unit_id = ?4))",
            )
            .and_then(|mut s| s.query_row(params![item, since, phone, division_unit_id], |r| r.get(0)))
            .map_err(db_err)
        })
        .await
    }

    async fn enqueue_notices(&self, notices: Vec<crate::NewNotice>) -> StoreResult<()> {
        self.write(move |conn| insert_notices(conn, &notices)).await
    }

    async fn claim_notices(&self, channels: &[String], now: Millis, lease_until: Millis, limit: u32) -> StoreResult<Vec<crate::Notice>> {
        let channels = channels.to_vec();
        // One writer thread: selecting and leasing in its transaction cannot race another claim.
        self.write(move |conn| {
            let marks = channels.iter().enumerate().map(|(i, _)| format!("?{}", i + 3)).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "UPDATE outbox SET next_attempt_at = ?1, attempts = attempts + 1 WHERE id IN (
                    SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?2 AND channel IN ({marks}) ORDER BY next_attempt_at, id LIMIT {limit}
                 ) RETURNING {NOTICE_COLUMNS}"
            );
            let mut args: Vec<Value> = vec![Value::Integer(lease_until), Value::Integer(now)];
            args.extend(channels.into_iter().map(Value::Text));
            let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args), notice_of).map_err(db_err)?.collect::<Result<Vec<_>, _>>().map_err(db_err)?;
            let mut out = notices_from(rows)?;
            out.sort_by_key(|n| (n.next_attempt_at, n.id));
            Ok(out)
        })
        .await
    }

    async fn finish_notice(&self, id: i64, delivery: crate::Delivery) -> StoreResult<()> {
        self.write(move |conn| {
            match delivery {
                crate::Delivery::Sent { at } => {
                    conn.execute("UPDATE outbox SET state = 'sent', sent_at = ?1, last_error = NULL WHERE id = ?2", params![at, id])
                }
                crate::Delivery::Retry { at, error } => conn.execute(
                    "UPDATE outbox SET next_attempt_at = ?1, last_error = ?2 WHERE id = ?3 AND state = 'pending'",
                    params![at, error, id],
                ),
                crate::Delivery::Failed { error } => {
                    conn.execute("UPDATE outbox SET state = 'failed', last_error = ?1 WHERE id = ?2", params![error, id])
                }
            }
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn list_notices(&self, query: &crate::NoticeQuery) -> StoreResult<Vec<crate::Notice>> {
        let q = query.clone();
        self.read(move |conn| {
            let mut conds = vec!["1 = 1".to_string()];
            let mut args: Vec<Value> = Vec::new();
            if let Some(c) = q.channel {
                args.push(Value::Text(c));
                conds.push(format!("channel = ?{}", args.len()));
            }
            if let Some(r) = q.recipient {
                args.push(Value::Text(r));
                conds.push(format!("recipient = ?{}", args.len()));
            }
            if let Some(id) = q.case_id {
                args.push(Value::Integer(id));
                conds.push(format!("case_id = ?{}", args.len()));
            }
            if q.unread_only {
                conds.push("read_at IS NULL".into());
            }
            let sql = format!(
                "SELECT {NOTICE_COLUMNS} FROM outbox WHERE {} ORDER BY id DESC LIMIT {}",
                conds.join(" AND "),
                q.limit.clamp(1, 500)
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args), notice_of)
                .map_err(db_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_err)?;
            notices_from(rows)
        })
        .await
    }

    async fn mark_notice_read(&self, id: i64, recipient: &str, at: Millis) -> StoreResult<bool> {
        let recipient = recipient.to_string();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE outbox SET read_at = COALESCE(read_at, ?1) WHERE id = ?2 AND recipient = ?3 AND channel = 'inapp'",
                    params![at, id, recipient],
                )
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn set_duty(&self, day: &str, unit_id: UnitId, user_ids: &[UserId]) -> StoreResult<()> {
        let (day, user_ids) = (day.to_string(), user_ids.to_vec());
        self.write(move |conn| {
            conn.execute("DELETE FROM duty_roster WHERE day = ?1 AND unit_id = ?2", params![day, unit_id]).map_err(db_err)?;
            for u in user_ids {
                conn.execute("INSERT OR IGNORE INTO duty_roster (day, unit_id, user_id) VALUES (?1, ?2, ?3)", params![day, unit_id, u])
                    .map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn duty(&self, from: &str, to: &str) -> StoreResult<Vec<crate::DutyRecord>> {
        let (from, to) = (from.to_string(), to.to_string());
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT day, unit_id, user_id FROM duty_roster WHERE day >= ?1 AND day <= ?2 ORDER BY day, unit_id, user_id",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![from, to], |r| Ok(crate::DutyRecord { day: r.get(0)?, unit_id: r.get(1)?, user_id: r.get(2)? }))
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn save_catalogue(
        &self,
        data: &str,
        items: i64,
        at: Millis,
        by: Option<UserId>,
        note: Option<&str>,
    ) -> StoreResult<crate::CatalogueVersion> {
        let (data, note) = (data.to_string(), note.map(str::to_string));
        self.write(move |conn| {
            let version: i64 =
                conn.query_row("SELECT COALESCE(MAX(version), 0) + 1 FROM catalogue_versions", [], |r| r.get(0)).map_err(db_err)?;
            conn.execute(
                "INSERT INTO catalogue_versions (version, created_at, created_by, note, items, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![version, at, by, note, items, data],
            )
            .map_err(db_err)?;
            Ok(crate::CatalogueVersion { version, created_at: at, created_by: by, note, items, data })
        })
        .await
    }

    async fn catalogue(&self, version: Option<i64>) -> StoreResult<Option<crate::CatalogueVersion>> {
        self.read(move |conn| {
            let sql = "SELECT version, created_at, created_by, note, items, data FROM catalogue_versions \
                       WHERE version = COALESCE(?1, (SELECT MAX(version) FROM catalogue_versions))";
            conn.query_row(sql, [version], |r| {
                Ok(crate::CatalogueVersion {
                    version: r.get(0)?,
                    created_at: r.get(1)?,
                    created_by: r.get(2)?,
                    note: r.get(3)?,
                    items: r.get(4)?,
                    data: r.get(5)?,
                })
            })
            .optional()
            .map_err(db_err)
        })
        .await
    }

    async fn catalogue_versions(&self) -> StoreResult<Vec<crate::CatalogueVersion>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare("SELECT version, created_at, created_by, note, items FROM catalogue_versions ORDER BY version DESC")
                .map_err(db_err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(crate::CatalogueVersion {
                        version: r.get(0)?,
                        created_at: r.get(1)?,
                        created_by: r.get(2)?,
                        note: r.get(3)?,
                        items: r.get(4)?,
                        data: String::new(),
                    })
                })
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_string();
        self.read(move |conn| conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(db_err))
            .await
    }

    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn save_model(&self, m: crate::NewModel) -> StoreResult<crate::ModelInfo> {
        self.write(move |conn| {
            let version: i64 =
                conn.query_row("SELECT COALESCE(MAX(version), 0) + 1 FROM classifier_models", [], |r| r.get(0)).map_err(db_err)?;
            conn.execute(
                "INSERT INTO classifier_models (version, created_at, created_by, note, labels, examples, evaluation, active, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)",
                params![version, m.created_at, m.created_by, m.note, m.labels, m.examples, m.evaluation, m.data],
            )
            .map_err(db_err)?;
            Ok(crate::ModelInfo {
                version,
                created_at: m.created_at,
                created_by: m.created_by,
                note: m.note,
                labels: m.labels,
                examples: m.examples,
                evaluation: serde_json::from_str(&m.evaluation).unwrap_or(serde_json::Value::Null),
                active: false,
            })
        })
        .await
    }

    async fn models(&self) -> StoreResult<Vec<crate::ModelInfo>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT version, created_at, created_by, note, labels, examples, evaluation, active FROM classifier_models \
                     ORDER BY version DESC",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map([], |r| {
                    let evaluation: String = r.get(6)?;
                    Ok(crate::ModelInfo {
                        version: r.get(0)?,
                        created_at: r.get(1)?,
                        created_by: r.get(2)?,
                        note: r.get(3)?,
                        labels: r.get(4)?,
                        examples: r.get(5)?,
                        evaluation: serde_json::from_str(&evaluation).unwrap_or(serde_json::Value::Null),
                        active: r.get(7)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn model_data(&self, version: i64) -> StoreResult<Option<String>> {
        self.read(move |conn| {
            conn.query_row("SELECT data FROM classifier_models WHERE version = ?1", [version], |r| r.get(0)).optional().map_err(db_err)
        })
        .await
    }

    async fn activate_model(&self, version: i64) -> StoreResult<bool> {
        self.write(move |conn| {
            let exists: Option<i64> = conn
                .query_row("SELECT version FROM classifier_models WHERE version = ?1", [version], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            if exists.is_none() {
                return Ok(false);
            }
            conn.execute("UPDATE classifier_models SET active = (version = ?1)", [version]).map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    async fn scan_cases(&self, after_id: CaseId, limit: u32, only_with_item: bool) -> StoreResult<Vec<Case>> {
        self.read(move |conn| {
            let sql = if only_with_item {
                "SELECT data FROM cases WHERE id > ?1 AND catalogue_item IS NOT NULL ORDER BY id LIMIT ?2"
            } else {
                "SELECT data FROM cases WHERE id > ?1 ORDER BY id LIMIT ?2"
            };
            json_rows(&mut *conn.prepare_cached(sql).map_err(db_err)?, params![after_id, limit])
        })
        .await
    }

    async fn cases_changed_since(&self, since: Millis, after_id: CaseId, limit: u32) -> StoreResult<Vec<Case>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT data FROM cases WHERE updated_at > ?1 OR (updated_at = ?1 AND id > ?2) ORDER BY updated_at, id LIMIT ?3",
                )
                .map_err(db_err)?;
            json_rows(&mut stmt, params![since, after_id, limit])
        })
        .await
    }

    async fn closed_since(
        &self,
        since: Millis,
        item: Option<&str>,
        division_unit_id: Option<UnitId>,
        limit: u32,
    ) -> StoreResult<Vec<Case>> {
        let item = item.map(str::to_string);
        self.read(move |conn| {
            // `+state`: the closing time is the selective condition; SQLite would otherwise pick the
            // state index, which holds most of the table (1.3 s instead of 5 ms at 1M cases).
            let mut stmt = conn
                .prepare_cached(
                    "SELECT data FROM cases WHERE closed_at >= ?1 AND +state IN ('closed', 'archived') \
                     AND (catalogue_item = ?2 OR division_unit_id = ?3) ORDER BY closed_at DESC LIMIT ?4",
                )
                .map_err(db_err)?;
            json_rows(&mut stmt, params![since, item, division_unit_id, limit])
        })
        .await
    }
    // 知识库 and people registry
    async fn insert_person(&self, person: PersonDraft, at: Millis) -> StoreResult<PersonRecord> {
        self.write(move |conn| insert_person_tx(conn, person, at)).await
    }

    async fn import_people(&self, people: Vec<PersonDraft>, at: Millis) -> StoreResult<Vec<crate::ImportedPerson>> {
        // The writer runs each request in its own savepoint: one bad row undoes the whole import.
        self.write(move |conn| {
            let mut out = Vec::with_capacity(people.len());
            for p in people {
                let existing: Option<i64> = conn
                    .prepare_cached("SELECT id FROM people WHERE name = ?1 AND organisation = ?2")
                    .and_then(|mut s| s.query_row(params![p.name, p.organisation], |r| r.get(0)).optional())
                    .map_err(db_err)?;
                match existing {
                    Some(id) => {
                        let person = PersonRecord::from_draft(id, p, at);
                        update_person_tx(conn, &person)?;
                        out.push(crate::ImportedPerson { person, created: false });
                    }
                    None => out.push(crate::ImportedPerson { person: insert_person_tx(conn, p, at)?, created: true }),
                }
            }
            Ok(out)
        })
        .await
    }

    async fn update_person(&self, person: PersonRecord) -> StoreResult<PersonRecord> {
        self.write(move |conn| {
            update_person_tx(conn, &person)?;
            Ok(person)
        })
        .await
    }

    async fn get_person(&self, id: i64) -> StoreResult<Option<PersonRecord>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!("SELECT {} FROM people WHERE id = ?1", crate::registry::PERSON_COLUMNS))
                .and_then(|mut s| s.query_row([id], person_row).optional())
                .map_err(db_err)?;
            row.map(|r| r.into_record()).transpose()
        })
        .await
    }

    async fn list_people(&self, query: &crate::PeopleQuery) -> StoreResult<Vec<PersonRecord>> {
        let q = query.clone();
        self.read(move |conn| {
            let (cond, args) = crate::registry::people_conditions(&q, |i| format!("?{i}"))?;
            let sql = format!("SELECT {} FROM people WHERE {cond} ORDER BY id", crate::registry::PERSON_COLUMNS);
            let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.into_iter().map(sql_value)), person_row).map_err(db_err)?;
            rows.map(|r| r.map_err(db_err).and_then(|r| r.into_record())).collect()
        })
        .await
    }

    async fn people_loads(&self) -> StoreResult<Vec<crate::PersonLoad>> {
        self.read(|conn| {
            let sql = format!(
                "SELECT cp.person_id, COUNT(*) FROM case_people cp JOIN cases c ON c.id = cp.case_id \
                 WHERE cp.released_at IS NULL AND c.state IN ({}) GROUP BY cp.person_id ORDER BY cp.person_id",
                crate::registry::open_states_sql()
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt.query_map([], |r| Ok(crate::PersonLoad { person_id: r.get(0)?, open: r.get(1)? })).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn record_assignment(&self, case_id: CaseId, person_id: i64, at: Millis, by: Option<UserId>) -> StoreResult<()> {
        self.write(move |conn| {
            let case: Option<i64> =
                conn.query_row("SELECT id FROM cases WHERE id = ?1", [case_id], |r| r.get(0)).optional().map_err(db_err)?;
            if case.is_none() {
                return Err(StoreError::NotFound(format!("case {case_id}")));
            }
            assign_person_tx(conn, case_id, person_id, at, by)
        })
        .await
    }

    async fn case_people(&self, case_id: CaseId) -> StoreResult<Vec<crate::CasePerson>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT case_id, person_id, assigned_at, assigned_by, released_at FROM case_people WHERE case_id = ?1 ORDER BY assigned_at, person_id",
                )
                .map_err(db_err)?;
            let rows = stmt
                .query_map([case_id], |r| {
                    Ok(crate::CasePerson {
                        case_id: r.get(0)?,
                        person_id: r.get(1)?,
                        assigned_at: r.get(2)?,
                        assigned_by: r.get(3)?,
                        released_at: r.get(4)?,
                    })
                })
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn insert_articles(&self, articles: Vec<Article>, action: &str) -> StoreResult<Vec<Article>> {
        let action = action.to_string();
        self.write(move |conn| articles.into_iter().map(|a| insert_article_tx(conn, a, &action)).collect()).await
    }

    async fn update_article(&self, article: Article, expected_version: i64, action: &str, note: Option<&str>) -> StoreResult<Article> {
        let (action, note) = (action.to_string(), note.map(str::to_string));
        self.write(move |conn| {
            let a = &article;
            let n = conn
                .prepare_cached(
                    "UPDATE knowledge_articles SET title = ?1, body = ?2, category = ?3, unit_id = ?4, keywords = ?5, valid_from = ?6, \
                     valid_to = ?7, state = ?8, source = ?9, version = ?10, updated_by = ?11, updated_at = ?12, review_note = ?13 \
                     WHERE id = ?14 AND version = ?15",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        a.title,
                        a.body,
                        a.category,
                        a.unit_id,
                        to_json(&a.keywords).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                        crate::registry::date_text(a.valid_from),
                        crate::registry::date_text(a.valid_to),
                        a.state.as_str(),
                        a.source,
                        a.version,
                        a.updated_by,
                        a.updated_at,
                        a.review_note,
                        a.id,
                        expected_version,
                    ])
                })
                .map_err(db_err)?;
            if n == 0 {
                let actual: Option<i64> = conn
                    .query_row("SELECT version FROM knowledge_articles WHERE id = ?1", [a.id], |r| r.get(0))
                    .optional()
                    .map_err(db_err)?;
                return Err(match actual {
                    Some(actual) => StoreError::Conflict { case_id: a.id, expected: expected_version, actual },
                    None => StoreError::NotFound(format!("article {}", a.id)),
                });
            }
            insert_revision(conn, &article, &action, note.as_deref())?;
            Ok(article)
        })
        .await
    }

    async fn get_article(&self, id: i64) -> StoreResult<Option<Article>> {
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!("SELECT {} FROM knowledge_articles WHERE id = ?1", crate::registry::ARTICLE_COLUMNS))
                .and_then(|mut s| s.query_row([id], article_row).optional())
                .map_err(db_err)?;
            row.map(|r| r.into_article()).transpose()
        })
        .await
    }

    async fn list_articles(&self, query: &crate::ArticleQuery) -> StoreResult<Vec<Article>> {
        let q = query.clone();
        self.read(move |conn| {
            let (cond, args) = crate::registry::article_conditions(&q, |i| format!("?{i}"));
            let limit = q.limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
            let sql = format!(
                "SELECT {} FROM knowledge_articles WHERE {cond} ORDER BY updated_at DESC, id DESC{limit}",
                crate::registry::ARTICLE_COLUMNS
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.into_iter().map(sql_value)), article_row).map_err(db_err)?;
            rows.map(|r| r.map_err(db_err).and_then(|r| r.into_article())).collect()
        })
        .await
    }

    async fn article_history(&self, id: i64) -> StoreResult<Vec<crate::ArticleRevision>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT article_id, version, action, at, by_user, note, data FROM knowledge_revisions WHERE article_id = ?1 ORDER BY version")
                .map_err(db_err)?;
            let rows = stmt
                .query_map([id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?, r.get(4)?, r.get(5)?, r.get::<_, String>(6)?))
                })
                .map_err(db_err)?;
            rows.map(|r| {
                let (article_id, version, action, at, by, note, data) = r.map_err(db_err)?;
                Ok(crate::ArticleRevision { article_id, version, action, at, by, note, article: from_json(&data)? })
            })
            .collect()
        })
        .await
    }

    async fn link_thread(&self, channel: &str, key: &str, case_id: CaseId, at: Millis) -> StoreResult<()> {
        let (channel, key) = (channel.to_string(), key.to_string());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO channel_threads (channel, thread_key, case_id, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, thread_key) DO UPDATE SET case_id = excluded.case_id, updated_at = excluded.updated_at",
                params![channel, key, case_id, at],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn thread_case(&self, channel: &str, keys: &[String]) -> StoreResult<Option<CaseId>> {
        if keys.is_empty() {
            return Ok(None);
        }
        let (channel, keys) = (channel.to_string(), keys.to_vec());
        self.read(move |conn| {
            let marks = (0..keys.len()).map(|i| format!("?{}", i + 2)).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT case_id FROM channel_threads WHERE channel = ?1 AND thread_key IN ({marks}) ORDER BY updated_at DESC, case_id DESC LIMIT 1"
            );
            let mut args = vec![Value::Text(channel)];
            args.extend(keys.into_iter().map(Value::Text));
            conn.prepare_cached(&sql)
                .and_then(|mut st| st.query_row(rusqlite::params_from_iter(args), |r| r.get(0)).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn record_inbound(&self, channel: &str, message_id: &str, case_id: CaseId, at: Millis) -> StoreResult<bool> {
        let (channel, id) = (channel.to_string(), message_id.to_string());
        self.write(move |conn| {
            let n = conn
                .execute(
                    "INSERT INTO inbound_messages (channel, message_id, case_id, received_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![channel, id, case_id, at],
                )
                .map_err(db_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn inbound_case(&self, channel: &str, message_id: &str) -> StoreResult<Option<CaseId>> {
        let (channel, id) = (channel.to_string(), message_id.to_string());
        self.read(move |conn| {
            conn.prepare_cached("SELECT case_id FROM inbound_messages WHERE channel = ?1 AND message_id = ?2")
                .and_then(|mut st| st.query_row(params![channel, id], |r| r.get(0)).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn save_attachment(&self, record: &crate::AttachmentRecord) -> StoreResult<()> {
        let r = record.clone();
        let data = crate::to_json(&r.attachment)?;
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO attachments (id, case_id, sha256, uploaded_by, uploaded_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.attachment.id, r.case_id, r.attachment.sha256, r.uploaded_by, r.uploaded_at, data],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Duplicate(format!("attachment {}", r.attachment.id))
                }
                e => db_err(e),
            })?;
            Ok(())
        })
        .await
    }

    async fn get_attachments(&self, ids: &[String]) -> StoreResult<Vec<crate::AttachmentRecord>> {
        let ids = ids.to_vec();
        self.read(move |conn| {
            let mut out = Vec::with_capacity(ids.len());
            let mut st =
                conn.prepare_cached("SELECT case_id, uploaded_by, uploaded_at, data FROM attachments WHERE id = ?1").map_err(db_err)?;
            for id in &ids {
                if let Some(row) = st.query_row([id], attachment_row).optional().map_err(db_err)? {
                    out.push(attachment_of(row)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn attach_to_case(&self, ids: &[String], case_id: CaseId) -> StoreResult<()> {
        let ids = ids.to_vec();
        self.write(move |conn| {
            let mut st = conn.prepare_cached("UPDATE attachments SET case_id = ?1 WHERE id = ?2 AND case_id IS NULL").map_err(db_err)?;
            for id in &ids {
                st.execute(params![case_id, id]).map_err(db_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn case_attachments(&self, case_id: CaseId) -> StoreResult<Vec<crate::AttachmentRecord>> {
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT case_id, uploaded_by, uploaded_at, data FROM attachments WHERE case_id = ?1 ORDER BY uploaded_at, id",
                )
                .map_err(db_err)?;
            let rows = st.query_map([case_id], attachment_row).map_err(db_err)?.collect::<Result<Vec<_>, _>>().map_err(db_err)?;
            rows.into_iter().map(attachment_of).collect()
        })
        .await
    }

    async fn set_citizen_flag(&self, flag: &crate::CitizenFlag) -> StoreResult<()> {
        let f = flag.clone();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO citizen_flags (phone, active, reason, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (phone) DO UPDATE SET active = excluded.active, reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at",
                params![f.phone, f.active, f.reason, f.set_by, f.set_at],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn citizen_flag(&self, phone: &str) -> StoreResult<Option<crate::CitizenFlag>> {
        let phone = phone.to_string();
        self.read(move |conn| {
            conn.prepare_cached("SELECT phone, active, reason, set_by, set_at FROM citizen_flags WHERE phone = ?1")
                .and_then(|mut st| st.query_row([phone], citizen_flag_row).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn citizen_flags(&self) -> StoreResult<Vec<crate::CitizenFlag>> {
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached("SELECT phone, active, reason, set_by, set_at FROM citizen_flags ORDER BY active DESC, set_at DESC, phone")
                .map_err(db_err)?;
            let rows = st.query_map([], citizen_flag_row).map_err(db_err)?.collect::<Result<Vec<_>, _>>().map_err(db_err)?;
            Ok(rows)
        })
        .await
    }

    async fn knowledge_stamp(&self) -> StoreResult<crate::KnowledgeStamp> {
        self.read(|conn| {
            conn.query_row("SELECT COUNT(*), COALESCE(MAX(updated_at), 0), COALESCE(SUM(version), 0) FROM knowledge_articles", [], |r| {
                Ok(crate::KnowledgeStamp { count: r.get(0)?, max_updated_at: r.get(1)?, version_sum: r.get(2)? })
            })
            .map_err(db_err)
        })
        .await
    }
}

fn list_cases_sync(conn: &Connection, q: &CaseQuery) -> StoreResult<CasePage> {
    let limit = q.limit.clamp(1, 200) as i64;
    let mut sql = String::from("SELECT c.id, c.data FROM cases c");
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let f = &q.filter;
    // In a subtree list, drive the query from case_access so the (unit, state, case) index gives
    // the page in order without touching other units' cases.
    let id_col = match &q.scope {
        Scope::Subtree { unit_id } => {
            args.push(Value::Integer(*unit_id));
            sql.push_str(" JOIN case_access a ON a.case_id = c.id AND a.unit_id = ?");
            if let [state] = f.states.as_slice() {
                args.push(Value::Text(state.as_str().into()));
                sql.push_str(" AND a.state = ?");
            }
            "a.case_id"
        }
        Scope::Holder { unit_id } => {
            conds.push("c.handling_unit_id = ?".into());
            args.push(Value::Integer(*unit_id));
            "c.id"
        }
        Scope::ReceivedBy { user_id } => {
            conds.push("c.received_by = ?".into());
            args.push(Value::Integer(*user_id));
            "c.id"
        }
        Scope::All => "c.id",
    };
    let in_list = |col: &str, values: Vec<&str>, conds: &mut Vec<String>, args: &mut Vec<Value>| {
        if !values.is_empty() {
            conds.push(format!("{col} IN ({})", vec!["?"; values.len()].join(", ")));
            args.extend(values.into_iter().map(|v| Value::Text(v.to_string())));
        }
    };
    in_list("c.state", f.states.iter().map(|s| s.as_str()).collect(), &mut conds, &mut args);
    in_list("c.case_type", f.case_types.iter().map(|s| s.as_str()).collect(), &mut conds, &mut args);
    in_list("c.channel", f.channels.iter().map(|s| s.as_str()).collect(), &mut conds, &mut args);
    in_list("c.urgency", f.urgencies.iter().map(|s| s.as_str()).collect(), &mut conds, &mut args);
    in_list("c.catalogue_item", f.catalogue_items.iter().map(|s| s.as_str()).collect(), &mut conds, &mut args);
    if let Some(unit) = f.lead_unit_id {
        conds.push("c.lead_unit_id = ?".into());
        args.push(Value::Integer(unit));
    }
    if let Some(from) = f.from {
        conds.push("c.received_at >= ?".into());
        args.push(Value::Integer(from));
    }
    if let Some(to) = f.to {
        conds.push("c.received_at < ?".into());
        args.push(Value::Integer(to));
    }
    if let Some(text) = &f.text {
        let p = like_pattern(text);
        conds.push("(c.title LIKE ? ESCAPE '\\' OR c.text LIKE ? ESCAPE '\\')".into());
        args.push(Value::Text(p.clone()));
        args.push(Value::Text(p));
    }
    if let Some(phone) = &f.phone {
        conds.push("c.phone = ?".into());
        args.push(Value::Text(phone.clone()));
    }
    conds.extend(crate::warning_conditions(f));
    if let Some(before) = q.before_id {
        conds.push(format!("{id_col} < ?"));
        args.push(Value::Integer(before));
    }
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    sql.push_str(&format!(" ORDER BY {id_col} DESC LIMIT {}", limit + 1));
    let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).map_err(db_err)?;
    let mut cases = Vec::new();
    let mut more = false;
    for row in rows {
        let (_, data) = row.map_err(db_err)?;
        if cases.len() as i64 == limit {
            more = true;
            break;
        }
        cases.push(from_json::<Case>(&data)?);
    }
    let next_before_id = if more { cases.last().map(|c| c.id) } else { None };
    Ok(CasePage { cases, next_before_id })
}

// 知识库 and people registry: helpers of the impl above.

fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::registry::PersonRow> {
    Ok(crate::registry::PersonRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        organisation: r.get(3)?,
        phone: r.get(4)?,
        specialties: r.get(5)?,
        areas: r.get(6)?,
        capacity: r.get(7)?,
        active: r.get(8)?,
        note: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

fn article_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::registry::ArticleRow> {
    Ok(crate::registry::ArticleRow {
        id: r.get(0)?,
        title: r.get(1)?,
        body: r.get(2)?,
        category: r.get(3)?,
        unit_id: r.get(4)?,
        keywords: r.get(5)?,
        valid_from: r.get(6)?,
        valid_to: r.get(7)?,
        state: r.get(8)?,
        source: r.get(9)?,
        version: r.get(10)?,
        created_by: r.get(11)?,
        created_at: r.get(12)?,
        updated_by: r.get(13)?,
        updated_at: r.get(14)?,
        review_note: r.get(15)?,
    })
}

fn sql_value(v: crate::registry::SqlValue) -> Value {
    match v {
        crate::registry::SqlValue::Text(t) => Value::Text(t),
        crate::registry::SqlValue::Int(i) => Value::Integer(i),
        crate::registry::SqlValue::Bool(b) => Value::Integer(i64::from(b)),
    }
}

fn insert_person_tx(conn: &Connection, p: PersonDraft, at: Millis) -> StoreResult<PersonRecord> {
    conn.prepare_cached(
        "INSERT INTO people (name, kind, organisation, phone, specialties, areas, capacity, active, note, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            p.name,
            p.kind.as_str(),
            p.organisation,
            p.phone,
            to_json(&p.specialties).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            to_json(&p.areas).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            p.capacity,
            p.active,
            p.note,
            at,
        ])
    })
    .map_err(db_err)?;
    Ok(PersonRecord::from_draft(conn.last_insert_rowid(), p, at))
}

fn update_person_tx(conn: &Connection, p: &PersonRecord) -> StoreResult<()> {
    let n = conn
        .prepare_cached(
            "UPDATE people SET name = ?1, kind = ?2, organisation = ?3, phone = ?4, specialties = ?5, areas = ?6, capacity = ?7, \
             active = ?8, note = ?9, updated_at = ?10 WHERE id = ?11",
        )
        .and_then(|mut s| {
            s.execute(params![
                p.name,
                p.kind.as_str(),
                p.organisation,
                p.phone,
                to_json(&p.specialties).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                to_json(&p.areas).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                p.capacity,
                p.active,
                p.note,
                p.updated_at,
                p.id,
            ])
        })
        .map_err(db_err)?;
    if n == 0 { Err(StoreError::NotFound(format!("person {}", p.id))) } else { Ok(()) }
}

/// Puts a person on a case (again: a released assignment is taken up anew).
fn assign_person_tx(conn: &Connection, case_id: CaseId, person_id: i64, at: Millis, by: Option<UserId>) -> StoreResult<()> {
    let person: Option<i64> = conn
        .prepare_cached("SELECT id FROM people WHERE id = ?1")
        .and_then(|mut s| s.query_row([person_id], |r| r.get(0)).optional())
        .map_err(db_err)?;
    if person.is_none() {
        return Err(StoreError::NotFound(format!("person {person_id}")));
    }
    conn.prepare_cached(
        "INSERT INTO case_people (case_id, person_id, assigned_at, assigned_by, released_at) VALUES (?1, ?2, ?3, ?4, NULL) \
         ON CONFLICT (case_id, person_id) DO UPDATE SET assigned_at = excluded.assigned_at, assigned_by = excluded.assigned_by, released_at = NULL",
    )
    .and_then(|mut s| s.execute(params![case_id, person_id, at, by]))
    .map_err(db_err)?;
    Ok(())
}

fn insert_revision(conn: &Connection, a: &Article, action: &str, note: Option<&str>) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO knowledge_revisions (article_id, version, action, at, by_user, note, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            a.id,
            a.version,
            action,
            a.updated_at,
            a.updated_by,
            note,
            to_json(a).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?
        ])
    })
    .map_err(db_err)?;
    Ok(())
}

fn insert_article_tx(conn: &Connection, mut article: Article, action: &str) -> StoreResult<Article> {
    let a = &article;
    conn.prepare_cached(
        "INSERT INTO knowledge_articles (title, body, category, unit_id, keywords, valid_from, valid_to, state, source, version, \
         created_by, created_at, updated_by, updated_at, review_note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .and_then(|mut s| {
        s.execute(params![
            a.title,
            a.body,
            a.category,
            a.unit_id,
            to_json(&a.keywords).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            crate::registry::date_text(a.valid_from),
            crate::registry::date_text(a.valid_to),
            a.state.as_str(),
            a.source,
            a.version,
            a.created_by,
            a.created_at,
            a.updated_by,
            a.updated_at,
            a.review_note,
        ])
    })
    .map_err(db_err)?;
    article.id = conn.last_insert_rowid();
    insert_revision(conn, &article, action, None)?;
    Ok(article)
}

fn citizen_flag_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::CitizenFlag> {
    Ok(crate::CitizenFlag {
        phone: r.get(0)?,
        active: r.get(1)?,
        reason: r.get(2)?,
        set_by: r.get::<_, Option<i64>>(3)?,
        set_at: r.get(4)?,
    })
}

/// `case_id, uploaded_by, uploaded_at, data` of an attachment row.
type AttachmentRow = (Option<i64>, Option<i64>, i64, String);

fn attachment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AttachmentRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn attachment_of((case_id, uploaded_by, uploaded_at, data): AttachmentRow) -> StoreResult<crate::AttachmentRecord> {
    Ok(crate::AttachmentRecord { attachment: crate::from_json(&data)?, case_id, uploaded_by, uploaded_at })
}
