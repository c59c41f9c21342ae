//! Storage behind one interface. [`Store`] is the contract; `sqlite` (embedded, the default) and
//! `postgres` (for deployments on several machines) implement it, each with its own migrations,
//! and `tests/conformance.rs` runs one suite against both in every test run.
//!
//! Design: a case is stored twice in one transaction — its append-only events (the truth) and
//! its current state (the fold, for queries). `case_access` lists, for each case, every unit whose
//! lists must show it (involved units and their ancestors) so a unit's subtree is one index range.

use async_trait::async_trait;
use minsheng_domain::case::{Case, CaseId, CaseState, CaseType, Channel, Intake, Urgency};
use minsheng_domain::event::{ActorStamp, Event, EventKind};
use minsheng_domain::org::{Role, UnitId, UnitKind, UserId};
use minsheng_domain::{DomainError, Millis};
use serde::{Deserialize, Serialize};

pub mod postgres;
pub mod sqlite;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Optimistic versioning lost: someone else appended first.
    #[error("version conflict on case {case_id}: expected {expected}, found {actual}")]
    Conflict { case_id: CaseId, expected: i64, actual: i64 },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { expected, actual, .. } => DomainError::conflict(expected, actual),
            StoreError::NotFound(what) => DomainError::not_found("记录", &what),
            StoreError::Duplicate(what) => {
                DomainError::new(minsheng_domain::ErrorCode::AlreadyExists, format!("已存在：{what}"), format!("already exists: {what}"))
            }
            StoreError::Database(msg) | StoreError::Corrupt(msg) => {
                tracing::error!(error = %msg, "storage failure");
                DomainError::internal()
            }
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A unit of the organisation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRecord {
    pub id: UnitId,
    /// Stable business code: the statistical division code for territorial units
    /// (e.g. `460106001`), a mnemonic for departments (e.g. `HK-CGJ`).
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub path: String,
    /// The administrative division the unit serves (区划代码), for territorial routing.
    pub division_code: Option<String>,
    /// For departments and companies: the type of department (城管, 住建...) used by routing.
    pub department_type: Option<String>,
    pub active: bool,
}

impl UnitRecord {
    pub fn as_ref(&self) -> minsheng_domain::org::UnitRef {
        minsheng_domain::org::UnitRef {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind,
            parent_id: self.parent_id,
            path: self.path.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub division_code: Option<String>,
    pub department_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: UserId,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub phone: Option<String>,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub active: bool,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    /// The public part of the key, shown in lists; the secret is only ever stored hashed.
    pub prefix: String,
    #[serde(skip_serializing)]
    pub secret_hash: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub created_at: Millis,
}

/// A case to create. The store allocates the id and the case number (prefix + China date of
/// `at` + daily sequence) and writes the `Received` event, then the follow-ups in `then` (e.g.
/// `Forwarded`, or a whole closed history for an import) — all in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub number_prefix: String,
    pub intake: Intake,
    pub at: Millis,
    pub actor: ActorStamp,
    pub then: Vec<FollowUp>,
    /// The clocks running once `then` is applied (computed by the application).
    pub deadlines: Option<Vec<minsheng_domain::deadline::Deadline>>,
}

/// An event written right after `Received` in the creating transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub kind: EventKind,
    pub note: Option<String>,
    /// Defaults to the intake time; imports give the historical time.
    pub at: Option<Millis>,
    /// Defaults to the receiving actor.
    pub actor: Option<ActorStamp>,
}

/// New events for one case and the state they lead to. Written only if the stored version is
/// still `expected_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseChange {
    pub case: Case,
    pub expected_version: i64,
    pub events: Vec<Event>,
    /// Warnings this change raises: each marks its clock's level as fired, and the whole change
    /// fails with [`StoreError::Conflict`] if that level had fired already (so it fires once).
    pub fires: Vec<ClockFire>,
}

/// One level of one clock instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockFire {
    pub step: minsheng_domain::deadline::Step,
    pub started_at: Millis,
    /// Yellow or red.
    pub level: minsheng_domain::deadline::Light,
}

/// A clock level whose time has come and that has not fired yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueClock {
    pub case_id: CaseId,
    pub fire: ClockFire,
    /// When it was due to fire (the yellow line or the deadline).
    pub at: Millis,
}

pub(crate) fn step_of(s: &str) -> Option<minsheng_domain::deadline::Step> {
    minsheng_domain::deadline::Step::ALL.into_iter().find(|st| st.as_str() == s)
}

/// Which cases a list may contain, before filters. Decided by the application layer from the
/// actor; the store only executes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Every case (centre roles).
    All,
    /// Cases any unit of this subtree is or was involved in.
    Subtree { unit_id: UnitId },
    /// Cases this unit holds now (its inbox).
    Holder { unit_id: UnitId },
    /// Cases this user took in (a grid worker's reports).
    ReceivedBy { user_id: UserId },
}

/// Filters over a case list. Empty vectors and `None` mean "no filter".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CaseFilter {
    pub states: Vec<CaseState>,
    /// Cases whose lead unit is this one.
    pub lead_unit_id: Option<UnitId>,
    pub case_types: Vec<CaseType>,
    pub channels: Vec<Channel>,
    pub urgencies: Vec<Urgency>,
    /// Received at or after.
    pub from: Option<Millis>,
    /// Received before.
    pub to: Option<Millis>,
    /// Title or text contains this (plain substring).
    pub text: Option<String>,
    /// The citizen's phone number, exactly (caller history).
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseQuery {
    pub scope: Scope,
    pub filter: CaseFilter,
    /// Return cases with ids below this one (newest first).
    pub before_id: Option<CaseId>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CasePage {
    pub cases: Vec<Case>,
    /// The `before_id` of the next page, if there may be one.
    pub next_before_id: Option<CaseId>,
}

/// A column as the schema test compares it across engines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnShape {
    pub table: String,
    pub column: String,
    /// Normalised: `integer`, `text`, `real`, `boolean`.
    pub kind: String,
    pub nullable: bool,
}

/// The storage contract. Every method is one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn engine(&self) -> Engine;

    /// Applies pending migrations; safe to call on every start.
    async fn migrate(&self) -> StoreResult<()>;

    /// The tables and columns, normalised, for the schema-agreement test.
    async fn schema(&self) -> StoreResult<Vec<ColumnShape>>;

    async fn insert_unit(&self, unit: NewUnit) -> StoreResult<UnitRecord>;
    async fn get_unit(&self, id: UnitId) -> StoreResult<Option<UnitRecord>>;
    async fn unit_by_code(&self, code: &str) -> StoreResult<Option<UnitRecord>>;
    async fn list_units(&self) -> StoreResult<Vec<UnitRecord>>;

    async fn insert_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    async fn get_user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>>;
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>>;
    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()>;

    async fn insert_session(&self, token_hash: &str, user_id: UserId, created_at: Millis, expires_at: Millis) -> StoreResult<()>;
    /// The user of a live session, if it has not expired at `now`.
    async fn session_user(&self, token_hash: &str, now: Millis) -> StoreResult<Option<UserId>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    async fn insert_api_key(&self, key: NewApiKey) -> StoreResult<ApiKeyRecord>;
    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>>;
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Returns false if there was no such live key.
    async fn revoke_api_key(&self, id: i64, at: Millis) -> StoreResult<bool>;

    async fn create_case(&self, new: NewCase) -> StoreResult<Case>;
    /// Many cases in one transaction (imports); all or nothing.
    async fn create_cases(&self, batch: Vec<NewCase>) -> StoreResult<Vec<Case>>;
    async fn get_case(&self, id: CaseId) -> StoreResult<Option<Case>>;
    async fn case_by_number(&self, number: &str) -> StoreResult<Option<Case>>;
    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<Event>>;
    /// Appends events to one or more cases (a merge touches two) atomically; fails whole with
    /// [`StoreError::Conflict`] if any case moved on.
    async fn append(&self, changes: Vec<CaseChange>) -> StoreResult<Vec<Case>>;
    async fn list_cases(&self, query: &CaseQuery) -> StoreResult<CasePage>;
    async fn count_cases(&self) -> StoreResult<i64>;

    /// Clock levels due at `now` that have not fired, earliest first, at most `limit`.
    async fn due_clocks(&self, now: Millis, limit: u32) -> StoreResult<Vec<DueClock>>;

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

/// Builds the case a `NewCase` describes once the store has its id and number: the `Received`
/// event and the follow-up events, folded. Shared by both engines so they cannot disagree.
pub fn build_new_case(id: CaseId, number: minsheng_domain::value::CaseNumber, new: &NewCase) -> (Case, Vec<Event>) {
    let mut events = vec![Event {
        seq: 1,
        at: new.at,
        actor: new.actor.clone(),
        kind: EventKind::Received { intake: new.intake.clone() },
        note: None,
        deadlines: None,
    }];
    let mut case = Case::new(id, number, new.intake.clone(), new.at, new.actor.user_id);
    for f in &new.then {
        let e = Event {
            seq: case.version + 1,
            at: f.at.unwrap_or(new.at),
            actor: f.actor.clone().unwrap_or_else(|| new.actor.clone()),
            kind: f.kind.clone(),
            note: f.note.clone(),
            deadlines: None,
        };
        case.apply(&e);
        events.push(e);
    }
    // The clocks the application computed for the new case belong to its last intake event.
    if let (Some(deadlines), Some(last)) = (&new.deadlines, events.last_mut()) {
        last.deadlines = Some(deadlines.clone());
        case.deadlines = deadlines.clone();
    }
    (case, events)
}

/// The columns of the `cases` table that mirror the case's state for filtering and indexes.
pub(crate) struct CaseColumns<'a> {
    pub state: &'static str,
    pub channel: &'static str,
    pub case_type: &'static str,
    pub urgency: &'static str,
    pub lead_unit_id: Option<UnitId>,
    pub handling_unit_id: Option<UnitId>,
    pub title: &'a str,
    pub text: &'a str,
    pub phone: Option<&'a str>,
    pub received_by: Option<UserId>,
    pub division_unit_id: Option<UnitId>,
    pub catalogue_item: Option<&'a str>,
    pub closed_at: Option<Millis>,
}

impl<'a> CaseColumns<'a> {
    pub fn of(case: &'a Case) -> Self {
        CaseColumns {
            state: case.state.as_str(),
            channel: case.intake.channel.as_str(),
            case_type: case.intake.case_type.as_str(),
            urgency: case.intake.urgency.as_str(),
            lead_unit_id: case.lead_unit.as_ref().map(|u| u.id),
            handling_unit_id: case.handling_unit.as_ref().map(|u| u.id),
            title: case.intake.title.as_str(),
            text: case.intake.text.as_str(),
            phone: case.intake.citizen.phone.as_ref().map(|p| p.as_str()),
            received_by: case.received_by,
            division_unit_id: case.intake.place.division_unit_id,
            catalogue_item: case.intake.catalogue_item.as_deref(),
            closed_at: case.closed_at,
        }
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Escapes `%`, `_` and `\` so user text in a LIKE pattern matches literally.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Opens the store a database URL names: `sqlite://PATH` (or `sqlite::memory:`) or `postgres://…`.
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(postgres::PgStore::connect(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        Ok(std::sync::Arc::new(sqlite::SqliteStore::open(path)?))
    } else {
        Err(StoreError::Database(format!("unsupported database URL (use sqlite://PATH or postgres://…): {url}")))
    }
}
