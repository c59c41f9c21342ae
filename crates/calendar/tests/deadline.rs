//! Deadlines against the official calendar, asserted as exact RFC 3339 China times.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_calendar::{ClockTime, HalfDay, Limit, LimitKind, due, due_extended, due_with_pauses, elapsed_fraction, extend};

fn days(n: u32) -> Limit {
    Limit::WorkingDays { days: n }
}
fn hours(n: u32) -> Limit {
    Limit::WorkingHours { hours: n }
}
fn minutes(n: u32) -> Limit {
    Limit::WallClock { minutes: n }
}

/// The deadline with the default conventions, formatted.
fn due_at(start: &str, limit: Limit) -> String {
    f(due(t(start), limit, &cal(), &end_of_day()))
}

fn due_close(start: &str, limit: Limit) -> String {
    f(due(t(start), limit, &cal(), &close_of_hours()))
}

fn paused(start: &str, limit: Limit, pauses: &[(&str, Option<&str>)]) -> Option<String> {
    let pauses: Vec<_> = pauses.iter().map(|(a, b)| (t(a), b.map(t))).collect();
    due_with_pauses(t(start), limit, &pauses, &cal(), &end_of_day()).map(f)
}

// ---- wall clock -------------------------------------------------------------------------------

#[test]
fn wall_clock_ignores_the_calendar() {
    assert_eq!(due_at("2026-02-15T23:50:00+08:00", minutes(30)), "2026-02-16T00:20:00+08:00");
    assert_eq!(due_at("2026-10-01T20:00:00+08:00", minutes(8 * 60)), "2026-10-02T04:00:00+08:00");
    assert_eq!(due_at("2026-02-13T10:00:00+08:00", minutes(24 * 60)), "2026-02-14T10:00:00+08:00");
    assert_eq!(due_at("2026-03-02T01:00:00Z", minutes(120)), "2026-03-02T11:00:00+08:00");
}

// ---- working hours ----------------------------------------------------------------------------

#[test]
fn working_hours_within_a_morning() {
    assert_eq!(due_at("2026-03-02T09:00:00+08:00", hours(2)), "2026-03-02T11:00:00+08:00");
}

#[test]
fn working_hours_skip_the_lunch_break() {
    assert_eq!(due_at("2026-03-02T11:00:00+08:00", hours(2)), "2026-03-02T15:30:00+08:00");
    // Starting inside the break counts from 14:30.
    assert_eq!(due_at("2026-03-02T12:30:00+08:00", hours(1)), "2026-03-02T15:30:00+08:00");
}

#[test]
fn working_hours_end_when_used_up_not_when_the_next_period_opens() {
    // 08:30 + 7 h = the whole day: 18:00 that day, not 08:30 the next.
    assert_eq!(due_at("2026-03-02T08:30:00+08:00", hours(7)), "2026-03-02T18:00:00+08:00");
    // 09:00 + 3 h ends exactly at 12:00.
    assert_eq!(due_at("2026-03-02T09:00:00+08:00", hours(3)), "2026-03-02T12:00:00+08:00");
}

#[test]
fn working_hours_outside_working_hours_start_at_the_next_opening() {
    assert_eq!(due_at("2026-03-02T07:00:00+08:00", hours(1)), "2026-03-02T09:30:00+08:00");
    // Friday evening → Monday morning.
    assert_eq!(due_at("2026-03-06T19:00:00+08:00", hours(1)), "2026-03-09T09:30:00+08:00");
    // Saturday (ordinary weekend).
    assert_eq!(due_at("2026-03-07T10:00:00+08:00", hours(2)), "2026-03-09T10:30:00+08:00");
}

#[test]
fn working_hours_across_days() {
    // Monday 09:00: 3 h + 3.5 h on Monday, 1.5 h on Tuesday.
    assert_eq!(due_at("2026-03-02T09:00:00+08:00", hours(8)), "2026-03-03T10:00:00+08:00");
}

#[test]
fn working_hours_around_spring_festival_count_the_make_up_saturday() {
    // Friday 2026-02-13 16:00: 2 h on Friday, 2 h on make-up Saturday 02-14.
    assert_eq!(due_at("2026-02-13T16:00:00+08:00", hours(4)), "2026-02-14T10:30:00+08:00");
    // Saturday 02-14 17:00: 1 h on Saturday, then the holiday 02-15..02-23.
    assert_eq!(due_at("2026-02-14T17:00:00+08:00", hours(2)), "2026-02-24T09:30:00+08:00");
    // Started on a holiday.
    assert_eq!(due_at("2026-02-18T10:00:00+08:00", hours(1)), "2026-02-24T09:30:00+08:00");
}

// ---- working days -----------------------------------------------------------------------------

#[test]
fn three_working_days_before_spring_festival_2026() {
    // Day 1 = make-up Saturday 02-14; 02-15..02-23 off; day 2 = 02-24; day 3 = 02-25; 24:00.
    assert_eq!(due_at("2026-02-13T10:00:00+08:00", days(3)), "2026-02-26T00:00:00+08:00");
    assert_eq!(due_close("2026-02-13T10:00:00+08:00", days(3)), "2026-02-25T18:00:00+08:00");
}

#[test]
fn working_days_across_a_weekend() {
    assert_eq!(due_at("2026-03-06T10:00:00+08:00", days(1)), "2026-03-10T00:00:00+08:00");
    assert_eq!(due_at("2026-03-04T10:00:00+08:00", days(5)), "2026-03-12T00:00:00+08:00");
    assert_eq!(due_close("2026-03-06T10:00:00+08:00", days(1)), "2026-03-09T18:00:00+08:00");
}

#[test]
fn day_one_is_the_first_working_day_after_the_start_day_whatever_the_hour() {
    for start in ["2026-03-02T00:00:00+08:00", "2026-03-02T08:00:00+08:00", "2026-03-02T17:59:00+08:00", "2026-03-02T23:59:59+08:00"] {
        assert_eq!(due_at(start, days(1)), "2026-03-04T00:00:00+08:00", "{start}");
    }
}

#[test]
fn working_days_started_on_a_weekend_or_holiday() {
    // Saturday: day 1 is Monday.
    assert_eq!(due_at("2026-03-07T10:00:00+08:00", days(1)), "2026-03-10T00:00:00+08:00");
    // 国庆 Saturday 10-03: 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
    assert_eq!(due_at("2026-10-03T10:00:00+08:00", days(5)), "2026-10-14T00:00:00+08:00");
    // 春节 2025: started on Saturday 01-25, day 1 is make-up Sunday 01-26.
    assert_eq!(due_at("2025-01-25T10:00:00+08:00", days(5)), "2025-02-08T00:00:00+08:00");
}

#[test]
fn working_days_use_the_china_date_not_the_utc_date() {
    // 2026-03-05T16:30Z is Friday 00:30 in China: day 1 is Monday.
    assert_eq!(due_at("2026-03-05T16:30:00Z", days(1)), "2026-03-10T00:00:00+08:00");
    // 2026-03-05T15:30Z is Thursday 23:30 in China: day 1 is Friday.
    assert_eq!(due_at("2026-03-05T15:30:00Z", days(1)), "2026-03-07T00:00:00+08:00");
}

#[test]
fn working_days_with_make_up_sunday_before_national_day_2024() {
    // Friday 2024-09-27: make-up Sunday 09-29 is day 1, Monday 09-30 day 2.
    assert_eq!(due_at("2024-09-27T15:00:00+08:00", days(2)), "2024-10-01T00:00:00+08:00");
}

#[test]
fn working_days_across_year_boundaries() {
    // 2025-12-31 (Wed): 2026-01-01..03 off, make-up Sunday 01-04 is day 1.
    assert_eq!(due_at("2025-12-31T10:00:00+08:00", days(3)), "2026-01-07T00:00:00+08:00");
    // 2024-12-31 (Tue): 2025-01-01 off.
    assert_eq!(due_at("2024-12-31T10:00:00+08:00", days(2)), "2025-01-04T00:00:00+08:00");
}

#[test]
fn a_year_without_data_counts_weekends_only_and_says_so() {
    // 2027-01-01 is certainly a holiday, but 2027 is not loaded: it counts as day 1.
    assert_eq!(due_at("2026-12-31T10:00:00+08:00", days(3)), "2027-01-06T00:00:00+08:00");
    let c = cal();
    assert_eq!(c.missing_years(t("2026-12-31T10:00:00+08:00"), t("2027-01-06T00:00:00+08:00")), vec![2027]);
    assert!(c.missing_years(t("2026-01-01T10:00:00+08:00"), t("2026-12-31T00:00:00+08:00")).is_empty());
}

#[test]
fn zero_limits_are_due_at_the_start() {
    for limit in [days(0), hours(0), minutes(0)] {
        assert_eq!(due_at("2026-03-02T10:00:00+08:00", limit), "2026-03-02T10:00:00+08:00");
    }
}

#[test]
fn part_day_closure_shortens_a_working_hours_limit() {
    let mut c = cal();
    let mut file = c.year_file(2026).unwrap().clone();
    file.half_days.push(HalfDay {
        date: d("2026-03-09"),
        from: ClockTime::parse("12:00").unwrap(),
        to: ClockTime::END_OF_DAY,
        name: "测试半天假".into(),
        scope: None,
    });
    c.import(&file.to_json().unwrap()).unwrap();
    // Monday 09:00: 3 h in the morning, the afternoon is closed, 1 h on Tuesday.
    assert_eq!(f(due(t("2026-03-09T09:00:00+08:00"), hours(4), &c, &end_of_day())), "2026-03-10T09:30:00+08:00");
    // The day still counts as a working day, and closes at 12:00.
    assert_eq!(f(due(t("2026-03-06T09:00:00+08:00"), days(1), &c, &end_of_day())), "2026-03-10T00:00:00+08:00");
    assert_eq!(f(due(t("2026-03-06T09:00:00+08:00"), days(1), &c, &close_of_hours())), "2026-03-09T12:00:00+08:00");
}

// ---- suspensions ------------------------------------------------------------------------------

#[test]
fn wall_clock_suspension_adds_the_suspended_time() {
    let got = paused("2026-03-02T10:00:00+08:00", minutes(120), &[("2026-03-02T10:30:00+08:00", Some("2026-03-02T11:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-02T12:30:00+08:00"));
    // Over a holiday, all 72 h are given back.
    let got = paused("2026-02-13T10:00:00+08:00", minutes(24 * 60), &[("2026-02-13T12:00:00+08:00", Some("2026-02-16T12:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-02-17T10:00:00+08:00"));
}

#[test]
fn working_hours_suspension_gives_back_only_working_time() {
    // 4 h from Monday 09:00; suspended 10:00–15:00 (covering lunch): 1 h before, 3 h from 15:00.
    let got = paused("2026-03-02T09:00:00+08:00", hours(4), &[("2026-03-02T10:00:00+08:00", Some("2026-03-02T15:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-02T18:00:00+08:00"));
}

#[test]
fn working_hours_suspension_spanning_spring_festival() {
    // 7 h from Friday 02-13 14:30 (due 02-14 12:00 unsuspended); suspended 02-13 16:00 → 02-24
    // 09:00: 1.5 h before, then 3 h + 2.5 h on 02-24.
    assert_eq!(due_at("2026-02-13T14:30:00+08:00", hours(7)), "2026-02-14T12:00:00+08:00");
    let got = paused("2026-02-13T14:30:00+08:00", hours(7), &[("2026-02-13T16:00:00+08:00", Some("2026-02-24T09:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-02-24T17:00:00+08:00"));
}

#[test]
fn working_days_suspension_of_a_whole_day() {
    // 3 working days from Monday 03-02 (due 24:00 Thursday 03-05); Wednesday suspended.
    assert_eq!(due_at("2026-03-02T10:00:00+08:00", days(3)), "2026-03-06T00:00:00+08:00");
    let got = paused("2026-03-02T10:00:00+08:00", days(3), &[("2026-03-04T00:00:00+08:00", Some("2026-03-05T00:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-07T00:00:00+08:00"));
}

#[test]
fn working_days_suspension_of_part_of_a_day_moves_the_deadline_by_that_part() {
    let got = paused("2026-03-02T10:00:00+08:00", days(3), &[("2026-03-03T09:00:00+08:00", Some("2026-03-03T15:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-06T06:00:00+08:00"));
}

#[test]
fn working_days_suspension_spanning_spring_festival() {
    // 5 working days from Thursday 02-12: unsuspended 02-13, 02-14, 02-24, 02-25, 02-26 → 24:00 02-26.
    assert_eq!(due_at("2026-02-12T10:00:00+08:00", days(5)), "2026-02-27T00:00:00+08:00");
    // Suspended 02-13 12:00 → 02-25 12:00: half of 02-13 and half of 02-25 counted (one day),
    // the holiday gives nothing back; then 02-26, 02-27, 02-28 (make-up Saturday), 03-02.
    let got = paused("2026-02-12T10:00:00+08:00", days(5), &[("2026-02-13T12:00:00+08:00", Some("2026-02-25T12:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-03T00:00:00+08:00"));
}

#[test]
fn suspensions_when_nothing_counts_move_nothing() {
    // On the start day, before working days start counting.
    let got = paused("2026-03-02T10:00:00+08:00", days(3), &[("2026-03-02T11:00:00+08:00", Some("2026-03-02T17:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-06T00:00:00+08:00"));
    // On a weekend.
    let got = paused("2026-03-06T10:00:00+08:00", days(1), &[("2026-03-07T00:00:00+08:00", Some("2026-03-09T00:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-10T00:00:00+08:00"));
    // In the lunch break, for working hours.
    let got = paused("2026-03-02T11:00:00+08:00", hours(2), &[("2026-03-02T12:00:00+08:00", Some("2026-03-02T14:30:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-02T15:30:00+08:00"));
    // After the deadline.
    let got = paused("2026-03-02T10:00:00+08:00", days(3), &[("2026-03-06T10:00:00+08:00", Some("2026-03-09T10:00:00+08:00"))]);
    assert_eq!(got.as_deref(), Some("2026-03-06T00:00:00+08:00"));
}

#[test]
fn overlapping_and_unordered_suspensions_count_once() {
    let got = paused(
        "2026-03-02T10:00:00+08:00",
        minutes(120),
        &[
            ("2026-03-02T10:40:00+08:00", Some("2026-03-02T11:00:00+08:00")),
            ("2026-03-02T10:30:00+08:00", Some("2026-03-02T10:50:00+08:00")),
            ("2026-03-02T13:00:00+08:00", Some("2026-03-02T12:00:00+08:00")), // reversed: ignored
        ],
    );
    assert_eq!(got.as_deref(), Some("2026-03-02T12:30:00+08:00"));
}

#[test]
fn a_running_suspension_leaves_the_deadline_unknown() {
    assert_eq!(paused("2026-03-02T10:00:00+08:00", days(3), &[("2026-03-04T10:00:00+08:00", None)]), None);
    assert_eq!(paused("2026-03-02T10:00:00+08:00", minutes(60), &[("2026-03-02T10:30:00+08:00", None)]), None);
    // Suspended only after the limit ran out: the deadline stands.
    let got = paused("2026-03-02T10:00:00+08:00", days(3), &[("2026-03-06T10:00:00+08:00", None)]);
    assert_eq!(got.as_deref(), Some("2026-03-06T00:00:00+08:00"));
    // Suspended on the start day, before counting began: unknown as well.
    assert_eq!(paused("2026-03-02T10:00:00+08:00", days(3), &[("2026-03-02T11:00:00+08:00", None)]), None);
}

#[test]
fn suspension_with_close_of_hours_convention_counts_working_time() {
    // 1 working day from Monday 03-02, due 18:00 Tuesday; 2 working hours suspended on Tuesday.
    let pauses = [(t("2026-03-03T09:00:00+08:00"), Some(t("2026-03-03T11:00:00+08:00")))];
    let got = due_with_pauses(t("2026-03-02T10:00:00+08:00"), days(1), &pauses, &cal(), &close_of_hours());
    assert_eq!(got.map(f).as_deref(), Some("2026-03-04T10:30:00+08:00"));
}

// ---- extensions -------------------------------------------------------------------------------

#[test]
fn extension_by_working_days() {
    let c = cal();
    // 24:00 of 02-25 + 5: 02-26, 02-27, 02-28 (make-up Saturday), 03-02, 03-03.
    assert_eq!(f(extend(t("2026-02-26T00:00:00+08:00"), 5, &c, &end_of_day())), "2026-03-04T00:00:00+08:00");
    assert_eq!(f(extend(t("2026-02-25T18:00:00+08:00"), 2, &c, &close_of_hours())), "2026-02-27T18:00:00+08:00");
    assert_eq!(f(extend(t("2026-02-26T00:00:00+08:00"), 0, &c, &end_of_day())), "2026-02-26T00:00:00+08:00");
    // A working-hours deadline extended by a day ends at the end of the next working day.
    assert_eq!(f(extend(t("2026-03-02T15:30:00+08:00"), 1, &c, &end_of_day())), "2026-03-04T00:00:00+08:00");
    // Across 国庆 2026: 24:00 of 09-30 + 3: 10-08, 10-09, 10-10.
    assert_eq!(f(extend(t("2026-10-01T00:00:00+08:00"), 3, &c, &end_of_day())), "2026-10-11T00:00:00+08:00");
}

#[test]
fn extension_and_suspension_together() {
    let c = cal();
    let start = t("2026-03-02T10:00:00+08:00");
    // 3 days → 24:00 03-05; extended by 2 → 03-06, 03-09 → 24:00 03-09.
    assert_eq!(f(due_extended(start, days(3), 2, &[], &c, &end_of_day()).unwrap()), "2026-03-10T00:00:00+08:00");
    // Suspended all of Monday 03-09, inside the extension: 03-06, 03-10.
    let pauses = [(t("2026-03-09T00:00:00+08:00"), Some(t("2026-03-10T00:00:00+08:00")))];
    assert_eq!(f(due_extended(start, days(3), 2, &pauses, &c, &end_of_day()).unwrap()), "2026-03-11T00:00:00+08:00");
    // Extending the suspended deadline afterwards would miss that suspension.
    let naive = extend(due_with_pauses(start, days(3), &pauses, &c, &end_of_day()).unwrap(), 2, &c, &end_of_day());
    assert_eq!(f(naive), "2026-03-10T00:00:00+08:00");
    // A suspension in the original period and one in the extension.
    let pauses = [
        (t("2026-03-04T00:00:00+08:00"), Some(t("2026-03-05T00:00:00+08:00"))),
        (t("2026-03-10T00:00:00+08:00"), Some(t("2026-03-11T00:00:00+08:00"))),
    ];
    // Original: 03-03, (03-04 suspended), 03-05, 03-06 → 24:00 03-06; extension: 03-09, (03-10), 03-11.
    assert_eq!(f(due_extended(start, days(3), 2, &pauses, &c, &end_of_day()).unwrap()), "2026-03-12T00:00:00+08:00");
    // A wall-clock limit extended by working days.
    assert_eq!(f(due_extended(start, minutes(60), 1, &[], &c, &end_of_day()).unwrap()), "2026-03-04T00:00:00+08:00");
}

// ---- elapsed fraction -------------------------------------------------------------------------

fn frac(start: &str, due_s: &str, now: &str, pauses: &[(&str, Option<&str>)], kind: LimitKind) -> f64 {
    let pauses: Vec<_> = pauses.iter().map(|(a, b)| (t(a), b.map(t))).collect();
    elapsed_fraction(t(start), t(due_s), t(now), &pauses, kind, &cal(), &end_of_day())
}

#[test]
fn elapsed_fraction_in_working_hours() {
    let (s, due_s) = ("2026-03-02T09:00:00+08:00", "2026-03-02T15:30:00+08:00");
    assert_eq!(due_at(s, hours(4)), due_s);
    let k = LimitKind::WorkingHours;
    assert_eq!(frac(s, due_s, "2026-03-02T08:00:00+08:00", &[], k), 0.0);
    assert_eq!(frac(s, due_s, "2026-03-02T10:00:00+08:00", &[], k), 0.25);
    // Yellow at 12:00 (3 of 4 hours), and it stays 0.75 through lunch.
    assert_eq!(frac(s, due_s, "2026-03-02T12:00:00+08:00", &[], k), 0.75);
    assert_eq!(frac(s, due_s, "2026-03-02T14:29:00+08:00", &[], k), 0.75);
    assert_eq!(frac(s, due_s, "2026-03-02T15:30:00+08:00", &[], k), 1.0);
    assert_eq!(frac(s, due_s, "2026-03-02T16:30:00+08:00", &[], k), 1.25);
}

#[test]
fn elapsed_fraction_in_working_days() {
    let (s, due_s) = ("2026-03-02T10:00:00+08:00", "2026-03-07T00:00:00+08:00");
    assert_eq!(due_at(s, days(4)), due_s);
    let k = LimitKind::WorkingDays;
    // The start day does not count.
    assert_eq!(frac(s, due_s, "2026-03-02T23:00:00+08:00", &[], k), 0.0);
    assert_eq!(frac(s, due_s, "2026-03-04T00:00:00+08:00", &[], k), 0.25);
    // Yellow at 24:00 of the third working day.
    assert_eq!(frac(s, due_s, "2026-03-06T00:00:00+08:00", &[], k), 0.75);
    assert_eq!(frac(s, due_s, "2026-03-07T12:00:00+08:00", &[], k), 1.0);
    assert_eq!(frac(s, due_s, "2026-03-09T12:00:00+08:00", &[], k), 1.125);
}

#[test]
fn elapsed_fraction_across_spring_festival_stands_still_during_the_holiday() {
    let (s, due_s) = ("2026-02-13T10:00:00+08:00", "2026-02-26T00:00:00+08:00");
    let k = LimitKind::WorkingDays;
    let third = 1.0 / 3.0;
    assert_eq!(frac(s, due_s, "2026-02-15T00:00:00+08:00", &[], k), third);
    assert_eq!(frac(s, due_s, "2026-02-20T12:00:00+08:00", &[], k), third);
    assert_eq!(frac(s, due_s, "2026-02-24T12:00:00+08:00", &[], k), 0.5);
}

#[test]
fn elapsed_fraction_with_wall_clock_and_suspension() {
    let k = LimitKind::WallClock;
    assert_eq!(frac("2026-03-02T10:00:00+08:00", "2026-03-02T18:00:00+08:00", "2026-03-02T16:00:00+08:00", &[], k), 0.75);
    let p = [("2026-03-02T11:00:00+08:00", Some("2026-03-02T12:00:00+08:00"))];
    assert_eq!(paused("2026-03-02T10:00:00+08:00", minutes(480), &p).as_deref(), Some("2026-03-02T19:00:00+08:00"));
    assert_eq!(frac("2026-03-02T10:00:00+08:00", "2026-03-02T19:00:00+08:00", "2026-03-02T17:00:00+08:00", &p, k), 0.75);
    // While suspended the share does not grow.
    let open = [("2026-03-02T11:00:00+08:00", None)];
    assert_eq!(frac("2026-03-02T10:00:00+08:00", "2026-03-02T18:00:00+08:00", "2026-03-03T17:00:00+08:00", &open, k), 0.125);
}

#[test]
fn elapsed_fraction_with_close_of_hours_counts_working_time() {
    let c = cal();
    let s = t("2026-03-02T10:00:00+08:00");
    let due_ms = due(s, days(1), &c, &close_of_hours());
    assert_eq!(f(due_ms), "2026-03-03T18:00:00+08:00");
    let fr = |now| elapsed_fraction(s, due_ms, t(now), &[], LimitKind::WorkingDays, &c, &close_of_hours());
    assert_eq!(fr("2026-03-03T12:00:00+08:00"), 0.5);
    assert_eq!(fr("2026-03-03T16:15:00+08:00"), 0.75);
}

#[test]
fn elapsed_fraction_of_a_zero_limit() {
    let s = "2026-03-02T10:00:00+08:00";
    assert_eq!(frac(s, s, "2026-03-02T09:00:00+08:00", &[], LimitKind::WorkingHours), 0.0);
    assert_eq!(frac(s, s, s, &[], LimitKind::WorkingHours), 1.0);
}

// ---- robustness -------------------------------------------------------------------------------

#[test]
fn absurd_inputs_do_not_panic_and_never_go_backwards() {
    let c = cal();
    for start in [i64::MIN, i64::MIN / 2, -1, 0, i64::MAX / 2, i64::MAX - 1, i64::MAX] {
        for limit in [days(3), hours(5), minutes(30), days(u32::MAX), hours(u32::MAX), minutes(u32::MAX)] {
            for conv in [end_of_day(), close_of_hours()] {
                let got = due(start, limit, &c, &conv);
                assert!(got >= start, "{start} {limit:?}");
                let _ = due_with_pauses(start, limit, &[(start, Some(start.saturating_add(1000)))], &c, &conv);
                let _ = elapsed_fraction(start, got, start.saturating_add(5), &[], limit.kind(), &c, &conv);
                let _ = extend(got, 3, &c, &conv);
            }
        }
    }
}
