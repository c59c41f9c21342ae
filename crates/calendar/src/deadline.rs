//! Deadlines (办理期限): when a time limit that starts at a given instant runs out on the working
//! calendar, how suspension (挂起) and extension (延期) move it, and how much of it has been used.
//! Pure functions of their arguments; instants are UTC millis, days and hours are China time.
//!
//! # The model
//! Every limit counts a *measure* of time from an *origin*:
//!
//! | limit | counts | from |
//! |---|---|---|
//! | [`Limit::WallClock`] | all time (7x24) | the start |
//! | [`Limit::WorkingHours`] | the working periods of working days | the start |
//! | [`Limit::WorkingDays`], [`WorkingDayEnd::EndOfDay`] | whole working days (00:00–24:00) | 24:00 of the start day |
//! | [`Limit::WorkingDays`], [`WorkingDayEnd::CloseOfWorkingHours`] | the working periods of working days | 24:00 of the start day |
//!
//! Without suspensions the deadline is the official reading of the limit (e.g. 24:00 of the third
//! working day after the start day). Its *budget* is the measure between the origin and that
//! deadline. With suspensions, the deadline is the earliest instant at which the measure counted
//! outside the suspensions reaches the budget: the clock stops while a case is suspended and
//! resumes with what was left, and time that would not have counted anyway (a weekend, the lunch
//! break) is not given back.

use std::ops::ControlFlow;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::calendar::WorkingCalendar;
use crate::time::{HOUR_MS, MINUTE_MS, china_date, day_end, day_start};

/// The share of a limit after which a case turns yellow (预警); red (超期) is at 1.0.
pub const YELLOW_FRACTION: f64 = 0.75;

/// How far ahead a deadline is searched: 50 years, far beyond any real limit. A limit that does
/// not run out within it (only absurd inputs) gets [`Millis::MAX`], "never", instead of a long loop.
const HORIZON_DAYS: u32 = 50 * 366;

/// A time limit (办理时限) of one step of a case, e.g. "dispatch within 2 h", "reply within 5
/// working days".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Limit {
    /// Wall-clock minutes, counted 7x24 regardless of the calendar (dispatch in 30 min / 2 h / 8 h,
    /// a 特急 reply in 24 h).
    WallClock { minutes: u32 },
    /// Hours counted only inside the working periods of working days (工作时).
    WorkingHours { hours: u32 },
    /// Working days (工作日), see [`DeadlineConventions`] for exactly when they end.
    WorkingDays { days: u32 },
}

/// The unit a limit is counted in, without its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    WallClock,
    WorkingHours,
    WorkingDays,
}

impl Limit {
    pub fn kind(&self) -> LimitKind {
        match self {
            Limit::WallClock { .. } => LimitKind::WallClock,
            Limit::WorkingHours { .. } => LimitKind::WorkingHours,
            Limit::WorkingDays { .. } => LimitKind::WorkingDays,
        }
    }

    /// The limit in words, Chinese then English, e.g. "3 个工作日 / 3 working days".
    pub fn describe(&self) -> String {
        match *self {
            Limit::WallClock { minutes } if minutes % 60 == 0 => format!("{0} 小时 / {0} h (7x24)", minutes / 60),
            Limit::WallClock { minutes } => format!("{minutes} 分钟 / {minutes} min (7x24)"),
            Limit::WorkingHours { hours } => format!("{hours} 个工作小时 / {hours} working hours"),
            Limit::WorkingDays { days } => format!("{days} 个工作日 / {days} working days"),
        }
    }
}

/// Where a limit of N working days ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkingDayEnd {
    /// At 24:00 of the Nth working day (printed as 00:00 of the following day). The default: it is
    /// how "N 个工作日内" is read in administrative practice, and it gives the handler the whole of
    /// the last day.
    #[default]
    EndOfDay,
    /// At the close of working hours of the Nth working day (18:00 with the default hours).
    CloseOfWorkingHours,
}

/// The settings that decide how limits are read (时限计算口径). Written out with worked examples in
/// the crate's README.md.
///
/// **N working days**: day 1 is the first working day *after* the day on which the limit starts,
/// whatever the hour of the start and whether the start day is itself a working day; the limit
/// ends at 24:00 of day N ([`WorkingDayEnd::EndOfDay`], default) or at the close of working hours
/// of day N ([`WorkingDayEnd::CloseOfWorkingHours`]). So a case received on Friday 2026-02-13 at
/// 10:00 with 3 working days counts Saturday 2026-02-14 (a make-up workday), skips the Spring
/// Festival holiday 02-15 to 02-23, counts 02-24 and 02-25, and is due at 24:00 of Wednesday
/// 2026-02-25 (= 2026-02-26T00:00:00+08:00).
///
/// **N working hours**: counted from the start instant inside the working periods of working
/// days; a start outside working hours begins counting when the next period opens. The deadline is
/// the instant the Nth hour is used up, so it may fall at 12:00 but never in the lunch break.
///
/// **Wall-clock limits** ignore the calendar entirely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineConventions {
    pub working_day_end: WorkingDayEnd,
}

/// What a limit counts, see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Wall,
    WorkingTime,
    WholeWorkingDays,
}

fn measure_of(kind: LimitKind, conventions: &DeadlineConventions) -> Measure {
    match (kind, conventions.working_day_end) {
        (LimitKind::WallClock, _) => Measure::Wall,
        (LimitKind::WorkingHours, _) => Measure::WorkingTime,
        (LimitKind::WorkingDays, WorkingDayEnd::EndOfDay) => Measure::WholeWorkingDays,
        (LimitKind::WorkingDays, WorkingDayEnd::CloseOfWorkingHours) => Measure::WorkingTime,
    }
}

/// Where counting starts: working days count from the day after the start day.
fn origin(kind: LimitKind, start: Millis) -> Millis {
    match kind {
        LimitKind::WorkingDays => day_end(china_date(start)),
        LimitKind::WallClock | LimitKind::WorkingHours => start,
    }
}

/// Calls `visit` with each span [a, b) that counts under `measure`, from `from` on, in order, until
/// it breaks; None when the horizon (or the end of chrono's dates) is reached first.
fn for_each_span<R>(
    calendar: &WorkingCalendar,
    measure: Measure,
    from: Millis,
    mut visit: impl FnMut(Millis, Millis) -> ControlFlow<R>,
) -> Option<R> {
    if measure == Measure::Wall {
        return match visit(from, Millis::MAX) {
            ControlFlow::Break(r) => Some(r),
            ControlFlow::Continue(()) => None,
        };
    }
    let mut date = china_date(from);
    for _ in 0..HORIZON_DAYS {
        let base = day_start(date);
        let spans: Vec<(Millis, Millis)> = match measure {
            Measure::WholeWorkingDays if calendar.is_working_day(date) => vec![(base, day_end(date))],
            Measure::WorkingTime => calendar
                .working_periods(date)
                .iter()
                .map(|p| (base + i64::from(p.start.minutes()) * MINUTE_MS, base + i64::from(p.end.minutes()) * MINUTE_MS))
                .collect(),
            _ => Vec::new(),
        };
        for (a, b) in spans {
            let a = a.max(from);
            if a < b
                && let ControlFlow::Break(r) = visit(a, b)
            {
                return Some(r);
            }
        }
        date = date.succ_opt()?;
    }
    None
}

/// Suspensions sorted and merged, an open one (no end yet) as ending at `Millis::MAX`; empty or
/// reversed ones are dropped because they stop no clock.
fn normalize(pauses: &[(Millis, Option<Millis>)]) -> Vec<(Millis, Millis)> {
    let mut spans: Vec<(Millis, Millis)> = pauses.iter().map(|&(s, e)| (s, e.unwrap_or(Millis::MAX))).filter(|&(s, e)| s < e).collect();
    spans.sort_unstable();
    let mut merged: Vec<(Millis, Millis)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// The parts of [a, b) outside the (normalized) suspensions.
fn outside_pauses(a: Millis, b: Millis, pauses: &[(Millis, Millis)]) -> Vec<(Millis, Millis)> {
    let mut parts = Vec::new();
    let mut cursor = a;
    for &(s, e) in pauses {
        if e <= cursor {
            continue;
        }
        if s >= b {
            break;
        }
        if s > cursor {
            parts.push((cursor, s));
        }
        cursor = cursor.max(e);
        if cursor >= b {
            return parts;
        }
    }
    if cursor < b {
        parts.push((cursor, b));
    }
    parts
}

/// How much of `measure` passes in [from, to) outside the suspensions, in millis.
fn measure_between(calendar: &WorkingCalendar, measure: Measure, from: Millis, to: Millis, pauses: &[(Millis, Millis)]) -> i64 {
    if to <= from {
        return 0;
    }
    let mut total: i64 = 0;
    let _ = for_each_span(calendar, measure, from, |a, b| {
        if a >= to {
            return ControlFlow::Break(());
        }
        for (x, y) in outside_pauses(a, b.min(to), pauses) {
            total = total.saturating_add(y.saturating_sub(x));
        }
        if b >= to { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    total
}

/// The earliest instant at which `budget` of `measure`, counted from `origin` outside the
/// suspensions, is used up. None when an open suspension stops the clock before that;
/// `Millis::MAX` when the horizon is reached.
fn consume(calendar: &WorkingCalendar, measure: Measure, origin: Millis, budget: i64, pauses: &[(Millis, Millis)]) -> Option<Millis> {
    if budget <= 0 {
        return Some(origin);
    }
    // After an open suspension starts nothing counts any more: stop walking there.
    let open_from = pauses.last().filter(|p| p.1 == Millis::MAX).map(|p| p.0);
    let mut remaining = budget;
    let found = for_each_span(calendar, measure, origin, |a, b| {
        for (x, y) in outside_pauses(a, b, pauses) {
            let len = y.saturating_sub(x);
            if remaining <= len {
                return ControlFlow::Break(Some(x + remaining));
            }
            remaining -= len;
        }
        match open_from {
            Some(s) if b > s => ControlFlow::Break(None),
            _ => ControlFlow::Continue(()),
        }
    });
    found.unwrap_or(Some(Millis::MAX))
}

/// The `n`th working day after `date` (n ≥ 1), within the horizon.
fn nth_working_day_after(calendar: &WorkingCalendar, date: NaiveDate, n: u32) -> Option<NaiveDate> {
    let mut day = date;
    let mut counted = 0;
    for _ in 0..HORIZON_DAYS {
        day = day.succ_opt()?;
        if calendar.is_working_day(day) {
            counted += 1;
            if counted == n {
                return Some(day);
            }
        }
    }
    None
}

/// When a limit whose last working day is `day` ends.
fn end_of_working_day(calendar: &WorkingCalendar, day: NaiveDate, conventions: &DeadlineConventions) -> Millis {
    match conventions.working_day_end {
        WorkingDayEnd::EndOfDay => day_end(day),
        WorkingDayEnd::CloseOfWorkingHours => calendar
            .working_periods(day)
            .last()
            .map(|p| day_start(day) + i64::from(p.end.minutes()) * MINUTE_MS)
            // A working day always has a period (see WorkingCalendar::is_working_day); 24:00 is
            // only a guard.
            .unwrap_or_else(|| day_end(day)),
    }
}

/// The deadline (截止时间) of `limit` started at `start`, without suspensions or extensions.
/// A zero limit is due at its start. See [`DeadlineConventions`] for how each kind is read.
///
/// ```
/// use minsheng_calendar::{DeadlineConventions, Limit, WorkingCalendar, due, format_china};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let calendar = WorkingCalendar::shipped()?;
/// let start = chrono::DateTime::parse_from_rfc3339("2026-02-13T10:00:00+08:00")?.timestamp_millis();
/// let deadline = due(start, Limit::WorkingDays { days: 3 }, &calendar, &DeadlineConventions::default());
/// // 02-14 (make-up Saturday), 02-24, 02-25 → 24:00 of 02-25.
/// assert_eq!(format_china(deadline), "2026-02-26T00:00:00+08:00");
/// # Ok(())
/// # }
/// ```
pub fn due(start: Millis, limit: Limit, calendar: &WorkingCalendar, conventions: &DeadlineConventions) -> Millis {
    match limit {
        Limit::WallClock { minutes } => start.saturating_add(i64::from(minutes) * MINUTE_MS),
        Limit::WorkingHours { hours } => {
            consume(calendar, Measure::WorkingTime, start, i64::from(hours) * HOUR_MS, &[]).unwrap_or(Millis::MAX)
        }
        Limit::WorkingDays { days: 0 } => start,
        Limit::WorkingDays { days } => match nth_working_day_after(calendar, china_date(start), days) {
            Some(day) => end_of_working_day(calendar, day, conventions),
            None => Millis::MAX,
        },
    }
}

/// Re-times `target` (the deadline without suspensions, counted in `measure` from `origin`) around
/// the suspensions: same budget, clock stopped while suspended.
fn around_pauses(
    calendar: &WorkingCalendar,
    measure: Measure,
    origin: Millis,
    target: Millis,
    pauses: &[(Millis, Millis)],
) -> Option<Millis> {
    if target == Millis::MAX {
        return Some(Millis::MAX);
    }
    let budget = measure_between(calendar, measure, origin, target, &[]);
    if budget == 0 {
        return Some(target);
    }
    consume(calendar, measure, origin, budget, pauses)
}

/// The deadline of `limit` started at `start` when the case was suspended (挂起) during `pauses`,
/// each `(from, until)` with `until = None` for a suspension still running.
///
/// The clock stops while suspended and resumes with what was left, counted in the limit's own
/// measure: a wall-clock limit moves by the whole suspended duration; a working-hours limit by the
/// working time the suspension covered; a working-days limit by the part of its working days the
/// suspension covered (whole days for whole-day suspensions, so a deadline at 24:00 stays at 24:00;
/// a 6-hour suspension on a working day moves it to 06:00). Suspensions before counting begins, on
/// weekends or holidays move nothing.
///
/// None while a suspension without end stops the clock before the limit ran out: the deadline is
/// unknown until the case resumes. A limit that ran out before the open suspension started keeps
/// its deadline.
pub fn due_with_pauses(
    start: Millis,
    limit: Limit,
    pauses: &[(Millis, Option<Millis>)],
    calendar: &WorkingCalendar,
    conventions: &DeadlineConventions,
) -> Option<Millis> {
    due_extended(start, limit, 0, pauses, calendar, conventions)
}

/// An extension (延期) of a deadline by `extra_working_days`: the new deadline ends (by the
/// working-day convention) on the `extra_working_days`th working day after the day the old one
/// falls on, where a deadline at 24:00 belongs to the day it ends. Zero leaves it unchanged.
///
/// E.g. a deadline 24:00 of 2026-02-25 extended by 5 working days: 02-26, 02-27, 02-28 (make-up
/// Saturday), 03-02, 03-03 → 24:00 of 2026-03-03.
pub fn extend(due: Millis, extra_working_days: u32, calendar: &WorkingCalendar, conventions: &DeadlineConventions) -> Millis {
    if extra_working_days == 0 || due == Millis::MAX {
        return due;
    }
    let last_day = china_date(due.saturating_sub(1));
    match nth_working_day_after(calendar, last_day, extra_working_days) {
        Some(day) => end_of_working_day(calendar, day, conventions),
        None => Millis::MAX,
    }
}

/// The full deadline of a case's step: `limit` from `start`, extended by `extra_working_days`,
/// with the clock stopped during `pauses`. Use this rather than `extend(due_with_pauses(..))`:
/// a suspension that falls after the original deadline, inside the extension, must stop the clock
/// too. The extension is counted in working days after the day the limit (with its suspensions)
/// ran out, and suspensions inside it move it like a working-days limit.
pub fn due_extended(
    start: Millis,
    limit: Limit,
    extra_working_days: u32,
    pauses: &[(Millis, Option<Millis>)],
    calendar: &WorkingCalendar,
    conventions: &DeadlineConventions,
) -> Option<Millis> {
    let pauses = normalize(pauses);
    let kind = limit.kind();
    let first =
        around_pauses(calendar, measure_of(kind, conventions), origin(kind, start), due(start, limit, calendar, conventions), &pauses)?;
    if extra_working_days == 0 || first == Millis::MAX {
        return Some(first);
    }
    let ext_origin = day_end(china_date(first.saturating_sub(1)));
    let target = extend(first, extra_working_days, calendar, conventions);
    around_pauses(calendar, measure_of(LimitKind::WorkingDays, conventions), ext_origin, target, &pauses)
}

/// The share of a limit used at `now` (0.0 at the start, 1.0 at the deadline, above 1.0 when
/// overdue), for the yellow warning at [`YELLOW_FRACTION`] and the red one at 1.0.
///
/// It is measured in the limit's own unit (`kind`) from the limit's origin, outside the
/// suspensions: working time for working-hours limits, whole working days (or working time, with
/// [`WorkingDayEnd::CloseOfWorkingHours`]) for working-days limits, so a 4-working-day limit turns
/// yellow at 24:00 of its third working day, not after 3 calendar days. `due` is the deadline in
/// force, as [`due_extended`] or [`due_with_pauses`] computed it for the *closed* suspensions; the
/// share is the countable time used outside suspensions over the countable time between the origin
/// and `due` outside suspensions. A suspension still running (`until = None`) freezes the share at
/// the value it had when the suspension began (pass the deadline in force before it began). When
/// nothing countable lies before `due` the share is 0.0 before it and 1.0 from it on; a `due` of
/// `Millis::MAX` ("never") gives 0.0.
pub fn elapsed_fraction(
    start: Millis,
    due: Millis,
    now: Millis,
    pauses: &[(Millis, Option<Millis>)],
    kind: LimitKind,
    calendar: &WorkingCalendar,
    conventions: &DeadlineConventions,
) -> f64 {
    if due == Millis::MAX {
        // "Never due" (beyond the horizon): nothing of it is used.
        return 0.0;
    }
    // The deadline in force already accounts for the closed suspensions; a running one is not in
    // it (there is no deadline while it runs) and only freezes the used share.
    let closed: Vec<(Millis, Option<Millis>)> = pauses.iter().copied().filter(|p| p.1.is_some()).collect();
    let measure = measure_of(kind, conventions);
    let from = origin(kind, start);
    let total = measure_between(calendar, measure, from, due, &normalize(&closed));
    if total <= 0 {
        return if now >= due { 1.0 } else { 0.0 };
    }
    let used = measure_between(calendar, measure, from, now, &normalize(pauses));
    used as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_sorts_merges_and_drops_empty_suspensions() {
        let got = normalize(&[(50, Some(60)), (10, Some(20)), (15, Some(30)), (40, Some(40)), (70, None), (80, Some(90))]);
        assert_eq!(got, vec![(10, 30), (50, 60), (70, Millis::MAX)]);
        // Touching suspensions merge too: no instant between them counts.
        assert_eq!(normalize(&[(10, Some(20)), (20, Some(30))]), vec![(10, 30)]);
    }

    #[test]
    fn outside_pauses_cuts_spans() {
        let pauses = [(10, 20), (30, 40)];
        assert_eq!(outside_pauses(0, 50, &pauses), vec![(0, 10), (20, 30), (40, 50)]);
        assert_eq!(outside_pauses(12, 18, &pauses), vec![]);
        assert_eq!(outside_pauses(15, 35, &pauses), vec![(20, 30)]);
        assert_eq!(outside_pauses(20, 30, &pauses), vec![(20, 30)]);
        assert_eq!(outside_pauses(0, 50, &[]), vec![(0, 50)]);
    }

    #[test]
    fn consume_ends_at_the_first_instant_the_budget_is_used() {
        let cal = WorkingCalendar::new();
        assert_eq!(consume(&cal, Measure::Wall, 100, 50, &[(120, 130)]), Some(160));
        assert_eq!(consume(&cal, Measure::Wall, 100, 50, &[(120, Millis::MAX)]), None);
        assert_eq!(consume(&cal, Measure::Wall, 100, 20, &[(120, Millis::MAX)]), Some(120));
        assert_eq!(consume(&cal, Measure::Wall, 100, 0, &[]), Some(100));
    }
}
