//! Helpers shared by the integration tests: RFC 3339 in and out, and the shipped calendar.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use minsheng_calendar::{DeadlineConventions, Millis, WorkingCalendar, WorkingDayEnd, format_china};

pub fn t(text: &str) -> Millis {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis()
}

pub fn f(ms: Millis) -> String {
    format_china(ms)
}

pub fn cal() -> WorkingCalendar {
    WorkingCalendar::shipped().unwrap()
}

pub fn end_of_day() -> DeadlineConventions {
    DeadlineConventions::default()
}

pub fn close_of_hours() -> DeadlineConventions {
    DeadlineConventions { working_day_end: WorkingDayEnd::CloseOfWorkingHours }
}

pub fn d(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}
