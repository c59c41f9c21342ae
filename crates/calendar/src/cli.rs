//! The text behind the `minsheng calendar show YEAR` and `minsheng deadline` commands, kept here so
//! that the binary only parses arguments and prints, and so that the output is tested with the
//! computation it explains.

use chrono::{DateTime, Datelike, NaiveDate, Weekday};

use crate::calendar::WorkingCalendar;
use crate::deadline::{DeadlineConventions, Limit, due};
use crate::error::Error;
use crate::{Millis, format_china};

/// A computed deadline with what the user should know about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadlineOutput {
    /// RFC 3339 in China time (+08:00).
    pub due: String,
    pub due_millis: Millis,
    /// E.g. that a year crossed by the computation has no calendar data (weekends only).
    pub warnings: Vec<String>,
}

/// `minsheng deadline --start TIME (--working-days N | --working-hours N | --hours N)`: the
/// deadline of `limit` from `start` (RFC 3339, any offset) as RFC 3339 in +08:00.
pub fn deadline_command(start: &str, limit: Limit, calendar: &WorkingCalendar, conventions: &DeadlineConventions) -> Result<String, Error> {
    deadline_details(start, limit, calendar, conventions).map(|out| out.due)
}

/// [`deadline_command`] with its warnings, for printing them on stderr.
pub fn deadline_details(
    start: &str,
    limit: Limit,
    calendar: &WorkingCalendar,
    conventions: &DeadlineConventions,
) -> Result<DeadlineOutput, Error> {
    let start_ms = parse_time(start)?;
    let due_ms = due(start_ms, limit, calendar, conventions);
    let due_text = format_china(due_ms);
    if due_ms == Millis::MAX || due_text.is_empty() {
        return Err(Error::invalid_input(
            format!("时限 {} 过长，算不出截止时间", limit.describe()),
            format!("the limit {} is too long to compute a deadline", limit.describe()),
        ));
    }
    let missing = calendar.missing_years(start_ms, due_ms);
    let warnings = if missing.is_empty() {
        Vec::new()
    } else {
        let years = missing.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
        vec![format!(
            "日历中没有 {years} 年的节假日安排，这些年份只按周末计算，结果可能偏早或偏晚。 / \
             No holiday arrangement is loaded for {years}; those years count weekends only, so the deadline may be off."
        )]
    };
    Ok(DeadlineOutput { due: due_text, due_millis: due_ms, warnings })
}

/// Parses an RFC 3339 time with any offset into UTC millis.
pub fn parse_time(text: &str) -> Result<Millis, Error> {
    DateTime::parse_from_rfc3339(text.trim()).map(|t| t.timestamp_millis()).map_err(|e| {
        Error::invalid_input(
            format!("时间“{text}”不是 RFC 3339 格式（例如 2026-02-13T10:00:00+08:00）：{e}"),
            format!("time \"{text}\" is not RFC 3339 (e.g. 2026-02-13T10:00:00+08:00): {e}"),
        )
    })
}

const MONTHS_EN: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

fn weekday_zh(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// `minsheng calendar show YEAR`: the year month by month (every day that differs from the plain
/// Monday-to-Friday week), the working hours, then the year file as JSON for editing and
/// re-import. A year without data says so and how deadlines are computed meanwhile.
pub fn show_year(calendar: &WorkingCalendar, year: i32) -> String {
    let hours = calendar.hours();
    let hours_line = format!(
        "作息时间 / Working hours: {}–{}, {}–{}",
        hours.morning().start,
        hours.morning().end,
        hours.afternoon().start,
        hours.afternoon().end
    );
    let Some(file) = calendar.year_file(year) else {
        let loaded = calendar.years().iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
        return format!(
            "日历中没有 {year} 年的节假日安排：该年按周一至周五为工作日计算。已有年份：{loaded}\n\
             No holiday arrangement for {year}: Monday to Friday count as working days. Loaded years: {loaded}\n{hours_line}\n"
        );
    };
    let mut out = String::new();
    out.push_str(&format!("{year} 年工作日历 / Working calendar {year}\n"));
    out.push_str(&format!("来源 / Source: {}\n", file.source));
    if let Some(note) = &file.note {
        out.push_str(&format!("备注 / Note: {note}\n"));
    }
    out.push_str(&hours_line);
    out.push('\n');
    let weekday_holidays = file.holidays.iter().filter(|e| !crate::time::is_weekend(e.date)).count();
    out.push_str(&format!(
        "放假 {} 天（其中 {} 天原为工作日），调休上班 {} 天，半天假 {} 项 / {} days off ({} of them weekdays), {} make-up workdays, {} part-day closures\n",
        file.holidays.len(),
        weekday_holidays,
        file.workdays.len(),
        file.half_days.len(),
        file.holidays.len(),
        weekday_holidays,
        file.workdays.len(),
        file.half_days.len()
    ));

    // (date, line) for every day that differs from an ordinary week, sorted by date.
    let mut lines: Vec<(NaiveDate, String)> = Vec::new();
    for e in &file.holidays {
        lines.push((e.date, format!("放假 holiday          {}", e.name)));
    }
    for e in &file.workdays {
        lines.push((e.date, format!("上班 make-up workday  {}", e.name)));
    }
    for h in &file.half_days {
        let scope = h.scope.as_deref().map(|s| format!("（{s}）")).unwrap_or_default();
        lines.push((h.date, format!("{}–{} 不上班 closed {}{scope}", h.from, h.to, h.name)));
    }
    lines.sort_by_key(|(date, _)| *date);
    for (month, name_en) in (1..=12u32).zip(MONTHS_EN) {
        out.push_str(&format!("\n{month}月 / {name_en}\n"));
        let mut any = false;
        for (date, line) in lines.iter().filter(|(d, _)| d.month() == month) {
            any = true;
            out.push_str(&format!("  {} {} {:<3} {line}\n", date.format("%m-%d"), weekday_zh(*date), date.weekday()));
        }
        if !any {
            out.push_str("  （无调整 / no changes）\n");
        }
    }
    out.push_str("\nJSON:\n");
    match file.to_json() {
        Ok(json) => out.push_str(&json),
        Err(e) => out.push_str(&e.to_string()),
    }
    out.push('\n');
    out
}
