//! Every transition of the lifecycle, allowed and refused, and the flows from practice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_domain::ErrorCode;
use minsheng_domain::case::{CallbackOutcome, CaseState, CaseType, ContactMethod, ReturnReason, Solved, Supervision, VoidReason};
use minsheng_domain::event::EventKind;
use minsheng_domain::lifecycle::{self, Action, Command, NoteRule, ReturnDecision};
use minsheng_domain::org::{Actor, Role, UnitKind};

// =============================================================================================
// The decision table: every action × every state × every role
// =============================================================================================

#[test]
fn reach_gets_every_state() {
    for &state in CaseState::ALL {
        let sim = reach(state);
        assert_eq!(sim.state(), state);
        assert_eq!(sim.case.version, sim.events.len() as i64);
        sim.assert_replays();
    }
}

#[test]
fn action_table_is_complete_and_named() {
    assert_eq!(Action::ALL.len(), 31);
    for action in Action::ALL {
        assert_eq!(Action::parse(action.as_str()), Some(action));
        assert!(!action.label_zh().is_empty());
        assert!(!action.roles().is_empty(), "{action:?} has no role");
        assert!(!action.states().is_empty(), "{action:?} has no state");
        let (cmd, _) = valid_command(action, &reach(CaseState::Handling).case);
        assert_eq!(cmd.action(), action);
    }
    // Only the archive acts on finished cases, and nothing acts on an archived one.
    for action in Action::ALL {
        assert!(!action.states().contains(&CaseState::Archived), "{action:?} allowed on an archived case");
        for terminal in [CaseState::Merged, CaseState::Voided, CaseState::Withdrawn] {
            assert_eq!(action.states().contains(&terminal), action == Action::Archive, "{action:?} in {terminal:?}");
        }
        assert_eq!(action.states().contains(&CaseState::Closed), matches!(action, Action::Archive | Action::Redo), "{action:?} in Closed");
    }
}

/// For every action, every state and every role allowed to take it, with the right unit and
/// valid data: accepted exactly in `action.states()`, otherwise refused with InvalidState naming
/// the state and the action. (Unit actions on a case that no unit holds yet — received, awaiting
/// dispatch — are refused earlier, with UnitForbidden: the unit check comes before the state
/// check and there is no unit that could pass it.)
#[test]
fn every_action_in_every_state_with_an_allowed_actor() {
    let mut failures = Vec::new();
    let mut accepted = 0;
    let mut refused = 0;
    for action in Action::ALL {
        for &state in CaseState::ALL {
            for &role in action.roles() {
                let mut sim = reach(state);
                let allowed = action.states().contains(&state);
                if allowed {
                    prepare(&mut sim, action);
                }
                let actor = allowed_actor(action, role, &sim.case);
                let (cmd, note) = valid_command(action, &sim.case);
                let before = sim.case.clone();
                let what = format!("{} by {} in {}", action.as_str(), role.as_str(), state.as_str());
                match (allowed, sim.exec(&actor, &cmd, note)) {
                    (true, Ok(kinds)) => {
                        accepted += 1;
                        if kinds.is_empty() {
                            failures.push(format!("{what}: accepted without any event"));
                        }
                        if sim.case.version != before.version + kinds.len() as i64 {
                            failures.push(format!("{what}: version did not advance by the events"));
                        }
                    }
                    (true, Err(e)) => failures.push(format!("{what}: refused {e:?}")),
                    (false, Ok(kinds)) => failures.push(format!("{what}: accepted {kinds:?}")),
                    (false, Err(e)) => {
                        refused += 1;
                        let expected =
                            if unit_target_missing(action, role, &before) { ErrorCode::UnitForbidden } else { ErrorCode::InvalidState };
                        if e.code != expected {
                            failures.push(format!("{what}: refused with {:?}, expected {expected:?}: {}", e.code, e.message_en));
                        }
                        if e.details["state"] != state.as_str() || e.details["action"] != action.as_str() {
                            failures.push(format!("{what}: details do not name state and action: {}", e.details));
                        }
                        if e.message_zh.trim().is_empty() || e.message_en.trim().is_empty() {
                            failures.push(format!("{what}: empty message"));
                        }
                        if sim.case != before {
                            failures.push(format!("{what}: refusal changed the case"));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(accepted > 50 && refused > 500, "accepted {accepted}, refused {refused}");
}

/// Every role outside `action.roles()` is refused with RoleForbidden, in every state, even when
/// sitting in the unit that holds the case.
#[test]
fn every_other_role_is_refused_in_every_state() {
    let mut failures = Vec::new();
    let sims: Vec<_> = CaseState::ALL.iter().map(|&s| reach(s)).collect();
    for action in Action::ALL {
        for sim in &sims {
            let state = sim.state();
            for role in Role::ALL.into_iter().filter(|r| !action.roles().contains(r)) {
                // Put the actor where the unit check would pass, so only the role is wrong.
                let holder = sim.case.handling_unit.as_ref().map_or(EAST, |u| u.id);
                let actor = actor(role, if role == Role::Citizen { None } else { Some(holder) });
                let (cmd, note) = valid_command(action, &sim.case);
                let what = format!("{} by {} in {}", action.as_str(), role.as_str(), state.as_str());
                match sim.decide(&actor, &cmd, note) {
                    Ok(kinds) => failures.push(format!("{what}: accepted {kinds:?}")),
                    Err(e) if e.code != ErrorCode::RoleForbidden => failures.push(format!("{what}: {:?} instead of RoleForbidden", e.code)),
                    Err(e) => {
                        if e.details["state"] != state.as_str()
                            || e.details["action"] != action.as_str()
                            || e.message_zh.is_empty()
                            || e.message_en.is_empty()
                        {
                            failures.push(format!("{what}: unexplained refusal {e:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The holder's actions refuse a handler or leader of any other unit — a sibling district, the
/// lead's own child, an assisting unit, the centre — and a unit actor without a unit.
#[test]
fn unit_actions_refuse_other_units() {
    let holder_actions = [
        (Action::Sign, CaseState::Dispatched),
        (Action::Return, CaseState::Dispatched),
        (Action::Return, CaseState::Handling),
        (Action::Contact, CaseState::Handling),
        (Action::Handle, CaseState::Handling),
        (Action::Reply, CaseState::Handling),
        (Action::PassDown, CaseState::Handling),
        (Action::RequestExtension, CaseState::Handling),
    ];
    for (action, state) in holder_actions {
        let mut sim = reach(state);
        prepare(&mut sim, action);
        let (cmd, note) = valid_command(action, &sim.case);
        for other in [WEST, WEST_STREET, EAST_STREET, ECOLOGY, HOUSING, CENTRE] {
            for role in [Role::UnitHandler, Role::UnitLeader] {
                let e = sim.refused(&actor(role, Some(other)), cmd.clone(), note, ErrorCode::UnitForbidden);
                assert_explained(&e, state, action);
            }
        }
        sim.refused(&actor(Role::UnitHandler, None), cmd.clone(), note, ErrorCode::UnitForbidden);
        // The holder itself may.
        assert!(sim.decide(&handler(EAST), &cmd, note).is_ok(), "{action:?} by the holder");
        assert!(sim.decide(&unit_leader(EAST), &cmd, note).is_ok(), "{action:?} by the holder's leader");
    }

    // 协办回复: only an assisting unit; not the lead, not a sibling.
    for state in [CaseState::Dispatched, CaseState::Handling] {
        let mut sim = reach(state);
        for other in [EAST, WEST, HOUSING, EAST_STREET] {
            let e = sim.refused(&handler(other), Command::AssistReply, Some("协办意见"), ErrorCode::UnitForbidden);
            assert_explained(&e, state, Action::AssistReply);
        }
        sim.ok(&handler(ECOLOGY), Command::AssistReply, Some("协办意见"));
    }

    // 回访 by a unit leader: only the lead's.
    let mut sim = reach(CaseState::AwaitingCallback);
    let cb = Command::Callback { outcome: CallbackOutcome::Satisfied, solved: None, comment: None };
    for other in [WEST, ECOLOGY, EAST_STREET] {
        sim.refused(&unit_leader(other), cb.clone(), None, ErrorCode::UnitForbidden);
    }
    assert!(sim.decide(&unit_leader(EAST), &cb, None).is_ok());
}

#[test]
fn checks_run_role_then_unit_then_state() {
    // A sibling unit's handler trying to sign a closed case: the unit is wrong before the state is.
    let mut closed = reach(CaseState::Closed);
    closed.refused(&handler(WEST), Command::Sign, None, ErrorCode::UnitForbidden);
    // A citizen trying to sign: the role is wrong before anything else.
    closed.refused(&citizen_actor(), Command::Sign, None, ErrorCode::RoleForbidden);
    // The right unit in the wrong state.
    closed.refused(&handler(EAST), Command::Sign, None, ErrorCode::InvalidState);
    // A missing note is checked only once the action is permitted.
    closed.refused(&supervisor(), Command::Supervise { level: Supervision::Yellow }, None, ErrorCode::InvalidState);
}

/// The refusal in `decide` and the one from `check_permitted` are the same.
#[test]
fn decide_refuses_exactly_like_check_permitted() {
    let sims: Vec<_> = CaseState::ALL.iter().map(|&s| reach(s)).collect();
    for sim in &sims {
        for action in Action::ALL {
            for role in Role::ALL {
                for unit_id in [None, Some(EAST), Some(WEST), Some(ECOLOGY)] {
                    let actor = actor(role, unit_id);
                    let (cmd, note) = valid_command(action, &sim.case);
                    let permitted = lifecycle::check_permitted(&sim.case, &actor, action);
                    let decided = sim.decide(&actor, &cmd, note);
                    if let Err(p) = permitted {
                        assert_eq!(decided.as_ref().err(), Some(&p), "{action:?} by {role:?}/{unit_id:?} in {:?}", sim.state());
                    }
                }
            }
        }
    }
}

// =============================================================================================
// Flows
// =============================================================================================

#[test]
fn happy_path_with_an_assisting_unit() {
    let mut sim = Sim::new();
    assert_eq!(sim.state(), CaseState::Received);
    assert_eq!(sim.case.version, 1);

    sim.ok(&operator(), Command::Forward, None);
    assert_eq!(sim.state(), CaseState::AwaitingDispatch);

    let kinds = sim.ok(&dispatcher(), dispatch_to(EAST, &[ECOLOGY]), None);
    assert!(matches!(&kinds[..], [EventKind::Dispatched { lead, assisting }] if lead.id == EAST && assisting.len() == 1));
    assert_eq!(sim.state(), CaseState::Dispatched);
    assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, EAST);
    assert_eq!(sim.case.handling_unit.as_ref().unwrap().id, EAST);
    assert_eq!(sim.case.assisting.len(), 1);
    assert_eq!(sim.case.assisting[0].unit.id, ECOLOGY);
    assert!(!sim.case.assisting[0].replied);
    assert_eq!(sim.case.dispatched_at, Some(sim.now));
    let involved: Vec<_> = sim.case.involved_units.iter().map(|u| u.id).collect();
    assert_eq!(involved, vec![EAST, ECOLOGY]);
    assert!(sim.case.signed_at.is_none());

    sim.ok(&handler(EAST), Command::Sign, None);
    assert_eq!(sim.state(), CaseState::Handling);
    assert_eq!(sim.case.signed_at, Some(sim.now));

    sim.ok(&handler(EAST), Command::Contact { method: ContactMethod::Phone }, Some("已电话联系市民"));
    let contacted = sim.now;
    assert_eq!(sim.case.contacted_at, Some(contacted));
    sim.ok(&handler(EAST), Command::Contact { method: ContactMethod::Visit }, Some("上门查看"));
    assert_eq!(sim.case.contacted_at, Some(contacted), "the first contact counts");

    sim.ok(&handler(EAST), Command::Handle, Some("已安排施工队"));
    assert_eq!(sim.state(), CaseState::Handling);

    sim.ok(&handler(ECOLOGY), Command::AssistReply, Some("排水口污染已检测，无超标"));
    assert!(sim.case.assisting[0].replied);
    assert_eq!(sim.state(), CaseState::Handling);

    sim.ok(&handler(EAST), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, None);
    assert_eq!(sim.state(), CaseState::Replied);
    let reply = sim.case.reply.clone().unwrap();
    assert_eq!(reply.text, REPLY_TEXT);
    assert_eq!(reply.solved, Solved::Solved);
    assert_eq!(reply.unit_id, Some(EAST));
    assert_eq!(sim.case.solved, Some(Solved::Solved));

    sim.ok(&dispatcher(), Command::ReviewReply { pass: true }, None);
    assert_eq!(sim.state(), CaseState::AwaitingCallback);

    let kinds = sim.ok(
        &supervisor(),
        Command::Callback { outcome: CallbackOutcome::Satisfied, solved: Some(Solved::Solved), comment: Some(note("处理及时")) },
        None,
    );
    assert_eq!(kinds.len(), 2, "callback and close: {kinds:?}");
    assert_eq!(sim.state(), CaseState::Closed);
    assert_eq!(sim.case.rating, Some(CallbackOutcome::Satisfied));
    assert_eq!(sim.case.rating_comment.as_deref(), Some("处理及时"));
    assert_eq!(sim.case.callback_attempts, 1);
    assert_eq!(sim.case.closed_at, Some(sim.now));
    assert!(!sim.case.final_reply);

    sim.ok(&admin(), Command::Archive, None);
    assert_eq!(sim.state(), CaseState::Archived);
    assert_eq!(sim.case.archived_at, Some(sim.now));

    assert_eq!(sim.case.version, sim.events.len() as i64);
    for (i, e) in sim.events.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1);
    }
    sim.assert_replays();
    assert!(lifecycle::available_actions(&sim.case, &admin(), &sim.rules).is_empty());
}

#[test]
fn callback_by_the_lead_units_leader() {
    let mut sim = reach(CaseState::AwaitingCallback);
    sim.ok(
        &unit_leader(EAST),
        Command::Callback { outcome: CallbackOutcome::BasicallySatisfied, solved: Some(Solved::PartlySolved), comment: None },
        None,
    );
    assert_eq!(sim.state(), CaseState::Closed);
    assert_eq!(sim.case.rating, Some(CallbackOutcome::BasicallySatisfied));
    assert_eq!(sim.case.solved, Some(Solved::PartlySolved));
}

#[test]
fn answer_on_the_spot_then_callback_closes() {
    let mut sim = Sim::with_intake(1, intake_of(CaseType::Consultation, false));
    sim.refused(&dispatcher(), Command::AnswerOnSpot { answer: note("答复") }, None, ErrorCode::RoleForbidden);
    sim.ok(&operator(), Command::AnswerOnSpot { answer: note("社保卡补办可在线上办理。") }, None);
    assert_eq!(sim.state(), CaseState::AwaitingCallback);
    assert!(sim.case.answered_on_spot);
    assert!(sim.case.lead_unit.is_none());
    let reply = sim.case.reply.clone().unwrap();
    assert_eq!(reply.text, "社保卡补办可在线上办理。");
    assert_eq!(reply.unit_id, None);
    assert_eq!(sim.case.solved, Some(Solved::Solved));

    // No unit leads it, so no unit leader can call back.
    sim.refused(
        &unit_leader(EAST),
        Command::Callback { outcome: CallbackOutcome::Satisfied, solved: None, comment: None },
        None,
        ErrorCode::UnitForbidden,
    );
    // It cannot be closed before the citizen is called back.
    sim.refused(&supervisor(), Command::Close, Some("办结"), ErrorCode::RuleViolation);
    sim.ok(&operator(), Command::Callback { outcome: CallbackOutcome::Satisfied, solved: None, comment: None }, None);
    assert_eq!(sim.state(), CaseState::Closed);
    assert_eq!(sim.case.rating, Some(CallbackOutcome::Satisfied));
    sim.assert_replays();
}

#[test]
fn answer_on_the_spot_only_when_received() {
    for &state in CaseState::ALL.iter().filter(|s| **s != CaseState::Received) {
        let mut sim = reach(state);
        sim.refused(&operator(), Command::AnswerOnSpot { answer: note("答复") }, None, ErrorCode::InvalidState);
    }
}

#[test]
fn dispatch_directly_from_received_and_targets_must_handle_cases() {
    let mut sim = Sim::new();
    for bad in [
        dispatch_to(CENTRE, &[]),
        dispatch_to(CITY, &[]),
        dispatch_to(EAST, &[CENTRE]),
        dispatch_to(EAST, &[EAST]),
        dispatch_to(EAST, &[ECOLOGY, ECOLOGY]),
    ] {
        let e = sim.refused(&dispatcher(), bad, None, ErrorCode::RuleViolation);
        assert_explained(&e, CaseState::Received, Action::Dispatch);
    }
    let too_many = Command::Dispatch {
        lead: unit(EAST),
        assisting: (100..111)
            .map(|id| minsheng_domain::org::UnitRef {
                id,
                name: format!("单位{id}"),
                kind: UnitKind::Department,
                parent_id: Some(CITY),
                path: format!("/1/{id}/"),
            })
            .collect(),
    };
    sim.refused(&dispatcher(), too_many, None, ErrorCode::RuleViolation);
    sim.ok(&Actor::system(), dispatch_to(HOUSING, &[]), None);
    assert_eq!(sim.state(), CaseState::Dispatched);
    assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, HOUSING);
    assert!(sim.case.assisting.is_empty());
}

#[test]
fn return_refused_goes_back_to_the_previous_state() {
    for from in [CaseState::Dispatched, CaseState::Handling] {
        let mut sim = reach(from);
        // A return needs a reason text.
        sim.refused(&handler(EAST), Command::Return { reason: ReturnReason::WrongPlace }, None, ErrorCode::InvalidInput);
        sim.ok(&handler(EAST), Command::Return { reason: ReturnReason::WrongPlace }, Some("该地址属于城西区"));
        assert_eq!(sim.state(), CaseState::ReturnRequested);
        let pending = sim.case.pending_return.clone().unwrap();
        assert_eq!(pending.unit_id, EAST);
        assert_eq!(pending.from_state, from);
        assert_eq!(pending.reason, ReturnReason::WrongPlace);
        // While the return is reviewed the unit cannot go on.
        sim.refused(&handler(EAST), Command::Sign, None, ErrorCode::InvalidState);
        sim.refused(&handler(EAST), Command::Return { reason: ReturnReason::NotOurs }, Some("再退"), ErrorCode::InvalidState);
        sim.refused(&handler(EAST), Command::ReviewReturn { decision: ReturnDecision::Refuse }, None, ErrorCode::RoleForbidden);

        sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::Refuse }, Some("经核实属于本辖区"));
        assert_eq!(sim.state(), from, "back to where it was");
        assert_eq!(sim.case.returns_refused, 1);
        assert_eq!(sim.case.returns_approved, 0);
        assert!(sim.case.pending_return.is_none());
        assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, EAST);
        assert_eq!(sim.case.handling_unit.as_ref().unwrap().id, EAST);
        assert_eq!(sim.case.signed_at.is_some(), from == CaseState::Handling);
        sim.assert_replays();
    }
}

#[test]
fn return_to_the_pool() {
    let mut sim = reach(CaseState::ReturnRequested);
    sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::ToPool }, None);
    assert_eq!(sim.state(), CaseState::AwaitingDispatch);
    assert!(sim.case.lead_unit.is_none());
    assert!(sim.case.handling_unit.is_none());
    assert!(sim.case.assisting.is_empty());
    assert!(sim.case.signed_at.is_none());
    assert!(sim.case.pending_return.is_none());
    assert_eq!(sim.case.returns_approved, 1);
    assert_eq!(sim.case.returns_refused, 0);
    // The unit that had it still appears among the involved units.
    assert!(sim.case.involved_units.iter().any(|u| u.id == EAST));
    // The old lead can no longer act; the centre dispatches again.
    sim.refused(&handler(EAST), Command::Sign, None, ErrorCode::UnitForbidden);
    sim.ok(&dispatcher(), dispatch_to(WEST, &[]), None);
    assert_eq!(sim.state(), CaseState::Dispatched);
    assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, WEST);
    sim.assert_replays();
}

#[test]
fn return_approved_with_reassignment() {
    let mut sim = reach(CaseState::ReturnRequested);
    // Not back to the unit that returned it.
    let e = sim.refused(
        &dispatcher(),
        Command::ReviewReturn { decision: ReturnDecision::Reassign { lead: unit(EAST), assisting: vec![] } },
        None,
        ErrorCode::RuleViolation,
    );
    assert_explained(&e, CaseState::ReturnRequested, Action::ReviewReturn);
    // Nor to a unit that does not handle cases.
    sim.refused(
        &dispatcher(),
        Command::ReviewReturn { decision: ReturnDecision::Reassign { lead: unit(CENTRE), assisting: vec![] } },
        None,
        ErrorCode::RuleViolation,
    );
    sim.ok(
        &dispatcher(),
        Command::ReviewReturn { decision: ReturnDecision::Reassign { lead: unit(WEST), assisting: vec![unit(HOUSING)] } },
        None,
    );
    assert_eq!(sim.state(), CaseState::Dispatched);
    assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, WEST);
    assert_eq!(sim.case.handling_unit.as_ref().unwrap().id, WEST);
    assert_eq!(sim.case.assisting.iter().map(|a| a.unit.id).collect::<Vec<_>>(), vec![HOUSING]);
    assert_eq!(sim.case.returns_approved, 1);
    assert_eq!(sim.case.reassign_count, 1);
    assert!(sim.case.signed_at.is_none());
    assert!(sim.case.pending_return.is_none());
    // The new lead signs; the old one cannot.
    sim.refused(&handler(EAST), Command::Sign, None, ErrorCode::UnitForbidden);
    sim.ok(&handler(WEST), Command::Sign, None);
    assert_eq!(sim.state(), CaseState::Handling);
    sim.assert_replays();
}

#[test]
fn reassign_restarts_signing() {
    let mut sim = reach(CaseState::Handling);
    assert!(sim.case.signed_at.is_some());
    // A reason is required, the same lead is refused, the centre cannot lead.
    sim.refused(&dispatcher(), reassign_to(HOUSING, &[]), None, ErrorCode::InvalidInput);
    sim.refused(&dispatcher(), reassign_to(EAST, &[]), Some("改派"), ErrorCode::RuleViolation);
    sim.refused(&dispatcher(), reassign_to(CENTRE, &[]), Some("改派"), ErrorCode::RuleViolation);
    sim.refused(&handler(EAST), reassign_to(HOUSING, &[]), Some("改派"), ErrorCode::RoleForbidden);
    sim.ok(&dispatcher(), reassign_to(HOUSING, &[WEST]), Some("属住建局职责"));
    assert_eq!(sim.state(), CaseState::Dispatched);
    assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, HOUSING);
    assert_eq!(sim.case.handling_unit.as_ref().unwrap().id, HOUSING);
    assert_eq!(sim.case.assisting.iter().map(|a| a.unit.id).collect::<Vec<_>>(), vec![WEST]);
    assert!(sim.case.signed_at.is_none());
    assert_eq!(sim.case.reassign_count, 1);
    let involved: Vec<_> = sim.case.involved_units.iter().map(|u| u.id).collect();
    assert_eq!(involved, vec![EAST, ECOLOGY, HOUSING, WEST]);
    // The former lead and former assisting unit no longer act.
    sim.refused(&handler(EAST), Command::Contact { method: ContactMethod::Phone }, Some("联系"), ErrorCode::UnitForbidden);
    sim.refused(&handler(ECOLOGY), Command::AssistReply, Some("协办"), ErrorCode::UnitForbidden);
    sim.refused(&handler(HOUSING), Command::Contact { method: ContactMethod::Phone }, Some("联系"), ErrorCode::InvalidState);
    sim.ok(&handler(HOUSING), Command::Sign, None);
    assert_eq!(sim.state(), CaseState::Handling);
    // Reassigning an unsigned order works too.
    sim.ok(&dispatcher(), reassign_to(EAST, &[]), Some("改回城东区"));
    sim.ok(&dispatcher(), reassign_to(WEST, &[]), Some("再改派"));
    assert_eq!(sim.case.reassign_count, 3);
    sim.assert_replays();
}

#[test]
fn pass_down_only_to_a_direct_child_and_only_once() {
    let mut sim = reach(CaseState::Handling);
    // Not to a grandchild, a sibling's child, the parent, a sibling, itself.
    for to in [EAST_COMMUNITY, WEST_STREET, CITY, WEST, EAST, HOUSING_OFFICE] {
        let e = sim.refused(&handler(EAST), Command::PassDown { to: unit(to) }, None, ErrorCode::RuleViolation);
        assert_explained(&e, CaseState::Handling, Action::PassDown);
    }
    // Only while handling: not before signing.
    let mut unsigned = reach(CaseState::Dispatched);
    unsigned.refused(&handler(EAST), Command::PassDown { to: unit(EAST_STREET) }, None, ErrorCode::InvalidState);

    sim.ok(&unit_leader(EAST), Command::PassDown { to: unit(EAST_STREET) }, Some("请街道落实"));
    assert_eq!(sim.state(), CaseState::Dispatched);
    assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, EAST, "the lead stays");
    assert_eq!(sim.case.handling_unit.as_ref().unwrap().id, EAST_STREET);
    assert!(sim.case.signed_at.is_none());
    assert!(sim.case.involved_units.iter().any(|u| u.id == EAST_STREET));

    // The lead no longer holds it; the street signs and works.
    sim.refused(&handler(EAST), Command::Sign, None, ErrorCode::UnitForbidden);
    sim.ok(&handler(EAST_STREET), Command::Sign, None);
    assert_eq!(sim.state(), CaseState::Handling);
    sim.refused(&handler(EAST), Command::Reply { text: note("答复"), solved: Solved::Solved }, None, ErrorCode::UnitForbidden);

    // 二级派单 is one level: the street may not pass it on to its community.
    let e = sim.refused(&handler(EAST_STREET), Command::PassDown { to: unit(EAST_COMMUNITY) }, None, ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::Handling, Action::PassDown);

    sim.ok(&handler(EAST_STREET), Command::Contact { method: ContactMethod::Visit }, Some("上门"));
    sim.ok(&handler(ECOLOGY), Command::AssistReply, Some("协办意见"));
    sim.ok(&handler(EAST_STREET), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, None);
    assert_eq!(sim.case.reply.as_ref().unwrap().unit_id, Some(EAST_STREET));
    assert_eq!(sim.state(), CaseState::Replied);
    sim.assert_replays();
}

#[test]
fn reply_sent_back() {
    let mut sim = reach(CaseState::Replied);
    sim.refused(&handler(EAST), Command::ReviewReply { pass: false }, None, ErrorCode::RoleForbidden);
    sim.refused(&city_leader(), Command::ReviewReply { pass: false }, None, ErrorCode::RoleForbidden);
    sim.ok(&supervisor(), Command::ReviewReply { pass: false }, Some("答复过于简单"));
    assert_eq!(sim.state(), CaseState::Handling);
    // The unit replies again, and this time it passes.
    sim.ok(&handler(EAST), Command::Reply { text: note("已疏通并加装排水篦子"), solved: Solved::Solved }, None);
    assert_eq!(sim.case.reply.as_ref().unwrap().text, "已疏通并加装排水篦子");
    sim.pass_review();
    assert_eq!(sim.state(), CaseState::AwaitingCallback);
    sim.assert_replays();
}

#[test]
fn unsatisfied_redo_twice_then_final_reply() {
    let mut sim = reach(CaseState::AwaitingCallback);
    for round in 1..=2u32 {
        sim.ok(
            &supervisor(),
            Command::Callback {
                outcome: CallbackOutcome::Unsatisfied, solved: Some(Solved::Unsolved), comment: Some(note("仍然积水"))
            },
            None,
        );
        assert_eq!(sim.state(), CaseState::Unsatisfied);
        assert_eq!(sim.case.rating, Some(CallbackOutcome::Unsatisfied));
        assert_eq!(sim.case.solved, Some(Solved::Unsolved));
        // Redo needs a reason.
        sim.refused(&supervisor(), Command::Redo, None, ErrorCode::InvalidInput);
        sim.refused(&handler(EAST), Command::Redo, Some("重办"), ErrorCode::RoleForbidden);
        sim.ok(&dispatcher(), Command::Redo, Some("市民不满意，重新办理"));
        assert_eq!(sim.state(), CaseState::Handling);
        assert_eq!(sim.case.redo_count, round);
        assert!(sim.case.reply.is_none());
        assert!(sim.case.rating.is_none());
        assert!(sim.case.solved.is_none());
        assert_eq!(sim.case.callback_attempts, 0);
        assert_eq!(sim.case.lead_unit.as_ref().unwrap().id, EAST);
        sim.reply();
        sim.pass_review();
    }
    sim.ok(&supervisor(), Command::Callback { outcome: CallbackOutcome::Unsatisfied, solved: None, comment: None }, None);
    assert_eq!(sim.state(), CaseState::Unsatisfied);
    let e = sim.refused(&supervisor(), Command::Redo, Some("第三次重办"), ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::Unsatisfied, Action::Redo);
    assert!(!lifecycle::available_actions(&sim.case, &supervisor(), &sim.rules).contains(&Action::Redo));
    // Escalate, then close with a final reply.
    sim.ok(&city_leader(), Command::Escalate { leader: leader_ref(7) }, Some("两次不满意，提级办理"));
    sim.refused(&supervisor(), Command::Close, None, ErrorCode::InvalidInput);
    sim.ok(&city_leader(), Command::Close, Some("最终答复：已按标准处理"));
    assert_eq!(sim.state(), CaseState::Closed);
    assert!(sim.case.final_reply);
    assert_eq!(sim.case.rating, Some(CallbackOutcome::Unsatisfied));
    assert_eq!(sim.case.redo_count, 2);
    // And a closed case at the limit cannot be redone either.
    sim.refused(&supervisor(), Command::Redo, Some("再次重办"), ErrorCode::RuleViolation);
    sim.assert_replays();
}

#[test]
fn redo_of_a_closed_case_reopens_it() {
    let mut sim = reach(CaseState::Closed);
    sim.ok(&supervisor(), Command::Redo, Some("回潮：同一地点再次积水"));
    assert_eq!(sim.state(), CaseState::Handling);
    assert!(sim.case.closed_at.is_none());
    assert_eq!(sim.case.redo_count, 1);
    // An answered-on-the-spot case has no unit: it goes back to dispatch.
    let mut spot = Sim::new();
    spot.ok(&operator(), Command::AnswerOnSpot { answer: note("答复") }, None);
    spot.callback(CallbackOutcome::Satisfied);
    spot.ok(&supervisor(), Command::Redo, Some("市民反映问题未解决"));
    assert_eq!(spot.state(), CaseState::AwaitingDispatch);
    assert!(spot.case.lead_unit.is_none());
    spot.assert_replays();
}

#[test]
fn unreachable_three_times_closes_as_unreachable() {
    let mut sim = reach(CaseState::AwaitingCallback);
    for attempt in 1..=2u32 {
        let kinds = sim.callback(CallbackOutcome::Unreachable);
        assert_eq!(kinds.len(), 1);
        assert_eq!(sim.state(), CaseState::AwaitingCallback);
        assert_eq!(sim.case.callback_attempts, attempt);
        assert!(sim.case.rating.is_none());
        // Retries go on different days.
        sim.refused(
            &supervisor(),
            Command::Callback { outcome: CallbackOutcome::Unreachable, solved: None, comment: None },
            None,
            ErrorCode::RuleViolation,
        );
        sim.now += DAY;
    }
    let kinds = sim.callback(CallbackOutcome::Unreachable);
    assert!(
        matches!(kinds.last(), Some(EventKind::Closed { final_reply: false, outcome: Some(CallbackOutcome::Unreachable) })),
        "{kinds:?}"
    );
    assert_eq!(sim.state(), CaseState::Closed);
    assert_eq!(sim.case.rating, Some(CallbackOutcome::Unreachable));
    assert_eq!(sim.case.callback_attempts, 3);
    sim.assert_replays();
}

#[test]
fn declined_closes() {
    let mut sim = reach(CaseState::AwaitingCallback);
    sim.callback(CallbackOutcome::Declined);
    assert_eq!(sim.state(), CaseState::Closed);
    assert_eq!(sim.case.rating, Some(CallbackOutcome::Declined));
    assert!(!sim.case.final_reply);
}

#[test]
fn close_from_awaiting_callback_needs_a_callback_attempt_or_no_phone() {
    let mut sim = reach(CaseState::AwaitingCallback);
    let e = sim.refused(&supervisor(), Command::Close, Some("办结"), ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::AwaitingCallback, Action::Close);
    assert!(!lifecycle::available_actions(&sim.case, &supervisor(), &sim.rules).contains(&Action::Close));
    sim.callback(CallbackOutcome::Unreachable);
    assert!(lifecycle::available_actions(&sim.case, &supervisor(), &sim.rules).contains(&Action::Close));
    sim.ok(&supervisor(), Command::Close, Some("多次未接通，按规定办结"));
    assert_eq!(sim.state(), CaseState::Closed);
    assert!(!sim.case.final_reply);

    // A citizen who left no phone cannot be called back: closing directly is allowed.
    let mut no_phone = intake();
    no_phone.citizen.phone = None;
    let mut sim = reach_from(Sim::with_intake(1, no_phone), CaseState::AwaitingCallback);
    sim.ok(&supervisor(), Command::Close, Some("市民未留电话"));
    assert_eq!(sim.state(), CaseState::Closed);
}

#[test]
fn extensions() {
    let mut sim = reach(CaseState::Handling);
    let h = handler(EAST);
    // Days must be 1..=max; a reason is required.
    sim.refused(&h, Command::RequestExtension { days: 0 }, Some("延期"), ErrorCode::InvalidInput);
    sim.refused(&h, Command::RequestExtension { days: sim.rules.max_extension_days + 1 }, Some("延期"), ErrorCode::InvalidInput);
    sim.refused(&h, Command::RequestExtension { days: 2 }, None, ErrorCode::InvalidInput);
    // Nothing to review yet.
    sim.refused(&dispatcher(), Command::ReviewExtension { approve: true, days: None }, None, ErrorCode::RuleViolation);
    assert!(!lifecycle::available_actions(&sim.case, &dispatcher(), &sim.rules).contains(&Action::ReviewExtension));

    // 1st: approved as asked.
    sim.ok(&h, Command::RequestExtension { days: 3 }, Some("需协调施工单位"));
    assert_eq!(sim.case.pending_extension.as_ref().unwrap().days, 3);
    assert_eq!(sim.state(), CaseState::Handling);
    assert!(!lifecycle::available_actions(&sim.case, &h, &sim.rules).contains(&Action::RequestExtension));
    assert!(lifecycle::available_actions(&sim.case, &dispatcher(), &sim.rules).contains(&Action::ReviewExtension));
    let e = sim.refused(&h, Command::RequestExtension { days: 1 }, Some("再次申请"), ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::Handling, Action::RequestExtension);
    sim.refused(&h, Command::ReviewExtension { approve: true, days: None }, None, ErrorCode::RoleForbidden);
    sim.ok(&dispatcher(), Command::ReviewExtension { approve: true, days: None }, None);
    assert!(sim.case.pending_extension.is_none());
    assert_eq!(sim.case.extensions_approved, 1);
    assert_eq!(sim.case.extension_days, 3);

    // 2nd: approved with fewer days; more than asked or zero is refused.
    sim.ok(&h, Command::RequestExtension { days: 2 }, Some("材料未到"));
    sim.refused(&dispatcher(), Command::ReviewExtension { approve: true, days: Some(3) }, None, ErrorCode::InvalidInput);
    sim.refused(&dispatcher(), Command::ReviewExtension { approve: true, days: Some(0) }, None, ErrorCode::InvalidInput);
    sim.ok(&city_leader(), Command::ReviewExtension { approve: true, days: Some(1) }, None);
    assert_eq!(sim.case.extensions_approved, 2);
    assert_eq!(sim.case.extension_days, 4);

    // A refused request does not count.
    sim.ok(&h, Command::RequestExtension { days: 1 }, Some("再延一天"));
    sim.ok(&dispatcher(), Command::ReviewExtension { approve: false, days: None }, Some("理由不充分"));
    assert!(sim.case.pending_extension.is_none());
    assert_eq!(sim.case.extensions_approved, 2);
    assert_eq!(sim.case.extension_days, 4);

    // 3rd approved; a 4th is refused.
    sim.ok(&h, Command::RequestExtension { days: 3 }, Some("第三次"));
    sim.ok(&dispatcher(), Command::ReviewExtension { approve: true, days: None }, None);
    assert_eq!(sim.case.extensions_approved, 3);
    assert_eq!(sim.case.extension_days, 7);
    let e = sim.refused(&h, Command::RequestExtension { days: 1 }, Some("第四次"), ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::Handling, Action::RequestExtension);
    assert!(!lifecycle::available_actions(&sim.case, &h, &sim.rules).contains(&Action::RequestExtension));
    sim.assert_replays();
}

#[test]
fn extension_limits_are_settings() {
    let mut sim = reach(CaseState::Handling);
    sim.rules.max_extensions = 1;
    sim.rules.max_extension_days = 10;
    sim.request_extension(10);
    sim.ok(&dispatcher(), Command::ReviewExtension { approve: true, days: None }, None);
    sim.refused(&handler(EAST), Command::RequestExtension { days: 1 }, Some("再次"), ErrorCode::RuleViolation);
}

#[test]
fn reply_refused_while_an_extension_is_pending() {
    let mut sim = reach(CaseState::Handling);
    sim.request_extension(2);
    let e = sim.refused(&handler(EAST), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, None, ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::Handling, Action::Reply);
    sim.ok(&dispatcher(), Command::ReviewExtension { approve: false, days: None }, Some("理由不充分"));
    sim.reply();
    assert_eq!(sim.state(), CaseState::Replied);
}

#[test]
fn suspend_and_resume_return_to_the_exact_state() {
    for from in [CaseState::Dispatched, CaseState::Handling] {
        let mut sim = reach(from);
        sim.refused(&supervisor(), Command::Suspend, None, ErrorCode::InvalidInput);
        sim.refused(&handler(EAST), Command::Suspend, Some("挂起"), ErrorCode::RoleForbidden);
        sim.ok(&dispatcher(), Command::Suspend, Some("等待司法鉴定结果"));
        assert_eq!(sim.state(), CaseState::Suspended);
        assert_eq!(sim.case.suspended_from, Some(from));
        // Suspended: the unit cannot act, a second suspension is refused, side events still work.
        sim.refused(&handler(EAST), Command::Sign, None, ErrorCode::InvalidState);
        sim.refused(&handler(EAST), Command::Contact { method: ContactMethod::Phone }, Some("联系"), ErrorCode::InvalidState);
        sim.refused(&dispatcher(), Command::Suspend, Some("再次挂起"), ErrorCode::InvalidState);
        sim.ok(&supervisor(), Command::Urge, None);
        sim.ok(&citizen_actor(), Command::AddInfo { attachments: Vec::new() }, Some("补充：积水已有一周"));
        sim.ok(&city_leader(), Command::Resume, None);
        assert_eq!(sim.state(), from);
        assert!(sim.case.suspended_from.is_none());
        sim.refused(&supervisor(), Command::Resume, None, ErrorCode::InvalidState);
        sim.assert_replays();
    }
    // Only from dispatched or handling.
    for state in
        [CaseState::Received, CaseState::AwaitingDispatch, CaseState::Replied, CaseState::AwaitingCallback, CaseState::ReturnRequested]
    {
        reach(state).refused(&supervisor(), Command::Suspend, Some("挂起"), ErrorCode::InvalidState);
    }
}

#[test]
fn supervision_only_rises() {
    let mut sim = reach(CaseState::Handling);
    sim.refused(&supervisor(), Command::Supervise { level: Supervision::Yellow }, None, ErrorCode::InvalidInput);
    sim.refused(&supervisor(), Command::Supervise { level: Supervision::None }, Some("撤销"), ErrorCode::RuleViolation);
    sim.refused(&dispatcher(), Command::Supervise { level: Supervision::Yellow }, Some("黄牌"), ErrorCode::RoleForbidden);
    sim.ok(&supervisor(), Command::Supervise { level: Supervision::Yellow }, Some("超时未签收"));
    assert_eq!(sim.case.supervision, Supervision::Yellow);
    let e = sim.refused(&supervisor(), Command::Supervise { level: Supervision::Yellow }, Some("再次黄牌"), ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::Handling, Action::Supervise);
    sim.ok(&city_leader(), Command::Supervise { level: Supervision::Red }, Some("超期仍未办结"));
    assert_eq!(sim.case.supervision, Supervision::Red);
    sim.refused(&supervisor(), Command::Supervise { level: Supervision::Red }, Some("再次红牌"), ErrorCode::RuleViolation);
    sim.refused(&supervisor(), Command::Supervise { level: Supervision::Yellow }, Some("降级"), ErrorCode::RuleViolation);
    assert_eq!(sim.state(), CaseState::Handling, "supervision does not move the case");
    // Straight to red is allowed.
    let mut direct = reach(CaseState::Dispatched);
    direct.ok(&Actor::system(), Command::Supervise { level: Supervision::Red }, Some("超过红线"));
    assert_eq!(direct.case.supervision, Supervision::Red);
}

#[test]
fn urging_counts() {
    let mut sim = reach(CaseState::Dispatched);
    sim.ok(&Actor::system(), Command::Urge, None);
    sim.ok(&supervisor(), Command::Urge, Some("请尽快签收"));
    assert_eq!(sim.case.urge_count, 2);
    assert_eq!(sim.state(), CaseState::Dispatched);
    sim.refused(&handler(EAST), Command::Urge, None, ErrorCode::RoleForbidden);
}

#[test]
fn escalate_to_a_leader() {
    let mut sim = reach(CaseState::Handling);
    sim.refused(&supervisor(), Command::Escalate { leader: leader_ref(7) }, None, ErrorCode::InvalidInput);
    sim.refused(&unit_leader(EAST), Command::Escalate { leader: leader_ref(7) }, Some("提级"), ErrorCode::RoleForbidden);
    sim.ok(&supervisor(), Command::Escalate { leader: leader_ref(7) }, Some("权属争议两次"));
    assert_eq!(sim.case.escalated_to, Some(leader_ref(7)));
    assert_eq!(sim.state(), CaseState::Handling);
    let e = sim.refused(&supervisor(), Command::Escalate { leader: leader_ref(7) }, Some("再次提级"), ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::Handling, Action::Escalate);
    sim.ok(&city_leader(), Command::Escalate { leader: leader_ref(8) }, Some("改由分管副市长领办"));
    assert_eq!(sim.case.escalated_to, Some(leader_ref(8)));
}

#[test]
fn merge_into_another_case() {
    let mut target = reach_from(Sim::with_intake(2, intake()), CaseState::Handling);
    let mut source = reach(CaseState::AwaitingDispatch);
    // A source that already absorbed two others carries their reporters along.
    source.append(&dispatcher(), vec![EventKind::MergedFrom { source: link(30), reporters: 2 }], None);
    assert_eq!(source.case.reporters, 3);

    let into = link(target.case.id);
    let e = source.refused(&dispatcher(), Command::Merge { into: link(source.case.id) }, None, ErrorCode::RuleViolation);
    assert_explained(&e, CaseState::AwaitingDispatch, Action::Merge);
    source.refused(&handler(EAST), Command::Merge { into: into.clone() }, None, ErrorCode::RoleForbidden);

    let target_events = lifecycle::decide_merge_target(&source.case, &target.case).unwrap();
    let kinds = source.ok(&dispatcher(), Command::Merge { into: into.clone() }, Some("同一积水点重复来电"));
    assert_eq!(kinds, vec![EventKind::MergedInto { target: into.clone() }]);
    assert_eq!(source.state(), CaseState::Merged);
    assert_eq!(source.case.merged_into, Some(into));

    target.append(&dispatcher(), target_events, None);
    assert_eq!(target.case.reporters, 4);
    assert_eq!(target.case.merged_from, vec![link(1)]);
    assert_eq!(target.state(), CaseState::Handling, "the target goes on");

    // A merged case accepts only the archive.
    for action in Action::ALL {
        let accepted = Role::ALL.into_iter().any(|r| {
            let a = allowed_actor(action, r, &source.case);
            let (cmd, note) = valid_command(action, &source.case);
            source.decide(&a, &cmd, note).is_ok()
        });
        assert_eq!(accepted, action == Action::Archive, "{action:?} on a merged case");
    }
    source.assert_replays();
    target.assert_replays();
}

#[test]
fn merge_target_must_be_open() {
    let source = reach(CaseState::Received);
    for state in [CaseState::Closed, CaseState::Archived, CaseState::Voided, CaseState::Withdrawn, CaseState::Merged] {
        let target = reach_from(Sim::with_intake(2, intake()), state);
        let e = lifecycle::decide_merge_target(&source.case, &target.case).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidState, "target {state:?}");
        assert_explained(&e, state, Action::Merge);
    }
    for state in [CaseState::Received, CaseState::Suspended, CaseState::AwaitingCallback, CaseState::Unsatisfied] {
        let target = reach_from(Sim::with_intake(2, intake()), state);
        assert!(lifecycle::decide_merge_target(&source.case, &target.case).is_ok(), "target {state:?}");
    }
}

#[test]
fn void_requires_a_note() {
    let mut sim = reach(CaseState::Received);
    let e = sim.refused(&dispatcher(), Command::Void { reason: VoidReason::Malicious }, None, ErrorCode::InvalidInput);
    assert_eq!(e.details["field"], "note");
    sim.refused(&operator(), Command::Void { reason: VoidReason::Malicious }, Some("恶意"), ErrorCode::RoleForbidden);
    sim.ok(&supervisor(), Command::Void { reason: VoidReason::Malicious }, Some("反复辱骂话务员"));
    assert_eq!(sim.state(), CaseState::Voided);
    sim.ok(&Actor::system(), Command::Archive, None);
    assert_eq!(sim.state(), CaseState::Archived);
}

#[test]
fn citizen_withdraws_and_adds_information() {
    let mut sim = reach(CaseState::Handling);
    sim.refused(&citizen_actor(), Command::AddInfo { attachments: Vec::new() }, None, ErrorCode::InvalidInput);
    sim.ok(&citizen_actor(), Command::AddInfo { attachments: Vec::new() }, Some("积水处还有一个井盖松动"));
    assert_eq!(sim.case.info_added, 1);
    assert_eq!(sim.state(), CaseState::Handling);
    sim.refused(&handler(EAST), Command::Withdraw, None, ErrorCode::RoleForbidden);
    sim.ok(&citizen_actor(), Command::Withdraw, None);
    assert_eq!(sim.state(), CaseState::Withdrawn);
    assert_eq!(sim.case.closed_at, Some(sim.now));
    sim.refused(&citizen_actor(), Command::AddInfo { attachments: Vec::new() }, Some("再补充"), ErrorCode::InvalidState);
}

/// Every action with NoteRule::Required is refused with InvalidInput (field "note") without one,
/// in an allowed state by an allowed actor, and accepted with one; the optional ones are accepted
/// without.
#[test]
fn notes_required_where_the_rule_says() {
    let mut required = Vec::new();
    for action in Action::ALL {
        let state = action.states()[0];
        let state = if action == Action::Redo { CaseState::Unsatisfied } else { state };
        let mut sim = reach(state);
        prepare(&mut sim, action);
        let role = action.roles()[0];
        let actor = allowed_actor(action, role, &sim.case);
        let (cmd, _) = valid_command(action, &sim.case);
        match action.note_rule() {
            NoteRule::Required => {
                required.push(action);
                let e = sim.refused(&actor, cmd.clone(), None, ErrorCode::InvalidInput);
                assert_eq!(e.details["field"], "note", "{action:?}");
                assert_eq!(e.details["action"], action.as_str(), "{action:?}");
                assert!(sim.decide(&actor, &cmd, Some("理由")).is_ok(), "{action:?} with a note");
            }
            NoteRule::Optional => assert!(sim.decide(&actor, &cmd, None).is_ok(), "{action:?} without a note"),
        }
    }
    use Action as A;
    assert_eq!(
        required,
        vec![
            A::Return,
            A::Reassign,
            A::Contact,
            A::Handle,
            A::AssistReply,
            A::Redo,
            A::Close,
            A::RequestExtension,
            A::Suspend,
            A::Supervise,
            A::Escalate,
            A::JointMeeting,
            A::Void,
            A::AddInfo
        ]
    );
}

/// A closed case accepts only archive and redo, whoever tries, whatever the unit.
#[test]
fn a_closed_case_accepts_only_archive_and_redo() {
    let sim = reach(CaseState::Closed);
    for action in Action::ALL {
        for role in Role::ALL {
            for unit_id in [None, Some(CENTRE), Some(EAST), Some(ECOLOGY), Some(WEST)] {
                let actor = actor(role, unit_id);
                let (cmd, note) = valid_command(action, &sim.case);
                let ok = sim.decide(&actor, &cmd, note).is_ok();
                let expected = matches!(action, Action::Archive | Action::Redo) && action.roles().contains(&role);
                assert_eq!(ok, expected, "{action:?} by {role:?} in {unit_id:?} on a closed case");
            }
        }
        let listed =
            Role::ALL.into_iter().any(|r| lifecycle::available_actions(&sim.case, &actor(r, Some(EAST)), &sim.rules).contains(&action));
        assert_eq!(listed, matches!(action, Action::Archive | Action::Redo), "{action:?} listed on a closed case");
    }
    // Archived: nothing at all.
    let archived = reach(CaseState::Archived);
    for action in Action::ALL {
        for role in Role::ALL {
            let actor = allowed_actor(action, role, &archived.case);
            let (cmd, note) = valid_command(action, &archived.case);
            assert!(archived.decide(&actor, &cmd, note).is_err(), "{action:?} by {role:?} on an archived case");
        }
    }
}

#[test]
fn no_pushing_down() {
    for owner in [UnitKind::Department, UnitKind::Company] {
        for lead in [EAST_STREET, EAST_COMMUNITY] {
            let e = lifecycle::check_no_push_down(owner, &unit(lead)).unwrap_err();
            assert_eq!(e.code, ErrorCode::RuleViolation);
            assert!(!e.message_zh.is_empty() && !e.message_en.is_empty());
        }
        for lead in [EAST, HOUSING] {
            assert!(lifecycle::check_no_push_down(owner, &unit(lead)).is_ok());
        }
    }
    for owner in [UnitKind::District, UnitKind::Street, UnitKind::Community] {
        assert!(lifecycle::check_no_push_down(owner, &unit(EAST_COMMUNITY)).is_ok());
    }
}

#[test]
fn forward_by_operator_dispatcher_or_system_only_when_received() {
    for a in [operator(), dispatcher(), Actor::system()] {
        let mut sim = Sim::new();
        sim.ok(&a, Command::Forward, None);
        assert_eq!(sim.state(), CaseState::AwaitingDispatch);
        sim.refused(&a, Command::Forward, None, ErrorCode::InvalidState);
    }
    Sim::new().refused(&supervisor(), Command::Forward, None, ErrorCode::RoleForbidden);
}

// =============================================================================================
// Bugs and rules that contradict DOMAIN.md (reported; src/ is not ours to change)
// =============================================================================================

/// DOMAIN.md 首办负责: the first unit "must return it within the return window (default 1 working
/// day) with reasons, or it stays the owner". `decide` ignores `now` and `Rules` has no window, so
/// a return 30 days after dispatch is accepted.
#[test]
fn a_return_after_the_return_window_is_refused() {
    let sim = reach(CaseState::Handling);
    let n = note("不属于本单位");
    let late = sim.case.dispatched_at.unwrap() + 30 * DAY;
    let r = lifecycle::decide(&sim.case, &handler(EAST), &Command::Return { reason: ReturnReason::NotOurs }, Some(&n), &sim.rules, late);
    assert_eq!(r.map_err(|e| e.code), Err(ErrorCode::RuleViolation));
}

/// A pending extension request belongs to the unit that asked; after a reassignment the new lead
/// inherits it and cannot reply until a dispatcher reviews the old unit's request.
#[test]
fn reassignment_drops_the_old_units_pending_extension() {
    let mut sim = reach(CaseState::Handling);
    sim.request_extension(3);
    sim.ok(&dispatcher(), reassign_to(HOUSING, &[]), Some("属住建局职责"));
    assert!(sim.case.pending_extension.is_none(), "the old lead's request is still pending: {:?}", sim.case.pending_extension);
    sim.ok(&handler(HOUSING), Command::Sign, None);
    sim.ok(&handler(HOUSING), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, None);
}

#[test]
fn return_to_pool_drops_the_old_units_pending_extension() {
    let mut sim = reach(CaseState::Handling);
    sim.request_extension(3);
    sim.return_order(ReturnReason::NotOurs);
    sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::ToPool }, None);
    assert_eq!(sim.state(), CaseState::AwaitingDispatch);
    assert!(sim.case.pending_extension.is_none(), "awaiting dispatch with a pending extension: {:?}", sim.case.pending_extension);
    sim.ok(&dispatcher(), dispatch_to(WEST, &[]), None);
    sim.ok(&handler(WEST), Command::Sign, None);
    sim.ok(&handler(WEST), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, None);
}

/// check_permitted's doc says it is shared "so menus never offer what would be refused", but
/// available_actions offers `reply` while an extension is pending, and decide always refuses it.
#[test]
fn menu_does_not_offer_reply_while_an_extension_is_pending() {
    let mut sim = reach(CaseState::Handling);
    sim.request_extension(2);
    assert!(!lifecycle::available_actions(&sim.case, &handler(EAST), &sim.rules).contains(&Action::Reply));
}

#[test]
fn menu_does_not_offer_a_second_pass_down() {
    let mut sim = reach(CaseState::Handling);
    sim.ok(&handler(EAST), Command::PassDown { to: unit(EAST_STREET) }, None);
    sim.ok(&handler(EAST_STREET), Command::Sign, None);
    assert!(!lifecycle::available_actions(&sim.case, &handler(EAST_STREET), &sim.rules).contains(&Action::PassDown));
}

#[test]
fn menu_does_not_offer_supervise_above_red() {
    let mut sim = reach(CaseState::Handling);
    sim.ok(&supervisor(), Command::Supervise { level: Supervision::Red }, Some("红牌"));
    assert!(!lifecycle::available_actions(&sim.case, &supervisor(), &sim.rules).contains(&Action::Supervise));
}

/// DOMAIN.md: "assisting units reply to the lead, the lead replies to the centre". The lead can
/// reply while its assisting unit has not replied yet.
#[test]
fn lead_replies_only_after_assisting_units() {
    let mut sim = reach(CaseState::Handling);
    assert!(!sim.case.assisting[0].replied);
    sim.refused(&handler(EAST), Command::Reply { text: note(REPLY_TEXT), solved: Solved::Solved }, None, ErrorCode::RuleViolation);
}

/// DOMAIN.md: the operator "answers consultations on the spot"; the lifecycle draws 即时办结 for
/// consultations. A report of wrongdoing (举报) can be "answered on the spot" and never reaches a unit.
#[test]
fn only_consultations_are_answered_on_the_spot() {
    let mut sim = Sim::with_intake(1, intake_of(CaseType::Report, false));
    sim.refused(&operator(), Command::AnswerOnSpot { answer: note("已记录") }, None, ErrorCode::RuleViolation);
}

/// DOMAIN.md: "an unsatisfied rating sends the case back (不满意回退); after 2 redos it is escalated
/// or closed with a final reply". Close is accepted from Unsatisfied with no redo at all.
#[test]
fn final_reply_only_after_the_redos() {
    let mut sim = reach(CaseState::Unsatisfied);
    assert_eq!(sim.case.redo_count, 0);
    sim.refused(&supervisor(), Command::Close, Some("最终答复"), ErrorCode::RuleViolation);
}

/// The citizen rates from the tracking page: satisfied, basically or not — never "unreachable".
#[test]
fn the_citizen_rates_their_own_case() {
    let citizen = minsheng_domain::org::Actor { user_id: None, name: "市民".into(), role: Role::Citizen, unit: None };
    let mut sim = reach(CaseState::AwaitingCallback);
    for outcome in [CallbackOutcome::Unreachable, CallbackOutcome::Declined] {
        sim.refused(&citizen, Command::Callback { outcome, solved: None, comment: None }, None, ErrorCode::InvalidInput);
    }
    sim.ok(
        &citizen,
        Command::Callback {
            outcome: CallbackOutcome::Unsatisfied, solved: Some(Solved::Unsolved), comment: Some(note("路灯还是不亮"))
        },
        None,
    );
    assert_eq!(sim.state(), CaseState::Unsatisfied);
    assert_eq!(sim.case.solved, Some(Solved::Unsolved));
}
