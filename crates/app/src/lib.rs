//! Use cases of minsheng: each loads what it needs, asks the domain to decide, and saves the
//! result in one transaction. Access is decided here (and in the domain), never only in handlers.
//!
//! # Layout
//! - [`service`]: the case use cases (create, act, list, read, track).
//! - [`auth`]: passwords (argon2), sessions, bearer tokens and API keys → an [`minsheng_domain::org::Actor`].
//! - [`org`]: units and users for administrators.
//! - [`clock`]: time as a parameter.
//! - [`demo`]: the demo city of 海口市 (units, departments, companies, users for every role).
//! - [`import`]: historical cases from CSV.
//! - [`people`]: the registry of mediators, legal aid and experts (人员库) and who suits a case.
//! - [`knowledge`]: the knowledge base (知识库): articles, review, search, suggestions for a case.

use std::sync::Arc;

use minsheng_domain::lifecycle::Rules;
use minsheng_store::Store;
use serde::{Deserialize, Serialize};

pub mod abuse;
pub mod attachments;
pub mod auth;
pub mod calendar;
pub mod catalogue;
pub mod channels;
pub mod citizens;
pub mod classifier;
pub mod clock;
pub mod demo;
pub mod import;
pub mod knowledge;
pub mod ladder;
pub mod metrics;
pub mod notify;
pub mod open311;
pub mod org;
pub mod outbox;
pub mod people;
pub mod place;
pub mod routing;
pub mod scheduler;
pub mod search;
pub mod service;
pub mod similar;
pub mod sms;

pub use clock::{Clock, ManualClock, SystemClock};

/// Settings that shape behaviour; stored in the database so every node agrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// 城市代码: the prefix of case numbers (HK for Haikou).
    pub number_prefix: String,
    pub rules: Rules,
    /// 时限: the limit of each step per urgency.
    pub limits: minsheng_domain::deadline::TimeLimits,
    /// The thresholds of the escalation ladder (督办, 领导领办).
    pub escalation: minsheng_domain::escalation::EscalationRules,
    /// The address citizens reach the platform at (tracking links in notices), e.g.
    /// `https://12345.haikou.gov.cn`.
    pub public_url: String,
    /// Rate limits of the public doors (防刷).
    pub public_limits: abuse::PublicLimits,
    /// The SMS gateway (短信网关): webhook secret and where to send. Secrets come from each
    /// node's configuration file, never from the shared settings.
    #[serde(skip)]
    pub sms: sms::SmsSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            number_prefix: "HK".into(),
            rules: Rules::default(),
            limits: Default::default(),
            escalation: Default::default(),
            public_url: "http://127.0.0.1:8080".into(),
            public_limits: Default::default(),
            sms: Default::default(),
        }
    }
}

/// Setting key of the escalation thresholds.
pub const ESCALATION_KEY: &str = "escalation";

/// The application: the store, the clock and the settings, shared by every edge.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub(crate) credentials: Arc<auth::CredentialCache>,
    /// The working calendar deadlines are counted on; swapped whole when a year is imported.
    pub(crate) calendar: Arc<std::sync::RwLock<Arc<minsheng_calendar::WorkingCalendar>>>,
    pub(crate) directory: Arc<std::sync::Mutex<ladder::Directory>>,
    /// The thresholds of the escalation ladder in force (setting `escalation`, else `settings`).
    pub(crate) escalation: Arc<std::sync::RwLock<minsheng_domain::escalation::EscalationRules>>,
    /// The uploaded grid polygons (网格), loaded on first use: `None` until then.
    pub(crate) grids: Arc<std::sync::RwLock<Option<Option<Arc<minsheng_place::PolygonIndex>>>>>,
    /// The responsibility catalogue in force; swapped whole when a version is saved.
    pub(crate) catalogue: Arc<std::sync::RwLock<Arc<minsheng_domain::catalogue::Catalogue>>>,
    /// 知识库: this node's search index over the articles, built on first use.
    pub(crate) knowledge: Arc<knowledge::KnowledgeIndex>,
    /// The active classifier model and when this node last checked which one is active.
    #[allow(clippy::type_complexity)]
    pub(crate) model: Arc<std::sync::RwLock<Option<(Option<Arc<classifier::ActiveModel>>, minsheng_domain::Millis)>>>,
    /// Retraining started on this node through the API.
    pub(crate) training: Arc<std::sync::Mutex<classifier::TrainingStatus>>,
    /// This node's case search index (工单检索), and one follower of the case table at a time.
    pub(crate) search: Arc<std::sync::RwLock<Option<minsheng_search::CaseIndex>>>,
    pub(crate) search_sync: Arc<tokio::sync::Mutex<()>>,
    /// The public statistics as last computed on this node, and when.
    pub(crate) public_stats: Arc<std::sync::Mutex<Option<(minsheng_domain::Millis, metrics::PublicStats)>>>,
    /// Where attachment bytes are kept (附件存储).
    pub blobs: Arc<dyn attachments::BlobStore>,
    /// This node's counters of the public doors.
    pub(crate) limiter: Arc<abuse::Limiter>,
    /// Woken when this node writes notices, so its delivery workers need not wait for their
    /// next poll (other nodes' notices are found by the poll).
    /// (A watch, not a `Notify`: a worker busy with a round still sees the write afterwards.)
    pub outbox_written: Arc<tokio::sync::watch::Sender<u64>>,
    /// The notice templates as last read, and when.
    pub(crate) templates: Arc<std::sync::Mutex<Option<(minsheng_domain::Millis, outbox::Templates)>>>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        let escalation = settings.escalation.clone();
        // The shipped calendar is embedded and validated by its tests; an empty one (weekends
        // only) is the fallback should it ever fail to parse.
        let calendar = minsheng_calendar::WorkingCalendar::shipped().unwrap_or_default();
        App {
            store,
            clock,
            settings: Arc::new(settings),
            credentials: Arc::new(auth::CredentialCache::default()),
            calendar: Arc::new(std::sync::RwLock::new(Arc::new(calendar))),
            directory: Arc::default(),
            escalation: Arc::new(std::sync::RwLock::new(escalation)),
            catalogue: Arc::default(),
            knowledge: Arc::default(),
            grids: Arc::default(),
            model: Arc::default(),
            training: Arc::default(),
            search: Arc::default(),
            search_sync: Arc::default(),
            public_stats: Arc::default(),
            // Until the server names its directory (`with_blob_store`), a fresh one under the
            // system's temporary directory: tests and tools never write into ./data by accident.
            limiter: Arc::default(),
            outbox_written: Arc::new(tokio::sync::watch::Sender::new(0)),
            templates: Arc::default(),
            blobs: Arc::new(attachments::LocalBlobStore::new(std::env::temp_dir().join(format!(
                "minsheng-attachments-{}-{}",
                std::process::id(),
                rand::random::<u32>()
            )))),
        }
    }

    /// Keeps attachment bytes in this store (the server's `attachments_dir`, or an object store).
    pub fn with_blob_store(mut self, blobs: Arc<dyn attachments::BlobStore>) -> Self {
        self.blobs = blobs;
        self
    }

    /// The escalation thresholds in force.
    pub fn escalation_rules(&self) -> minsheng_domain::escalation::EscalationRules {
        match self.escalation.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the escalation thresholds (another node may have changed them).
    pub async fn reload_escalation(&self) -> minsheng_domain::DomainResult<()> {
        if let Some(text) = self.store.get_setting(ESCALATION_KEY).await?
            && let Ok(rules) = serde_json::from_str(&text)
            && let Ok(mut r) = self.escalation.write()
        {
            *r = rules;
        }
        Ok(())
    }

    /// Changes the escalation thresholds (administrators).
    pub async fn set_escalation_rules(
        &self,
        actor: &minsheng_domain::org::Actor,
        rules: minsheng_domain::escalation::EscalationRules,
    ) -> minsheng_domain::DomainResult<()> {
        use minsheng_domain::{DomainError, ErrorCode};
        if actor.role != minsheng_domain::org::Role::Admin {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "仅管理员可以修改提级规则",
                "only administrators may change the escalation rules",
            ));
        }
        if !(1..=365).contains(&rules.repeat_days) || rules.disputes > 20 || rules.repeats > 100 || rules.unsatisfied > 20 {
            return Err(DomainError::invalid(
                "escalation",
                "阈值超出范围（重复诉求天数 1–365，其余次数 0–100，0 表示不启用）",
                "thresholds out of range (repeat_days 1–365, counts 0–100, 0 turns a trigger off)",
            ));
        }
        let text = serde_json::to_string(&rules).map_err(|_| DomainError::internal())?;
        self.store.put_setting(ESCALATION_KEY, &text).await?;
        if let Ok(mut r) = self.escalation.write() {
            *r = rules;
        }
        Ok(())
    }

    /// The calendar in force now.
    pub fn calendar(&self) -> Arc<minsheng_calendar::WorkingCalendar> {
        match self.calendar.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The clocks that run for `case` under the limits and the calendar in force now.
    pub fn running_clocks(&self, case: &minsheng_domain::case::Case) -> Vec<minsheng_domain::deadline::Deadline> {
        // An item of the catalogue may set its own limits (e.g. 复杂事项: 15 working days).
        let catalogue = self.catalogue();
        match case.intake.catalogue_item.as_deref().and_then(|code| catalogue.item(code)).filter(|i| !i.limits.is_empty()) {
            Some(item) => minsheng_domain::deadline::running(case, &self.settings.limits.with_item(&item.limits), &self.calendar()),
            None => minsheng_domain::deadline::running(case, &self.settings.limits, &self.calendar()),
        }
    }

    /// Reloads the calendar from the database (shipped years plus imported ones).
    pub async fn reload_calendar(&self) -> minsheng_domain::DomainResult<()> {
        let fresh = Arc::new(self.working_calendar().await?);
        if let Ok(mut c) = self.calendar.write() {
            *c = fresh;
        }
        Ok(())
    }

    /// Loads the settings stored in the database (key `settings`), falling back to defaults.
    pub async fn load_settings(store: &Arc<dyn Store>) -> Result<Settings, minsheng_store::StoreError> {
        Ok(match store.get_setting("settings").await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => Settings::default(),
        })
    }
}
