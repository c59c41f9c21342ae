//! The working calendar (工作日历) of the Chinese mainland and the pure computation of time limits
//! (办理时限) on it: which days are worked, when a limit runs out, how suspension (挂起) and extension
//! (延期) move it, and how much of it is used. No I/O and no clock: every time is passed in.
//!
//! # Layout
//! - [`data`]: the year files (one JSON per year, from the State Council General Office's annual
//!   notice) and their validation; the years 2024–2026 are embedded as the shipped default.
//! - [`calendar`]: [`WorkingCalendar`], built from year files, answers "is this a working day" and
//!   "which hours of it are worked", and warns when next year's notice has not been imported.
//! - [`deadline`]: [`Limit`], [`DeadlineConventions`] and the functions [`due`],
//!   [`due_with_pauses`], [`due_extended`], [`extend`] and [`elapsed_fraction`].
//! - [`cli`]: the text the `minsheng calendar` and `minsheng deadline` commands print.
//! - [`error`]: one error type with Chinese and English messages.
//!
//! The conventions (when "3 working days" ends, how pauses count) are written out with worked
//! examples in the crate's README.md and on [`DeadlineConventions`].

pub mod calendar;
pub mod cli;
pub mod data;
pub mod deadline;
pub mod error;

pub use calendar::{Period, WorkingCalendar, WorkingHours};
pub use data::{ClockTime, DayEntry, HalfDay, YearFile};
pub use deadline::{
    DeadlineConventions, Limit, LimitKind, WorkingDayEnd, YELLOW_FRACTION, due, due_extended, due_with_pauses, elapsed_fraction, extend,
};
pub use error::{Error, ErrorKind};

/// Milliseconds since the Unix epoch, UTC; the same convention as `minsheng_domain::Millis`.
pub type Millis = i64;

/// China has one time zone and no daylight saving: Asia/Shanghai is a fixed UTC+8. Days, working
/// hours and "24:00" are always China days and hours, whatever offset a caller's times carry.
pub const CHINA: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Formats an instant as RFC 3339 in China time (+08:00); fractions of a second only when present.
/// Instants outside chrono's range (only reachable through absurd inputs) print as an empty string.
pub fn format_china(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&CHINA).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
        .unwrap_or_default()
}

/// Day and instant arithmetic in China time, shared by the calendar and the deadline code.
pub mod time {
    use super::Millis;
    use chrono::{Datelike, NaiveDate};

    pub const MINUTE_MS: i64 = 60_000;
    pub const HOUR_MS: i64 = 3_600_000;
    pub const DAY_MS: i64 = 86_400_000;
    const OFFSET_MS: i64 = 8 * HOUR_MS;
    /// `NaiveDate::num_days_from_ce` of 1970-01-01.
    const EPOCH_DAYS_FROM_CE: i64 = 719_163;

    /// The China date on which an instant falls. Instants beyond chrono's date range (hundreds of
    /// thousands of years away) clamp to its first or last date rather than failing.
    pub fn china_date(ms: Millis) -> NaiveDate {
        let days = ms.saturating_add(OFFSET_MS).div_euclid(DAY_MS).saturating_add(EPOCH_DAYS_FROM_CE);
        let clamped = if days < 0 { NaiveDate::MIN } else { NaiveDate::MAX };
        i32::try_from(days).ok().and_then(NaiveDate::from_num_days_from_ce_opt).unwrap_or(clamped)
    }

    /// 00:00 China time of a date, as UTC millis. Every chrono date fits comfortably in an i64.
    pub fn day_start(date: NaiveDate) -> Millis {
        (i64::from(date.num_days_from_ce()) - EPOCH_DAYS_FROM_CE) * DAY_MS - OFFSET_MS
    }

    /// 24:00 China time of a date (= 00:00 of the next day).
    pub fn day_end(date: NaiveDate) -> Millis {
        day_start(date) + DAY_MS
    }

    pub fn is_weekend(date: NaiveDate) -> bool {
        matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
    }
}

#[cfg(test)]
mod tests {
    use super::time::{china_date, day_end, day_start};
    use chrono::NaiveDate;

    #[test]
    fn china_days_start_at_16_00_utc() {
        let date = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        assert_eq!(super::format_china(day_start(date)), "2026-02-14T00:00:00+08:00");
        assert_eq!(super::format_china(day_end(date)), "2026-02-15T00:00:00+08:00");
        assert_eq!(china_date(day_start(date)), date);
        assert_eq!(china_date(day_end(date) - 1), date);
        // 2026-02-13T16:00Z is already the 14th in China.
        assert_eq!(day_start(date), chrono::DateTime::parse_from_rfc3339("2026-02-13T16:00:00Z").unwrap().timestamp_millis());
        assert_eq!(china_date(i64::MIN), NaiveDate::MIN);
        assert_eq!(china_date(i64::MAX), NaiveDate::MAX);
    }
}
