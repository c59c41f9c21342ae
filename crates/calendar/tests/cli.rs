//! The text of the `calendar show` and `deadline` commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_calendar::cli::{deadline_command, deadline_details, show_year};
use minsheng_calendar::{ErrorKind, Limit, YearFile};

#[test]
fn deadline_command_prints_china_time() {
    let c = cal();
    let got = deadline_command("2026-02-13T10:00:00+08:00", Limit::WorkingDays { days: 3 }, &c, &end_of_day()).unwrap();
    assert_eq!(got, "2026-02-26T00:00:00+08:00");
    let got = deadline_command("2026-02-13T02:00:00Z", Limit::WorkingDays { days: 3 }, &c, &close_of_hours()).unwrap();
    assert_eq!(got, "2026-02-25T18:00:00+08:00");
    let got = deadline_command("2026-03-02T11:00:00+08:00", Limit::WorkingHours { hours: 2 }, &c, &end_of_day()).unwrap();
    assert_eq!(got, "2026-03-02T15:30:00+08:00");
    let got = deadline_command("2026-03-02T11:00:00.250+08:00", Limit::WallClock { minutes: 120 }, &c, &end_of_day()).unwrap();
    assert_eq!(got, "2026-03-02T13:00:00.250+08:00");
}

#[test]
fn deadline_command_refuses_bad_times() {
    let err = deadline_command("2026-02-13 10:00", Limit::WorkingDays { days: 3 }, &cal(), &end_of_day()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert!(err.message_zh.contains("RFC 3339") && err.message_en.contains("is not RFC 3339"), "{err}");
}

#[test]
fn deadline_command_refuses_limits_that_never_run_out() {
    let err = deadline_command("2026-02-13T10:00:00+08:00", Limit::WorkingDays { days: u32::MAX }, &cal(), &end_of_day()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
}

#[test]
fn deadline_details_warn_about_missing_years() {
    let c = cal();
    let out = deadline_details("2026-12-31T10:00:00+08:00", Limit::WorkingDays { days: 3 }, &c, &end_of_day()).unwrap();
    assert_eq!(out.due, "2027-01-06T00:00:00+08:00");
    assert_eq!(out.warnings.len(), 1);
    assert!(out.warnings[0].contains("2027") && out.warnings[0].contains("weekends only"), "{:?}", out.warnings);
    let out = deadline_details("2026-06-01T10:00:00+08:00", Limit::WorkingDays { days: 3 }, &c, &end_of_day()).unwrap();
    assert!(out.warnings.is_empty());
}

#[test]
fn show_year_lists_months_and_json() {
    let text = show_year(&cal(), 2026);
    assert!(text.starts_with("2026 年工作日历 / Working calendar 2026\n"), "{text}");
    assert!(text.contains("国办发明电〔2025〕7号"));
    assert!(text.contains("作息时间 / Working hours: 08:30–12:00, 14:30–18:00"));
    assert!(text.contains("放假 33 天（其中 19 天原为工作日），调休上班 6 天"), "{text}");
    assert!(
        text.contains(
            "\n2月 / February\n  02-14 周六 Sat 上班 make-up workday  春节调休上班\n  02-15 周日 Sun 放假 holiday          春节\n"
        ),
        "{text}"
    );
    assert!(text.contains("\n3月 / March\n  （无调整 / no changes）\n"), "{text}");
    let json = text.split("\nJSON:\n").nth(1).unwrap();
    let file = YearFile::from_json(json).unwrap();
    assert_eq!(file.year, 2026);
    // Month headings appear in order.
    let positions: Vec<usize> = (1..=12).map(|m| text.find(&format!("\n{m}月 / ")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn show_year_without_data_explains_the_fallback() {
    let text = show_year(&cal(), 2027);
    assert!(text.contains("没有 2027 年") && text.contains("Monday to Friday") && text.contains("2024, 2025, 2026"), "{text}");
}
