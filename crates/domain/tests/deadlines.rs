//! The clocks of a case on the official calendar: which run when, and when each is due —
//! across the 2026 Spring Festival (with its Saturday make-up day), suspensions, extensions,
//! reassignment, redo and callback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_domain::case::{Case, CaseState, CaseType, ContactMethod, Solved, Urgency};
use minsheng_domain::deadline::{Deadline, Light, Step, TimeLimits, running};
use minsheng_domain::event::{ActorStamp, Event, EventKind};
use minsheng_domain::lifecycle::Command;

fn t(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

fn show(ms: Option<i64>) -> String {
    ms.map(minsheng_domain::format_time).unwrap_or_default()
}

/// A case driven by hand at chosen times.
struct Clocked {
    case: Case,
}

impl Clocked {
    fn received(at: &str, case_type: CaseType, urgency: Urgency) -> Clocked {
        let mut intake = intake_of(case_type, false);
        intake.urgency = urgency;
        let case = Case::new(1, minsheng_domain::value::CaseNumber::parse("HK20260213000001").unwrap(), intake, t(at), None);
        Clocked { case }
    }

    fn then(&mut self, at: &str, kind: EventKind) -> &mut Self {
        let e = Event { seq: self.case.version + 1, at: t(at), actor: ActorStamp::from(&operator()), kind, note: None, deadlines: None };
        self.case.apply(&e);
        self
    }

    fn clock(&self, step: Step) -> Option<Deadline> {
        running(&self.case, &TimeLimits::default(), &calendar()).into_iter().find(|d| d.step == step)
    }

    fn due(&self, step: Step) -> String {
        show(self.clock(step).and_then(|d| d.due_at))
    }
}

fn water_company() -> minsheng_domain::org::UnitRef {
    minsheng_domain::org::UnitRef {
        id: 99,
        name: "市水务集团".into(),
        kind: minsheng_domain::org::UnitKind::Company,
        parent_id: Some(CITY),
        path: "/1/99/".into(),
    }
}

fn dispatch_east() -> EventKind {
    EventKind::Dispatched { lead: unit(EAST), assisting: vec![] }
}

#[test]
fn dispatch_is_wall_clock_and_signing_counts_the_make_up_saturday() {
    let mut c = Clocked::received("2026-02-13T10:00:00+08:00", CaseType::Complaint, Urgency::Normal);
    assert_eq!(c.due(Step::Dispatch), "2026-02-13T18:00:00+08:00", "8 h, 7x24");
    assert!(c.clock(Step::Sign).is_none());
    c.then("2026-02-13T11:00:00+08:00", EventKind::Forwarded).then("2026-02-13T11:30:00+08:00", dispatch_east());
    assert!(c.clock(Step::Dispatch).is_none(), "dispatched: that clock stopped");
    // 1 working day after Friday the 13th is Saturday the 14th (调休上班), due at its end.
    assert_eq!(c.due(Step::Sign), "2026-02-15T00:00:00+08:00");
    assert_eq!(c.due(Step::Contact), "2026-02-15T00:00:00+08:00");
    // 5 working days: 02-14, then 春节 02-15..23, then 24, 25, 26, 27.
    assert_eq!(c.due(Step::Reply), "2026-02-28T00:00:00+08:00");
    c.then("2026-02-14T09:00:00+08:00", EventKind::Signed);
    assert!(c.clock(Step::Sign).is_none(), "signed");
    c.then("2026-02-14T10:00:00+08:00", EventKind::Contacted { method: ContactMethod::Phone });
    assert!(c.clock(Step::Contact).is_none(), "contacted");
    assert_eq!(c.due(Step::Reply), "2026-02-28T00:00:00+08:00", "the reply clock keeps running");
}

#[test]
fn suspension_stops_the_clock_and_resumption_gives_back_what_was_left() {
    let mut c = Clocked::received("2026-03-02T09:00:00+08:00", CaseType::Complaint, Urgency::Normal);
    c.then("2026-03-02T09:10:00+08:00", dispatch_east()).then("2026-03-02T10:00:00+08:00", EventKind::Signed);
    assert_eq!(c.due(Step::Reply), "2026-03-10T00:00:00+08:00", "Mon 03-02 + 5 working days = end of Mon 03-09");
    c.then("2026-03-04T00:00:00+08:00", EventKind::Suspended);
    assert_eq!(c.case.state, CaseState::Suspended);
    let paused = c.clock(Step::Reply).unwrap();
    assert_eq!(paused.due_at, None, "unknown while suspended");
    assert_eq!(paused.light(t("2026-04-01T00:00:00+08:00")), Light::Green, "no red while the clock is stopped");
    // Two whole working days (Wed 03-04, Thu 03-05) suspended: the deadline moves two working days.
    c.then("2026-03-06T00:00:00+08:00", EventKind::Resumed);
    assert_eq!(c.due(Step::Reply), "2026-03-12T00:00:00+08:00");
}

#[test]
fn an_approved_extension_moves_the_reply_deadline() {
    let mut c = Clocked::received("2026-03-02T09:00:00+08:00", CaseType::Complaint, Urgency::Normal);
    c.then("2026-03-02T09:10:00+08:00", dispatch_east()).then("2026-03-02T10:00:00+08:00", EventKind::Signed);
    c.then("2026-03-05T10:00:00+08:00", EventKind::ExtensionRequested { days: 3 });
    assert_eq!(c.due(Step::Reply), "2026-03-10T00:00:00+08:00", "a request alone moves nothing");
    c.then("2026-03-05T11:00:00+08:00", EventKind::ExtensionApproved { days: 2 });
    assert_eq!(c.due(Step::Reply), "2026-03-12T00:00:00+08:00");
}

#[test]
fn reassignment_restarts_signing_and_a_redo_sets_a_new_reply_limit() {
    let mut c = Clocked::received("2026-03-02T09:00:00+08:00", CaseType::Complaint, Urgency::Normal);
    c.then("2026-03-02T09:10:00+08:00", dispatch_east());
    assert_eq!(c.due(Step::Sign), "2026-03-04T00:00:00+08:00");
    c.then("2026-03-03T15:00:00+08:00", EventKind::Reassigned { lead: unit(HOUSING), assisting: vec![] });
    assert_eq!(c.due(Step::Sign), "2026-03-05T00:00:00+08:00", "the new unit gets its full day");
    assert_eq!(c.due(Step::Reply), "2026-03-11T00:00:00+08:00");
    c.then("2026-03-04T09:00:00+08:00", EventKind::Signed)
        .then("2026-03-05T09:00:00+08:00", EventKind::Replied { text: "已处理".into(), solved: Solved::Solved });
    assert!(c.clock(Step::Reply).is_none(), "replied: the clock stopped");
    c.then("2026-03-05T10:00:00+08:00", EventKind::ReplyPassed);
    assert_eq!(c.due(Step::Callback), "2026-03-10T00:00:00+08:00", "callback: 2 working days after Thu 03-05 (Fri, Mon)");
    c.then(
        "2026-03-06T10:00:00+08:00",
        EventKind::CallbackRecorded { outcome: minsheng_domain::case::CallbackOutcome::Unsatisfied, solved: None, comment: None },
    );
    c.then("2026-03-09T09:00:00+08:00", EventKind::Redone);
    assert_eq!(c.due(Step::Reply), "2026-03-17T00:00:00+08:00", "Mon 03-09 + 5 working days");
}

#[test]
fn urgent_and_very_urgent_limits() {
    let mut c = Clocked::received("2026-03-07T22:00:00+08:00", CaseType::Help, Urgency::VeryUrgent);
    assert_eq!(c.due(Step::Dispatch), "2026-03-07T22:30:00+08:00", "特急: 30 min, Saturday night too");
    c.then("2026-03-07T22:10:00+08:00", dispatch_east());
    assert_eq!(c.due(Step::Sign), "2026-03-07T22:40:00+08:00");
    assert_eq!(c.due(Step::Contact), "2026-03-08T00:10:00+08:00");
    assert_eq!(c.due(Step::Reply), "2026-03-08T22:10:00+08:00", "24 h");
    let mut w = Clocked::received("2026-03-02T09:00:00+08:00", CaseType::Help, Urgency::Urgent);
    w.then("2026-03-02T09:05:00+08:00", EventKind::Dispatched { lead: water_company(), assisting: vec![] });
    assert_eq!(w.due(Step::Contact), "2026-03-03T09:05:00+08:00", "water, power, gas: 24 h when urgent");
    let mut q = Clocked::received("2026-03-02T09:00:00+08:00", CaseType::Consultation, Urgency::Normal);
    q.then("2026-03-02T09:05:00+08:00", dispatch_east());
    assert_eq!(q.due(Step::Reply), "2026-03-06T00:00:00+08:00", "consultations: 3 working days");
}

#[test]
fn yellow_at_three_quarters_of_the_working_time() {
    let mut c = Clocked::received("2026-03-02T09:00:00+08:00", CaseType::Complaint, Urgency::Normal);
    c.then("2026-03-02T09:10:00+08:00", dispatch_east());
    let reply = c.clock(Step::Reply).unwrap();
    // 5 working days from the end of Mon 03-02: 75 % (3.75 days) is used at 18:00 on Fri 03-06.
    let yellow = reply.yellow_at.unwrap();
    assert_eq!(minsheng_domain::format_time(yellow), "2026-03-06T18:00:00+08:00");
    assert_eq!(reply.light(yellow - 1000), Light::Green);
    assert_eq!(reply.light(yellow), Light::Yellow);
    assert_eq!(reply.light(reply.due_at.unwrap()), Light::Red);
}

#[test]
fn the_lifecycle_records_its_clocks_and_replays_them() {
    let mut sim = reach(CaseState::Handling);
    assert!(sim.case.deadlines.iter().any(|d| d.step == Step::Reply), "{:?}", sim.case.deadlines);
    sim.ok(&dispatcher(), Command::Suspend, Some("等待鉴定结果"));
    assert!(sim.case.deadlines.iter().all(|d| d.due_at.is_none()), "suspended: no due dates");
    sim.assert_replays();
}
