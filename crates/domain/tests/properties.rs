//! Random command sequences by random actors: whatever is accepted or refused, the case stays
//! consistent with its history and with the lifecycle's rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_domain::ErrorCode;
use minsheng_domain::case::{CallbackOutcome, Case, CaseState, CaseType, ContactMethod, ReturnReason, Solved, Supervision, VoidReason};
use minsheng_domain::event::Event;
use minsheng_domain::lifecycle::{self, Action, Command, ReturnDecision, Rules};
use minsheng_domain::org::{Actor, Role, UnitId};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;

#[derive(Debug, Clone)]
enum ActionPick {
    /// One of the actions the current state allows (by the table), skipping the ones that end
    /// the case unless `terminal`, so that sequences get deep.
    FitState {
        index: usize,
        terminal: bool,
    },
    Any(Action),
}

#[derive(Debug, Clone)]
enum RolePick {
    /// One of the roles the action allows.
    Allowed(usize),
    Any(Role),
}

#[derive(Debug, Clone)]
enum UnitPick {
    /// The unit that makes the unit check pass, if there is one.
    Fit,
    NoUnit,
    Holder,
    Lead,
    Assisting,
    Fixed(UnitId),
}

/// Raw material for the command's data, valid or not.
#[derive(Debug, Clone)]
struct Data {
    a: UnitId,
    b: UnitId,
    assists: u8,
    days: u32,
    grant: Option<u32>,
    level: Supervision,
    outcome: CallbackOutcome,
    solved: Option<Solved>,
    flag: bool,
    decision: u8,
    leader: i64,
    into_self: bool,
}

#[derive(Debug, Clone)]
struct Step {
    action: ActionPick,
    role: RolePick,
    unit: UnitPick,
    data: Data,
    with_note: bool,
}

fn data() -> impl Strategy<Value = Data> {
    (
        select(UNITS.to_vec()),
        select(UNITS.to_vec()),
        0u8..3,
        0u32..6,
        prop::option::of(0u32..5),
        select(Supervision::ALL.to_vec()),
        select(CallbackOutcome::ALL.to_vec()),
        prop::option::of(select(Solved::ALL.to_vec())),
        any::<bool>(),
        0u8..3,
        1i64..4,
        prop::bool::weighted(0.1),
    )
        .prop_map(|(a, b, assists, days, grant, level, outcome, solved, flag, decision, leader, into_self)| Data {
            a,
            b,
            assists,
            days,
            grant,
            level,
            outcome,
            solved,
            flag,
            decision,
            leader,
            into_self,
        })
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![
            4 => (0usize..64, prop::bool::weighted(0.12)).prop_map(|(index, terminal)| ActionPick::FitState { index, terminal }),
            1 => select(Action::ALL.to_vec()).prop_map(ActionPick::Any),
        ],
        prop_oneof![4 => (0usize..8).prop_map(RolePick::Allowed), 1 => select(Role::ALL.to_vec()).prop_map(RolePick::Any)],
        prop_oneof![
            6 => Just(UnitPick::Fit),
            1 => Just(UnitPick::NoUnit),
            1 => Just(UnitPick::Holder),
            1 => Just(UnitPick::Lead),
            1 => Just(UnitPick::Assisting),
            2 => select(UNITS.to_vec()).prop_map(UnitPick::Fixed),
        ],
        data(),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(action, role, unit, data, with_note)| Step { action, role, unit, data, with_note })
}

fn rules() -> impl Strategy<Value = Rules> {
    (0u32..4, 0u32..5, 1u32..6, 1u32..5, any::<bool>()).prop_map(
        |(max_redos, max_extensions, max_extension_days, max_callback_attempts, lead_waits_for_assists)| Rules {
            max_extensions,
            max_extension_days,
            max_redos,
            max_callback_attempts,
            return_window_hours: 24,
            lead_waits_for_assists,
        },
    )
}

fn resolve_action(pick: &ActionPick, state: CaseState) -> Action {
    match pick {
        ActionPick::Any(a) => *a,
        ActionPick::FitState { index, terminal } => {
            let ends = |a: &Action| matches!(a, Action::Merge | Action::Void | Action::Withdraw | Action::Archive);
            let mut fit: Vec<Action> = Action::ALL.into_iter().filter(|a| a.states().contains(&state)).collect();
            if !terminal && fit.iter().any(|a| !ends(a)) {
                fit.retain(|a| !ends(a));
            }
            if fit.is_empty() { Action::ALL[index % Action::ALL.len()] } else { fit[index % fit.len()] }
        }
    }
}

fn resolve_actor(step: &Step, action: Action, case: &Case) -> Actor {
    let role = match step.role {
        RolePick::Allowed(i) => action.roles()[i % action.roles().len()],
        RolePick::Any(r) => r,
    };
    let unit_id = match step.unit {
        UnitPick::Fit => return allowed_actor(action, role, case),
        UnitPick::NoUnit => None,
        UnitPick::Holder => case.handling_unit.as_ref().map(|u| u.id),
        UnitPick::Lead => case.lead_unit.as_ref().map(|u| u.id),
        UnitPick::Assisting => case.assisting.first().map(|a| a.unit.id),
        UnitPick::Fixed(id) => Some(id),
    };
    actor(role, unit_id)
}

fn build_command(action: Action, d: &Data, case: &Case) -> Command {
    let assisting = |lead: UnitId| -> Vec<_> {
        match d.assists {
            0 => vec![],
            1 => vec![unit(d.b)],
            _ => vec![unit(d.b), unit(if lead == ECOLOGY { HOUSING } else { ECOLOGY })],
        }
    };
    match action {
        Action::AnswerOnSpot => Command::AnswerOnSpot { answer: note("按政策答复") },
        Action::Forward => Command::Forward,
        Action::Dispatch => Command::Dispatch { lead: unit(d.a), assisting: assisting(d.a) },
        Action::Sign => Command::Sign,
        Action::Return => Command::Return { reason: ReturnReason::ALL[d.decision as usize % ReturnReason::ALL.len()] },
        Action::ReviewReturn => Command::ReviewReturn {
            decision: match d.decision {
                0 => ReturnDecision::Reassign { lead: unit(d.a), assisting: assisting(d.a) },
                1 => ReturnDecision::ToPool,
                _ => ReturnDecision::Refuse,
            },
        },
        Action::Reassign => Command::Reassign { lead: unit(d.a), assisting: assisting(d.a) },
        Action::PassDown => {
            let holder = case.handling_unit.as_ref().map_or(EAST, |u| u.id);
            let to = if d.flag { child_of(holder).unwrap_or(d.a) } else { d.a };
            Command::PassDown { to: unit(to) }
        }
        Action::Contact => Command::Contact { method: ContactMethod::ALL[d.decision as usize % ContactMethod::ALL.len()] },
        Action::Handle => Command::Handle,
        Action::AssistReply => Command::AssistReply,
        Action::Reply => Command::Reply { text: note("已处理"), solved: d.solved.unwrap_or(Solved::Solved) },
        Action::ReviewReply => Command::ReviewReply { pass: d.flag },
        Action::Callback => Command::Callback { outcome: d.outcome, solved: d.solved, comment: d.flag.then(|| note("回访意见")) },
        Action::Redo => Command::Redo,
        Action::Close => Command::Close,
        Action::Archive => Command::Archive,
        Action::RequestExtension => Command::RequestExtension { days: d.days },
        Action::ReviewExtension => Command::ReviewExtension { approve: d.flag, days: d.grant },
        Action::Suspend => Command::Suspend,
        Action::Resume => Command::Resume,
        Action::Urge => Command::Urge,
        Action::Supervise => Command::Supervise { level: d.level },
        Action::Escalate => Command::Escalate { leader: leader_ref(d.leader) },
        Action::JointMeeting => Command::JointMeeting { lead: unit(d.a), assisting: assisting(d.a) },
        Action::Merge => Command::Merge { into: link(if d.into_self { case.id } else { case.id + 1 }) },
        Action::Void => Command::Void { reason: VoidReason::ALL[d.decision as usize % VoidReason::ALL.len()] },
        Action::AddInfo => Command::AddInfo { attachments: Vec::new() },
        Action::Withdraw => Command::Withdraw,
        Action::Reclassify => Command::Reclassify { item: if d.flag { "A01".into() } else { "A02".into() }, catalogue_version: None },
        Action::AssignPerson => Command::AssignPerson { person: common::person(d.leader) },
    }
}

/// The actors whose menus are compared with the permission checks after every step.
fn probes(case: &Case) -> Vec<Actor> {
    let mut v = vec![dispatcher(), supervisor(), citizen_actor()];
    if let Some(h) = &case.handling_unit {
        v.push(handler(h.id));
    }
    if let Some(l) = &case.lead_unit {
        v.push(unit_leader(l.id));
    }
    if let Some(a) = case.assisting.first() {
        v.push(handler(a.unit.id));
    }
    v
}

fn check_invariants(sim: &Sim, rules: &Rules) -> Result<(), TestCaseError> {
    let case = &sim.case;
    // (a) one lead while a unit must hold the case; never assisting itself; no assisting twice.
    if case.state.requires_lead() {
        let lead = case.lead_unit.as_ref();
        prop_assert!(lead.is_some(), "{:?} without a lead", case.state);
        let lead = lead.unwrap();
        let holder = case.handling_unit.as_ref();
        prop_assert!(holder.is_some(), "{:?} without a holder", case.state);
        let holder = holder.unwrap();
        prop_assert!(
            holder.id == lead.id || holder.parent_id == Some(lead.id),
            "holder {} is neither the lead {} nor its child",
            holder.id,
            lead.id
        );
    }
    if let Some(lead) = &case.lead_unit {
        prop_assert!(!case.assisting.iter().any(|a| a.unit.id == lead.id), "the lead {} also assists", lead.id);
        prop_assert!(case.involved_units.iter().any(|u| u.id == lead.id));
    }
    for (i, a) in case.assisting.iter().enumerate() {
        prop_assert!(!case.assisting[..i].iter().any(|b| b.unit.id == a.unit.id), "unit {} assists twice", a.unit.id);
        prop_assert!(case.involved_units.iter().any(|u| u.id == a.unit.id));
    }
    if let Some(h) = &case.handling_unit {
        prop_assert!(case.involved_units.iter().any(|u| u.id == h.id));
    }
    prop_assert_eq!(case.handling_unit.is_some(), case.lead_unit.is_some(), "a holder without a lead or the reverse");
    // (b) the history is 1..n and the version counts it.
    for (i, e) in sim.events.iter().enumerate() {
        prop_assert_eq!(e.seq, i as i64 + 1);
    }
    prop_assert_eq!(case.version, sim.events.len() as i64);
    // (c) the state is derivable from the history.
    let replayed = Case::replay(case.id, case.number.clone(), &sim.events);
    prop_assert_eq!(replayed.as_ref(), Some(case));
    // (g) limits.
    prop_assert!(case.redo_count <= rules.max_redos, "redo_count {} > {}", case.redo_count, rules.max_redos);
    prop_assert!(case.extensions_approved <= rules.max_extensions, "extensions {} > {}", case.extensions_approved, rules.max_extensions);
    // Bookkeeping that follows from the states (a case that ended while suspended or while a
    // return was pending keeps those fields: nothing can act on them any more).
    if case.state.is_open() {
        prop_assert_eq!(case.state == CaseState::Suspended, case.suspended_from.is_some());
        prop_assert_eq!(case.state == CaseState::ReturnRequested, case.pending_return.is_some());
    }
    if case.merged_into.is_some() {
        prop_assert!(matches!(case.state, CaseState::Merged | CaseState::Archived), "merged but {:?}", case.state);
    } else {
        prop_assert!(case.state != CaseState::Merged);
    }
    if matches!(case.state, CaseState::Closed | CaseState::Withdrawn) {
        prop_assert!(case.closed_at.is_some());
    }
    if case.state == CaseState::Archived {
        prop_assert!(case.archived_at.is_some());
    }
    Ok(())
}

/// (f): the menu lists an action iff the permission check passes (and, for the four actions the
/// menu also filters on data, the extra condition holds); what it lists is never refused for
/// role, unit or state.
fn check_menus(sim: &Sim, extra: &Actor) -> Result<(), TestCaseError> {
    let case = &sim.case;
    let rules = &sim.rules;
    let mut actors = probes(case);
    actors.push(extra.clone());
    for a in &actors {
        let menu = lifecycle::available_actions(case, a, rules);
        for action in Action::ALL {
            let permitted = lifecycle::check_permitted(case, a, action).is_ok();
            // The menu never lists what the permission check refuses, and what it leaves out
            // although permitted is exactly what the rules from practice would refuse now.
            prop_assert!(
                !menu.contains(&action) || permitted,
                "{:?} listed for {:?} in {:?} without permission",
                action,
                a.role,
                case.state
            );
            if permitted && !menu.contains(&action) {
                let (cmd, note) = valid_command(action, case);
                prop_assert!(sim.decide(a, &cmd, note).is_err(), "{:?} left out for {:?} in {:?} but accepted", action, a.role, case.state);
            }
            if menu.contains(&action) {
                let (cmd, note) = valid_command(action, case);
                if let Err(e) = sim.decide(a, &cmd, note) {
                    prop_assert!(
                        !matches!(e.code, ErrorCode::RoleForbidden | ErrorCode::UnitForbidden | ErrorCode::InvalidState),
                        "{:?} listed for {:?} in {:?} but refused: {:?}",
                        action,
                        a.role,
                        case.state,
                        e
                    );
                }
            }
        }
    }
    Ok(())
}

/// (e): a closed case accepts only archive and redo; a merged, voided or withdrawn one only
/// archive; an archived one nothing — whoever tries with valid data.
fn check_finished(sim: &Sim) -> Result<(), TestCaseError> {
    let allowed: &[Action] = match sim.case.state {
        CaseState::Closed => &[Action::Archive, Action::Redo],
        CaseState::Merged | CaseState::Voided | CaseState::Withdrawn => &[Action::Archive],
        CaseState::Archived => &[],
        _ => return Ok(()),
    };
    for action in Action::ALL {
        for &role in action.roles() {
            let a = allowed_actor(action, role, &sim.case);
            let (cmd, note) = valid_command(action, &sim.case);
            if sim.decide(&a, &cmd, note).is_ok() {
                prop_assert!(allowed.contains(&action), "{:?} by {:?} accepted in {:?}", action, role, sim.case.state);
            }
        }
    }
    Ok(())
}

/// Runs the steps, checking everything after each one (or, without `full`, only the cheap
/// invariants). Returns the states the case went through.
fn run(mut sim: Sim, steps: &[Step], full: bool) -> Result<Vec<CaseState>, TestCaseError> {
    let mut visited = vec![sim.state()];
    check_invariants(&sim, &sim.rules.clone())?;
    for step in steps {
        let state = sim.state();
        let action = resolve_action(&step.action, state);
        let a = resolve_actor(step, action, &sim.case);
        let cmd = build_command(action, &step.data, &sim.case);
        let note_text = step.with_note.then_some("理由说明");
        let before_case = sim.case.clone();
        let before_events: Vec<Event> = sim.events.clone();
        let permitted = lifecycle::check_permitted(&sim.case, &a, action);
        match sim.exec(&a, &cmd, note_text) {
            Err(e) => {
                // (d) a refusal records nothing and changes nothing.
                prop_assert_eq!(&sim.case, &before_case);
                prop_assert_eq!(&sim.events, &before_events);
                prop_assert!(!e.message_zh.is_empty() && !e.message_en.is_empty());
                match permitted {
                    Err(p) => prop_assert_eq!(e, p),
                    Ok(()) => prop_assert!(
                        matches!(e.code, ErrorCode::RuleViolation | ErrorCode::InvalidInput),
                        "permitted {:?} refused with {:?}",
                        action,
                        e
                    ),
                }
            }
            Ok(kinds) => {
                prop_assert!(permitted.is_ok());
                prop_assert!(!kinds.is_empty(), "{:?} accepted without events", action);
                prop_assert!(action.states().contains(&state));
                // (b) the history only grows.
                prop_assert_eq!(&sim.events[..before_events.len()], &before_events[..]);
                prop_assert_eq!(sim.events.len(), before_events.len() + kinds.len());
                // (e) what a finished case may still accept.
                match state {
                    CaseState::Closed => prop_assert!(matches!(action, Action::Archive | Action::Redo), "{:?} on a closed case", action),
                    CaseState::Merged | CaseState::Voided | CaseState::Withdrawn => prop_assert_eq!(action, Action::Archive),
                    CaseState::Archived => prop_assert!(false, "{:?} accepted on an archived case", action),
                    _ => {}
                }
                if !visited.contains(&sim.state()) {
                    visited.push(sim.state());
                }
            }
        }
        let rules = sim.rules.clone();
        let history = || sim.events.iter().map(|e| format!("{}:{:?}", e.kind.name(), e.actor.role)).collect::<Vec<_>>().join(" → ");
        let explain = |e: TestCaseError| TestCaseError::fail(format!("{e}\nafter {}", history()));
        check_invariants(&sim, &rules).map_err(explain)?;
        if full {
            check_menus(&sim, &a).map_err(explain)?;
            check_finished(&sim).map_err(explain)?;
        }
    }
    // The history survives the store's JSON and still replays to the same case.
    let json = serde_json::to_string(&sim.events).unwrap();
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    prop_assert_eq!(&back, &sim.events);
    let replayed = Case::replay(sim.case.id, sim.case.number.clone(), &back).unwrap();
    prop_assert_eq!(&replayed, &sim.case);
    let case_back: Case = serde_json::from_str(&serde_json::to_string(&sim.case).unwrap()).unwrap();
    prop_assert_eq!(&case_back, &sim.case);
    Ok(visited)
}

fn start(rules: Rules, case_type: CaseType, with_phone: bool, confidential: bool) -> Sim {
    let mut i = intake_of(case_type, confidential);
    if !with_phone {
        i.citizen.phone = None;
    }
    let mut sim = Sim::with_intake(1, i);
    sim.rules = rules;
    sim
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    #[test]
    fn random_sequences_keep_the_case_consistent(
        rules in rules(),
        case_type in select(CaseType::ALL.to_vec()),
        with_phone in prop::bool::weighted(0.8),
        confidential in any::<bool>(),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        run(start(rules, case_type, with_phone, confidential), &steps, true)?;
    }
}

/// The generator is worth something only if it gets everywhere: run a fixed-seed batch and check
/// that every state was reached by some sequence.
#[test]
fn random_sequences_reach_every_state() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let config = Config { cases: 1, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let strategy = (rules(), prop::collection::vec(step(), 30..40));
    let mut seen: Vec<CaseState> = Vec::new();
    for _ in 0..200 {
        let (rules, steps) = strategy.new_tree(&mut runner).unwrap().current();
        let visited = run(start(rules, CaseType::Complaint, true, false), &steps, false).unwrap();
        for s in visited {
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
    }
    let missing: Vec<_> = CaseState::ALL.iter().filter(|s| !seen.contains(s)).collect();
    assert!(missing.is_empty(), "never reached: {missing:?}");
}
