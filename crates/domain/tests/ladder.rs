//! The escalation ladder (督办 → 领导领办 → 会商), lateness judged against the running clocks,
//! and the facts and figures a case contributes to the metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_domain::case::{CallbackOutcome, CaseState, ReturnReason, Solved, Supervision};
use minsheng_domain::deadline::{Light, Step};
use minsheng_domain::escalation::{EscalationRules, Trigger, escalation_triggers, needs_escalation, supervision_for_overdue};
use minsheng_domain::event::EventKind;
use minsheng_domain::lifecycle::{Action, Command, ReturnDecision, available_actions};
use minsheng_domain::metrics::{
    CaseFacts, Counter, Format, MetricDef, ScoreRules, Term, Totals, bucket_upper_ms, default_metrics, handling_bucket, quantile_ms,
};
use minsheng_domain::org::Role;

fn rules() -> EscalationRules {
    EscalationRules::default()
}

#[test]
fn two_disputes_trigger_escalation_one_does_not() {
    let mut sim = reach(CaseState::Dispatched);
    sim.return_order(ReturnReason::NotOurs);
    sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::Refuse }, Some("属于你单位职责"));
    assert!(escalation_triggers(&sim.case, 1, &rules()).is_empty(), "one dispute is not enough");
    sim.return_order(ReturnReason::WrongPlace);
    sim.ok(&dispatcher(), Command::ReviewReturn { decision: ReturnDecision::Refuse }, Some("仍属于你单位"));
    assert_eq!(needs_escalation(&sim.case, 1, &rules()), vec![Trigger::Disputed { returns: 2 }]);
    // Once a leader has it, the ladder does not fire again.
    sim.ok(&supervisor(), Command::Escalate { leader: leader_ref(7) }, Some("归属争议两次"));
    assert!(needs_escalation(&sim.case, 1, &rules()).is_empty());
    // The thresholds are settings.
    let strict = EscalationRules { disputes: 3, ..rules() };
    assert!(escalation_triggers(&sim.case, 1, &strict).is_empty());
}

#[test]
fn repeats_unsatisfied_and_overdue_trigger() {
    let sim = reach(CaseState::Handling);
    assert_eq!(escalation_triggers(&sim.case, 3, &rules()), vec![Trigger::Repeated { reports: 3 }]);
    assert!(escalation_triggers(&sim.case, 2, &rules()).is_empty());

    let mut sim = reach(CaseState::AwaitingCallback);
    sim.callback(CallbackOutcome::Unsatisfied);
    sim.ok(&supervisor(), Command::Redo, Some("市民不满意，重办"));
    assert!(escalation_triggers(&sim.case, 1, &rules()).is_empty());
    sim.contact();
    sim.reply();
    sim.pass_review();
    sim.callback(CallbackOutcome::Unsatisfied);
    assert_eq!(sim.case.unsatisfied_count, 2);
    assert_eq!(escalation_triggers(&sim.case, 1, &rules()), vec![Trigger::Unsatisfied { times: 2 }]);

    let mut sim = reach(CaseState::Handling);
    sim.append(&minsheng_domain::org::Actor::system(), vec![EventKind::Warned { step: Step::Contact, level: Light::Red }], None);
    assert!(!sim.case.reply_overdue, "only the reply clock is the red line");
    sim.append(&minsheng_domain::org::Actor::system(), vec![EventKind::Warned { step: Step::Reply, level: Light::Red }], None);
    assert!(escalation_triggers(&sim.case, 1, &rules()).contains(&Trigger::ReplyOverdue));
    assert!(escalation_triggers(&sim.case, 1, &EscalationRules { on_reply_overdue: false, ..rules() }).is_empty());
}

#[test]
fn supervision_climbs_the_ladder_and_never_down() {
    let mut sim = reach(CaseState::Handling);
    let r = rules();
    assert_eq!(supervision_for_overdue(&sim.case, Step::Sign, Light::Yellow, &r), None, "yellow warnings do not supervise");
    assert_eq!(supervision_for_overdue(&sim.case, Step::Sign, Light::Red, &r), Some(Supervision::Yellow));
    assert_eq!(supervision_for_overdue(&sim.case, Step::Reply, Light::Red, &r), Some(Supervision::Red));
    sim.ok(&supervisor(), Command::Supervise { level: Supervision::Yellow }, Some("签收超时"));
    assert_eq!(supervision_for_overdue(&sim.case, Step::Contact, Light::Red, &r), Some(Supervision::Red));
    sim.ok(&supervisor(), Command::Supervise { level: Supervision::Red }, Some("再次超时"));
    assert_eq!(supervision_for_overdue(&sim.case, Step::Reply, Light::Red, &r), None);
    assert_eq!(supervision_for_overdue(&sim.case, Step::Reply, Light::Red, &EscalationRules { auto_supervise: false, ..r }), None);
}

#[test]
fn joint_meeting_only_by_the_leader_who_took_the_case() {
    let mut sim = reach(CaseState::Handling);
    let leader = city_leader();
    let meeting = Command::JointMeeting { lead: unit(HOUSING), assisting: vec![unit(EAST), unit(ECOLOGY)] };
    // Not escalated yet: refused, and not offered.
    sim.refused(&leader, meeting.clone(), Some("会商"), minsheng_domain::ErrorCode::RuleViolation);
    assert!(!available_actions(&sim.case, &leader, &sim.rules).contains(&Action::JointMeeting));
    sim.ok(&supervisor(), Command::Escalate { leader: leader_ref(leader.user_id.unwrap()) }, Some("多次推诿"));
    assert!(available_actions(&sim.case, &leader, &sim.rules).contains(&Action::JointMeeting));
    // Another leader may not convene it.
    let other = minsheng_domain::org::Actor { user_id: Some(99_999), ..leader.clone() };
    sim.refused(&other, meeting.clone(), Some("会商"), minsheng_domain::ErrorCode::RuleViolation);
    // A note is required.
    sim.refused(&leader, meeting.clone(), None, minsheng_domain::ErrorCode::InvalidInput);
    let kinds = sim.ok(&leader, meeting, Some("会商决定：住建局牵头，城东区、生态环境局配合"));
    assert!(matches!(kinds.as_slice(), [EventKind::JointMeetingHeld { .. }]));
    assert_eq!(sim.case.lead_unit.as_ref().map(|u| u.id), Some(HOUSING));
    assert_eq!(sim.state(), CaseState::Dispatched, "the new lead signs afresh");
    let assisting: Vec<_> = sim.case.assisting.iter().map(|a| a.unit.id).collect();
    assert_eq!(assisting, vec![EAST, ECOLOGY]);
    assert_eq!(sim.case.joint_meeting.as_ref().map(|m| m.lead.id), Some(HOUSING));
    sim.assert_replays();
}

#[test]
fn joint_meeting_keeping_the_lead_adds_assisting_units_without_resetting() {
    let mut sim = reach(CaseState::Handling);
    let leader = city_leader();
    sim.ok(&supervisor(), Command::Escalate { leader: leader_ref(leader.user_id.unwrap()) }, Some("重复诉求"));
    let lead = sim.case.lead_unit.clone().unwrap();
    sim.ok(&leader, Command::JointMeeting { lead: lead.clone(), assisting: vec![unit(HOUSING)] }, Some("会商：原单位牵头，住建局协办"));
    assert_eq!(sim.state(), CaseState::Handling);
    assert!(sim.case.assisting.iter().any(|a| a.unit.id == HOUSING));
    assert!(sim.case.signed_at.is_some());
    sim.assert_replays();
}

#[test]
fn lateness_is_judged_against_the_clock_running_when_the_step_is_done() {
    let mut sim = reach(CaseState::Dispatched);
    // Sign at once: on time.
    sim.sign();
    assert_eq!(sim.case.sign_late, Some(false));
    assert_eq!(sim.case.signed_by, handler(EAST).user_id);
    // Contact far beyond the one-working-day limit.
    sim.now += 30 * DAY;
    sim.contact();
    assert_eq!(sim.case.contact_late, Some(true));
    sim.reply();
    assert_eq!(sim.case.reply_late, Some(true));
    let facts = CaseFacts::of(&sim.case);
    assert_eq!(facts.values.get(Counter::Responded), 0, "late contact is not a response in time");
    assert_eq!(facts.values.get(Counter::SignedOnTime), 1);
}

#[test]
fn facts_of_a_case_satisfied_on_time() {
    let mut sim = reach(CaseState::AwaitingCallback);
    sim.ok(
        &unit_leader(EAST),
        Command::Callback { outcome: CallbackOutcome::BasicallySatisfied, solved: Some(Solved::PartlySolved), comment: None },
        None,
    );
    let f = CaseFacts::of(&sim.case);
    let v = &f.values;
    assert_eq!(f.unit_id, Some(EAST));
    assert_eq!(f.callback_unit_id, Some(EAST), "the unit leader's callback counts for that unit");
    for (c, want) in [
        (Counter::Received, 1),
        (Counter::Dispatched, 1),
        (Counter::Responded, 1),
        (Counter::Rated, 1),
        (Counter::Satisfied, 0),
        (Counter::BasicallySatisfied, 1),
        (Counter::Solved, 0),
        (Counter::PartlySolved, 1),
        (Counter::Closed, 1),
        (Counter::ClosedOnTime, 1),
        (Counter::AnsweredOnSpot, 0),
        (Counter::Timed, 1),
    ] {
        assert_eq!(v.get(c), want, "{c:?}");
    }
    assert_eq!(v.get(Counter::HandlingMs), sim.case.closed_at.unwrap() - sim.case.received_at);
    assert!(f.handling_bucket.is_some());
}

#[test]
fn unreachable_and_declined_are_not_rated() {
    let mut sim = reach(CaseState::AwaitingCallback);
    sim.callback(CallbackOutcome::Declined);
    let f = CaseFacts::of(&sim.case);
    assert_eq!(f.values.get(Counter::Rated), 0);
    assert_eq!(f.callback_unit_id, None);
}

fn totals(pairs: &[(Counter, i64)]) -> Totals {
    let mut t = Totals::default();
    for (c, v) in pairs {
        t.set(*c, *v);
    }
    t
}

#[test]
fn default_definitions_compute_and_show_their_formula() {
    let defs = default_metrics();
    let t = totals(&[
        (Counter::Dispatched, 10),
        (Counter::Responded, 9),
        (Counter::Rated, 8),
        (Counter::Solved, 6),
        (Counter::Satisfied, 5),
        (Counter::BasicallySatisfied, 2),
        (Counter::Closed, 8),
        (Counter::ClosedOnTime, 7),
        (Counter::ReturnsRefused, 1),
        (Counter::Timed, 2),
        (Counter::HandlingMs, 2 * 3_600_000 + 4 * 3_600_000),
    ]);
    let value = |id: &str| defs.iter().find(|d| d.id == id).unwrap().value(&t, &[]);
    assert_eq!(value("response_rate"), Some(0.9));
    assert_eq!(value("resolution_rate"), Some(0.75));
    assert!((value("satisfaction_rate").unwrap() - (5.0 + 2.0 * 0.8) / 8.0).abs() < 1e-12);
    assert_eq!(value("on_time_rate"), Some(0.875));
    assert_eq!(value("return_rate"), Some(0.1));
    assert_eq!(value("avg_handling_hours"), Some(3.0));
    assert_eq!(value("sign_rate"), None, "no signed case: no figure, not zero");
    let sat = defs.iter().find(|d| d.id == "satisfaction_rate").unwrap();
    assert_eq!(sat.formula_zh(), "(满意 + 基本满意 × 0.8) ÷ 参评量 × 100%");
    for d in &defs {
        d.validate().unwrap();
        assert!(!d.formula_zh().is_empty());
    }
}

#[test]
fn a_city_can_redefine_a_figure() {
    let custom = MetricDef {
        id: "satisfaction_rate".into(),
        name_zh: "满意率".into(),
        name_en: "satisfaction".into(),
        format: Format::Percent,
        numerator: vec![Term { counter: Counter::Satisfied, weight: 1.0 }, Term { counter: Counter::BasicallySatisfied, weight: 1.0 }],
        denominator: vec![Term { counter: Counter::Rated, weight: 1.0 }],
        quantile: None,
    };
    let t = totals(&[(Counter::Rated, 4), (Counter::Satisfied, 2), (Counter::BasicallySatisfied, 1)]);
    assert_eq!(custom.value(&t, &[]), Some(0.75));
    let bad = MetricDef { id: "Bad Id".into(), ..custom.clone() };
    assert!(bad.validate().is_err());
    let negative = MetricDef { numerator: vec![Term { counter: Counter::Satisfied, weight: -1.0 }], ..custom.clone() };
    assert!(negative.validate().is_err());
    let empty = MetricDef { denominator: vec![], ..custom };
    assert!(empty.validate().is_err());
}

#[test]
fn percentiles_from_buckets_are_within_five_percent() {
    let hours: Vec<i64> = (1..=100).map(|h| h * 3_600_000).collect();
    let mut counts = std::collections::BTreeMap::<i32, i64>::new();
    for ms in &hours {
        *counts.entry(handling_bucket(*ms)).or_default() += 1;
    }
    let buckets: Vec<(i32, i64)> = counts.into_iter().collect();
    let p90 = quantile_ms(&buckets, 0.9).unwrap() as f64;
    let exact = 90.0 * 3_600_000.0;
    assert!(p90 >= exact && p90 <= exact * 1.05, "p90 {p90} vs {exact}");
    assert_eq!(quantile_ms(&[], 0.9), None);
    for ms in [60_000, 3_600_000, 86_400_000 * 30] {
        let b = handling_bucket(ms);
        assert!(bucket_upper_ms(b) >= ms && (bucket_upper_ms(b) as f64) <= ms as f64 * 1.06);
    }
}

#[test]
fn score_weights_deductions_and_ranking_threshold() {
    let defs = default_metrics();
    let rules = ScoreRules::default();
    let perfect = totals(&[
        (Counter::Dispatched, 10),
        (Counter::Responded, 10),
        (Counter::Rated, 10),
        (Counter::Solved, 10),
        (Counter::Satisfied, 10),
    ]);
    let s = rules.score(&defs, &perfect, &[]);
    assert!((s.score - 100.0).abs() < 1e-9 && s.ranked);
    let mut penalised = perfect.clone();
    penalised.set(Counter::ReturnsRefused, 2);
    penalised.set(Counter::Overdue, 5);
    penalised.set(Counter::RedSupervised, 1);
    let s = rules.score(&defs, &penalised, &[]);
    assert!((s.deduction - (2.0 * 0.5 + 5.0 * 0.2 + 1.0)).abs() < 1e-9);
    assert!((s.score - 97.0).abs() < 1e-9);
    // Response only (nobody rated yet): scored on what there is, not punished with zeros.
    let unrated = totals(&[(Counter::Dispatched, 4), (Counter::Responded, 2)]);
    let s = rules.score(&defs, &unrated, &[]);
    assert!((s.base - 50.0).abs() < 1e-9);
    let none = Totals::default();
    assert!(!rules.score(&defs, &none, &[]).ranked);
    assert!(rules.formula_zh(&defs).contains("响应率 × 30"));
}

#[test]
fn leader_role_alone_convenes() {
    let sim = reach(CaseState::Handling);
    for role in [Role::Supervisor, Role::Dispatcher, Role::Admin] {
        let a = actor(role, Some(CENTRE));
        assert!(!available_actions(&sim.case, &a, &sim.rules).contains(&Action::JointMeeting), "{role:?}");
    }
}
