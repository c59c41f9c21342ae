//! The citizen across channels (市民): one person recognised by phone number, their history shown
//! to the operator at intake (来电弹屏), and the flag supervisors set on malicious repeat reporters
//! (恶意重复诉求), which keeps their new reports from being dispatched without a person looking.

use std::collections::BTreeMap;

use minsheng_domain::case::CallbackOutcome;
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::value::{PhoneNumber, mask_phone};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::{CaseFilter, CaseQuery, CitizenFlag, Scope};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::service::{CaseSummary, summary};

/// How many of a citizen's cases the history lists (newest first); the counts cover the same.
pub const HISTORY_LIMIT: u32 = 200;

/// A citizen's history as the operator sees it when the phone rings.
#[derive(Debug, Clone, Serialize)]
pub struct CitizenHistory {
    pub phone_masked: String,
    pub flag: Option<FlagView>,
    pub total: usize,
    pub open: usize,
    /// Cases whose last rating was 不满意.
    pub unsatisfied: usize,
    /// How many cases came through each channel.
    pub channels: BTreeMap<String, usize>,
    /// Whether the history stops at [`HISTORY_LIMIT`] cases.
    pub truncated: bool,
    pub cases: Vec<CaseSummary>,
}

/// A flag as staff see it: the number masked, who set it by name.
#[derive(Debug, Clone, Serialize)]
pub struct FlagView {
    pub phone_masked: String,
    pub active: bool,
    pub reason: String,
    pub set_by_name: Option<String>,
    pub set_at: String,
}

/// A supervisor's decision on the flag.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagRequest {
    pub active: bool,
    #[serde(default)]
    pub reason: String,
}

/// The tag a flagged citizen's new case carries.
pub const FLAG_TAG: &str = "恶意重复";

/// The centre's roles that look a citizen up at intake and on the phone.
pub fn may_look_up_citizens(actor: &Actor) -> bool {
    matches!(actor.role, Role::Operator | Role::Dispatcher | Role::Supervisor | Role::Leader | Role::Admin)
}

fn may_flag(actor: &Actor) -> bool {
    matches!(actor.role, Role::Supervisor | Role::Leader | Role::Admin)
}

impl App {
    /// 来电弹屏: the citizen's cases by phone number, for the centre's intake roles.
    pub async fn citizen_history(&self, actor: &Actor, phone: &str) -> DomainResult<CitizenHistory> {
        if !may_look_up_citizens(actor) {
            return Err(DomainError::new(ErrorCode::Forbidden, "无权查看市民历史诉求", "you may not look up citizens"));
        }
        let phone = PhoneNumber::parse(phone)?;
        let query = CaseQuery {
            scope: Scope::All,
            filter: CaseFilter { phone: Some(phone.as_str().to_string()), ..Default::default() },
            before_id: None,
            limit: HISTORY_LIMIT,
        };
        let page = self.store.list_cases(&query).await?;
        tracing::info!(target: "audit", user = ?actor.user_id, role = actor.role.as_str(), phone = %phone.masked(), "citizen history viewed");
        let mut channels = BTreeMap::new();
        for c in &page.cases {
            *channels.entry(c.intake.channel.as_str().to_string()).or_insert(0) += 1;
        }
        let flag = self.store.citizen_flag(phone.as_str()).await?;
        Ok(CitizenHistory {
            phone_masked: phone.masked(),
            flag: match flag {
                Some(f) => Some(self.flag_view(f).await?),
                None => None,
            },
            total: page.cases.len(),
            open: page.cases.iter().filter(|c| c.state.is_open()).count(),
            unsatisfied: page.cases.iter().filter(|c| c.rating == Some(CallbackOutcome::Unsatisfied)).count(),
            channels,
            truncated: page.next_before_id.is_some(),
            cases: page.cases.iter().map(summary).collect(),
        })
    }

    /// Sets or clears the flag of a phone number (supervisors, leaders, administrators). A flag
    /// needs a reason: it changes how the platform treats a person.
    pub async fn set_citizen_flag(&self, actor: &Actor, phone: &str, request: FlagRequest) -> DomainResult<FlagView> {
        if !may_flag(actor) {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "只有督办员、领导和管理员可以标记恶意重复诉求",
                "only supervisors, leaders and administrators may flag citizens",
            ));
        }
        let phone = PhoneNumber::parse(phone)?;
        let reason = request.reason.trim().to_string();
        if request.active && reason.is_empty() {
            return Err(DomainError::invalid("reason", "标记须写明理由", "a flag needs a reason"));
        }
        if reason.chars().count() > 500 || reason.chars().any(|c| c.is_control() && c != '\n') {
            return Err(DomainError::invalid("reason", "理由最多 500 字且不含控制字符", "at most 500 characters, no control characters"));
        }
        let flag = CitizenFlag {
            phone: phone.as_str().to_string(),
            active: request.active,
            reason,
            set_by: actor.user_id,
            set_at: self.clock.now(),
        };
        self.store.set_citizen_flag(&flag).await?;
        tracing::info!(target: "audit", user = ?actor.user_id, phone = %phone.masked(), active = flag.active, "citizen flag set");
        self.flag_view(flag).await
    }

    /// The flag by a case's citizen, so staff never need the unmasked number.
    pub async fn set_case_citizen_flag(&self, actor: &Actor, key: &str, request: FlagRequest) -> DomainResult<FlagView> {
        let case = self.visible_case(actor, key).await?;
        let phone = case
            .intake
            .citizen
            .phone
            .clone()
            .ok_or_else(|| DomainError::invalid("phone", "该工单没有市民电话", "the case has no citizen phone"))?;
        self.set_citizen_flag(actor, phone.as_str(), request).await
    }

    /// Every flag (the 恶意重复名单), active first.
    pub async fn citizen_flags(&self, actor: &Actor) -> DomainResult<Vec<FlagView>> {
        if !may_flag(actor) && !may_look_up_citizens(actor) {
            return Err(DomainError::new(ErrorCode::Forbidden, "无权查看", "you may not see the flags"));
        }
        let mut out = Vec::new();
        for f in self.store.citizen_flags().await? {
            out.push(self.flag_view(f).await?);
        }
        Ok(out)
    }

    /// Whether new reports from this number are held for a person (an active flag).
    pub(crate) async fn flagged(&self, phone: Option<&PhoneNumber>) -> DomainResult<bool> {
        match phone {
            Some(p) => Ok(self.store.citizen_flag(p.as_str()).await?.is_some_and(|f| f.active)),
            None => Ok(false),
        }
    }

    async fn flag_view(&self, f: CitizenFlag) -> DomainResult<FlagView> {
        let set_by_name = match f.set_by {
            Some(id) => self.directory().await?.users.iter().find(|u| u.id == id).map(|u| u.name.clone()),
            None => None,
        };
        Ok(FlagView {
            phone_masked: mask_phone(&f.phone),
            active: f.active,
            reason: f.reason,
            set_by_name,
            set_at: minsheng_calendar::format_china(f.set_at),
        })
    }
}
