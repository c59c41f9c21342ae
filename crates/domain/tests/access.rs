//! Visibility of cases, masking of the citizen's personal data, and the citizen's timeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_domain::access::{audience_units, can_see, citizen_view, identity_hidden_from, public_timeline};
use minsheng_domain::case::{CallbackOutcome, CaseState, CaseType, ContactMethod, ReturnReason, Solved, Supervision};
use minsheng_domain::event::EventKind;
use minsheng_domain::lifecycle::{Action, Command, ReturnDecision};
use minsheng_domain::org::{Actor, Role, UnitKind, UnitRef};

const MASKED_PHONE: &str = "138****1234";
const MASKED_CALLER: &str = "0898****1234";

// =============================================================================================
// can_see
// =============================================================================================

#[test]
fn centre_roles_see_every_case() {
    let received = Sim::new();
    let dispatched = reach(CaseState::Dispatched);
    for role in [Role::Operator, Role::Dispatcher, Role::Supervisor, Role::Leader, Role::Admin, Role::System] {
        for unit_id in [None, Some(CENTRE), Some(WEST)] {
            let a = actor(role, unit_id);
            assert!(can_see(&a, &received.case), "{role:?} in {unit_id:?}, received");
            assert!(can_see(&a, &dispatched.case), "{role:?} in {unit_id:?}, dispatched");
        }
    }
}

#[test]
fn a_unit_sees_the_cases_of_its_subtree_only() {
    // Led by 城东街道, assisted by 生态环境局.
    let mut sim = reach(CaseState::Received);
    sim.ok(&dispatcher(), dispatch_to(EAST_STREET, &[ECOLOGY]), None);
    for role in [Role::UnitHandler, Role::UnitLeader] {
        let sees = |id| can_see(&actor(role, Some(id)), &sim.case);
        assert!(sees(EAST_STREET), "the lead itself");
        assert!(sees(EAST), "the lead's parent district");
        assert!(sees(CITY), "the root");
        assert!(sees(ECOLOGY), "the assisting unit");
        assert!(!sees(EAST_COMMUNITY), "a unit below the lead that never had it");
        assert!(!sees(WEST), "a sibling district");
        assert!(!sees(WEST_STREET), "a sibling's street");
        assert!(!sees(HOUSING), "an unrelated department");
        assert!(!sees(CENTRE), "the centre as a unit, in a unit role");
        assert!(!can_see(&actor(role, None), &sim.case), "a unit role without a unit");
    }
    // Nobody in a unit sees a case before it reaches a unit.
    let received = Sim::new();
    for id in UNITS {
        assert!(!can_see(&handler(id), &received.case), "unit {id} sees an undispatched case");
    }
}

#[test]
fn units_keep_seeing_cases_they_were_involved_in() {
    let mut sim = reach(CaseState::Handling);
    sim.ok(&handler(EAST), Command::PassDown { to: unit(EAST_STREET) }, None);
    assert!(can_see(&handler(EAST_STREET), &sim.case));
    sim.ok(&dispatcher(), reassign_to(HOUSING, &[]), Some("改派住建局"));
    sim.ok(&handler(HOUSING), Command::Return { reason: ReturnReason::NotOurs }, Some("非本单位职责"));
    sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::ToPool }, None);
    assert!(sim.case.lead_unit.is_none());
    for id in [EAST, EAST_STREET, ECOLOGY, HOUSING] {
        assert!(can_see(&handler(id), &sim.case), "past involvement of unit {id}");
    }
    assert!(!can_see(&handler(WEST), &sim.case));
    assert!(!can_see(&handler(HOUSING_OFFICE), &sim.case));
    let mut audience = audience_units(&sim.case);
    audience.sort_unstable();
    assert_eq!(audience, vec![CITY, EAST, EAST_STREET, HOUSING, ECOLOGY]);
}

#[test]
fn subtree_is_not_a_string_prefix_of_ids() {
    // Unit 31 under the city must not be mistaken for a descendant of unit 3 ("/1/3" vs "/1/31").
    let u31 = UnitRef { id: 31, name: "城南区".into(), kind: UnitKind::District, parent_id: Some(CITY), path: "/1/31/".into() };
    let mut sim = Sim::new();
    sim.ok(&dispatcher(), Command::Dispatch { lead: u31.clone(), assisting: vec![] }, None);
    assert!(!can_see(&handler(EAST), &sim.case));
    let a31 = Actor { user_id: Some(31), name: "承办人".into(), role: Role::UnitHandler, unit: Some(u31) };
    assert!(can_see(&a31, &sim.case));
    let east_case = reach(CaseState::Dispatched);
    assert!(!can_see(&a31, &east_case.case));
}

#[test]
fn grid_worker_sees_what_they_reported() {
    let reporter = grid_worker(EAST_COMMUNITY, 501);
    let mut intake = intake();
    intake.channel = minsheng_domain::case::Channel::GridWorker;
    let mut sim = Sim::received_by(1, intake, &reporter);
    assert!(can_see(&reporter, &sim.case), "their own report, before dispatch");
    // Dispatched to a unit outside the grid worker's subtree: still theirs.
    sim.ok(&dispatcher(), dispatch_to(WEST, &[]), None);
    assert!(can_see(&reporter, &sim.case));
    assert!(can_see(&Actor { unit: None, ..reporter.clone() }, &sim.case), "even without a unit");
    // Another grid worker elsewhere does not.
    assert!(!can_see(&grid_worker(EAST_COMMUNITY, 502), &sim.case));
    assert!(!can_see(&grid_worker(HOUSING_OFFICE, 503), &sim.case));
    // A grid worker sees cases in their unit's subtree like the unit does.
    assert!(!can_see(&grid_worker(WEST_STREET, 504), &reach(CaseState::Dispatched).case));
    let mut in_grid = Sim::new();
    in_grid.ok(&dispatcher(), dispatch_to(EAST_STREET, &[]), None);
    assert!(can_see(&grid_worker(EAST_STREET, 505), &in_grid.case));
    // A case received by the operator is not the grid worker's report.
    assert!(!can_see(&reporter, &reach(CaseState::Dispatched).case));
}

#[test]
fn citizen_role_is_not_given_cases_by_can_see() {
    // Citizens follow their case through the tracking credentials (number + phone), never a list.
    assert!(!can_see(&citizen_actor(), &reach(CaseState::Handling).case));
}

// =============================================================================================
// citizen_view
// =============================================================================================

#[test]
fn phones_are_masked_except_for_roles_that_call_back() {
    let sim = reach(CaseState::Handling);
    for role in Role::ALL {
        let a = actor(role, if role.is_unit_role() || role == Role::GridWorker { Some(EAST) } else { Some(CENTRE) });
        let v = citizen_view(&a, &sim.case);
        assert!(!v.identity_hidden, "{role:?}");
        assert_eq!(v.name.as_deref(), Some(CITIZEN_NAME), "{role:?}");
        if matches!(role, Role::Operator | Role::Dispatcher | Role::Supervisor | Role::System) {
            assert_eq!(v.phone.as_deref(), Some(PHONE), "{role:?}");
            assert_eq!(v.caller_number.as_deref(), Some(CALLER), "{role:?}");
            assert!(!v.phone_masked);
        } else {
            assert_eq!(v.phone.as_deref(), Some(MASKED_PHONE), "{role:?}");
            assert_eq!(v.caller_number.as_deref(), Some(MASKED_CALLER), "{role:?}");
            assert!(v.phone_masked);
            let json = serde_json::to_string(&v).unwrap();
            assert!(!json.contains(PHONE) && !json.contains(CALLER), "{role:?} sees a full number: {json}");
        }
    }
}

#[test]
fn without_phones_nothing_is_masked() {
    let mut i = intake();
    i.citizen.phone = None;
    i.citizen.caller_number = None;
    let sim = Sim::with_intake(1, i);
    let v = citizen_view(&handler(EAST), &sim.case);
    assert_eq!(v.phone, None);
    assert!(!v.phone_masked);
}

#[test]
fn confidential_requests_hide_the_citizen_from_units() {
    let sim = reach_from(Sim::with_intake(1, intake_of(CaseType::Complaint, true)), CaseState::Handling);
    for a in [handler(EAST), unit_leader(EAST), handler(ECOLOGY), grid_worker(EAST_COMMUNITY, 9)] {
        assert!(identity_hidden_from(&a, &sim.case), "{:?}", a.role);
        let v = citizen_view(&a, &sim.case);
        assert!(v.identity_hidden && v.phone_masked && v.confidential);
        assert_eq!(v.name.as_deref(), Some("保密"));
        assert_eq!(v.phone, None);
        assert_eq!(v.caller_number, None);
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains(CITIZEN_NAME) && !json.contains("1234"), "{json}");
    }
    // The centre still sees who it is.
    for role in [Role::Operator, Role::Dispatcher, Role::Supervisor, Role::Leader, Role::Admin, Role::System] {
        let v = citizen_view(&centre(role), &sim.case);
        assert!(!v.identity_hidden, "{role:?}");
        assert_eq!(v.name.as_deref(), Some(CITIZEN_NAME));
    }
    assert_eq!(citizen_view(&supervisor(), &sim.case).phone.as_deref(), Some(PHONE));
}

#[test]
fn reports_of_wrongdoing_never_reveal_the_reporter_to_units() {
    // 举报, not marked confidential.
    let sim = reach_from(Sim::with_intake(1, intake_of(CaseType::Report, false)), CaseState::Handling);
    for role in [Role::UnitHandler, Role::UnitLeader] {
        for id in [EAST, ECOLOGY, CITY] {
            let v = citizen_view(&actor(role, Some(id)), &sim.case);
            assert!(v.identity_hidden, "{role:?} in {id}");
            assert_eq!(v.phone, None);
            assert_ne!(v.name.as_deref(), Some(CITIZEN_NAME));
        }
    }
    assert_eq!(citizen_view(&dispatcher(), &sim.case).name.as_deref(), Some(CITIZEN_NAME));
    // Other case types are not hidden.
    for &t in CaseType::ALL.iter().filter(|t| **t != CaseType::Report) {
        let s = Sim::with_intake(1, intake_of(t, false));
        assert!(!identity_hidden_from(&handler(EAST), &s.case), "{t:?}");
    }
}

#[test]
fn anonymous_citizens_have_no_name() {
    let mut i = intake();
    i.citizen.name = None;
    i.citizen.anonymous = true;
    let sim = Sim::with_intake(1, i);
    let v = citizen_view(&operator(), &sim.case);
    assert!(v.anonymous);
    assert_eq!(v.name, None);
    assert_eq!(v.phone.as_deref(), Some(PHONE));
}

/// DOMAIN.md: "Phone numbers are masked (138****1234) except to roles that must call back".
/// The lifecycle lets the lead unit's leader call back (Action::Callback allows UnitLeader), yet
/// citizen_view masks the number for unit leaders, so they cannot place the call.
#[test]
fn every_role_that_may_call_back_sees_the_full_phone() {
    let sim = reach(CaseState::AwaitingCallback);
    // The citizen rates their own case on the tracking page; every staff role that calls back
    // must see the number to dial.
    for &role in Action::Callback.roles().iter().filter(|r| **r != Role::Citizen) {
        let a = allowed_actor(Action::Callback, role, &sim.case);
        let v = citizen_view(&a, &sim.case);
        assert_eq!(v.phone.as_deref(), Some(PHONE), "{role:?} may call back but sees {:?}", v.phone);
    }
}

// =============================================================================================
// public_timeline
// =============================================================================================

/// A case with everything internal that can happen to it.
fn busy_case() -> Sim {
    let mut sim = Sim::new();
    sim.ok(&operator(), Command::Forward, Some("内部：需派单员确认分类"));
    sim.ok(&dispatcher(), dispatch_to(EAST, &[ECOLOGY]), Some("内部：按属地派单"));
    sim.ok(&Actor::system(), Command::Urge, Some("内部：签收即将超时"));
    sim.ok(&handler(EAST), Command::Return { reason: ReturnReason::WrongPlace }, Some("内部：地址疑似城西区"));
    sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::Refuse }, Some("内部：经核实属城东区"));
    sim.ok(&handler(EAST), Command::Sign, Some("内部：已签收"));
    sim.ok(&supervisor(), Command::Supervise { level: Supervision::Yellow }, Some("内部：黄牌督办"));
    sim.ok(&supervisor(), Command::Escalate { leader: leader_ref(42) }, Some("内部：提级领办"));
    sim.ok(&handler(EAST), Command::Contact { method: ContactMethod::Phone }, Some("内部：市民态度激动"));
    sim.ok(&handler(EAST), Command::Handle, Some("内部：施工队下午到场"));
    sim.ok(&handler(ECOLOGY), Command::AssistReply, Some("内部：协办意见"));
    sim.ok(&handler(EAST), Command::RequestExtension { days: 2 }, Some("内部：等待配件"));
    sim.ok(&dispatcher(), Command::ReviewExtension { approve: false, days: None }, Some("内部：不予延期"));
    sim.ok(&citizen_actor(), Command::AddInfo { attachments: Vec::new() }, Some("补充：晚上积水更严重"));
    sim.ok(&handler(EAST), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, Some("内部：附现场照片"));
    sim.ok(&dispatcher(), Command::ReviewReply { pass: true }, Some("内部：审核通过"));
    sim.ok(
        &supervisor(),
        Command::Callback {
            outcome: CallbackOutcome::Satisfied, solved: Some(Solved::Solved), comment: Some(note("内部：回访备注"))
        },
        None,
    );
    assert_eq!(sim.state(), CaseState::Closed);
    sim
}

#[test]
fn public_timeline_shows_progress_and_the_reply() {
    let sim = busy_case();
    let steps = public_timeline(&sim.events);
    let labels: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "受理（电话）",
            "派单至城东区（协办：市生态环境局）",
            "签收",
            "联系市民（电话）",
            "市民补充诉求",
            "办理反馈（解决）",
            "回访：满意",
            "办结"
        ]
    );
    let reply = steps.iter().find(|s| s.step.starts_with("办理反馈")).unwrap();
    assert_eq!(reply.text.as_deref(), Some(REPLY_TEXT));
    let added = steps.iter().find(|s| s.step == "市民补充诉求").unwrap();
    assert_eq!(added.text.as_deref(), Some("补充：晚上积水更严重"), "the citizen sees what they added");
    assert!(steps.iter().all(|s| s.at.ends_with("+08:00")), "times in China time");
    assert_eq!(steps[0].at, "2026-11-22T09:00:00+08:00");
}

#[test]
fn public_timeline_has_no_staff_names_and_no_internal_notes() {
    let sim = busy_case();
    let steps = public_timeline(&sim.events);
    let json = serde_json::to_string(&steps).unwrap();
    for e in &sim.events {
        if e.actor.role != Role::Citizen {
            assert!(!json.contains(&e.actor.name), "staff name {} in the timeline: {json}", e.actor.name);
        }
    }
    assert!(!json.contains("内部"), "an internal note leaked: {json}");
    assert!(!json.contains("领导42"), "the escalation leader leaked: {json}");
    for word in ["督办", "催办", "退单", "提级", "领办", "延期", "审核", "协办单位回复", "办理过程"] {
        assert!(!json.contains(word), "internal step {word} in the timeline: {json}");
    }
    // Internal events exist in the history but not on the page.
    let internal = [
        "supervised",
        "urged",
        "return_requested",
        "return_refused",
        "escalated",
        "extension_requested",
        "extension_refused",
        "assist_replied",
        "handling_noted",
        "reply_passed",
        "forwarded",
    ];
    for name in internal {
        let e = sim.events.iter().find(|e| e.kind.name() == name).unwrap_or_else(|| panic!("{name} missing from the history"));
        assert!(!e.kind.citizen_visible(), "{name}");
    }
    assert_eq!(steps.len(), sim.events.iter().filter(|e| e.kind.citizen_visible()).count());
}

#[test]
fn public_timeline_of_an_answer_on_the_spot() {
    let mut sim = Sim::with_intake(1, intake_of(CaseType::Consultation, false));
    sim.ok(&operator(), Command::AnswerOnSpot { answer: note("工作日可到市民中心 3 号窗口办理") }, Some("内部：知识库第 12 条"));
    let steps = public_timeline(&sim.events);
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1].step, "即时办结");
    assert_eq!(steps[1].text.as_deref(), Some("工作日可到市民中心 3 号窗口办理"));
    assert!(!serde_json::to_string(&steps).unwrap().contains("知识库"));
}

#[test]
fn citizen_visibility_of_every_event_kind() {
    // The citizen sees the outcome steps; nothing between staff.
    let sim = busy_case();
    for e in &sim.events {
        let visible = e.kind.citizen_visible();
        let expected = matches!(
            e.kind,
            EventKind::Received { .. }
                | EventKind::Dispatched { .. }
                | EventKind::Signed
                | EventKind::Contacted { .. }
                | EventKind::InfoAdded { .. }
                | EventKind::Replied { .. }
                | EventKind::CallbackRecorded { .. }
                | EventKind::Closed { .. }
        );
        assert_eq!(visible, expected, "{}", e.kind.name());
    }
}

/// DOMAIN.md: the citizen sees the timeline "minus internal notes"; return requests and their
/// review are internal. A return approved with a reassignment is shown as
/// "退单审核通过，改派至…", telling the citizen about the internal return review, while a plain
/// reassignment shows only "改派至…".
#[test]
fn public_timeline_does_not_reveal_return_reviews() {
    let mut sim = reach(CaseState::ReturnRequested);
    sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::Reassign { lead: unit(WEST), assisting: vec![] } }, None);
    let json = serde_json::to_string(&public_timeline(&sim.events)).unwrap();
    assert!(json.contains("改派至城西区"), "{json}");
    assert!(!json.contains("退单"), "{json}");
}

#[test]
fn actions_menu_is_empty_for_those_who_cannot_act() {
    // A sibling unit sees nothing and may do nothing on the case.
    let sim = reach(CaseState::Handling);
    assert!(!can_see(&handler(WEST), &sim.case));
    assert!(minsheng_domain::lifecycle::available_actions(&sim.case, &handler(WEST), &sim.rules).is_empty());
    let menu = minsheng_domain::lifecycle::available_actions(&sim.case, &handler(EAST), &sim.rules);
    assert!(!menu.contains(&Action::Reply), "the lead waits for its assisting unit before replying");
    for a in [Action::Return, Action::PassDown, Action::Contact, Action::Handle, Action::RequestExtension] {
        assert!(menu.contains(&a), "{a:?} missing from the holder's menu {menu:?}");
    }
    assert!(!menu.contains(&Action::Sign));
    assert!(!menu.contains(&Action::AssistReply), "the lead does not assist itself");
}
