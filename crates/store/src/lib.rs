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

mod channels;
pub mod postgres;
mod registry;
mod rollup;
pub mod sqlite;

pub use channels::{AttachmentRecord, CitizenFlag};
pub use registry::{ArticleQuery, ArticleRevision, CasePerson, ImportedPerson, KnowledgeStamp, PeopleQuery, PersonLoad, PersonRecord};

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
    /// Notices the intake causes (the citizen's acknowledgement), written in the creating
    /// transaction. The number is not known before: the store sets `case_id` and replaces
    /// [`CASE_NUMBER_MARK`] in the dedup key, the body and the payload with the new number.
    pub notices: Vec<NewNotice>,
    /// The outside message this case is made from and the conversation keys that lead to it,
    /// written in the creating transaction: a message id recorded before makes the whole creation
    /// fail with [`StoreError::Duplicate`] (naming `inbound`), so one message is one case even
    /// when a sender retries after a crash or delivers twice at once.
    pub inbound: Option<InboundLink>,
}

/// An outside message and its conversation keys (see [`NewCase::inbound`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundLink {
    pub channel: String,
    pub message_id: String,
    pub thread_keys: Vec<String>,
}

/// Stands for the case number in the notices of a [`NewCase`].
pub const CASE_NUMBER_MARK: &str = "{case_number}";

impl NewCase {
    /// The notices with the new case's id and number filled in.
    pub fn notices_for(&self, case: &Case) -> Vec<NewNotice> {
        let number = case.number.as_str();
        self.notices
            .iter()
            .map(|n| {
                let payload = serde_json::to_string(&n.payload).unwrap_or_default().replace(CASE_NUMBER_MARK, number);
                NewNotice {
                    dedup_key: n.dedup_key.replace(CASE_NUMBER_MARK, number),
                    case_id: Some(case.id),
                    body: n.body.replace(CASE_NUMBER_MARK, number),
                    payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                    ..n.clone()
                }
            })
            .collect()
    }
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
    /// Notifications the change causes, written in the same transaction (the outbox).
    pub notices: Vec<NewNotice>,
}

/// A notification to deliver (通知): written with the event that causes it, delivered later by
/// a worker. Writing the same `dedup_key` twice is a no-op, so a retried change sends nothing twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNotice {
    pub dedup_key: String,
    pub case_id: Option<CaseId>,
    /// `inapp` (a staff member's notification list), `sms`, `email`, `wechat`...
    pub channel: String,
    /// A user id for `inapp`, a phone number, an e-mail address...
    pub recipient: String,
    /// Which template made the body (e.g. `urge`, `digest`).
    pub template: String,
    pub body: String,
    pub payload: serde_json::Value,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    Pending,
    Sent,
    Failed,
}

impl NoticeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeState::Pending => "pending",
            NoticeState::Sent => "sent",
            NoticeState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> NoticeState {
        match s {
            "sent" => NoticeState::Sent,
            "failed" => NoticeState::Failed,
            _ => NoticeState::Pending,
        }
    }
}

/// A notification as stored, with its delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub id: i64,
    pub dedup_key: String,
    pub case_id: Option<CaseId>,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub body: String,
    pub payload: serde_json::Value,
    pub created_at: Millis,
    pub state: NoticeState,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub sent_at: Option<Millis>,
    pub read_at: Option<Millis>,
    pub last_error: Option<String>,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Sent {
        at: Millis,
    },
    /// Try again at `at`.
    Retry {
        at: Millis,
        error: String,
    },
    /// Give up.
    Failed {
        error: String,
    },
}

/// Which notifications to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NoticeQuery {
    pub channel: Option<String>,
    pub recipient: Option<String>,
    pub case_id: Option<CaseId>,
    pub unread_only: bool,
    pub limit: u32,
}

/// A saved version of the catalogue (the items as JSON in `data`; empty in lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueVersion {
    pub version: i64,
    pub created_at: Millis,
    pub created_by: Option<UserId>,
    pub note: Option<String>,
    pub items: i64,
    #[serde(skip)]
    pub data: String,
}

/// One leader on duty (值班) at the centre on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyRecord {
    /// `YYYY-MM-DD`, China time.
    pub day: String,
    pub unit_id: UnitId,
    pub user_id: UserId,
}

/// How facts are grouped for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKey {
    /// The lead unit.
    Unit,
    /// The unit that recorded the rating (its leader called back).
    CallbackUnit,
    Channel,
    CaseType,
    CatalogueItem,
    /// The China day of receipt, as days since 1970-01-01.
    Day,
    /// Everything in one group.
    All,
}

/// A range of facts to sum.
#[derive(Debug, Clone, PartialEq)]
pub struct FactQuery {
    /// Received at or after.
    pub from: Millis,
    /// Received before.
    pub to: Millis,
    pub by: FactKey,
    /// Only cases led by this unit or a unit below it (a materialised path like `/1/4/`).
    pub unit_path: Option<String>,
}

/// The sums of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct FactGroup {
    /// The group's key as text (a unit id, a channel code, a day number); `None` for no unit.
    pub key: Option<String>,
    pub totals: minsheng_domain::metrics::Totals,
    /// Handling-time histogram: (bucket, count).
    pub buckets: Vec<(i32, i64)>,
}

/// The fact row of a case, as both engines write it.
pub(crate) struct FactsRow {
    pub facts: minsheng_domain::metrics::CaseFacts,
    pub unit_path: Option<String>,
    pub channel: &'static str,
    pub case_type: &'static str,
    pub catalogue_item: Option<String>,
}

impl FactsRow {
    pub fn of(case: &Case) -> FactsRow {
        FactsRow {
            facts: minsheng_domain::metrics::CaseFacts::of(case),
            unit_path: case.lead_unit.as_ref().map(|u| u.path.clone()),
            channel: case.intake.channel.as_str(),
            case_type: case.intake.case_type.as_str(),
            catalogue_item: case.intake.catalogue_item.clone(),
        }
    }

    /// The counter columns in [`minsheng_domain::metrics::Counter::SUMMED`] order.
    pub fn values(&self) -> Vec<i64> {
        minsheng_domain::metrics::Counter::SUMMED.iter().map(|c| self.facts.values.get(*c)).collect()
    }
}

/// `col1, col2, …` of the counter columns.
pub(crate) fn counter_columns() -> String {
    minsheng_domain::metrics::Counter::SUMMED.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

/// `SUM(col1), SUM(col2), …`.
pub(crate) fn counter_sums() -> String {
    minsheng_domain::metrics::Counter::SUMMED.iter().map(|c| format!("SUM({})", c.as_str())).collect::<Vec<_>>().join(", ")
}

/// Groups rows of (key, sums…) and (key, bucket, count) into [`FactGroup`]s.
pub(crate) fn assemble_groups(
    sums: Vec<(Option<String>, Vec<i64>)>,
    buckets: Vec<(Option<String>, i32, i64)>,
    by: FactKey,
) -> Vec<FactGroup> {
    use minsheng_domain::metrics::{Counter, Totals};
    let mut groups: Vec<FactGroup> = sums
        .into_iter()
        .map(|(key, values)| {
            let mut totals = Totals::default();
            for (c, v) in Counter::SUMMED.iter().zip(values) {
                totals.set(*c, v);
            }
            FactGroup { key, totals, buckets: Vec::new() }
        })
        .collect();
    let mut index: std::collections::HashMap<Option<String>, usize> = groups.iter().enumerate().map(|(i, g)| (g.key.clone(), i)).collect();
    for (key, bucket, n) in buckets {
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push(FactGroup { key, totals: Totals::default(), buckets: Vec::new() });
            groups.len() - 1
        });
        groups[i].buckets.push((bucket, n));
    }
    if by == FactKey::CallbackUnit {
        // Only the count of ratings made belongs to the unit that called back.
        for g in &mut groups {
            let made = g.totals.get(Counter::Rated);
            g.totals = Totals::default();
            g.totals.set(Counter::CallbacksMade, made);
            g.buckets.clear();
        }
    }
    groups
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
    /// Cases with a running clock past its yellow line (预警) or past its deadline (超时).
    #[serde(default)]
    pub warning: Option<minsheng_domain::deadline::Light>,
    /// Cases under supervision (督办) at this level or above.
    #[serde(default)]
    pub supervision: Option<minsheng_domain::case::Supervision>,
    /// Cases whose catalogue item (事项) is one of these codes (Open311 `service_code`).
    #[serde(default)]
    pub catalogue_items: Vec<String>,
}

/// The SQL condition (over `c`, the cases table) of the warning and supervision filters; the same
/// text on both engines.
pub(crate) fn warning_conditions(f: &CaseFilter) -> Vec<String> {
    use minsheng_domain::case::Supervision;
    use minsheng_domain::deadline::Light;
    let mut out = Vec::new();
    match f.warning {
        Some(Light::Red) => out.push("EXISTS (SELECT 1 FROM case_clocks k WHERE k.case_id = c.id AND k.active AND k.red_fired_at IS NOT NULL)".into()),
        Some(Light::Yellow) => out.push(
            "EXISTS (SELECT 1 FROM case_clocks k WHERE k.case_id = c.id AND k.active AND (k.yellow_fired_at IS NOT NULL OR k.red_fired_at IS NOT NULL))".into(),
        ),
        _ => {}
    }
    match f.supervision {
        Some(Supervision::Red) => out.push("c.supervision = 'red'".into()),
        Some(Supervision::Yellow) => out.push("c.supervision <> 'none'".into()),
        _ => {}
    }
    out
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

    /// Sums the metric facts of cases received in a range, grouped; with handling-time histograms.
    async fn aggregate_facts(&self, query: &FactQuery) -> StoreResult<Vec<FactGroup>>;
    /// Cases whose last rating was 不满意, recorded in `[from, to)`, oldest first.
    async fn unsatisfied_between(&self, from: Millis, to: Millis, limit: u32) -> StoreResult<Vec<Case>>;
    /// Cases of this catalogue item received since `since` by this phone or at this place.
    async fn count_repeats(&self, item: &str, phone: Option<&str>, division_unit_id: Option<UnitId>, since: Millis) -> StoreResult<i64>;

    /// Adds notifications outside a case change (digests, system messages); duplicates are ignored.
    async fn enqueue_notices(&self, notices: Vec<NewNotice>) -> StoreResult<()>;
    /// Leases up to `limit` pending notifications of these channels that are due at `now`, until
    /// `lease_until`; with several nodes each notification is leased by one.
    async fn claim_notices(&self, channels: &[String], now: Millis, lease_until: Millis, limit: u32) -> StoreResult<Vec<Notice>>;
    async fn finish_notice(&self, id: i64, delivery: Delivery) -> StoreResult<()>;
    async fn list_notices(&self, query: &NoticeQuery) -> StoreResult<Vec<Notice>>;
    /// Marks a recipient's notification read; false if there is none such.
    async fn mark_notice_read(&self, id: i64, recipient: &str, at: Millis) -> StoreResult<bool>;

    /// Replaces who is on duty for one unit on one day.
    async fn set_duty(&self, day: &str, unit_id: UnitId, user_ids: &[UserId]) -> StoreResult<()>;
    /// The roster for days in `[from, to]` (`YYYY-MM-DD`).
    async fn duty(&self, from: &str, to: &str) -> StoreResult<Vec<DutyRecord>>;

    /// Saves a new catalogue version (the next number) and returns it.
    async fn save_catalogue(
        &self,
        data: &str,
        items: i64,
        at: Millis,
        by: Option<UserId>,
        note: Option<&str>,
    ) -> StoreResult<CatalogueVersion>;
    /// One version, or the latest with `None`.
    async fn catalogue(&self, version: Option<i64>) -> StoreResult<Option<CatalogueVersion>>;
    /// Every version, newest first, without the data.
    async fn catalogue_versions(&self) -> StoreResult<Vec<CatalogueVersion>>;

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    // Classifier models and followers of the case table.
    /// Saves a trained model as the next version (not active yet).
    async fn save_model(&self, model: NewModel) -> StoreResult<ModelInfo>;
    /// Every model, newest first, without the model data.
    async fn models(&self) -> StoreResult<Vec<ModelInfo>>;
    /// The model data (JSON) of one version.
    async fn model_data(&self, version: i64) -> StoreResult<Option<String>>;
    /// Makes one version the active model (and no other); false if there is no such version.
    async fn activate_model(&self, version: i64) -> StoreResult<bool>;
    /// Cases in id order after `after_id`; with `only_with_item`, those with a catalogue item
    /// (the history a classifier learns from). For rebuilds and retraining.
    async fn scan_cases(&self, after_id: CaseId, limit: u32, only_with_item: bool) -> StoreResult<Vec<Case>>;
    /// Cases changed after `(since, after_id)` in `(updated_at, id)` order: what a follower
    /// (a node's search index) has not seen yet.
    async fn cases_changed_since(&self, since: Millis, after_id: CaseId, limit: u32) -> StoreResult<Vec<Case>>;
    /// Cases closed at or after `since` with this catalogue item or in this division (回潮 candidates).
    async fn closed_since(&self, since: Millis, item: Option<&str>, division_unit_id: Option<UnitId>, limit: u32)
    -> StoreResult<Vec<Case>>;

    // 知识库 and people registry
    /// Adds a person to the registry (人员库); a person of the same name and organisation is a
    /// [`StoreError::Duplicate`].
    async fn insert_person(&self, person: minsheng_domain::people::PersonDraft, at: Millis) -> StoreResult<PersonRecord>;
    /// Adds or updates (by name and organisation) many people in one transaction: all or nothing.
    async fn import_people(&self, people: Vec<minsheng_domain::people::PersonDraft>, at: Millis) -> StoreResult<Vec<ImportedPerson>>;
    /// Rewrites a person (by id) with the record's fields and `updated_at`.
    async fn update_person(&self, person: PersonRecord) -> StoreResult<PersonRecord>;
    async fn get_person(&self, id: i64) -> StoreResult<Option<PersonRecord>>;
    /// People by name within kind, filtered.
    async fn list_people(&self, query: &PeopleQuery) -> StoreResult<Vec<PersonRecord>>;
    /// The open cases of every person who has any (people without are not listed).
    async fn people_loads(&self) -> StoreResult<Vec<PersonLoad>>;
    /// Puts a person on a case outside a case change (imports, repairs). The usual path is the
    /// case's `person_assigned` event, which `append` records in the same transaction.
    async fn record_assignment(&self, case_id: CaseId, person_id: i64, at: Millis, by: Option<UserId>) -> StoreResult<()>;
    /// The people on a case, in the order they were assigned.
    async fn case_people(&self, case_id: CaseId) -> StoreResult<Vec<CasePerson>>;
    /// Stores new knowledge articles as given (the store allocates the ids; states, versions and
    /// stamps are the caller's) and records each as revision `action`; one transaction.
    async fn insert_articles(
        &self,
        articles: Vec<minsheng_domain::knowledge::Article>,
        action: &str,
    ) -> StoreResult<Vec<minsheng_domain::knowledge::Article>>;
    /// Replaces an article if its stored version is still `expected_version`, else
    /// [`StoreError::Conflict`] (with the article id in `case_id`); records the revision.
    async fn update_article(
        &self,
        article: minsheng_domain::knowledge::Article,
        expected_version: i64,
        action: &str,
        note: Option<&str>,
    ) -> StoreResult<minsheng_domain::knowledge::Article>;
    async fn get_article(&self, id: i64) -> StoreResult<Option<minsheng_domain::knowledge::Article>>;
    async fn list_articles(&self, query: &ArticleQuery) -> StoreResult<Vec<minsheng_domain::knowledge::Article>>;
    /// Every saved version of an article, oldest first.
    async fn article_history(&self, id: i64) -> StoreResult<Vec<ArticleRevision>>;
    async fn knowledge_stamp(&self) -> StoreResult<KnowledgeStamp>;

    // 渠道: threads, inbound ids, attachments, citizen flags
    /// Records that an outside conversation key (an e-mail Message-ID, a WeChat OpenID...) belongs
    /// to a case; the latest link of a key wins.
    async fn link_thread(&self, channel: &str, key: &str, case_id: CaseId, at: Millis) -> StoreResult<()>;
    /// The case most recently linked to any of these keys.
    async fn thread_case(&self, channel: &str, keys: &[String]) -> StoreResult<Option<CaseId>>;
    /// Records an inbound message id as handled into `case_id`; false (and nothing changes) when the
    /// id was recorded before.
    async fn record_inbound(&self, channel: &str, message_id: &str, case_id: CaseId, at: Millis) -> StoreResult<bool>;
    /// The case an inbound message id was handled into.
    async fn inbound_case(&self, channel: &str, message_id: &str) -> StoreResult<Option<CaseId>>;
    /// Stores an attachment's metadata (its id is new).
    async fn save_attachment(&self, record: &AttachmentRecord) -> StoreResult<()>;
    /// The attachments with these ids that exist, in the order asked.
    async fn get_attachments(&self, ids: &[String]) -> StoreResult<Vec<AttachmentRecord>>;
    /// Makes these attachments the case's (those already another case's are left alone).
    async fn attach_to_case(&self, ids: &[String], case_id: CaseId) -> StoreResult<()>;
    async fn case_attachments(&self, case_id: CaseId) -> StoreResult<Vec<AttachmentRecord>>;
    /// Sets or replaces the flag of a phone number.
    async fn set_citizen_flag(&self, flag: &CitizenFlag) -> StoreResult<()>;
    async fn citizen_flag(&self, phone: &str) -> StoreResult<Option<CitizenFlag>>;
    /// Every flag, active first, newest first.
    async fn citizen_flags(&self) -> StoreResult<Vec<CitizenFlag>>;
}

/// A trained classifier to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub created_at: Millis,
    pub created_by: Option<UserId>,
    pub note: Option<String>,
    pub labels: i64,
    pub examples: i64,
    /// The evaluation as JSON.
    pub evaluation: String,
    /// The model as JSON.
    pub data: String,
}

/// A saved classifier model, without its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub version: i64,
    pub created_at: Millis,
    pub created_by: Option<UserId>,
    pub note: Option<String>,
    pub labels: i64,
    pub examples: i64,
    pub evaluation: serde_json::Value,
    pub active: bool,
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
    pub supervision: &'static str,
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
            supervision: case.supervision.as_str(),
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
