//! Shared fixture for the domain tests: a small organisation tree, actors of every role, an intake,
//! and a simulator that decides commands, appends the events and folds them, like the store does.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)] // every test binary uses a different part of the fixture

use minsheng_domain::case::{
    CallbackOutcome, Case, CaseLink, CaseState, CaseType, Channel, Citizen, ContactMethod, Intake, LeaderRef, Place, ReturnReason, Solved,
    Supervision, VoidReason,
};
use minsheng_domain::event::{ActorStamp, Event, EventKind};
use minsheng_domain::lifecycle::{self, Action, Command, ReturnDecision, Rules};
use minsheng_domain::org::{Actor, Role, UnitId, UnitKind, UnitRef};
use minsheng_domain::value::{Address, CaseNumber, CaseText, Note, PersonName, PhoneNumber, Title};
use minsheng_domain::{DomainError, DomainResult, ErrorCode, Millis};

// ---------------------------------------------------------------------------------------------
// The organisation
//
//   1 海口市 (city)
//   ├── 2 12345 热线中心 (centre)
//   ├── 3 城东区 (district)            ← the usual lead unit
//   │   └── 4 城东街道 (street)        ← its direct child (pass-down target)
//   │       └── 5 椰林社区 (community) ← a grandchild
//   ├── 6 市住建局 (department)        ← the usual reassignment target
//   │   └── 10 房屋管理所 (department)
//   ├── 7 城西区 (district)            ← a sibling of the lead
//   │   └── 8 城西街道 (street)
//   └── 9 市生态环境局 (department)    ← the usual assisting unit
// ---------------------------------------------------------------------------------------------

pub const CITY: UnitId = 1;
pub const CENTRE: UnitId = 2;
pub const EAST: UnitId = 3;
pub const EAST_STREET: UnitId = 4;
pub const EAST_COMMUNITY: UnitId = 5;
pub const HOUSING: UnitId = 6;
pub const WEST: UnitId = 7;
pub const WEST_STREET: UnitId = 8;
pub const ECOLOGY: UnitId = 9;
pub const HOUSING_OFFICE: UnitId = 10;

/// Every unit of the fixture tree.
pub const UNITS: [UnitId; 10] = [CITY, CENTRE, EAST, EAST_STREET, EAST_COMMUNITY, HOUSING, WEST, WEST_STREET, ECOLOGY, HOUSING_OFFICE];

pub fn unit(id: UnitId) -> UnitRef {
    let (name, kind, parent, path) = match id {
        CITY => ("海口市", UnitKind::City, None, "/1/"),
        CENTRE => ("12345热线中心", UnitKind::Centre, Some(CITY), "/1/2/"),
        EAST => ("城东区", UnitKind::District, Some(CITY), "/1/3/"),
        EAST_STREET => ("城东街道", UnitKind::Street, Some(EAST), "/1/3/4/"),
        EAST_COMMUNITY => ("椰林社区", UnitKind::Community, Some(EAST_STREET), "/1/3/4/5/"),
        HOUSING => ("市住建局", UnitKind::Department, Some(CITY), "/1/6/"),
        WEST => ("城西区", UnitKind::District, Some(CITY), "/1/7/"),
        WEST_STREET => ("城西街道", UnitKind::Street, Some(WEST), "/1/7/8/"),
        ECOLOGY => ("市生态环境局", UnitKind::Department, Some(CITY), "/1/9/"),
        HOUSING_OFFICE => ("房屋管理所", UnitKind::Department, Some(HOUSING), "/1/6/10/"),
        other => panic!("no unit {other} in the fixture"),
    };
    UnitRef { id, name: name.to_string(), kind, parent_id: parent, path: path.to_string() }
}

/// A direct child of a unit in the fixture tree, if it has one.
pub fn child_of(id: UnitId) -> Option<UnitId> {
    match id {
        CITY => Some(EAST),
        EAST => Some(EAST_STREET),
        EAST_STREET => Some(EAST_COMMUNITY),
        HOUSING => Some(HOUSING_OFFICE),
        WEST => Some(WEST_STREET),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------------

fn role_index(role: Role) -> i64 {
    Role::ALL.iter().position(|r| *r == role).unwrap() as i64
}

/// Someone of `role` in `unit`. User ids are stable per (role, unit) so tests can compare them.
pub fn actor(role: Role, unit_id: Option<UnitId>) -> Actor {
    if role == Role::System {
        return Actor { unit: unit_id.map(unit), ..Actor::system() };
    }
    let user_id = 10_000 + role_index(role) * 100 + unit_id.unwrap_or(0);
    Actor { user_id: Some(user_id), name: format!("{}{}号", role.label_zh(), user_id), role, unit: unit_id.map(unit) }
}

pub fn handler(unit_id: UnitId) -> Actor {
    actor(Role::UnitHandler, Some(unit_id))
}

pub fn unit_leader(unit_id: UnitId) -> Actor {
    actor(Role::UnitLeader, Some(unit_id))
}

/// A centre-wide role, acting from the hotline centre.
pub fn centre(role: Role) -> Actor {
    actor(role, Some(CENTRE))
}

pub fn operator() -> Actor {
    centre(Role::Operator)
}

pub fn dispatcher() -> Actor {
    centre(Role::Dispatcher)
}

pub fn supervisor() -> Actor {
    centre(Role::Supervisor)
}

pub fn city_leader() -> Actor {
    centre(Role::Leader)
}

pub fn admin() -> Actor {
    centre(Role::Admin)
}

pub fn citizen_actor() -> Actor {
    Actor { user_id: None, name: "市民".to_string(), role: Role::Citizen, unit: None }
}

pub fn grid_worker(unit_id: UnitId, user_id: i64) -> Actor {
    Actor { user_id: Some(user_id), name: format!("网格员{user_id}"), role: Role::GridWorker, unit: Some(unit(unit_id)) }
}

/// An actor of `role` placed in the unit that makes the unit check of `action` pass on `case`
/// when such a unit exists: the holder for the holder's actions, an assisting unit for
/// assist_reply, the lead for a unit leader's callback; the centre for everyone else; no unit for
/// a citizen. When the case has no such unit (not dispatched yet), the usual lead is used.
pub fn allowed_actor(action: Action, role: Role, case: &Case) -> Actor {
    if role == Role::Citizen {
        return actor(role, None);
    }
    if !role.is_unit_role() {
        return actor(role, Some(CENTRE));
    }
    let unit_id = match action {
        a if is_holder_action(a) => case.handling_unit.as_ref().map_or(EAST, |u| u.id),
        Action::AssistReply => case.assisting.first().map_or(ECOLOGY, |a| a.unit.id),
        Action::Callback => case.lead_unit.as_ref().map_or(EAST, |u| u.id),
        _ => EAST,
    };
    actor(role, Some(unit_id))
}

/// The actions only the unit that holds the order may take.
pub fn is_holder_action(action: Action) -> bool {
    matches!(
        action,
        Action::Sign | Action::Return | Action::PassDown | Action::Contact | Action::Handle | Action::Reply | Action::RequestExtension
    )
}

/// Whether the unit check of `action` cannot pass for anyone in a unit role on this case, because
/// the unit it needs (holder, assisting unit, lead) does not exist yet.
pub fn unit_target_missing(action: Action, role: Role, case: &Case) -> bool {
    if !role.is_unit_role() {
        return false;
    }
    match action {
        a if is_holder_action(a) => case.handling_unit.is_none(),
        Action::AssistReply => case.assisting.is_empty(),
        Action::Callback => case.lead_unit.is_none(),
        // Unit roles assign people only on the cases their unit holds.
        Action::AssignPerson => case.handling_unit.is_none(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/// 2026-11-22 09:00 China time.
/// The shipped official calendar, built once.
pub fn calendar() -> std::sync::Arc<minsheng_calendar::WorkingCalendar> {
    static CAL: std::sync::OnceLock<std::sync::Arc<minsheng_calendar::WorkingCalendar>> = std::sync::OnceLock::new();
    CAL.get_or_init(|| std::sync::Arc::new(minsheng_calendar::WorkingCalendar::shipped().unwrap())).clone()
}

pub const T0: Millis = 1_795_309_200_000;
pub const MINUTE: Millis = 60_000;
pub const DAY: Millis = 24 * 60 * MINUTE;
pub const PHONE: &str = "13800131234";
pub const CALLER: &str = "089866661234";
pub const CITIZEN_NAME: &str = "王先生";
pub const REPLY_TEXT: &str = "已清理积水并疏通排水管";

pub fn note(text: &str) -> Note {
    Note::parse(text).unwrap()
}

pub fn intake_of(case_type: CaseType, confidential: bool) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type,
        title: Title::parse("小区门口道路积水").unwrap(),
        text: CaseText::parse("椰林路 12 号小区门口下雨后积水，行人无法通过。").unwrap(),
        urgency: minsheng_domain::case::Urgency::Normal,
        citizen: Citizen {
            name: Some(PersonName::parse(CITIZEN_NAME).unwrap()),
            phone: Some(PhoneNumber::parse(PHONE).unwrap()),
            caller_number: Some(PhoneNumber::parse(CALLER).unwrap()),
            confidential,
            anonymous: false,
            ..Default::default()
        },
        place: Place {
            address: Some(Address::parse("城东区椰林路12号").unwrap()),
            division_unit_id: Some(EAST_COMMUNITY),
            latitude: Some(20.03),
            longitude: Some(110.32),
        },
        catalogue_item: Some("city.drainage.waterlogging".to_string()),
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

pub fn intake() -> Intake {
    intake_of(CaseType::Complaint, false)
}

pub fn leader_ref(user_id: i64) -> LeaderRef {
    LeaderRef { user_id, name: format!("领导{user_id}") }
}

pub fn link(id: i64) -> CaseLink {
    CaseLink { id, number: CaseNumber::compose("HK", "20261122", id).unwrap() }
}

/// A case and its history, advanced the way the application does it: decide, then append the
/// events with the next sequence numbers, then fold them.
#[derive(Debug, Clone)]
pub struct Sim {
    pub case: Case,
    pub events: Vec<Event>,
    pub rules: Rules,
    pub now: Millis,
}

impl Sim {
    /// A case received by `by` (an operator by default).
    pub fn received_by(id: i64, intake: Intake, by: &Actor) -> Sim {
        let number = CaseNumber::compose("HK", "20261122", id).unwrap();
        let first = Event {
            seq: 1,
            at: T0,
            actor: ActorStamp::from(by),
            kind: EventKind::Received { intake: intake.clone() },
            note: None,
            deadlines: None,
        };
        let case = Case::new(id, number, intake, T0, by.user_id);
        Sim { case, events: vec![first], rules: Rules::default(), now: T0 }
    }

    pub fn with_intake(id: i64, intake: Intake) -> Sim {
        Sim::received_by(id, intake, &operator())
    }

    pub fn new() -> Sim {
        Sim::with_intake(1, intake())
    }

    pub fn state(&self) -> CaseState {
        self.case.state
    }

    /// Decides without recording anything.
    pub fn decide(&self, actor: &Actor, command: &Command, note_text: Option<&str>) -> DomainResult<Vec<EventKind>> {
        let n = note_text.map(note);
        lifecycle::decide(&self.case, actor, command, n.as_ref(), &self.rules, self.now + MINUTE)
    }

    /// Appends events as `actor` did them now, and folds them into the case.
    pub fn append(&mut self, actor: &Actor, kinds: Vec<EventKind>, note_text: Option<&str>) {
        self.now += MINUTE;
        let first_new = self.events.len();
        for kind in kinds {
            let event = Event {
                seq: self.events.len() as i64 + 1,
                at: self.now,
                actor: ActorStamp::from(actor),
                kind,
                note: note_text.map(str::to_string),
                deadlines: None,
            };
            self.case.apply(&event);
            self.events.push(event);
        }
        // Record the running clocks on the last new event, as the application does.
        let running = minsheng_domain::deadline::running(&self.case, &Default::default(), &calendar());
        if self.events.len() > first_new && running != self.case.deadlines {
            if let Some(last) = self.events.last_mut() {
                last.deadlines = Some(running.clone());
            }
            self.case.deadlines = running;
        }
    }

    /// Decides and, when accepted, records. A refusal changes nothing.
    pub fn exec(&mut self, actor: &Actor, command: &Command, note_text: Option<&str>) -> DomainResult<Vec<EventKind>> {
        let kinds = self.decide(actor, command, note_text)?;
        self.append(actor, kinds.clone(), note_text);
        Ok(kinds)
    }

    /// Must be accepted.
    #[track_caller]
    pub fn ok(&mut self, actor: &Actor, command: Command, note_text: Option<&str>) -> Vec<EventKind> {
        match self.exec(actor, &command, note_text) {
            Ok(kinds) => kinds,
            Err(e) => panic!("{command:?} by {:?} in {:?} was refused: {e:?}", actor.role, self.case.state),
        }
    }

    /// Must be refused with `code`; checks that the refusal changed nothing and explains itself.
    #[track_caller]
    pub fn refused(&mut self, actor: &Actor, command: Command, note_text: Option<&str>, code: ErrorCode) -> DomainError {
        let before = (self.case.clone(), self.events.clone());
        match self.exec(actor, &command, note_text) {
            Ok(kinds) => panic!("{command:?} by {:?} in {:?} was accepted ({kinds:?}); expected {code:?}", actor.role, before.0.state),
            Err(e) => {
                assert_eq!(e.code, code, "{command:?} by {:?} in {:?}: {e:?}", actor.role, before.0.state);
                assert!(!e.message_zh.trim().is_empty() && !e.message_en.trim().is_empty(), "refusal without a message: {e:?}");
                assert_eq!((&self.case, &self.events), (&before.0, &before.1), "a refusal changed the case");
                e
            }
        }
    }

    /// The rebuilt case equals the folded one.
    #[track_caller]
    pub fn assert_replays(&self) {
        let replayed = Case::replay(self.case.id, self.case.number.clone(), &self.events).expect("history starts with received");
        assert_eq!(replayed, self.case);
    }

    // --- the usual steps ---------------------------------------------------------------------

    pub fn forward(&mut self) {
        self.ok(&operator(), Command::Forward, None);
    }

    /// Dispatches to 城东区 with 市生态环境局 assisting.
    pub fn dispatch(&mut self) {
        self.ok(&dispatcher(), dispatch_to(EAST, &[ECOLOGY]), None);
    }

    pub fn sign(&mut self) {
        let holder = self.holder();
        self.ok(&handler(holder), Command::Sign, None);
    }

    pub fn holder(&self) -> UnitId {
        self.case.handling_unit.as_ref().expect("a unit holds the case").id
    }

    pub fn contact(&mut self) {
        let holder = self.holder();
        self.ok(&handler(holder), Command::Contact { method: ContactMethod::Phone }, Some("电话联系市民，约定上门"));
    }

    /// The lead replies after its assisting units replied to it (co-handling).
    pub fn reply(&mut self) {
        let pending: Vec<UnitId> = self.case.assisting.iter().filter(|a| !a.replied).map(|a| a.unit.id).collect();
        for unit in pending {
            self.ok(&handler(unit), Command::AssistReply, Some("协办意见：已配合处理"));
        }
        let holder = self.holder();
        self.ok(&handler(holder), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, None);
    }

    pub fn pass_review(&mut self) {
        self.ok(&dispatcher(), Command::ReviewReply { pass: true }, None);
    }

    pub fn callback(&mut self, outcome: CallbackOutcome) -> Vec<EventKind> {
        self.ok(&supervisor(), Command::Callback { outcome, solved: None, comment: None }, None)
    }

    pub fn return_order(&mut self, reason: ReturnReason) {
        let holder = self.holder();
        self.ok(&handler(holder), Command::Return { reason }, Some("该事项不属于本单位职责"));
    }

    pub fn request_extension(&mut self, days: u32) {
        let holder = self.holder();
        self.ok(&handler(holder), Command::RequestExtension { days }, Some("需协调施工单位"));
    }
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

pub fn dispatch_to(lead: UnitId, assisting: &[UnitId]) -> Command {
    Command::Dispatch { lead: unit(lead), assisting: assisting.iter().copied().map(unit).collect() }
}

pub fn reassign_to(lead: UnitId, assisting: &[UnitId]) -> Command {
    Command::Reassign { lead: unit(lead), assisting: assisting.iter().copied().map(unit).collect() }
}

/// Drives a fresh case (id 1, the usual intake) into `state` with the usual actors.
pub fn reach(state: CaseState) -> Sim {
    reach_from(Sim::new(), state)
}

/// Drives `sim` from Received into `state`: forward → dispatch (城东区, 生态环境局 assisting) →
/// sign → contact → reply → review → callback, with side branches for the other states.
pub fn reach_from(mut sim: Sim, state: CaseState) -> Sim {
    use CaseState as S;
    assert_eq!(sim.state(), S::Received);
    if state == S::Received {
        return sim;
    }
    sim.forward();
    if state == S::AwaitingDispatch {
        return sim;
    }
    sim.dispatch();
    if state == S::Dispatched {
        return sim;
    }
    sim.sign();
    match state {
        S::Handling => return sim,
        S::ReturnRequested => {
            sim.return_order(ReturnReason::NotOurs);
            return sim;
        }
        S::Suspended => {
            sim.ok(&supervisor(), Command::Suspend, Some("等待市民补充材料"));
            return sim;
        }
        S::Merged => {
            let into = link(sim.case.id + 100);
            sim.ok(&dispatcher(), Command::Merge { into }, None);
            return sim;
        }
        S::Voided => {
            sim.ok(&dispatcher(), Command::Void { reason: VoidReason::Test }, Some("测试工单"));
            return sim;
        }
        S::Withdrawn => {
            sim.ok(&citizen_actor(), Command::Withdraw, None);
            return sim;
        }
        _ => {}
    }
    sim.contact();
    sim.reply();
    if state == S::Replied {
        return sim;
    }
    sim.pass_review();
    match state {
        S::AwaitingCallback => return sim,
        S::Unsatisfied => {
            sim.callback(CallbackOutcome::Unsatisfied);
            return sim;
        }
        _ => {}
    }
    sim.callback(CallbackOutcome::Satisfied);
    if state == S::Closed {
        return sim;
    }
    sim.ok(&admin(), Command::Archive, None);
    assert_eq!(sim.state(), S::Archived, "reach() does not know how to reach {state:?}");
    sim
}

/// A registered person (调解员) for assignments.
pub fn person(id: i64) -> minsheng_domain::people::PersonRef {
    minsheng_domain::people::PersonRef {
        id,
        name: format!("调解员{id}"),
        kind: minsheng_domain::people::PersonKind::Mediator,
        organisation: "金贸街道人民调解委员会".into(),
    }
}

/// A command for `action` whose data is valid for `case` (where valid data exists), with a note.
pub fn valid_command(action: Action, case: &Case) -> (Command, Option<&'static str>) {
    let holder = case.handling_unit.as_ref().map_or(EAST, |u| u.id);
    let cmd = match action {
        Action::AnswerOnSpot => Command::AnswerOnSpot { answer: note("可通过海口市政务服务网办理，无需到现场。") },
        Action::Forward => Command::Forward,
        Action::Dispatch => dispatch_to(EAST, &[ECOLOGY]),
        Action::Sign => Command::Sign,
        Action::Return => Command::Return { reason: ReturnReason::NotOurs },
        Action::ReviewReturn => Command::ReviewReturn { decision: ReturnDecision::ToPool },
        Action::Reassign => {
            let lead = if case.lead_unit.as_ref().is_some_and(|l| l.id == HOUSING) { WEST } else { HOUSING };
            reassign_to(lead, &[])
        }
        Action::PassDown => Command::PassDown { to: unit(child_of(holder).unwrap_or(EAST_STREET)) },
        Action::Contact => Command::Contact { method: ContactMethod::Phone },
        Action::Handle => Command::Handle,
        Action::AssistReply => Command::AssistReply,
        Action::Reply => Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved },
        Action::ReviewReply => Command::ReviewReply { pass: true },
        Action::Callback => Command::Callback { outcome: CallbackOutcome::Satisfied, solved: Some(Solved::Solved), comment: None },
        Action::Redo => Command::Redo,
        Action::Close => Command::Close,
        Action::Archive => Command::Archive,
        Action::RequestExtension => Command::RequestExtension { days: 1 },
        Action::ReviewExtension => Command::ReviewExtension { approve: true, days: None },
        Action::Suspend => Command::Suspend,
        Action::Resume => Command::Resume,
        Action::Urge => Command::Urge,
        Action::Supervise => {
            Command::Supervise { level: if case.supervision == Supervision::None { Supervision::Yellow } else { Supervision::Red } }
        }
        Action::Escalate => Command::Escalate { leader: leader_ref(case.escalated_to.as_ref().map_or(1, |l| l.user_id + 1)) },
        Action::JointMeeting => {
            let lead = if case.lead_unit.as_ref().is_some_and(|l| l.id == HOUSING) { WEST } else { HOUSING };
            Command::JointMeeting { lead: unit(lead), assisting: vec![unit(ECOLOGY)] }
        }
        Action::Merge => Command::Merge { into: link(case.id + 1000) },
        Action::Void => Command::Void { reason: VoidReason::Spam },
        Action::AddInfo => Command::AddInfo { attachments: Vec::new() },
        Action::Withdraw => Command::Withdraw,
        Action::Reclassify => Command::Reclassify {
            item: if case.intake.catalogue_item.as_deref() == Some("A01") { "A02".into() } else { "A01".into() },
            catalogue_version: Some(1),
        },
        Action::AssignPerson => Command::AssignPerson { person: person(case.people.len() as i64 + 1) },
    };
    assert_eq!(cmd.action(), action);
    (cmd, Some("办理说明"))
}

/// Brings a case that is in an allowed state of `action` to the point where the action's
/// data-dependent preconditions hold: a pending extension to review, a callback attempt before
/// closing from awaiting callback, the assisting units' replies before the lead's.
pub fn prepare(sim: &mut Sim, action: Action) {
    match (action, sim.state()) {
        (Action::ReviewExtension, CaseState::Handling) if sim.case.pending_extension.is_none() => sim.request_extension(2),
        (Action::Close, CaseState::AwaitingCallback) if sim.case.callback_attempts == 0 => {
            sim.callback(CallbackOutcome::Unreachable);
        }
        // A final reply comes after the redos; with none allowed, it may come at once.
        (Action::Close, CaseState::Unsatisfied) if sim.case.redo_count < sim.rules.max_redos => sim.rules.max_redos = sim.case.redo_count,
        // Only the leader who took the case convenes its joint meeting.
        (Action::JointMeeting, _) if sim.case.escalated_to.is_none() => {
            let leader = leader_ref(city_leader().user_id.unwrap_or(1));
            sim.ok(&supervisor(), Command::Escalate { leader }, Some("归属争议，提请领导领办"));
        }
        (Action::Reply, CaseState::Handling) => {
            let pending: Vec<UnitId> = sim.case.assisting.iter().filter(|a| !a.replied).map(|a| a.unit.id).collect();
            for unit in pending {
                sim.ok(&handler(unit), Command::AssistReply, Some("协办意见：已配合处理"));
            }
        }
        _ => {}
    }
}

/// Asserts that a state/role/unit refusal names the state and the action and explains itself.
#[track_caller]
pub fn assert_explained(e: &DomainError, state: CaseState, action: Action) {
    assert_eq!(e.details["state"], state.as_str(), "details.state of {e:?}");
    assert_eq!(e.details["action"], action.as_str(), "details.action of {e:?}");
    assert!(!e.message_zh.trim().is_empty(), "empty message_zh: {e:?}");
    assert!(!e.message_en.trim().is_empty(), "empty message_en: {e:?}");
}
