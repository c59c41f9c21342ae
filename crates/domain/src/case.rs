//! The case (工单) as it stands now. It is never edited directly: it is the fold of its history
//! ([`Case::replay`]), and the store keeps this fold next to the events only to query it fast.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::event::{Event, EventKind};
use crate::org::{UnitId, UnitRef, UserId};
use crate::value::{Address, CaseNumber, CaseText, PersonName, PhoneNumber, Title};

pub type CaseId = i64;

macro_rules! labelled_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal / $zh:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable code used in the API and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// The Chinese label shown to people.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.label_zh() == s)
            }
        }
    };
}
pub(crate) use labelled_enum;

labelled_enum!(
    /// Where a case is in its lifecycle.
    CaseState {
        /// 已受理: taken, not yet routed.
        Received = "received" / "已受理",
        /// 待派单: waiting for a dispatcher.
        AwaitingDispatch = "awaiting_dispatch" / "待派单",
        /// 待签收: dispatched, the unit has not signed.
        Dispatched = "dispatched" / "待签收",
        /// 办理中: signed and being handled.
        Handling = "handling" / "办理中",
        /// 退单待审: the unit returned it; the centre reviews.
        ReturnRequested = "return_requested" / "退单待审",
        /// 待审核: the unit replied; the centre reviews the reply.
        Replied = "replied" / "待审核",
        /// 待回访: waiting for the callback.
        AwaitingCallback = "awaiting_callback" / "待回访",
        /// 不满意待处理: the citizen was not satisfied; redo, escalate or give a final reply.
        Unsatisfied = "unsatisfied" / "不满意待处理",
        /// 已办结.
        Closed = "closed" / "已办结",
        /// 挂起: the clock stops.
        Suspended = "suspended" / "已挂起",
        /// 已并单: merged into another case.
        Merged = "merged" / "已并单",
        /// 已作废.
        Voided = "voided" / "已作废",
        /// 已撤诉: the citizen withdrew.
        Withdrawn = "withdrawn" / "已撤诉",
        /// 已归档.
        Archived = "archived" / "已归档",
    }
);

impl CaseState {
    /// Open states accept the side events (urge, supervise, merge, void, add information...).
    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Closed | CaseState::Merged | CaseState::Voided | CaseState::Withdrawn | CaseState::Archived)
    }

    /// States in which exactly one lead unit must be set.
    pub fn requires_lead(self) -> bool {
        matches!(self, CaseState::Dispatched | CaseState::Handling | CaseState::ReturnRequested | CaseState::Replied)
    }
}

labelled_enum!(
    /// 诉求类型.
    CaseType {
        Consultation = "consultation" / "咨询",
        Help = "help" / "求助",
        Complaint = "complaint" / "投诉",
        Report = "report" / "举报",
        Suggestion = "suggestion" / "建议",
        Praise = "praise" / "表扬",
    }
);

labelled_enum!(
    /// 来源渠道.
    Channel {
        Phone = "phone" / "电话",
        Web = "web" / "网站",
        Mobile = "mobile" / "移动端",
        Email = "email" / "电子邮件",
        Sms = "sms" / "短信",
        Wechat = "wechat" / "微信",
        GridWorker = "grid_worker" / "网格员上报",
        Open311 = "open311" / "Open311",
        Import = "import" / "历史导入",
    }
);

labelled_enum!(
    /// 紧急程度.
    Urgency {
        Normal = "normal" / "一般",
        Urgent = "urgent" / "紧急",
        VeryUrgent = "very_urgent" / "特急",
    }
);

labelled_enum!(
    /// 是否解决.
    Solved {
        Solved = "solved" / "解决",
        PartlySolved = "partly_solved" / "部分解决",
        Unsolved = "unsolved" / "未解决",
    }
);

labelled_enum!(
    /// 回访结果.
    CallbackOutcome {
        Satisfied = "satisfied" / "满意",
        BasicallySatisfied = "basically_satisfied" / "基本满意",
        Unsatisfied = "unsatisfied" / "不满意",
        Unreachable = "unreachable" / "未接通",
        Declined = "declined" / "拒评",
    }
);

labelled_enum!(
    /// 退单理由.
    ReturnReason {
        NotOurs = "not_ours" / "非本单位职责",
        WrongPlace = "wrong_place" / "不属本辖区",
        Duplicate = "duplicate" / "重复工单",
        InsufficientInfo = "insufficient_info" / "信息不全",
    }
);

labelled_enum!(
    /// 作废原因.
    VoidReason {
        Spam = "spam" / "骚扰/无效",
        Malicious = "malicious" / "恶意诉求",
        Test = "test" / "测试",
        Other = "other" / "其他",
    }
);

labelled_enum!(
    /// 督办等级.
    Supervision {
        None = "none" / "未督办",
        Yellow = "yellow" / "黄牌督办",
        Red = "red" / "红牌督办",
    }
);

labelled_enum!(
    /// How a unit contacted the citizen.
    ContactMethod {
        Phone = "phone" / "电话",
        Visit = "visit" / "上门",
        Sms = "sms" / "短信",
        Other = "other" / "其他",
    }
);

/// The citizen as they gave themselves. `confidential` hides them from handling units;
/// `anonymous` means they gave no name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Citizen {
    pub name: Option<PersonName>,
    pub phone: Option<PhoneNumber>,
    /// 来电号码: the number the call came from, when it differs from the contact phone.
    pub caller_number: Option<PhoneNumber>,
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    pub anonymous: bool,
    /// The address their mail came from, or one they gave for answers by mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<crate::value::EmailAddress>,
    /// Their OpenID when they wrote through the city's WeChat official account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wechat_openid: Option<crate::value::WechatOpenId>,
}

/// Where the matter is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    pub address: Option<Address>,
    /// The territorial unit (district, street or community) the place lies in, when known.
    pub division_unit_id: Option<UnitId>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Everything taken at intake (受理).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Intake {
    pub channel: Channel,
    pub case_type: CaseType,
    pub title: Title,
    pub text: CaseText,
    pub urgency: Urgency,
    pub citizen: Citizen,
    pub place: Place,
    /// The catalogue item (职责清单事项) code, when chosen.
    pub catalogue_item: Option<String>,
    /// The catalogue version the item was chosen from (old cases keep theirs).
    #[serde(default)]
    pub catalogue_version: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// An identifier in the source system, for imports and integrations.
    pub external_id: Option<String>,
    /// Photos, documents and recordings that came with the report (附件).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::attachment::AttachmentRef>,
}

/// One catalogue item the classifier proposes, with its calibrated probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemProposal {
    pub item: String,
    /// The item's path of names (category / subcategory / item).
    pub name: String,
    pub confidence: f64,
}

/// What the classifier said about a case at intake (智能分类).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Classification {
    /// Best first; at most 3.
    pub proposals: Vec<ItemProposal>,
    /// The model version that proposed them.
    pub model_version: Option<i64>,
    pub catalogue_version: Option<i64>,
    /// Whether the top proposal was at or above the threshold and the case went out without review.
    pub auto: bool,
    /// The threshold in force.
    pub threshold: f64,
}

/// Who chose a case's catalogue item: what retraining may learn from (only people's choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemSource {
    Operator,
    Classifier,
    Dispatcher,
}

/// The unit's reply (反馈).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reply {
    pub text: String,
    pub solved: Solved,
    pub at: Millis,
    pub unit_id: Option<UnitId>,
}

/// An assisting unit (协办) and whether it has replied to the lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assist {
    pub unit: UnitRef,
    pub replied: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingReturn {
    pub reason: ReturnReason,
    pub unit_id: UnitId,
    pub from_state: CaseState,
    pub at: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingExtension {
    pub days: u32,
    pub at: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseLink {
    pub id: CaseId,
    pub number: CaseNumber,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaderRef {
    pub user_id: UserId,
    pub name: String,
}

/// A joint meeting (会商) convened by a leader: who leads and who assists from now on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JointMeeting {
    pub at: Millis,
    pub lead: UnitRef,
    pub assisting: Vec<UnitRef>,
    pub by: Option<UserId>,
}

/// A period during which the case was suspended (挂起); `to` is open while it still is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suspension {
    pub from: Millis,
    pub to: Option<Millis>,
}

/// The current state of a case: a fold of its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: CaseId,
    pub number: CaseNumber,
    /// The number of events in the history; the optimistic-concurrency token.
    pub version: i64,
    pub state: CaseState,
    pub intake: Intake,
    pub received_at: Millis,
    pub received_by: Option<UserId>,
    pub lead_unit: Option<UnitRef>,
    /// The unit holding the order now: the lead, or the unit below it that it passed the order to.
    pub handling_unit: Option<UnitRef>,
    pub assisting: Vec<Assist>,
    /// Every unit that has ever held or assisted this case; they keep seeing it.
    pub involved_units: Vec<UnitRef>,
    pub dispatched_at: Option<Millis>,
    /// When the unit holding the order now received it (dispatch, reassignment or pass-down):
    /// the sign clock and the return window run from here.
    #[serde(default)]
    pub holder_since: Option<Millis>,
    /// When an approved return put the case back in the dispatch pool (the dispatch clock restarts).
    #[serde(default)]
    pub pooled_at: Option<Millis>,
    /// When the last redo started (a redo sets a new reply limit).
    #[serde(default)]
    pub redone_at: Option<Millis>,
    /// When the case began waiting for its callback.
    #[serde(default)]
    pub callback_since: Option<Millis>,
    /// Every suspension, the last one open while suspended: the clocks stop inside them.
    #[serde(default)]
    pub suspensions: Vec<Suspension>,
    /// The clocks running now (时限), as computed when the last event was written.
    #[serde(default)]
    pub deadlines: Vec<crate::deadline::Deadline>,
    pub signed_at: Option<Millis>,
    pub contacted_at: Option<Millis>,
    pub reply: Option<Reply>,
    pub pending_return: Option<PendingReturn>,
    pub returns_approved: u32,
    pub returns_refused: u32,
    pub reassign_count: u32,
    pub pending_extension: Option<PendingExtension>,
    pub extensions_approved: u32,
    pub extension_days: u32,
    pub suspended_from: Option<CaseState>,
    pub callback_attempts: u32,
    /// When the citizen last did not answer the callback: retries go on other days.
    #[serde(default)]
    pub last_unreachable_at: Option<Millis>,
    pub rating: Option<CallbackOutcome>,
    pub solved: Option<Solved>,
    pub rating_comment: Option<String>,
    pub redo_count: u32,
    pub supervision: Supervision,
    pub urge_count: u32,
    pub escalated_to: Option<LeaderRef>,
    pub merged_into: Option<CaseLink>,
    pub merged_from: Vec<CaseLink>,
    /// How many people reported this matter (1 + those merged in).
    pub reporters: u32,
    pub info_added: u32,
    /// How many clocks ran out (红灯) on this case.
    #[serde(default)]
    pub overdue_count: u32,
    /// Whether the reply clock ran out (超期) at least once: the red line of the escalation ladder.
    #[serde(default)]
    pub reply_overdue: bool,
    /// Whether each step was done after its clock ran out, judged when it was done against the
    /// clock running then (so approved extensions and suspensions count); `None` when no clock ran.
    #[serde(default)]
    pub sign_late: Option<bool>,
    #[serde(default)]
    pub contact_late: Option<bool>,
    #[serde(default)]
    pub reply_late: Option<bool>,
    /// Who signed for the order (签收人): the handler that automatic urging reaches first.
    #[serde(default)]
    pub signed_by: Option<UserId>,
    /// How many callbacks found the citizen unsatisfied, across redos.
    #[serde(default)]
    pub unsatisfied_count: u32,
    /// The unit of whoever recorded the rating (the centre, or the handling unit's leader on duty):
    /// the callback counts in that unit's assessment.
    #[serde(default)]
    pub callback_unit_id: Option<UnitId>,
    /// When the case was last urged (催办): a second urge to the same holder reaches its leader.
    #[serde(default)]
    pub last_urged_at: Option<Millis>,
    /// When the last rating (满意 / 基本满意 / 不满意) was recorded.
    #[serde(default)]
    pub rated_at: Option<Millis>,
    /// The routing proposal (派单建议) and its reasons, as worked out at intake.
    #[serde(default)]
    pub routing: Option<crate::routing::RoutingDecision>,
    /// The joint meeting (会商) that last settled the lead and assisting units.
    #[serde(default)]
    pub joint_meeting: Option<JointMeeting>,
    /// 智能分类: the classifier's proposals at intake (the top 3 a dispatcher reviews).
    #[serde(default)]
    pub classification: Option<Classification>,
    /// Who chose the catalogue item in force: the operator, the classifier or a dispatcher.
    #[serde(default)]
    pub item_source: Option<ItemSource>,
    /// The people (调解员、法律援助、专家) the case was assigned to, in order.
    #[serde(default)]
    pub people: Vec<crate::people::PersonRef>,
    /// Cases closed shortly before that this one shows came back (回潮), or, on a closed case,
    /// the newer cases that flagged it.
    #[serde(default)]
    pub recurrences: Vec<CaseLink>,
    pub final_reply: bool,
    pub answered_on_spot: bool,
    pub closed_at: Option<Millis>,
    pub archived_at: Option<Millis>,
    pub updated_at: Millis,
}

impl Case {
    /// The fresh case that a `Received` event creates.
    pub fn new(id: CaseId, number: CaseNumber, intake: Intake, at: Millis, by: Option<UserId>) -> Case {
        // An item given at intake was chosen by whoever took the case in.
        let item_source = intake.catalogue_item.as_ref().map(|_| ItemSource::Operator);
        Case {
            id,
            number,
            version: 1,
            state: CaseState::Received,
            intake,
            received_at: at,
            received_by: by,
            lead_unit: None,
            handling_unit: None,
            assisting: Vec::new(),
            involved_units: Vec::new(),
            dispatched_at: None,
            holder_since: None,
            pooled_at: None,
            redone_at: None,
            callback_since: None,
            suspensions: Vec::new(),
            deadlines: Vec::new(),
            signed_at: None,
            contacted_at: None,
            reply: None,
            pending_return: None,
            returns_approved: 0,
            returns_refused: 0,
            reassign_count: 0,
            pending_extension: None,
            extensions_approved: 0,
            extension_days: 0,
            suspended_from: None,
            callback_attempts: 0,
            last_unreachable_at: None,
            rating: None,
            solved: None,
            rating_comment: None,
            redo_count: 0,
            supervision: Supervision::None,
            urge_count: 0,
            escalated_to: None,
            merged_into: None,
            merged_from: Vec::new(),
            reporters: 1,
            info_added: 0,
            overdue_count: 0,
            reply_overdue: false,
            sign_late: None,
            contact_late: None,
            reply_late: None,
            signed_by: None,
            unsatisfied_count: 0,
            callback_unit_id: None,
            rated_at: None,
            last_urged_at: None,
            joint_meeting: None,
            routing: None,
            classification: None,
            item_source,
            people: Vec::new(),
            recurrences: Vec::new(),
            final_reply: false,
            answered_on_spot: false,
            closed_at: None,
            archived_at: None,
            updated_at: at,
        }
    }

    /// Rebuilds the current state from the whole history. `None` if the history does not begin
    /// with a `Received` event.
    pub fn replay(id: CaseId, number: CaseNumber, events: &[Event]) -> Option<Case> {
        let (first, rest) = events.split_first()?;
        let EventKind::Received { intake } = &first.kind else { return None };
        let mut case = Case::new(id, number, intake.clone(), first.at, first.actor.user_id);
        for e in rest {
            case.apply(e);
        }
        Some(case)
    }

    /// Whether a unit currently has work on this case: it holds it, leads it or assists.
    pub fn is_current_unit(&self, unit: UnitId) -> bool {
        self.handling_unit.as_ref().is_some_and(|u| u.id == unit)
            || self.lead_unit.as_ref().is_some_and(|u| u.id == unit)
            || self.assisting.iter().any(|a| a.unit.id == unit)
    }

    /// Whether `step` done at `at` was past the clock running for it, if one ran.
    fn late(&self, step: crate::deadline::Step, at: Millis) -> Option<bool> {
        self.deadlines.iter().find(|d| d.step == step).and_then(|d| d.due_at).map(|due| at > due)
    }

    fn involve(&mut self, unit: &UnitRef) {
        if !self.involved_units.iter().any(|u| u.id == unit.id) {
            self.involved_units.push(unit.clone());
        }
    }

    fn set_lead(&mut self, lead: &UnitRef, assisting: &[UnitRef]) {
        self.lead_unit = Some(lead.clone());
        self.handling_unit = Some(lead.clone());
        self.assisting = assisting.iter().map(|u| Assist { unit: u.clone(), replied: false }).collect();
        self.involve(lead);
        for u in assisting {
            self.involve(u);
        }
        self.signed_at = None;
        self.pending_return = None;
        // An extension request belongs to the unit that asked; a new holder starts afresh.
        self.pending_extension = None;
    }

    /// Applies one event. Pure bookkeeping: whether the event was allowed was decided before it
    /// was written, by [`crate::lifecycle::decide`].
    pub fn apply(&mut self, event: &Event) {
        use EventKind as K;
        let at = event.at;
        match &event.kind {
            K::Received { .. } => {}
            K::AnsweredOnSpot { answer } => {
                self.reply = Some(Reply { text: answer.clone(), solved: Solved::Solved, at, unit_id: None });
                self.solved = Some(Solved::Solved);
                self.answered_on_spot = true;
                self.callback_since = Some(at);
                self.state = CaseState::AwaitingCallback;
            }
            K::Forwarded => self.state = CaseState::AwaitingDispatch,
            K::Dispatched { lead, assisting } => {
                self.set_lead(lead, assisting);
                self.dispatched_at = Some(at);
                self.holder_since = Some(at);
                self.state = CaseState::Dispatched;
            }
            K::Signed => {
                self.sign_late = self.late(crate::deadline::Step::Sign, at);
                self.signed_by = event.actor.user_id;
                self.signed_at = Some(at);
                self.state = CaseState::Handling;
            }
            K::ReturnRequested { reason } => {
                let unit_id = self.handling_unit.as_ref().map(|u| u.id).unwrap_or_default();
                self.pending_return = Some(PendingReturn { reason: *reason, unit_id, from_state: self.state, at });
                self.state = CaseState::ReturnRequested;
            }
            K::ReturnApproved { reassign_to } => {
                self.returns_approved += 1;
                self.pending_return = None;
                match reassign_to {
                    Some((lead, assisting)) => {
                        self.set_lead(lead, assisting);
                        self.dispatched_at = Some(at);
                        self.holder_since = Some(at);
                        self.reassign_count += 1;
                        self.state = CaseState::Dispatched;
                    }
                    None => {
                        self.lead_unit = None;
                        self.handling_unit = None;
                        self.assisting.clear();
                        self.signed_at = None;
                        self.pending_extension = None;
                        self.pooled_at = Some(at);
                        self.state = CaseState::AwaitingDispatch;
                    }
                }
            }
            K::ReturnRefused => {
                self.returns_refused += 1;
                if let Some(p) = self.pending_return.take() {
                    self.state = p.from_state;
                }
            }
            K::Reassigned { lead, assisting } => {
                self.set_lead(lead, assisting);
                self.dispatched_at = Some(at);
                self.holder_since = Some(at);
                self.reassign_count += 1;
                self.state = CaseState::Dispatched;
            }
            K::PassedDown { to } => {
                self.handling_unit = Some(to.clone());
                self.involve(to);
                self.signed_at = None;
                self.pending_extension = None;
                // The return window and the sign clock run from when the holder received it.
                self.holder_since = Some(at);
                self.state = CaseState::Dispatched;
            }
            K::Contacted { .. } => {
                if self.contacted_at.is_none() {
                    self.contact_late = self.late(crate::deadline::Step::Contact, at);
                    self.contacted_at = Some(at);
                }
            }
            K::HandlingNoted => {}
            K::AssistReplied { unit_id } => {
                for a in self.assisting.iter_mut().filter(|a| a.unit.id == *unit_id) {
                    a.replied = true;
                }
            }
            K::Replied { text, solved } => {
                // Late once stays late: a redo's new reply does not erase the first delay.
                if let Some(late) = self.late(crate::deadline::Step::Reply, at) {
                    self.reply_late = Some(late || self.reply_late == Some(true));
                }
                self.reply = Some(Reply { text: text.clone(), solved: *solved, at, unit_id: event.actor.unit_id });
                self.solved = Some(*solved);
                self.state = CaseState::Replied;
            }
            K::ReplyPassed => {
                self.callback_since = Some(at);
                self.state = CaseState::AwaitingCallback;
            }
            K::ReplySentBack => self.state = CaseState::Handling,
            K::CallbackRecorded { outcome, solved, comment } => {
                self.callback_attempts += 1;
                if let Some(s) = solved {
                    self.solved = Some(*s);
                }
                if comment.is_some() {
                    self.rating_comment = comment.clone();
                }
                match outcome {
                    CallbackOutcome::Unreachable => self.last_unreachable_at = Some(at),
                    CallbackOutcome::Unsatisfied => {
                        self.unsatisfied_count += 1;
                        self.callback_unit_id = event.actor.unit_id;
                        self.rated_at = Some(at);
                        self.rating = Some(*outcome);
                        self.state = CaseState::Unsatisfied;
                    }
                    // A refusal to rate still ends the callback, but it is no rating.
                    CallbackOutcome::Declined => self.rating = Some(*outcome),
                    _ => {
                        self.callback_unit_id = event.actor.unit_id;
                        self.rated_at = Some(at);
                        self.rating = Some(*outcome);
                    }
                }
            }
            K::Redone => {
                self.redo_count += 1;
                self.redone_at = Some(at);
                self.answered_on_spot = false;
                self.reply = None;
                self.rating = None;
                self.solved = None;
                self.callback_attempts = 0;
                self.closed_at = None;
                self.final_reply = false;
                self.state = if self.lead_unit.is_some() { CaseState::Handling } else { CaseState::AwaitingDispatch };
            }
            K::Closed { final_reply, outcome } => {
                self.final_reply = *final_reply;
                if let Some(o) = outcome {
                    self.rating = Some(*o);
                }
                self.closed_at = Some(at);
                self.state = CaseState::Closed;
            }
            K::Archived => {
                self.archived_at = Some(at);
                self.state = CaseState::Archived;
            }
            K::ExtensionRequested { days } => self.pending_extension = Some(PendingExtension { days: *days, at }),
            K::ExtensionApproved { days } => {
                self.pending_extension = None;
                self.extensions_approved += 1;
                self.extension_days += days;
            }
            K::ExtensionRefused => self.pending_extension = None,
            K::Suspended => {
                self.suspensions.push(Suspension { from: at, to: None });
                self.suspended_from = Some(self.state);
                self.state = CaseState::Suspended;
            }
            K::Resumed => {
                if let Some(open) = self.suspensions.last_mut().filter(|s| s.to.is_none()) {
                    open.to = Some(at);
                }
                self.state = self.suspended_from.take().unwrap_or(CaseState::Handling);
            }
            K::Urged => {
                self.urge_count += 1;
                self.last_urged_at = Some(at);
            }
            K::Supervised { level } => self.supervision = *level,
            K::Escalated { leader } => self.escalated_to = Some(leader.clone()),
            K::MergedInto { target } => {
                self.merged_into = Some(target.clone());
                self.state = CaseState::Merged;
            }
            K::MergedFrom { source, reporters } => {
                self.merged_from.push(source.clone());
                self.reporters += reporters;
            }
            K::Voided { .. } => self.state = CaseState::Voided,
            K::InfoAdded { .. } => self.info_added += 1,
            K::Withdrawn => {
                self.closed_at = Some(at);
                self.state = CaseState::Withdrawn;
            }
            K::Warned { level, step } => {
                if *level == crate::deadline::Light::Red {
                    self.overdue_count += 1;
                    if *step == crate::deadline::Step::Reply {
                        self.reply_overdue = true;
                    }
                }
            }
            K::Routed { decision } => self.routing = Some(decision.clone()),
            K::Classified { classification } => {
                if classification.auto
                    && let Some(top) = classification.proposals.first()
                {
                    self.intake.catalogue_item = Some(top.item.clone());
                    self.intake.catalogue_version = classification.catalogue_version;
                    self.item_source = Some(ItemSource::Classifier);
                }
                self.classification = Some(classification.clone());
            }
            K::Reclassified { to, catalogue_version, .. } => {
                self.intake.catalogue_item = Some(to.clone());
                self.intake.catalogue_version = *catalogue_version;
                self.item_source = Some(ItemSource::Dispatcher);
            }
            K::PersonAssigned { person } => {
                if !self.people.iter().any(|p| p.id == person.id) {
                    self.people.push(person.clone());
                }
            }
            K::RecurrenceFlagged { case } => {
                if !self.recurrences.iter().any(|c| c.id == case.id) {
                    self.recurrences.push(case.clone());
                }
            }
            K::JointMeetingHeld { lead, assisting } => {
                let lead_changes = self.lead_unit.as_ref().map(|u| u.id) != Some(lead.id);
                self.joint_meeting = Some(JointMeeting { at, lead: lead.clone(), assisting: assisting.clone(), by: event.actor.user_id });
                if lead_changes {
                    // A new lead signs afresh, as after a reassignment.
                    self.set_lead(lead, assisting);
                    self.dispatched_at = Some(at);
                    self.holder_since = Some(at);
                    self.state = CaseState::Dispatched;
                } else {
                    for u in assisting {
                        if !self.assisting.iter().any(|a| a.unit.id == u.id) {
                            self.assisting.push(Assist { unit: u.clone(), replied: false });
                        }
                        self.involve(u);
                    }
                }
            }
        }
        if let Some(deadlines) = &event.deadlines {
            self.deadlines = deadlines.clone();
        }
        self.version = event.seq;
        self.updated_at = at;
    }
}
