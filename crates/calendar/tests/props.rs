//! Properties that must hold for any start and limit: more time never ends earlier, a deadline is
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! never before its start, suspensions only ever delay, and the conventions agree with each other.

mod common;

use common::*;
use minsheng_calendar::{
    DeadlineConventions, Limit, Millis, WorkingCalendar, due, due_extended, due_with_pauses, elapsed_fraction, extend,
};
use proptest::prelude::*;
use std::sync::OnceLock;

fn shipped() -> &'static WorkingCalendar {
    static CAL: OnceLock<WorkingCalendar> = OnceLock::new();
    CAL.get_or_init(cal)
}

/// Starts from mid-2023 (no data) through 2024–2026 (data) into 2027 (no data), to the second.
fn start() -> impl Strategy<Value = Millis> {
    (t("2023-06-01T00:00:00+08:00") / 1000..t("2027-06-01T00:00:00+08:00") / 1000).prop_map(|s| s * 1000)
}

fn conventions() -> impl Strategy<Value = DeadlineConventions> {
    prop_oneof![Just(end_of_day()), Just(close_of_hours())]
}

fn limit_with(n: u32, kind: u8) -> Limit {
    match kind % 3 {
        0 => Limit::WorkingDays { days: n },
        1 => Limit::WorkingHours { hours: n },
        _ => Limit::WallClock { minutes: n * 30 },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn one_more_unit_ends_strictly_later_and_never_before_start(s in start(), n in 0u32..40, kind in 0u8..3, conv in conventions()) {
        let c = shipped();
        let shorter = due(s, limit_with(n, kind), c, &conv);
        let longer = due(s, limit_with(n + 1, kind), c, &conv);
        prop_assert!(longer > shorter, "{} vs {}", f(longer), f(shorter));
        prop_assert!(shorter >= s);
        prop_assert!(longer > s);
    }

    #[test]
    fn no_suspension_changes_nothing(s in start(), n in 0u32..40, kind in 0u8..3, conv in conventions()) {
        let c = shipped();
        let limit = limit_with(n, kind);
        let plain = due(s, limit, c, &conv);
        prop_assert_eq!(due_with_pauses(s, limit, &[], c, &conv), Some(plain));
        prop_assert_eq!(due_extended(s, limit, 0, &[], c, &conv), Some(plain));
    }

    #[test]
    fn suspensions_only_delay(
        s in start(), n in 1u32..20, kind in 0u8..3, conv in conventions(),
        raw in proptest::collection::vec((0i64..30 * 24 * 60, 1i64..5 * 24 * 60), 0..4),
    ) {
        let c = shipped();
        let limit = limit_with(n, kind);
        let pauses: Vec<(Millis, Option<Millis>)> =
            raw.iter().map(|&(off, len)| (s + off * 60_000, Some(s + (off + len) * 60_000))).collect();
        let plain = due(s, limit, c, &conv);
        let paused = due_with_pauses(s, limit, &pauses, c, &conv).unwrap();
        prop_assert!(paused >= plain, "{} < {}", f(paused), f(plain));
        // More suspension never ends earlier.
        let fewer = due_with_pauses(s, limit, &pauses[..pauses.len().saturating_sub(1)], c, &conv).unwrap();
        prop_assert!(paused >= fewer);
        // At its deadline a limit is exactly used up.
        let at_due = elapsed_fraction(s, paused, paused, &pauses, limit.kind(), c, &conv);
        prop_assert!((at_due - 1.0).abs() < 1e-9, "{}", at_due);
    }

    #[test]
    fn extensions_are_monotone(s in start(), n in 0u32..20, k in 0u32..15, conv in conventions()) {
        let c = shipped();
        let base = due(s, Limit::WorkingDays { days: n.max(1) }, c, &conv);
        let a = extend(base, k, c, &conv);
        let b = extend(base, k + 1, c, &conv);
        prop_assert!(b > a && a >= base);
        // Without suspensions, extending is the same as a longer working-days limit.
        prop_assert_eq!(a, due(s, Limit::WorkingDays { days: n.max(1) + k }, c, &conv));
        prop_assert_eq!(due_extended(s, Limit::WorkingDays { days: n.max(1) }, k, &[], c, &conv), Some(a));
    }

    #[test]
    fn elapsed_fraction_grows_with_time(s in start(), n in 1u32..20, kind in 0u8..3, conv in conventions(), a in 0i64..60 * 24 * 60, b in 0i64..60 * 24 * 60) {
        let c = shipped();
        let limit = limit_with(n, kind);
        let d = due(s, limit, c, &conv);
        let (early, late) = (s + a.min(b) * 60_000, s + a.max(b) * 60_000);
        let fe = elapsed_fraction(s, d, early, &[], limit.kind(), c, &conv);
        let fl = elapsed_fraction(s, d, late, &[], limit.kind(), c, &conv);
        prop_assert!(fe >= 0.0 && fl >= fe);
        prop_assert_eq!(elapsed_fraction(s, d, s, &[], limit.kind(), c, &conv), 0.0);
    }
}
