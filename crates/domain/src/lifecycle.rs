//! The lifecycle as a pure decision: given a case, an actor and a command, either the events to
//! record or a refusal naming the state, the action and the reason. Nothing here writes anything.
//!
//! The checks run in a fixed order — role, then unit, then state, then the rules from practice —
//! so the same attempt is always refused for the same reason.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::case::{
    CallbackOutcome, Case, CaseLink, CaseState, CaseType, ContactMethod, LeaderRef, ReturnReason, Solved, Supervision, VoidReason,
};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::event::EventKind;
use crate::org::{Actor, Role, UnitKind, UnitRef};
use crate::value::Note;

/// Limits from practice. Every number is a setting; these are DOMAIN.md's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// 延期 at most this many times…
    pub max_extensions: u32,
    /// …each at most this many working days (long-cycle matters go through a leader instead).
    pub max_extension_days: u32,
    /// After this many redos an unsatisfied case is escalated or closed with a final reply.
    pub max_redos: u32,
    /// 未接通 this many times closes the callback as unreachable.
    pub max_callback_attempts: u32,
    /// 首办负责: a unit may return an order only within this many hours of receiving it; after
    /// that it owns it. Wall-clock hours until the working calendar measures it in working days.
    pub return_window_hours: u32,
    /// Co-handling: the lead replies to the centre only after every assisting unit replied to it.
    pub lead_waits_for_assists: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            max_extensions: 3,
            max_extension_days: 3,
            max_redos: 2,
            max_callback_attempts: 3,
            return_window_hours: 24,
            lead_waits_for_assists: true,
        }
    }
}

/// How a dispatcher settles a return (退单审核).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReturnDecision {
    /// Approve and send it straight to another lead unit.
    Reassign { lead: UnitRef, assisting: Vec<UnitRef> },
    /// Approve and put it back in the dispatch pool.
    ToPool,
    /// Refuse: the unit keeps it, and the refused return counts against it.
    Refuse,
}

/// Everything one can do to a case after it was received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    AnswerOnSpot {
        answer: Note,
    },
    Forward,
    Dispatch {
        lead: UnitRef,
        assisting: Vec<UnitRef>,
    },
    Sign,
    Return {
        reason: ReturnReason,
    },
    ReviewReturn {
        decision: ReturnDecision,
    },
    Reassign {
        lead: UnitRef,
        assisting: Vec<UnitRef>,
    },
    PassDown {
        to: UnitRef,
    },
    Contact {
        method: ContactMethod,
    },
    Handle,
    AssistReply,
    Reply {
        text: Note,
        solved: Solved,
    },
    ReviewReply {
        pass: bool,
    },
    Callback {
        outcome: CallbackOutcome,
        solved: Option<Solved>,
        comment: Option<Note>,
    },
    Redo,
    Close,
    Archive,
    RequestExtension {
        days: u32,
    },
    ReviewExtension {
        approve: bool,
        days: Option<u32>,
    },
    Suspend,
    Resume,
    Urge,
    Supervise {
        level: Supervision,
    },
    Escalate {
        leader: LeaderRef,
    },
    /// 会商: the leader who took the case names the lead and assisting units.
    JointMeeting {
        lead: UnitRef,
        assisting: Vec<UnitRef>,
    },
    Merge {
        into: CaseLink,
    },
    Void {
        reason: VoidReason,
    },
    AddInfo {
        attachments: Vec<crate::attachment::AttachmentRef>,
    },
    Withdraw,
    /// 改分类: the dispatcher corrects the catalogue item (the classifier learns from it).
    Reclassify {
        item: String,
        catalogue_version: Option<i64>,
    },
    /// 指定人员: a named mediator, legal aid or expert takes the case.
    AssignPerson {
        person: crate::people::PersonRef,
    },
}

/// The name of a command without its data: what permission tables and menus talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AnswerOnSpot,
    Forward,
    Dispatch,
    Sign,
    Return,
    ReviewReturn,
    Reassign,
    PassDown,
    Contact,
    Handle,
    AssistReply,
    Reply,
    ReviewReply,
    Callback,
    Redo,
    Close,
    Archive,
    RequestExtension,
    ReviewExtension,
    Suspend,
    Resume,
    Urge,
    Supervise,
    Escalate,
    JointMeeting,
    Merge,
    Void,
    AddInfo,
    Withdraw,
    Reclassify,
    AssignPerson,
}

/// Whether an action needs a written reason (the note of the event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteRule {
    Required,
    Optional,
}

use CaseState as S;
use Role as R;

const OPEN: &[CaseState] = &[
    S::Received,
    S::AwaitingDispatch,
    S::Dispatched,
    S::Handling,
    S::ReturnRequested,
    S::Replied,
    S::AwaitingCallback,
    S::Unsatisfied,
    S::Suspended,
];

/// Which unit must the actor belong to, on top of the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitCheck {
    /// Centre roles act on any case of the city.
    None,
    /// The unit currently holding the order (lead, or the unit it passed the order down to).
    Holder,
    /// An assisting unit of the case.
    Assisting,
    /// Unit leaders of the lead unit may call back (Haikou: whoever handles it calls back).
    LeadLeaderOrCentre,
    /// Unit roles must hold the order; centre roles act on any case.
    HolderOrCentre,
}

struct Rule {
    roles: &'static [Role],
    states: &'static [CaseState],
    unit: UnitCheck,
    note: NoteRule,
}

impl Action {
    pub const ALL: [Action; 31] = [
        Action::AnswerOnSpot,
        Action::Forward,
        Action::Dispatch,
        Action::Sign,
        Action::Return,
        Action::ReviewReturn,
        Action::Reassign,
        Action::PassDown,
        Action::Contact,
        Action::Handle,
        Action::AssistReply,
        Action::Reply,
        Action::ReviewReply,
        Action::Callback,
        Action::Redo,
        Action::Close,
        Action::Archive,
        Action::RequestExtension,
        Action::ReviewExtension,
        Action::Suspend,
        Action::Resume,
        Action::Urge,
        Action::Supervise,
        Action::Escalate,
        Action::JointMeeting,
        Action::Merge,
        Action::Void,
        Action::AddInfo,
        Action::Withdraw,
        Action::Reclassify,
        Action::AssignPerson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::AnswerOnSpot => "answer_on_spot",
            Action::Forward => "forward",
            Action::Dispatch => "dispatch",
            Action::Sign => "sign",
            Action::Return => "return",
            Action::ReviewReturn => "review_return",
            Action::Reassign => "reassign",
            Action::PassDown => "pass_down",
            Action::Contact => "contact",
            Action::Handle => "handle",
            Action::AssistReply => "assist_reply",
            Action::Reply => "reply",
            Action::ReviewReply => "review_reply",
            Action::Callback => "callback",
            Action::Redo => "redo",
            Action::Close => "close",
            Action::Archive => "archive",
            Action::RequestExtension => "request_extension",
            Action::ReviewExtension => "review_extension",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Urge => "urge",
            Action::Supervise => "supervise",
            Action::Escalate => "escalate",
            Action::JointMeeting => "joint_meeting",
            Action::Merge => "merge",
            Action::Void => "void",
            Action::AddInfo => "add_info",
            Action::Withdraw => "withdraw",
            Action::Reclassify => "reclassify",
            Action::AssignPerson => "assign_person",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Action::AnswerOnSpot => "即时办结",
            Action::Forward => "转派单",
            Action::Dispatch => "派单",
            Action::Sign => "签收",
            Action::Return => "退单",
            Action::ReviewReturn => "退单审核",
            Action::Reassign => "改派",
            Action::PassDown => "下派",
            Action::Contact => "联系市民",
            Action::Handle => "办理记录",
            Action::AssistReply => "协办回复",
            Action::Reply => "办理反馈",
            Action::ReviewReply => "反馈审核",
            Action::Callback => "回访",
            Action::Redo => "重办",
            Action::Close => "办结",
            Action::Archive => "归档",
            Action::RequestExtension => "申请延期",
            Action::ReviewExtension => "延期审核",
            Action::Suspend => "挂起",
            Action::Resume => "恢复",
            Action::Urge => "催办",
            Action::Supervise => "督办",
            Action::Escalate => "提级领办",
            Action::JointMeeting => "会商",
            Action::Merge => "并单",
            Action::Void => "作废",
            Action::AddInfo => "补充诉求",
            Action::Withdraw => "撤诉",
            Action::Reclassify => "改分类",
            Action::AssignPerson => "指定人员",
        }
    }

    /// The permission table. One place, so the menu the web shows and the refusal the API gives
    /// cannot disagree.
    fn rule(self) -> Rule {
        const CENTRE_DISPATCH: &[Role] = &[R::Dispatcher, R::Leader, R::System];
        const UNIT: &[Role] = &[R::UnitHandler, R::UnitLeader];
        const SUPERVISE: &[Role] = &[R::Supervisor, R::Leader, R::System];
        let (roles, states, unit, note): (&'static [Role], &'static [CaseState], UnitCheck, NoteRule) = match self {
            Action::AnswerOnSpot => (&[R::Operator], &[S::Received], UnitCheck::None, NoteRule::Optional),
            Action::Forward => (&[R::Operator, R::Dispatcher, R::System], &[S::Received], UnitCheck::None, NoteRule::Optional),
            Action::Dispatch => (CENTRE_DISPATCH, &[S::Received, S::AwaitingDispatch], UnitCheck::None, NoteRule::Optional),
            Action::Sign => (UNIT, &[S::Dispatched], UnitCheck::Holder, NoteRule::Optional),
            Action::Return => (UNIT, &[S::Dispatched, S::Handling], UnitCheck::Holder, NoteRule::Required),
            Action::ReviewReturn => (CENTRE_DISPATCH, &[S::ReturnRequested], UnitCheck::None, NoteRule::Optional),
            Action::Reassign => (CENTRE_DISPATCH, &[S::Dispatched, S::Handling], UnitCheck::None, NoteRule::Required),
            Action::PassDown => (UNIT, &[S::Handling], UnitCheck::Holder, NoteRule::Optional),
            Action::Contact => (UNIT, &[S::Handling], UnitCheck::Holder, NoteRule::Required),
            Action::Handle => (UNIT, &[S::Handling], UnitCheck::Holder, NoteRule::Required),
            Action::AssistReply => (UNIT, &[S::Dispatched, S::Handling], UnitCheck::Assisting, NoteRule::Required),
            Action::Reply => (UNIT, &[S::Handling], UnitCheck::Holder, NoteRule::Optional),
            Action::ReviewReply => (&[R::Dispatcher, R::Supervisor, R::System], &[S::Replied], UnitCheck::None, NoteRule::Optional),
            Action::Callback => (
                &[R::Supervisor, R::Operator, R::UnitLeader, R::Citizen, R::System],
                &[S::AwaitingCallback],
                UnitCheck::LeadLeaderOrCentre,
                NoteRule::Optional,
            ),
            Action::Redo => {
                (&[R::Supervisor, R::Dispatcher, R::Leader, R::System], &[S::Unsatisfied, S::Closed], UnitCheck::None, NoteRule::Required)
            }
            Action::Close => {
                (&[R::Supervisor, R::Leader, R::System], &[S::AwaitingCallback, S::Unsatisfied], UnitCheck::None, NoteRule::Required)
            }
            Action::Archive => (
                &[R::Supervisor, R::Admin, R::System],
                &[S::Closed, S::Voided, S::Withdrawn, S::Merged],
                UnitCheck::None,
                NoteRule::Optional,
            ),
            Action::RequestExtension => (UNIT, &[S::Handling], UnitCheck::Holder, NoteRule::Required),
            Action::ReviewExtension => (CENTRE_DISPATCH, &[S::Handling], UnitCheck::None, NoteRule::Optional),
            Action::Suspend => {
                (&[R::Dispatcher, R::Supervisor, R::Leader, R::System], &[S::Dispatched, S::Handling], UnitCheck::None, NoteRule::Required)
            }
            Action::Resume => (&[R::Dispatcher, R::Supervisor, R::Leader, R::System], &[S::Suspended], UnitCheck::None, NoteRule::Optional),
            Action::Urge => (&[R::Supervisor, R::Dispatcher, R::Leader, R::System], OPEN, UnitCheck::None, NoteRule::Optional),
            Action::Supervise => (SUPERVISE, OPEN, UnitCheck::None, NoteRule::Required),
            Action::Escalate => (&[R::Supervisor, R::Dispatcher, R::Leader, R::System], OPEN, UnitCheck::None, NoteRule::Required),
            Action::JointMeeting => {
                (&[R::Leader], &[S::Dispatched, S::Handling, S::Unsatisfied, S::AwaitingDispatch], UnitCheck::None, NoteRule::Required)
            }
            Action::Merge => (CENTRE_DISPATCH, OPEN, UnitCheck::None, NoteRule::Optional),
            Action::Void => (&[R::Dispatcher, R::Supervisor], OPEN, UnitCheck::None, NoteRule::Required),
            Action::AddInfo => (&[R::Citizen, R::Operator, R::System], OPEN, UnitCheck::None, NoteRule::Required),
            Action::Withdraw => (&[R::Citizen, R::Operator, R::System], OPEN, UnitCheck::None, NoteRule::Optional),
            Action::Reclassify => (&[R::Dispatcher, R::Leader, R::System], OPEN, UnitCheck::None, NoteRule::Optional),
            // The unit holding the order names who handles it; the centre may too.
            Action::AssignPerson => (
                &[R::UnitHandler, R::UnitLeader, R::Dispatcher, R::Supervisor, R::Leader, R::System],
                &[S::Dispatched, S::Handling, S::Unsatisfied, S::Suspended],
                UnitCheck::HolderOrCentre,
                NoteRule::Optional,
            ),
        };
        Rule { roles, states, unit, note }
    }

    /// The roles that may take this action at all (for documentation and menus).
    pub fn roles(self) -> &'static [Role] {
        self.rule().roles
    }

    /// The states in which this action is allowed.
    pub fn states(self) -> &'static [CaseState] {
        self.rule().states
    }

    pub fn note_rule(self) -> NoteRule {
        self.rule().note
    }
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::AnswerOnSpot { .. } => Action::AnswerOnSpot,
            Command::Forward => Action::Forward,
            Command::Dispatch { .. } => Action::Dispatch,
            Command::Sign => Action::Sign,
            Command::Return { .. } => Action::Return,
            Command::ReviewReturn { .. } => Action::ReviewReturn,
            Command::Reassign { .. } => Action::Reassign,
            Command::PassDown { .. } => Action::PassDown,
            Command::Contact { .. } => Action::Contact,
            Command::Handle => Action::Handle,
            Command::AssistReply => Action::AssistReply,
            Command::Reply { .. } => Action::Reply,
            Command::ReviewReply { .. } => Action::ReviewReply,
            Command::Callback { .. } => Action::Callback,
            Command::Redo => Action::Redo,
            Command::Close => Action::Close,
            Command::Archive => Action::Archive,
            Command::RequestExtension { .. } => Action::RequestExtension,
            Command::ReviewExtension { .. } => Action::ReviewExtension,
            Command::Suspend => Action::Suspend,
            Command::Resume => Action::Resume,
            Command::Urge => Action::Urge,
            Command::Supervise { .. } => Action::Supervise,
            Command::Escalate { .. } => Action::Escalate,
            Command::JointMeeting { .. } => Action::JointMeeting,
            Command::Merge { .. } => Action::Merge,
            Command::Void { .. } => Action::Void,
            Command::AddInfo { .. } => Action::AddInfo,
            Command::Withdraw => Action::Withdraw,
            Command::Reclassify { .. } => Action::Reclassify,
            Command::AssignPerson { .. } => Action::AssignPerson,
        }
    }
}

fn refuse(code: ErrorCode, case: &Case, action: Action, zh: String, en: String) -> DomainError {
    DomainError::new(
        code,
        format!("工单状态为「{}」，不能{}：{}", case.state.label_zh(), action.label_zh(), zh),
        format!("case is {}; cannot {}: {}", case.state.as_str(), action.as_str(), en),
    )
    .with_details(serde_json::json!({ "state": case.state.as_str(), "action": action.as_str() }))
}

fn rule_violation(case: &Case, action: Action, zh: impl Into<String>, en: impl Into<String>) -> DomainError {
    refuse(ErrorCode::RuleViolation, case, action, zh.into(), en.into())
}

/// The checks that depend only on who acts and where the case is, not on the command's data.
/// Shared by [`decide`] and [`available_actions`] so menus never offer what would be refused.
pub fn check_permitted(case: &Case, actor: &Actor, action: Action) -> DomainResult<()> {
    let rule = action.rule();
    if !rule.roles.contains(&actor.role) {
        return Err(refuse(
            ErrorCode::RoleForbidden,
            case,
            action,
            format!("角色「{}」无此权限", actor.role.label_zh()),
            format!("role {} may not do this", actor.role.as_str()),
        ));
    }
    let actor_unit = actor.unit_id();
    let unit_ok = match rule.unit {
        UnitCheck::None => true,
        UnitCheck::Holder => actor_unit.is_some() && case.handling_unit.as_ref().map(|u| u.id) == actor_unit,
        UnitCheck::Assisting => actor_unit.is_some_and(|id| case.assisting.iter().any(|a| a.unit.id == id)),
        UnitCheck::LeadLeaderOrCentre => {
            !actor.role.is_unit_role() || (actor_unit.is_some() && case.lead_unit.as_ref().map(|u| u.id) == actor_unit)
        }
        UnitCheck::HolderOrCentre => {
            !actor.role.is_unit_role() || (actor_unit.is_some() && case.handling_unit.as_ref().map(|u| u.id) == actor_unit)
        }
    };
    if !unit_ok {
        return Err(refuse(
            ErrorCode::UnitForbidden,
            case,
            action,
            "本单位不是当前承办单位".into(),
            "your unit does not hold this case".into(),
        ));
    }
    if !rule.states.contains(&case.state) {
        let allowed: Vec<&str> = rule.states.iter().map(|s| s.label_zh()).collect();
        return Err(refuse(
            ErrorCode::InvalidState,
            case,
            action,
            format!("仅在「{}」状态下可以{}", allowed.join("/"), action.label_zh()),
            format!("allowed only in: {}", rule.states.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
        ));
    }
    Ok(())
}

/// The actions this actor could take on this case now (the case page shows only these).
pub fn available_actions(case: &Case, actor: &Actor, rules: &Rules) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| check_permitted(case, actor, *a).is_ok())
        .filter(|a| match a {
            Action::ReviewExtension => case.pending_extension.is_some(),
            Action::RequestExtension => case.pending_extension.is_none() && case.extensions_approved < rules.max_extensions,
            Action::Redo => case.redo_count < rules.max_redos,
            Action::Close => close_allowed(case, actor, rules).is_ok(),
            Action::Reply => reply_blocker(case, rules).is_none(),
            Action::PassDown => holds_as_lead(case),
            Action::Supervise => case.supervision != Supervision::Red,
            Action::JointMeeting => convenes(case, actor),
            Action::Callback => !(actor.role.is_unit_role() && crate::access::identity_hidden_from(actor, case)),
            Action::AnswerOnSpot => case.intake.case_type != CaseType::Report,
            _ => true,
        })
        .collect()
}

/// Whether this actor is the leader the case was escalated to.
fn convenes(case: &Case, actor: &Actor) -> bool {
    matches!((case.escalated_to.as_ref(), actor.user_id), (Some(l), Some(u)) if l.user_id == u)
}

/// Whether the unit holding the order is the lead itself (not a unit it passed the order down to).
fn holds_as_lead(case: &Case) -> bool {
    case.handling_unit.as_ref().map(|h| h.id) == case.lead_unit.as_ref().map(|l| l.id)
}

/// Why the holder may not reply now, if it may not.
fn reply_blocker(case: &Case, rules: &Rules) -> Option<(&'static str, &'static str)> {
    if case.pending_extension.is_some() {
        return Some(("延期申请待审核，请先等待审核结果", "an extension request is pending review"));
    }
    if rules.lead_waits_for_assists && case.assisting.iter().any(|a| !a.replied) {
        return Some(("协办单位尚未全部回复主办单位", "not every assisting unit has replied to the lead yet"));
    }
    None
}

/// 最终答复 comes after the redos are used up, unless a leader decides; closing before the
/// callback needs a callback attempt or a citizen without a phone.
fn close_allowed(case: &Case, actor: &Actor, rules: &Rules) -> Result<(), (&'static str, &'static str)> {
    match case.state {
        S::AwaitingCallback if case.callback_attempts == 0 && case.intake.citizen.phone.is_some() => {
            Err(("须先回访市民", "the citizen must be called back first"))
        }
        S::Unsatisfied if case.redo_count < rules.max_redos && !matches!(actor.role, R::Leader | R::System) => Err((
            "重办次数未满，应先重办；领导可决定最终答复",
            "redo first; only a leader may give a final reply before the redos are used",
        )),
        _ => Ok(()),
    }
}

fn check_target(case: &Case, action: Action, unit: &UnitRef) -> DomainResult<()> {
    if !unit.kind.handles_cases() {
        return Err(rule_violation(case, action, format!("「{}」不承办工单", unit.name), format!("{} does not handle cases", unit.name)));
    }
    Ok(())
}

fn check_lead_and_assists(case: &Case, action: Action, lead: &UnitRef, assisting: &[UnitRef]) -> DomainResult<()> {
    check_target(case, action, lead)?;
    for (i, a) in assisting.iter().enumerate() {
        check_target(case, action, a)?;
        if a.id == lead.id {
            return Err(rule_violation(case, action, "主办单位不能同时是协办单位", "the lead unit cannot also assist"));
        }
        if assisting[..i].iter().any(|b| b.id == a.id) {
            return Err(rule_violation(case, action, "协办单位重复", "an assisting unit is listed twice"));
        }
    }
    if assisting.len() > 10 {
        return Err(rule_violation(case, action, "协办单位最多 10 个", "at most 10 assisting units"));
    }
    Ok(())
}

/// Decides a command. `note` is the reason the actor gave; actions that require one are refused
/// without it. Returns the events to append, in order.
pub fn decide(
    case: &Case,
    actor: &Actor,
    command: &Command,
    note: Option<&Note>,
    rules: &Rules,
    now: Millis,
) -> DomainResult<Vec<EventKind>> {
    let action = command.action();
    check_permitted(case, actor, action)?;
    if action.note_rule() == NoteRule::Required && note.is_none() {
        return Err(DomainError::invalid(
            "note",
            format!("{}须填写理由或说明", action.label_zh()),
            format!("{} requires a note", action.as_str()),
        )
        .with_details(serde_json::json!({ "field": "note", "action": action.as_str() })));
    }
    // Refusing what a unit asked for, or sending its work back, must say why (全程留痕).
    let refusal_without_reason = match command {
        Command::ReviewReturn { decision: ReturnDecision::Refuse } => Some("review_return"),
        Command::ReviewReply { pass: false } => Some("review_reply"),
        Command::ReviewExtension { approve: false, .. } => Some("review_extension"),
        _ => None,
    };
    if let (Some(name), None) = (refusal_without_reason, note) {
        return Err(DomainError::invalid("note", "驳回或退回须填写理由", "a refusal or send-back requires a note")
            .with_details(serde_json::json!({ "field": "note", "action": name })));
    }
    use EventKind as K;
    let events = match command {
        Command::AnswerOnSpot { answer } => {
            if case.intake.case_type == CaseType::Report {
                return Err(rule_violation(
                    case,
                    action,
                    "举报类诉求须派单办理，不能即时办结",
                    "a report of wrongdoing must be dispatched, not answered on the spot",
                ));
            }
            vec![K::AnsweredOnSpot { answer: answer.as_str().to_string() }]
        }
        Command::Forward => vec![K::Forwarded],
        Command::Dispatch { lead, assisting } => {
            check_lead_and_assists(case, action, lead, assisting)?;
            vec![K::Dispatched { lead: lead.clone(), assisting: assisting.clone() }]
        }
        Command::Sign => vec![K::Signed],
        Command::Return { reason } => {
            let window = i64::from(rules.return_window_hours) * 3_600_000;
            if case.holder_since.is_some_and(|at| now > at + window) {
                return Err(rule_violation(
                    case,
                    action,
                    format!("已超过退单时限（接单后 {} 小时），按首办负责应继续办理", rules.return_window_hours),
                    format!("the return window ({} hours after receiving it) has passed; the unit owns it", rules.return_window_hours),
                ));
            }
            vec![K::ReturnRequested { reason: *reason }]
        }
        Command::ReviewReturn { decision } => match decision {
            ReturnDecision::Reassign { lead, assisting } => {
                check_lead_and_assists(case, action, lead, assisting)?;
                if case.pending_return.as_ref().is_some_and(|p| p.unit_id == lead.id) {
                    return Err(rule_violation(case, action, "不能改派回退单单位", "cannot reassign to the unit that returned it"));
                }
                vec![K::ReturnApproved { reassign_to: Some((lead.clone(), assisting.clone())) }]
            }
            ReturnDecision::ToPool => vec![K::ReturnApproved { reassign_to: None }],
            ReturnDecision::Refuse => vec![K::ReturnRefused],
        },
        Command::Reassign { lead, assisting } => {
            check_lead_and_assists(case, action, lead, assisting)?;
            if case.lead_unit.as_ref().is_some_and(|l| l.id == lead.id) {
                return Err(rule_violation(case, action, "新主办单位与原主办单位相同", "the new lead is the current lead"));
            }
            vec![K::Reassigned { lead: lead.clone(), assisting: assisting.clone() }]
        }
        Command::PassDown { to } => {
            check_target(case, action, to)?;
            let holder = case.handling_unit.as_ref();
            if holder.map(|h| h.id) != to.parent_id {
                return Err(rule_violation(
                    case,
                    action,
                    "只能下派给本单位的直属下级",
                    "can pass down only to a unit directly below yours",
                ));
            }
            // 二级派单 is one level: a unit that received the order by pass-down cannot pass it on.
            if !holds_as_lead(case) {
                return Err(rule_violation(case, action, "已下派过一次，不能再次下派", "already passed down once"));
            }
            vec![K::PassedDown { to: to.clone() }]
        }
        Command::Contact { method } => vec![K::Contacted { method: *method }],
        Command::Handle => vec![K::HandlingNoted],
        Command::AssistReply => vec![K::AssistReplied { unit_id: actor.unit_id().unwrap_or_default() }],
        Command::Reply { text, solved } => {
            if let Some((zh, en)) = reply_blocker(case, rules) {
                return Err(rule_violation(case, action, zh, en));
            }
            vec![K::Replied { text: text.as_str().to_string(), solved: *solved }]
        }
        Command::ReviewReply { pass } => vec![if *pass { K::ReplyPassed } else { K::ReplySentBack }],
        Command::Callback { .. } if actor.role.is_unit_role() && crate::access::identity_hidden_from(actor, case) => {
            return Err(rule_violation(case, action, "保密诉求由热线中心回访", "the centre calls back on confidential requests"));
        }
        Command::Callback { outcome, .. }
            if actor.role == R::Citizen && matches!(outcome, CallbackOutcome::Unreachable | CallbackOutcome::Declined) =>
        {
            return Err(DomainError::invalid(
                "outcome",
                "市民评价只能是满意、基本满意或不满意",
                "a citizen rates satisfied, basically satisfied or unsatisfied",
            ));
        }
        Command::Callback { outcome: CallbackOutcome::Unreachable, .. }
            if case.last_unreachable_at.is_some_and(|last| crate::value::case_day(last) == crate::value::case_day(now)) =>
        {
            return Err(rule_violation(
                case,
                action,
                "今天已回访未接通，请改日再拨",
                "the citizen was unreachable today already; try again on another day",
            ));
        }
        Command::Callback { outcome, solved, comment } => {
            let mut events =
                vec![K::CallbackRecorded { outcome: *outcome, solved: *solved, comment: comment.as_ref().map(|c| c.as_str().to_string()) }];
            match outcome {
                CallbackOutcome::Satisfied | CallbackOutcome::BasicallySatisfied | CallbackOutcome::Declined => {
                    events.push(K::Closed { final_reply: false, outcome: None });
                }
                CallbackOutcome::Unreachable if case.callback_attempts + 1 >= rules.max_callback_attempts => {
                    events.push(K::Closed { final_reply: false, outcome: Some(CallbackOutcome::Unreachable) });
                }
                CallbackOutcome::Unreachable | CallbackOutcome::Unsatisfied => {}
            }
            events
        }
        Command::Redo => {
            if case.redo_count >= rules.max_redos {
                return Err(rule_violation(
                    case,
                    action,
                    format!("已重办 {} 次，请提级领办或最终答复办结", case.redo_count),
                    format!("already redone {} times; escalate or close with a final reply", case.redo_count),
                ));
            }
            vec![K::Redone]
        }
        Command::Close => {
            if let Err((zh, en)) = close_allowed(case, actor, rules) {
                return Err(rule_violation(case, action, zh, en));
            }
            vec![K::Closed { final_reply: case.state == S::Unsatisfied, outcome: None }]
        }
        Command::Archive => vec![K::Archived],
        Command::RequestExtension { days } => {
            if case.pending_extension.is_some() {
                return Err(rule_violation(case, action, "已有延期申请待审核", "an extension request is already pending"));
            }
            if case.extensions_approved >= rules.max_extensions {
                return Err(rule_violation(
                    case,
                    action,
                    format!("延期次数已达上限 {} 次", rules.max_extensions),
                    format!("the limit of {} extensions is reached", rules.max_extensions),
                ));
            }
            if *days == 0 || *days > rules.max_extension_days {
                return Err(DomainError::invalid(
                    "days",
                    format!("延期天数应为 1 至 {} 个工作日", rules.max_extension_days),
                    format!("must be 1 to {} working days", rules.max_extension_days),
                ));
            }
            vec![K::ExtensionRequested { days: *days }]
        }
        Command::ReviewExtension { approve, days } => {
            let Some(pending) = &case.pending_extension else {
                return Err(rule_violation(case, action, "没有待审核的延期申请", "no extension request is pending"));
            };
            if *approve {
                let granted = days.unwrap_or(pending.days);
                if granted == 0 || granted > pending.days {
                    return Err(DomainError::invalid(
                        "days",
                        "批准天数应在 1 与申请天数之间",
                        "granted days must be between 1 and the days requested",
                    ));
                }
                vec![K::ExtensionApproved { days: granted }]
            } else {
                vec![K::ExtensionRefused]
            }
        }
        Command::Suspend => vec![K::Suspended],
        Command::Resume => vec![K::Resumed],
        Command::Urge => vec![K::Urged],
        Command::Supervise { level } => {
            if *level == Supervision::None || *level <= case.supervision {
                return Err(rule_violation(
                    case,
                    action,
                    format!("督办只能升级（当前：{}）", case.supervision.label_zh()),
                    format!("supervision can only be raised (now: {})", case.supervision.as_str()),
                ));
            }
            vec![K::Supervised { level: *level }]
        }
        Command::Escalate { leader } => {
            if case.escalated_to.as_ref().is_some_and(|l| l.user_id == leader.user_id) {
                return Err(rule_violation(case, action, "已由该领导领办", "already escalated to this leader"));
            }
            vec![K::Escalated { leader: leader.clone() }]
        }
        Command::JointMeeting { lead, assisting } => {
            // Only the leader the case was escalated to convenes its meeting (领导领办 → 会商).
            if !convenes(case, actor) {
                return Err(rule_violation(
                    case,
                    action,
                    "只有领办该工单的领导可以召集会商",
                    "only the leader who took the case convenes a joint meeting",
                ));
            }
            check_lead_and_assists(case, action, lead, assisting)?;
            vec![K::JointMeetingHeld { lead: lead.clone(), assisting: assisting.clone() }]
        }
        Command::Merge { into } => {
            if into.id == case.id {
                return Err(rule_violation(case, action, "不能并入自身", "cannot merge a case into itself"));
            }
            vec![K::MergedInto { target: into.clone() }]
        }
        Command::Void { reason } => vec![K::Voided { reason: *reason }],
        Command::AddInfo { attachments } => vec![K::InfoAdded { attachments: attachments.clone() }],
        Command::Withdraw => vec![K::Withdrawn],
        Command::Reclassify { item, catalogue_version } => {
            if case.intake.catalogue_item.as_deref() == Some(item.as_str()) {
                return Err(rule_violation(case, action, "新分类与当前分类相同", "the case already has this item"));
            }
            vec![K::Reclassified { from: case.intake.catalogue_item.clone(), to: item.clone(), catalogue_version: *catalogue_version }]
        }
        Command::AssignPerson { person } => {
            if case.people.iter().any(|p| p.id == person.id) {
                return Err(rule_violation(case, action, format!("已指定{}", person.name), format!("{} is already assigned", person.name)));
            }
            vec![K::PersonAssigned { person: person.clone() }]
        }
    };
    Ok(events)
}

/// The other half of a merge (并单): the events for the case that absorbs `source`. The target
/// must be open; it keeps every reporter of the source.
pub fn decide_merge_target(source: &Case, target: &Case) -> DomainResult<Vec<EventKind>> {
    if !target.state.is_open() {
        return Err(DomainError::new(
            ErrorCode::InvalidState,
            format!("目标工单状态为「{}」，不能并入", target.state.label_zh()),
            format!("target case is {}; cannot merge into it", target.state.as_str()),
        )
        .with_details(serde_json::json!({ "state": target.state.as_str(), "action": "merge" })));
    }
    Ok(vec![EventKind::MergedFrom { source: CaseLink { id: source.id, number: source.number.clone() }, reporters: source.reporters }])
}

/// Refuses a unit kind mismatch for the "no pushing down" rule: an item owned by a functional
/// department may not be dispatched to a street or community as lead. Routing (the catalogue)
/// calls this with the item's owner kind.
pub fn check_no_push_down(owner_kind: UnitKind, lead: &UnitRef) -> DomainResult<()> {
    if matches!(owner_kind, UnitKind::Department | UnitKind::Company) && matches!(lead.kind, UnitKind::Street | UnitKind::Community) {
        return Err(DomainError::new(
            ErrorCode::RuleViolation,
            format!("职能部门事项不得下派街道/社区主办（{}）", lead.name),
            format!("an item owned by a functional department may not be led by a street or community ({})", lead.name),
        ));
    }
    Ok(())
}
