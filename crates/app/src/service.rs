//! The case use cases: create, act, read, list, track. Each loads what it needs, checks that the
//! actor may know the case exists (else "not found"), lets the domain decide, and appends the
//! events with the new state in one transaction guarded by the case's version.

use minsheng_domain::access::{self, CitizenView, PublicStep};
use minsheng_domain::case::{
    CallbackOutcome, Case, CaseId, CaseLink, CaseState, CaseType, Channel, ContactMethod, Intake, LeaderRef, ReturnReason, Solved,
    Supervision, VoidReason,
};
use minsheng_domain::event::{ActorStamp, Event, EventKind};
use minsheng_domain::lifecycle::{self, Action, Command, ReturnDecision};
use minsheng_domain::org::{Actor, Role, UnitId, UnitRef, UserId};
use minsheng_domain::value::{CaseNumber, Note};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::{CaseChange, CaseFilter, CaseQuery, FollowUp, NewCase, Scope};
use serde::{Deserialize, Serialize};

use crate::App;

/// What to do right after intake, in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AfterIntake {
    /// Stay received (the operator decides next).
    Stay,
    /// Hand to the dispatch pool (the usual path).
    #[default]
    Forward,
}

/// An action on a case as clients send it: units and people by id, resolved here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    AnswerOnSpot {
        answer: Note,
    },
    Forward {},
    Dispatch {
        lead_unit_id: UnitId,
        #[serde(default)]
        assisting_unit_ids: Vec<UnitId>,
        /// The catalogue item, when the dispatcher corrects it while dispatching (one action:
        /// 改分类 then 派单).
        #[serde(default)]
        catalogue_item: Option<String>,
    },
    Sign {},
    Return {
        reason: ReturnReason,
    },
    ReviewReturn {
        decision: ReturnDecisionRequest,
        lead_unit_id: Option<UnitId>,
        #[serde(default)]
        assisting_unit_ids: Vec<UnitId>,
    },
    Reassign {
        lead_unit_id: UnitId,
        #[serde(default)]
        assisting_unit_ids: Vec<UnitId>,
    },
    PassDown {
        to_unit_id: UnitId,
    },
    Contact {
        method: ContactMethod,
    },
    Handle {},
    AssistReply {},
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
    Redo {},
    Close {},
    Archive {},
    RequestExtension {
        days: u32,
    },
    ReviewExtension {
        approve: bool,
        days: Option<u32>,
    },
    Suspend {},
    Resume {},
    Urge {},
    Supervise {
        level: Supervision,
    },
    Escalate {
        leader_user_id: UserId,
    },
    /// 会商: the lead and assisting units the meeting settled on.
    JointMeeting {
        lead_unit_id: UnitId,
        #[serde(default)]
        assisting_unit_ids: Vec<UnitId>,
    },
    Merge {
        into: String,
    },
    Void {
        reason: VoidReason,
    },
    AddInfo {
        /// Ids of files uploaded before (POST /api/attachments) to add with the text.
        #[serde(default)]
        attachments: Vec<String>,
    },
    Withdraw {},
    /// 改分类
    Reclassify {
        item: String,
    },
    /// 指定人员
    AssignPerson {
        person_id: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnDecisionRequest {
    Reassign,
    ToPool,
    Refuse,
}

/// A case as one actor may see it: the state, the citizen as far as they may see them, the
/// timeline, and the actions open to them now.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    pub case: serde_json::Value,
    pub citizen: CitizenView,
    pub timeline: Vec<TimelineEntry>,
    pub actions: Vec<Action>,
    /// The running clocks with their traffic light now (时限红绿灯).
    pub clocks: Vec<ClockView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    pub step: minsheng_domain::deadline::Step,
    pub label: &'static str,
    pub limit: String,
    pub started_at: String,
    /// Absent while the case is suspended.
    pub due_at: Option<String>,
    pub yellow_at: Option<String>,
    pub light: minsheng_domain::deadline::Light,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: String,
    pub kind: &'static str,
    pub label: String,
    pub actor: ActorStamp,
    pub note: Option<String>,
    pub internal: bool,
    /// The event's own data (the intake is left out: the case carries it, redacted as needed).
    pub data: serde_json::Value,
}

/// One line of a case list.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub id: CaseId,
    pub number: String,
    pub state: CaseState,
    pub state_label: &'static str,
    pub case_type: CaseType,
    pub channel: Channel,
    pub urgency: minsheng_domain::case::Urgency,
    pub title: String,
    pub address: Option<String>,
    pub lead_unit: Option<String>,
    pub handling_unit: Option<String>,
    pub supervision: Supervision,
    pub received_at: String,
    pub updated_at: String,
    pub version: i64,
    pub catalogue_item: Option<String>,
    /// The classifier's top proposals at intake (the dispatch pool is the review queue).
    pub proposals: Vec<minsheng_domain::case::ItemProposal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseList {
    pub items: Vec<CaseSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// What the citizen sees on the tracking page.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCase {
    pub number: String,
    pub state: &'static str,
    pub title: String,
    pub case_type: &'static str,
    pub received_at: String,
    pub timeline: Vec<PublicStep>,
}

/// Which list a unit user wants: the inbox (cases it holds now) or everything of its subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListView {
    #[default]
    Visible,
    Inbox,
}

fn not_found() -> DomainError {
    DomainError::not_found("工单", "case")
}

impl App {
    /// 受理: takes a case in. Operators, dispatchers, grid workers, integrations and citizens
    /// (through the public pages) may; the channel must fit who takes it.
    pub async fn create_case(&self, actor: &Actor, intake: Intake, after: AfterIntake) -> DomainResult<CaseDetail> {
        let (case, events) = self.take_in(actor, intake, after, None).await?;
        Ok(self.view_of(actor, case, &events))
    }

    /// [`App::create_case`] for edges that answer with the number only (Open311, the public
    /// door): the same intake, without building the actor's view of the case.
    pub async fn create_case_quietly(&self, actor: &Actor, intake: Intake, after: AfterIntake) -> DomainResult<Case> {
        Ok(self.take_in(actor, intake, after, None).await?.0)
    }

    /// [`App::create_case`] for a channel: the outside message id and its conversation keys are
    /// written in the creating transaction (a message id seen before fails the whole creation).
    pub(crate) async fn take_in(
        &self,
        actor: &Actor,
        mut intake: Intake,
        after: AfterIntake,
        inbound: Option<minsheng_store::InboundLink>,
    ) -> DomainResult<(Case, Vec<Event>)> {
        let allowed = [Role::Operator, Role::Dispatcher, Role::GridWorker, Role::System, Role::Citizen];
        if !allowed.contains(&actor.role) {
            return Err(DomainError::new(
                ErrorCode::RoleForbidden,
                format!("角色「{}」不能受理工单", actor.role.label_zh()),
                format!("role {} may not take in cases", actor.role.as_str()),
            ));
        }
        match actor.role {
            Role::GridWorker => intake.channel = Channel::GridWorker,
            Role::Citizen
                if !matches!(intake.channel, Channel::Web | Channel::Mobile | Channel::Wechat | Channel::Sms | Channel::Email) =>
            {
                intake.channel = Channel::Web;
            }
            _ => {}
        }
        // 举报 never reveals the reporter to the units it concerns.
        if intake.case_type == CaseType::Report {
            intake.citizen.confidential = true;
        }
        if intake.citizen.anonymous {
            intake.citizen.name = None;
        }
        if let Some(code) = intake.catalogue_item.clone() {
            let catalogue = self.current_catalogue().await?;
            // Without any catalogue (a bare installation) item codes are kept as given.
            if catalogue.version > 0 {
                let leaf = catalogue.leaves().into_iter().any(|i| i.code == code);
                if !leaf {
                    return Err(DomainError::invalid(
                        "catalogue_item",
                        format!("职责清单中没有可派单的事项 {code}"),
                        format!("no routable catalogue item {code}"),
                    ));
                }
                intake.catalogue_version = Some(catalogue.version);
            }
        }
        if let Some(unit_id) = intake.place.division_unit_id {
            let unit = self.store.get_unit(unit_id).await?;
            if !unit.is_some_and(|u| u.kind.is_territorial()) {
                return Err(DomainError::invalid(
                    "place.division_unit_id",
                    "不是有效的区/街道/社区",
                    "not a district, street or community",
                ));
            }
        }
        if let (Some(lat), Some(lng)) = (intake.place.latitude, intake.place.longitude)
            && (!(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng))
        {
            return Err(DomainError::invalid("place", "坐标超出范围", "coordinates out of range"));
        }
        if intake.tags.len() > 20 || intake.tags.iter().any(|t| t.is_empty() || t.chars().count() > 20 || t.chars().any(char::is_control)) {
            return Err(DomainError::invalid("tags", "标签最多 20 个，每个 1 至 20 字", "at most 20 tags of 1 to 20 characters"));
        }
        let now = self.clock.now();
        let system = Some(stamp(&Actor::system()));
        // 恶意重复诉求: a flagged citizen's report is taken, tagged, and left for a person to dispatch.
        let flagged = self.flagged(intake.citizen.phone.as_ref()).await?;
        if flagged && !intake.tags.iter().any(|t| t == crate::citizens::FLAG_TAG) {
            intake.tags.push(crate::citizens::FLAG_TAG.to_string());
        }
        // 智能分类: without an item, the classifier proposes; a confident proposal is the item.
        let mut classification = self.classify_intake(&intake).await?;
        if let Some(c) = classification.as_mut() {
            // A case the operator keeps (not forwarded) is not dispatched behind their back.
            c.auto &= after == AfterIntake::Forward && !flagged;
            if let Some(top) = c.proposals.first().filter(|_| c.auto) {
                intake.catalogue_item = Some(top.item.clone());
                intake.catalogue_version = c.catalogue_version;
            }
        }
        // 派单建议: item × place, worked out now and kept on the case with its reasons. A case
        // left for review is routed by its top proposal, as a suggestion to the dispatcher.
        let mut routed = intake.clone();
        if routed.catalogue_item.is_none() {
            routed.catalogue_item = classification.as_ref().and_then(|c| c.proposals.first()).map(|p| p.item.clone());
        }
        let (decision, reading) = self.propose_routing(&routed).await?;
        if intake.place.division_unit_id.is_none() {
            intake.place.division_unit_id = reading.unit_id;
        }
        let auto = classification.as_ref().is_some_and(|c| c.auto);
        let lead = decision.lead.clone();
        let assisting = decision.assisting.clone();
        let mut then = Vec::new();
        if let Some(classification) = classification {
            then.push(FollowUp { kind: EventKind::Classified { classification }, note: None, at: None, actor: system.clone() });
        }
        then.push(FollowUp { kind: EventKind::Routed { decision }, note: None, at: None, actor: system.clone() });
        // 回潮: the same matter at the same place soon after a case was closed flags both.
        let recurs = self.recurrence_of(&intake).await?;
        for old in &recurs {
            then.push(FollowUp { kind: EventKind::RecurrenceFlagged { case: old.clone() }, note: None, at: None, actor: system.clone() });
        }
        if after == AfterIntake::Forward {
            then.push(FollowUp { kind: EventKind::Forwarded, note: None, at: None, actor: None });
        }
        let mut new = NewCase {
            number_prefix: self.settings.number_prefix.clone(),
            intake,
            at: now,
            actor: stamp(actor),
            then,
            deadlines: None,
            notices: Vec::new(),
            inbound,
        };
        // 自动派单: the confident case goes straight to the unit the routing found, through the
        // same rules as a dispatcher's dispatch.
        if auto
            && let Some(lead) = lead
            && let Ok(provisional) = CaseNumber::compose(&self.settings.number_prefix, "19700101", 1)
        {
            let (case, _) = minsheng_store::build_new_case(0, provisional, &new);
            let command = Command::Dispatch { lead, assisting };
            if let Ok(kinds) = lifecycle::decide(&case, &Actor::system(), &command, None, &self.settings.rules, now) {
                let note = Some("智能分类置信度达到阈值，自动派单".to_string());
                new.then.extend(kinds.into_iter().map(|kind| FollowUp { kind, note: note.clone(), at: None, actor: system.clone() }));
            }
        }
        // The clocks of the new case do not depend on its id or number: fold a provisional one.
        if let Ok(provisional) = CaseNumber::compose(&self.settings.number_prefix, "19700101", 1) {
            let (case, _) = minsheng_store::build_new_case(0, provisional, &new);
            new.deadlines = Some(self.running_clocks(&case));
            // 受理回执: the citizen's acknowledgement is written with the case.
            new.notices = self.intake_notices(&case, now).await?;
        }
        let case = self.store.create_case(new.clone()).await?;
        if !new.notices.is_empty() {
            self.outbox_written.send_modify(|n| *n += 1);
        }
        // 附件: the files named at intake now belong to the case.
        self.claim_attachments(case.id, &case.intake.attachments).await;
        metrics_case_event("received");
        if !recurs.is_empty() {
            self.flag_recurrences(&case, &recurs, now).await?;
        }
        // The history is exactly what the store wrote for `new`: rebuild it instead of reading it.
        let (_, events) = minsheng_store::build_new_case(case.id, case.number.clone(), &new);
        Ok((case, events))
    }

    /// SMS notices of a closed case's outcome to the reporters of the cases merged into it (sent
    /// by the channel workers; each one on its own case's delivery log).
    async fn merged_outcome_notices(&self, target: &Case, now: i64) -> DomainResult<Vec<minsheng_store::NewNotice>> {
        let outcome = target.reply.as_ref().map_or_else(|| "已办结".to_string(), |r| r.text.chars().take(200).collect());
        let mut out = Vec::new();
        for source in &target.merged_from {
            let Some(case) = self.store.get_case(source.id).await? else { continue };
            let Some(phone) = case.intake.citizen.phone.as_ref() else { continue };
            let body = format!(
                "您反映的问题（工单{}）已与同一事项的工单{}合并办理，现已办结。办理结果：{}",
                case.number.as_str(),
                target.number.as_str(),
                outcome
            );
            out.push(minsheng_store::NewNotice {
                dedup_key: format!("merged-outcome:{}:{}", case.id, target.version),
                case_id: Some(case.id),
                channel: "sms".into(),
                recipient: phone.as_str().to_string(),
                template: "merged_outcome".into(),
                body,
                payload: serde_json::json!({ "target": target.number.as_str(), "source": case.number.as_str() }),
                created_at: now,
            });
        }
        Ok(out)
    }

    /// Marks each closed case the new one reports again (回潮), with a link to the new case.
    async fn flag_recurrences(&self, new: &Case, closed: &[CaseLink], now: i64) -> DomainResult<()> {
        let link = CaseLink { id: new.id, number: new.number.clone() };
        let clocks = |c: &Case| self.running_clocks(c);
        for old in closed {
            // A concurrent change of the old case only means the flag is written on the next try.
            for _ in 0..3 {
                let Some(case) = self.store.get_case(old.id).await? else { break };
                let note = Some("办结后 72 小时内又有同一地点、同一事项的诉求".to_string());
                let change =
                    change_for(&case, &Actor::system(), vec![EventKind::RecurrenceFlagged { case: link.clone() }], note, now, &clocks);
                match self.store.append(vec![change]).await {
                    Ok(_) => break,
                    Err(minsheng_store::StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }

    /// Loads a case the actor may see, by id or number; anything else is "not found".
    pub async fn visible_case(&self, actor: &Actor, key: &str) -> DomainResult<Case> {
        let case = match key.parse::<CaseId>() {
            Ok(id) => self.store.get_case(id).await?,
            Err(_) => match CaseNumber::parse(key) {
                Ok(n) => self.store.case_by_number(n.as_str()).await?,
                Err(_) => None,
            },
        };
        case.filter(|c| access::can_see(actor, c)).ok_or_else(not_found)
    }

    pub async fn case_detail(&self, actor: &Actor, key: &str) -> DomainResult<CaseDetail> {
        let case = self.visible_case(actor, key).await?;
        let events = self.store.case_events(case.id).await?;
        Ok(self.detail_of(actor, case, &events))
    }

    /// A case as shown to someone who opened it: viewing a full phone number is logged.
    fn detail_of(&self, actor: &Actor, case: Case, events: &[Event]) -> CaseDetail {
        let detail = self.view_of(actor, case, events);
        if !detail.citizen.identity_hidden && !detail.citizen.phone_masked && detail.citizen.phone.is_some() {
            // 个人信息查看留痕: who saw a full phone number, and when.
            tracing::info!(target: "audit", user = ?actor.user_id, role = actor.role.as_str(), case = %detail.case["number"], "personal data viewed");
        }
        detail
    }

    /// A case as this actor may see it (the intake response: the operator typed the number in).
    fn view_of(&self, actor: &Actor, case: Case, events: &[Event]) -> CaseDetail {
        let citizen = access::citizen_view(actor, &case);
        let actions = lifecycle::available_actions(&case, actor, &self.settings.rules);
        let mut case_json = serde_json::to_value(&case).unwrap_or(serde_json::Value::Null);
        if let Some(intake) = case_json.get_mut("intake").and_then(|v| v.as_object_mut()) {
            intake.remove("citizen");
            // A file's name may identify the reporter; the list (GET …/attachments) applies the rule.
            if citizen.identity_hidden {
                intake.remove("attachments");
            }
        }
        let timeline = events
            .iter()
            .map(|e| {
                let mut data = serde_json::to_value(&e.kind).unwrap_or(serde_json::Value::Null);
                if let Some(obj) = data.as_object_mut() {
                    obj.remove("intake");
                    obj.remove("type");
                    if citizen.identity_hidden {
                        obj.remove("attachments");
                    }
                }
                let mut actor_stamp = e.actor.clone();
                if actor_stamp.role == Role::Citizen && citizen.identity_hidden {
                    actor_stamp.name = "市民".into();
                }
                TimelineEntry {
                    seq: e.seq,
                    at: minsheng_domain::format_time(e.at),
                    kind: e.kind.name(),
                    label: e.kind.label_zh(),
                    actor: actor_stamp,
                    note: e.note.clone(),
                    internal: !e.kind.citizen_visible(),
                    data,
                }
            })
            .collect();
        let now = self.clock.now();
        let clocks = case
            .deadlines
            .iter()
            .map(|d| ClockView {
                step: d.step,
                label: d.step.label_zh(),
                limit: d.limit.describe(),
                started_at: minsheng_domain::format_time(d.started_at),
                due_at: d.due_at.map(minsheng_domain::format_time),
                yellow_at: d.yellow_at.map(minsheng_domain::format_time),
                light: d.light(now),
            })
            .collect();
        CaseDetail { case: case_json, citizen, timeline, actions, clocks }
    }

    /// Checks that `code` is an item cases can be routed by; returns the catalogue version.
    async fn routable_item(&self, code: &str) -> DomainResult<Option<i64>> {
        let catalogue = self.current_catalogue().await?;
        if catalogue.version == 0 {
            return Ok(None);
        }
        if !catalogue.leaves().iter().any(|i| i.code == code) {
            return Err(DomainError::invalid(
                "catalogue_item",
                format!("职责清单中没有可派单的事项 {code}"),
                format!("no routable catalogue item {code}"),
            ));
        }
        Ok(Some(catalogue.version))
    }

    /// Resolves a registered person (调解员、法律援助、专家) for an assignment.
    async fn person_ref(&self, id: i64) -> DomainResult<minsheng_domain::people::PersonRef> {
        self.store.get_person(id).await?.filter(|p| p.active).map(|p| p.as_ref()).ok_or_else(|| {
            DomainError::invalid("person_id", format!("人员 {id} 不存在或已停用"), format!("person {id} does not exist or is inactive"))
        })
    }

    /// Resolves a unit id to the unit, refusing unknown ones with a field-named error.
    async fn unit_ref(&self, field: &str, id: UnitId) -> DomainResult<UnitRef> {
        match self.store.get_unit(id).await? {
            Some(u) if u.active => Ok(u.as_ref()),
            _ => Err(DomainError::invalid(field, format!("单位 {id} 不存在"), format!("unit {id} does not exist"))),
        }
    }

    async fn unit_refs(&self, field: &str, ids: &[UnitId]) -> DomainResult<Vec<UnitRef>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.unit_ref(field, *id).await?);
        }
        Ok(out)
    }

    async fn resolve(&self, actor: &Actor, case: &Case, request: ActionRequest) -> DomainResult<(Command, Option<Case>)> {
        use ActionRequest as A;
        let cmd = match request {
            A::AnswerOnSpot { answer } => Command::AnswerOnSpot { answer },
            A::Forward {} => Command::Forward,
            A::Dispatch { lead_unit_id, assisting_unit_ids, .. } => Command::Dispatch {
                lead: self.unit_ref("lead_unit_id", lead_unit_id).await?,
                assisting: self.unit_refs("assisting_unit_ids", &assisting_unit_ids).await?,
            },
            A::Sign {} => Command::Sign,
            A::Return { reason } => Command::Return { reason },
            A::ReviewReturn { decision, lead_unit_id, assisting_unit_ids } => Command::ReviewReturn {
                decision: match decision {
                    ReturnDecisionRequest::Reassign => {
                        let lead = lead_unit_id
                            .ok_or_else(|| DomainError::invalid("lead_unit_id", "改派须指定主办单位", "required to reassign"))?;
                        ReturnDecision::Reassign {
                            lead: self.unit_ref("lead_unit_id", lead).await?,
                            assisting: self.unit_refs("assisting_unit_ids", &assisting_unit_ids).await?,
                        }
                    }
                    ReturnDecisionRequest::ToPool => ReturnDecision::ToPool,
                    ReturnDecisionRequest::Refuse => ReturnDecision::Refuse,
                },
            },
            A::Reassign { lead_unit_id, assisting_unit_ids } => Command::Reassign {
                lead: self.unit_ref("lead_unit_id", lead_unit_id).await?,
                assisting: self.unit_refs("assisting_unit_ids", &assisting_unit_ids).await?,
            },
            A::PassDown { to_unit_id } => Command::PassDown { to: self.unit_ref("to_unit_id", to_unit_id).await? },
            A::Contact { method } => Command::Contact { method },
            A::Handle {} => Command::Handle,
            A::AssistReply {} => Command::AssistReply,
            A::Reply { text, solved } => Command::Reply { text, solved },
            A::ReviewReply { pass } => Command::ReviewReply { pass },
            A::Callback { outcome, solved, comment } => Command::Callback { outcome, solved, comment },
            A::Redo {} => Command::Redo,
            A::Close {} => Command::Close,
            A::Archive {} => Command::Archive,
            A::RequestExtension { days } => Command::RequestExtension { days },
            A::ReviewExtension { approve, days } => Command::ReviewExtension { approve, days },
            A::Suspend {} => Command::Suspend,
            A::Resume {} => Command::Resume,
            A::Urge {} => Command::Urge,
            A::Supervise { level } => Command::Supervise { level },
            A::Escalate { leader_user_id } => {
                let leader = self
                    .store
                    .get_user(leader_user_id)
                    .await?
                    .filter(|u| u.active && u.role == Role::Leader)
                    .ok_or_else(|| DomainError::invalid("leader_user_id", "不是有效的领导账号", "not an active leader"))?;
                Command::Escalate { leader: LeaderRef { user_id: leader.id, name: leader.name } }
            }
            A::JointMeeting { lead_unit_id, assisting_unit_ids } => Command::JointMeeting {
                lead: self.unit_ref("lead_unit_id", lead_unit_id).await?,
                assisting: self.unit_refs("assisting_unit_ids", &assisting_unit_ids).await?,
            },
            A::Merge { into } => {
                let target = self
                    .visible_case(actor, &into)
                    .await
                    .map_err(|_| DomainError::invalid("into", "目标工单不存在", "no such target case"))?;
                if target.id == case.id {
                    return Err(DomainError::invalid("into", "不能并入自身", "cannot merge a case into itself"));
                }
                return Ok((Command::Merge { into: CaseLink { id: target.id, number: target.number.clone() } }, Some(target)));
            }
            A::Void { reason } => Command::Void { reason },
            A::AddInfo { attachments } => Command::AddInfo { attachments: self.attachment_refs(actor, &attachments).await? },
            A::Withdraw {} => Command::Withdraw,
            A::Reclassify { item } => Command::Reclassify { catalogue_version: self.routable_item(&item).await?, item },
            A::AssignPerson { person_id } => Command::AssignPerson { person: self.person_ref(person_id).await? },
        };
        Ok((cmd, None))
    }

    /// Takes an action on a case. `version` is the version the actor saw: if the case moved on
    /// since, the action is refused with a conflict and nothing changes.
    pub async fn act(
        &self,
        actor: &Actor,
        key: &str,
        version: i64,
        request: ActionRequest,
        note: Option<Note>,
    ) -> DomainResult<CaseDetail> {
        let case = self.visible_case(actor, key).await?;
        self.act_on(actor, case, version, request, note).await
    }

    pub(crate) async fn act_on(
        &self,
        actor: &Actor,
        case: Case,
        version: i64,
        request: ActionRequest,
        note: Option<Note>,
    ) -> DomainResult<CaseDetail> {
        if case.version != version {
            return Err(DomainError::conflict(version, case.version));
        }
        // A dispatch that corrects the item first records the correction (改分类).
        let correction = match &request {
            ActionRequest::Dispatch { catalogue_item: Some(item), .. } if case.intake.catalogue_item.as_deref() != Some(item.as_str()) => {
                Some(Command::Reclassify { catalogue_version: self.routable_item(item).await?, item: item.clone() })
            }
            _ => None,
        };
        let (command, merge_target) = self.resolve(actor, &case, request).await?;
        let now = self.clock.now();
        let mut kinds = Vec::new();
        let mut current = case.clone();
        if let Some(correction) = &correction {
            kinds = lifecycle::decide(&case, actor, correction, None, &self.settings.rules, now)?;
            for kind in &kinds {
                current.apply(&Event {
                    seq: current.version + 1,
                    at: now,
                    actor: stamp(actor),
                    kind: kind.clone(),
                    note: None,
                    deadlines: None,
                });
            }
        }
        kinds.extend(lifecycle::decide(&current, actor, &command, note.as_ref(), &self.settings.rules, now)?);
        // A new item gets a new routing proposal, with its reasons, on the case.
        if kinds.iter().any(|k| matches!(k, EventKind::Reclassified { .. })) {
            let mut intake = case.intake.clone();
            if let Some(EventKind::Reclassified { to, catalogue_version, .. }) =
                kinds.iter().find(|k| matches!(k, EventKind::Reclassified { .. }))
            {
                intake.catalogue_item = Some(to.clone());
                intake.catalogue_version = *catalogue_version;
            }
            let (decision, _) = self.propose_routing(&intake).await?;
            let at = kinds.iter().position(|k| matches!(k, EventKind::Reclassified { .. })).map_or(0, |i| i + 1);
            kinds.insert(at, EventKind::Routed { decision });
        }
        let note_text = note.map(|n| n.as_str().to_string());
        let clocks = |c: &Case| self.running_clocks(c);
        let urged = matches!(command, Command::Urge);
        let mut first = change_for(&case, actor, kinds, note_text.clone(), now, &clocks);
        if urged {
            // A supervisor's urge reaches the handler; a repeated one the unit's leader as well.
            let to_leader = matches!((case.last_urged_at, case.holder_since), (Some(u), Some(h)) if u > h);
            first.notices = self.urge_notices(&first.case, to_leader, note_text.as_deref().unwrap_or("请尽快办理"), now).await?;
        }
        self.climb_ladder(&mut first, now).await?;
        // Word to the citizen: the result and the callback invitation, a redo.
        let kinds: Vec<&EventKind> = first.events.iter().map(|e| &e.kind).collect();
        let told = self.change_notices(&case, &first.case, &kinds, now).await?;
        first.notices.extend(told);
        // 并单: everyone who reported a merged-in case hears the outcome of the case that absorbed it.
        if first.events.iter().any(|e| matches!(e.kind, EventKind::Closed { .. })) && !case.merged_from.is_empty() {
            first.notices.extend(self.merged_outcome_notices(&first.case, now).await?);
        }
        let files = crate::attachments::named_by(&first.events);
        let mut changes = vec![first];
        if let Some(target) = merge_target {
            let kinds = lifecycle::decide_merge_target(&case, &target)?;
            changes.push(change_for(&target, actor, kinds, note_text, now, &clocks));
        }
        let names: Vec<&'static str> = changes.iter().flat_map(|c| c.events.iter().map(|e| e.kind.name())).collect();
        let wrote_notices = changes.iter().any(|c| !c.notices.is_empty());
        let mut saved = self.store.append(changes).await?;
        if wrote_notices {
            self.outbox_written.send_modify(|n| *n += 1);
        }
        for n in names {
            metrics_case_event(n);
        }
        let case = saved.remove(0);
        self.claim_attachments(case.id, &files).await;
        let events = self.store.case_events(case.id).await?;
        Ok(self.detail_of(actor, case, &events))
    }

    /// A case list for this actor. Centre roles see all; unit roles their subtree (or their
    /// inbox); grid workers what they reported.
    pub async fn list_cases(
        &self,
        actor: &Actor,
        view: ListView,
        filter: CaseFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> DomainResult<CaseList> {
        let scope = match (actor.role, &actor.unit, view) {
            (r, _, ListView::Visible) if r.is_city_wide() => Scope::All,
            (Role::UnitHandler | Role::UnitLeader, Some(unit), ListView::Inbox) => Scope::Holder { unit_id: unit.id },
            (Role::UnitHandler | Role::UnitLeader, Some(unit), ListView::Visible) => Scope::Subtree { unit_id: unit.id },
            (Role::GridWorker, _, _) => match actor.user_id {
                Some(user_id) => Scope::ReceivedBy { user_id },
                None => return Ok(CaseList { items: vec![], next_cursor: None }),
            },
            (r, _, ListView::Inbox) if r.is_city_wide() => Scope::All,
            _ => return Err(DomainError::new(ErrorCode::Forbidden, "无权查看工单列表", "you may not list cases")),
        };
        let before_id = match cursor {
            Some(c) => Some(c.parse::<CaseId>().map_err(|_| DomainError::invalid("cursor", "无效的翻页游标", "invalid cursor"))?),
            None => None,
        };
        if let Some(text) = &filter.text
            && (text.chars().count() > 100 || text.chars().any(char::is_control))
        {
            return Err(DomainError::invalid("q", "搜索词最多 100 字且不含控制字符", "at most 100 characters, no control characters"));
        }
        let page = self.store.list_cases(&CaseQuery { scope, filter, before_id, limit: limit.clamp(1, 200) }).await?;
        Ok(CaseList { items: page.cases.iter().map(summary).collect(), next_cursor: page.next_before_id.map(|id| id.to_string()) })
    }

    /// The citizen's tracking view: the case number and the last four digits of the phone given
    /// at intake. Any mismatch is the same "not found", so numbers cannot be probed.
    pub async fn track(&self, number: &str, phone_last4: &str) -> DomainResult<PublicCase> {
        let case = self.tracked_case(number, phone_last4).await?;
        let events = self.store.case_events(case.id).await?;
        Ok(PublicCase {
            number: case.number.as_str().to_string(),
            state: case.state.label_zh(),
            title: case.intake.title.as_str().to_string(),
            case_type: case.intake.case_type.label_zh(),
            received_at: minsheng_domain::format_time(case.received_at),
            timeline: access::public_timeline(&events),
        })
    }

    async fn tracked_case(&self, number: &str, phone_last4: &str) -> DomainResult<Case> {
        let nf = || DomainError::not_found("工单（或电话后四位不符）", "case (or the phone digits do not match)");
        let number = CaseNumber::parse(number).map_err(|_| nf())?;
        if phone_last4.len() != 4 || !phone_last4.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::invalid("phone_last4", "请输入电话号码后四位", "give the last four digits of the phone"));
        }
        let case = self.store.case_by_number(number.as_str()).await?.ok_or_else(nf)?;
        match &case.intake.citizen.phone {
            Some(p) if p.last_four() == phone_last4 => Ok(case),
            _ => Err(nf()),
        }
    }

    /// A citizen acting on their own case from the tracking page (补充, 评价 or 撤诉).
    pub async fn citizen_act(
        &self,
        number: &str,
        phone_last4: &str,
        request: ActionRequest,
        note: Option<Note>,
    ) -> DomainResult<PublicCase> {
        if !matches!(request, ActionRequest::AddInfo { .. } | ActionRequest::Withdraw {} | ActionRequest::Callback { .. }) {
            return Err(DomainError::new(
                ErrorCode::RoleForbidden,
                "市民只能补充诉求、评价或撤诉",
                "citizens may only add information, rate or withdraw",
            ));
        }
        let case = self.tracked_case(number, phone_last4).await?;
        let actor = Actor { user_id: None, name: "市民".into(), role: Role::Citizen, unit: None };
        let version = case.version;
        self.act_on(&actor, case, version, request, note).await?;
        self.track(number, phone_last4).await
    }
}

fn stamp(actor: &Actor) -> ActorStamp {
    ActorStamp::from(actor)
}

/// Adds one more event, by `actor`, to a change (automatic steps that follow a decision).
pub(crate) fn extend_change(
    change: &mut CaseChange,
    actor: &Actor,
    kind: EventKind,
    note: Option<String>,
    now: i64,
    clocks: &dyn Fn(&Case) -> Vec<minsheng_domain::deadline::Deadline>,
) {
    let e = Event { seq: change.case.version + 1, at: now, actor: stamp(actor), kind, note, deadlines: None };
    change.case.apply(&e);
    change.events.push(e);
    let running = clocks(&change.case);
    if running != change.case.deadlines {
        if let Some(last) = change.events.last_mut() {
            last.deadlines = Some(running.clone());
        }
        change.case.deadlines = running;
    }
}

/// The events of one decision, folded into the case, with the clocks they leave running recorded
/// on the last event when they changed.
pub(crate) fn change_for(
    case: &Case,
    actor: &Actor,
    kinds: Vec<EventKind>,
    note: Option<String>,
    now: i64,
    clocks: &dyn Fn(&Case) -> Vec<minsheng_domain::deadline::Deadline>,
) -> CaseChange {
    let mut next = case.clone();
    let mut events = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let e = Event { seq: next.version + 1, at: now, actor: stamp(actor), kind, note: note.clone(), deadlines: None };
        next.apply(&e);
        events.push(e);
    }
    let running = clocks(&next);
    if running != next.deadlines {
        if let Some(last) = events.last_mut() {
            last.deadlines = Some(running.clone());
        }
        next.deadlines = running;
    }
    CaseChange { case: next, expected_version: case.version, events, fires: vec![], notices: vec![] }
}

pub fn summary(c: &Case) -> CaseSummary {
    CaseSummary {
        id: c.id,
        number: c.number.as_str().to_string(),
        state: c.state,
        state_label: c.state.label_zh(),
        case_type: c.intake.case_type,
        channel: c.intake.channel,
        urgency: c.intake.urgency,
        title: c.intake.title.as_str().to_string(),
        address: c.intake.place.address.as_ref().map(|a| a.as_str().to_string()),
        lead_unit: c.lead_unit.as_ref().map(|u| u.name.clone()),
        handling_unit: c.handling_unit.as_ref().map(|u| u.name.clone()),
        supervision: c.supervision,
        received_at: minsheng_domain::format_time(c.received_at),
        updated_at: minsheng_domain::format_time(c.updated_at),
        version: c.version,
        catalogue_item: c.intake.catalogue_item.clone(),
        proposals: c.classification.as_ref().map(|k| k.proposals.clone()).unwrap_or_default(),
    }
}

fn metrics_case_event(kind: &'static str) {
    metrics::counter!("minsheng_case_events_total", "kind" => kind).increment(1);
}
