//! History entries. A case's events are append-only: each records who acted, in which role and
//! unit, when, what happened and why. The citizen sees the public part of the same timeline.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::case::{CallbackOutcome, CaseLink, ContactMethod, Intake, LeaderRef, ReturnReason, Solved, Supervision, VoidReason};
use crate::org::{Actor, Role, UnitId, UnitRef, UserId};

/// Who acted, frozen at the time of the event (names and units may change later; history not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActorStamp {
    pub user_id: Option<UserId>,
    pub name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
}

impl From<&Actor> for ActorStamp {
    fn from(a: &Actor) -> Self {
        ActorStamp {
            user_id: a.user_id,
            name: a.name.clone(),
            role: a.role,
            unit_id: a.unit.as_ref().map(|u| u.id),
            unit_name: a.unit.as_ref().map(|u| u.name.clone()),
        }
    }
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// 1, 2, 3... within the case; equals the case's version after this event.
    pub seq: i64,
    pub at: Millis,
    pub actor: ActorStamp,
    pub kind: EventKind,
    /// The reason or note given with the action.
    pub note: Option<String>,
    /// The running clocks after this event, when the event changed them (computed with the
    /// limits and the calendar in force at the time, so later changes to either do not rewrite
    /// history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<Vec<crate::deadline::Deadline>>,
}

/// What happened. Each variant carries exactly what [`crate::case::Case::apply`] needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// 受理
    Received { intake: Intake },
    /// 即时办结
    AnsweredOnSpot { answer: String },
    /// 转派单: handed to the dispatch pool.
    Forwarded,
    /// 派单
    Dispatched { lead: UnitRef, assisting: Vec<UnitRef> },
    /// 签收
    Signed,
    /// 退单申请
    ReturnRequested { reason: ReturnReason },
    /// 退单审核通过 (optionally reassigned at once)
    ReturnApproved { reassign_to: Option<(UnitRef, Vec<UnitRef>)> },
    /// 退单驳回: counts against the returning unit.
    ReturnRefused,
    /// 改派
    Reassigned { lead: UnitRef, assisting: Vec<UnitRef> },
    /// 二级派单: passed down one level.
    PassedDown { to: UnitRef },
    /// 联系市民
    Contacted { method: ContactMethod },
    /// 办理过程记录
    HandlingNoted,
    /// 协办单位回复主办单位
    AssistReplied { unit_id: UnitId },
    /// 办理反馈
    Replied { text: String, solved: Solved },
    /// 审核通过
    ReplyPassed,
    /// 审核退回
    ReplySentBack,
    /// 回访
    CallbackRecorded { outcome: CallbackOutcome, solved: Option<Solved>, comment: Option<String> },
    /// 重办
    Redone,
    /// 办结 (with a final reply 最终答复 when closed after redos)
    Closed { final_reply: bool, outcome: Option<CallbackOutcome> },
    /// 归档
    Archived,
    /// 延期申请
    ExtensionRequested { days: u32 },
    /// 延期批准
    ExtensionApproved { days: u32 },
    /// 延期驳回
    ExtensionRefused,
    /// 挂起
    Suspended,
    /// 恢复
    Resumed,
    /// 催办
    Urged,
    /// 督办
    Supervised { level: Supervision },
    /// 领导领办
    Escalated { leader: LeaderRef },
    /// 并入另一工单
    MergedInto { target: CaseLink },
    /// 另一工单并入本单
    MergedFrom { source: CaseLink, reporters: u32 },
    /// 作废
    Voided { reason: VoidReason },
    /// 市民补充
    InfoAdded {
        /// Files that came with the addition (photos, documents, recordings).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<crate::attachment::AttachmentRef>,
    },
    /// 市民撤诉
    Withdrawn,
    /// 时限预警 (yellow, 75 % used) or 超时 (red): raised by the scheduler, once per clock and level.
    Warned { step: crate::deadline::Step, level: crate::deadline::Light },
    /// 会商: a leader's joint meeting names the lead and assisting units.
    JointMeetingHeld { lead: UnitRef, assisting: Vec<UnitRef> },
    /// 派单建议: who should act and why (item × place), worked out at intake.
    Routed { decision: crate::routing::RoutingDecision },
    /// 智能分类: the classifier's proposals; `auto` when the case went out without review.
    Classified { classification: crate::case::Classification },
    /// 改分类: a dispatcher corrected the catalogue item (training data for the classifier).
    Reclassified { from: Option<String>, to: String, catalogue_version: Option<i64> },
    /// 指定人员: a mediator, legal aid or expert takes the case by name.
    PersonAssigned { person: crate::people::PersonRef },
    /// 回潮: a new case about the same matter and place came in soon after this one closed.
    RecurrenceFlagged { case: crate::case::CaseLink },
}

impl EventKind {
    /// The stable name of the event, stored in its own column for queries.
    pub fn name(&self) -> &'static str {
        use EventKind as K;
        match self {
            K::Received { .. } => "received",
            K::AnsweredOnSpot { .. } => "answered_on_spot",
            K::Forwarded => "forwarded",
            K::Dispatched { .. } => "dispatched",
            K::Signed => "signed",
            K::ReturnRequested { .. } => "return_requested",
            K::ReturnApproved { .. } => "return_approved",
            K::ReturnRefused => "return_refused",
            K::Reassigned { .. } => "reassigned",
            K::PassedDown { .. } => "passed_down",
            K::Contacted { .. } => "contacted",
            K::HandlingNoted => "handling_noted",
            K::AssistReplied { .. } => "assist_replied",
            K::Replied { .. } => "replied",
            K::ReplyPassed => "reply_passed",
            K::ReplySentBack => "reply_sent_back",
            K::CallbackRecorded { .. } => "callback_recorded",
            K::Redone => "redone",
            K::Closed { .. } => "closed",
            K::Archived => "archived",
            K::ExtensionRequested { .. } => "extension_requested",
            K::ExtensionApproved { .. } => "extension_approved",
            K::ExtensionRefused => "extension_refused",
            K::Suspended => "suspended",
            K::Resumed => "resumed",
            K::Urged => "urged",
            K::Supervised { .. } => "supervised",
            K::Escalated { .. } => "escalated",
            K::MergedInto { .. } => "merged_into",
            K::MergedFrom { .. } => "merged_from",
            K::Voided { .. } => "voided",
            K::InfoAdded { .. } => "info_added",
            K::Withdrawn => "withdrawn",
            K::Warned { .. } => "warned",
            K::JointMeetingHeld { .. } => "joint_meeting_held",
            K::Routed { .. } => "routed",
            K::Classified { .. } => "classified",
            K::Reclassified { .. } => "reclassified",
            K::PersonAssigned { .. } => "person_assigned",
            K::RecurrenceFlagged { .. } => "recurrence_flagged",
        }
    }

    /// A one-line Chinese description for timelines.
    pub fn label_zh(&self) -> String {
        use EventKind as K;
        match self {
            K::Received { intake } => format!("受理（{}）", intake.channel.label_zh()),
            K::AnsweredOnSpot { .. } => "即时办结".into(),
            K::Forwarded => "转派单".into(),
            K::Dispatched { lead, assisting } => {
                if assisting.is_empty() {
                    format!("派单至{}", lead.name)
                } else {
                    let names: Vec<&str> = assisting.iter().map(|u| u.name.as_str()).collect();
                    format!("派单至{}（协办：{}）", lead.name, names.join("、"))
                }
            }
            K::Signed => "签收".into(),
            K::ReturnRequested { reason } => format!("退单申请：{}", reason.label_zh()),
            K::ReturnApproved { reassign_to: Some((lead, _)) } => format!("退单审核通过，改派至{}", lead.name),
            K::ReturnApproved { reassign_to: None } => "退单审核通过，重新派单".into(),
            K::ReturnRefused => "退单驳回".into(),
            K::Reassigned { lead, .. } => format!("改派至{}", lead.name),
            K::PassedDown { to } => format!("下派至{}", to.name),
            K::Contacted { method } => format!("联系市民（{}）", method.label_zh()),
            K::HandlingNoted => "办理过程".into(),
            K::AssistReplied { .. } => "协办单位回复".into(),
            K::Replied { solved, .. } => format!("办理反馈（{}）", solved.label_zh()),
            K::ReplyPassed => "审核通过".into(),
            K::ReplySentBack => "审核退回".into(),
            K::CallbackRecorded { outcome, .. } => format!("回访：{}", outcome.label_zh()),
            K::Redone => "重办".into(),
            K::Closed { final_reply: true, .. } => "最终答复，办结".into(),
            K::Closed { .. } => "办结".into(),
            K::Archived => "归档".into(),
            K::ExtensionRequested { days } => format!("申请延期 {days} 个工作日"),
            K::ExtensionApproved { days } => format!("延期批准 {days} 个工作日"),
            K::ExtensionRefused => "延期驳回".into(),
            K::Suspended => "挂起".into(),
            K::Resumed => "恢复办理".into(),
            K::Urged => "催办".into(),
            K::Supervised { level } => level.label_zh().into(),
            K::Escalated { leader } => format!("提级至{}领办", leader.name),
            K::MergedInto { target } => format!("并入工单 {}", target.number),
            K::MergedFrom { source, .. } => format!("工单 {} 并入本单", source.number),
            K::Voided { reason } => format!("作废（{}）", reason.label_zh()),
            K::InfoAdded { .. } => "市民补充诉求".into(),
            K::Withdrawn => "市民撤诉".into(),
            K::Warned { step, level: crate::deadline::Light::Red } => format!("{}已超时（红灯）", step.label_zh()),
            K::Warned { step, .. } => format!("{}即将到期（黄灯预警）", step.label_zh()),
            K::Routed { decision } => match &decision.lead {
                Some(lead) => format!("派单建议：{}（{}）", lead.name, decision.rule.label_zh()),
                None => format!("派单建议：{}", decision.rule.label_zh()),
            },
            K::JointMeetingHeld { lead, assisting } => {
                let names: Vec<&str> = assisting.iter().map(|u| u.name.as_str()).collect();
                if names.is_empty() {
                    format!("会商：{}牵头", lead.name)
                } else {
                    format!("会商：{}牵头，{}协办", lead.name, names.join("、"))
                }
            }
            K::Classified { classification } => match (classification.proposals.first(), classification.auto) {
                (Some(top), true) => format!("智能分类：{}（置信度 {:.0}%，自动派单）", top.name, top.confidence * 100.0),
                (Some(top), false) => format!("智能分类建议：{}（置信度 {:.0}%，待人工审核）", top.name, top.confidence * 100.0),
                (None, _) => "智能分类：无建议，待人工审核".into(),
            },
            K::Reclassified { to, .. } => format!("改分类为 {to}"),
            K::PersonAssigned { person } => format!("指定{}：{}（{}）", person.kind.label_zh(), person.name, person.organisation),
            K::RecurrenceFlagged { case } => format!("回潮：办结后又有同一事项诉求（工单 {}）", case.number),
        }
    }

    /// The label on the citizen's timeline: internal reviews are told as their outcome.
    pub fn public_label_zh(&self) -> String {
        match self {
            EventKind::ReturnApproved { reassign_to: Some((lead, _)) } => format!("改派至{}", lead.name),
            other => other.label_zh(),
        }
    }

    /// Whether the citizen sees this step on the tracking page. Internal steps (notes between
    /// units, reviews, supervision) stay inside.
    pub fn citizen_visible(&self) -> bool {
        use EventKind as K;
        matches!(
            self,
            K::Received { .. }
                | K::AnsweredOnSpot { .. }
                | K::Dispatched { .. }
                | K::Signed
                | K::Reassigned { .. }
                | K::ReturnApproved { reassign_to: Some(_) }
                | K::Contacted { .. }
                | K::Replied { .. }
                | K::CallbackRecorded { .. }
                | K::Redone
                | K::Closed { .. }
                | K::ExtensionApproved { .. }
                | K::Suspended
                | K::Resumed
                | K::MergedInto { .. }
                | K::Voided { .. }
                | K::InfoAdded { .. }
                | K::Withdrawn
        )
    }
}
