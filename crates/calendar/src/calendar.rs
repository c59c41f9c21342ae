//! The working calendar (工作日历): which China days are worked and which hours of them, built
//! from the official year files. A year without data falls back to "Monday to Friday" so that
//! deadlines keep flowing, and the calendar says so through its warnings.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::data::{ClockTime, SHIPPED_YEAR_FILES, YearFile};
use crate::error::{Error, ErrorKind};
use crate::time::{china_date, is_weekend};

/// A span of the working day (工作时段), from `start` to `end` China time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub start: ClockTime,
    pub end: ClockTime,
}

impl Period {
    pub fn new(start: ClockTime, end: ClockTime) -> Period {
        Period { start, end }
    }
}

/// The working hours (作息时间) of a working day: a morning and an afternoon session; the lunch
/// break between them is not working time. The default is the Haikou government schedule,
/// 08:30–12:00 and 14:30–18:00 (7 hours). It is a setting because cities differ and many switch
/// between summer and winter schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawWorkingHours", deny_unknown_fields)]
pub struct WorkingHours {
    morning: Period,
    afternoon: Period,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkingHours {
    morning: Period,
    afternoon: Period,
}

impl TryFrom<RawWorkingHours> for WorkingHours {
    type Error = Error;
    fn try_from(raw: RawWorkingHours) -> Result<Self, Error> {
        WorkingHours::new(raw.morning, raw.afternoon)
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        // Literal minutes rather than ClockTime::new(...) so that the default cannot fail.
        WorkingHours {
            morning: Period { start: ClockTime::MIDNIGHT.plus(8 * 60 + 30), end: ClockTime::MIDNIGHT.plus(12 * 60) },
            afternoon: Period { start: ClockTime::MIDNIGHT.plus(14 * 60 + 30), end: ClockTime::MIDNIGHT.plus(18 * 60) },
        }
    }
}

impl WorkingHours {
    /// Both sessions must be non-empty and the morning must end no later than the afternoon
    /// starts (they may touch, for a schedule without a lunch break).
    pub fn new(morning: Period, afternoon: Period) -> Result<WorkingHours, Error> {
        if morning.start < morning.end && morning.end <= afternoon.start && afternoon.start < afternoon.end {
            Ok(WorkingHours { morning, afternoon })
        } else {
            Err(Error::invalid_input(
                format!(
                    "作息时间无效：上午 {}–{}，下午 {}–{}；每段须开始早于结束，且上午结束不晚于下午开始",
                    morning.start, morning.end, afternoon.start, afternoon.end
                ),
                format!(
                    "invalid working hours: morning {}–{}, afternoon {}–{}; each session must start before it ends and the morning must end by the time the afternoon starts",
                    morning.start, morning.end, afternoon.start, afternoon.end
                ),
            ))
        }
    }

    pub fn morning(&self) -> Period {
        self.morning
    }

    pub fn afternoon(&self) -> Period {
        self.afternoon
    }

    /// Working minutes of an ordinary working day (420 for the default).
    pub fn daily_minutes(&self) -> u32 {
        u32::from(self.morning.end.minutes() - self.morning.start.minutes())
            + u32::from(self.afternoon.end.minutes() - self.afternoon.start.minutes())
    }
}

/// One imported year, indexed for lookups.
#[derive(Debug, Clone)]
struct YearData {
    file: YearFile,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    /// Part-day closures per date, as (from, to) minutes.
    closures: BTreeMap<NaiveDate, Vec<(u16, u16)>>,
}

impl YearData {
    fn new(file: YearFile) -> Result<YearData, Error> {
        file.validate()?;
        let holidays = file.holidays.iter().map(|e| e.date).collect();
        let workdays = file.workdays.iter().map(|e| e.date).collect();
        let mut closures: BTreeMap<NaiveDate, Vec<(u16, u16)>> = BTreeMap::new();
        for half in &file.half_days {
            closures.entry(half.date).or_default().push((half.from.minutes(), half.to.minutes()));
        }
        Ok(YearData { file, holidays, workdays, closures })
    }
}

/// The working calendar (工作日历): the imported years plus the daily working hours.
///
/// A day is a working day when it is listed as a make-up workday (调休上班), or when it is a Monday
/// to Friday not listed as a holiday; in a year with no data only the weekday rule applies. A day
/// whose whole working hours are closed by part-day closures also counts as a day off.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    years: BTreeMap<i32, YearData>,
    hours: WorkingHours,
}

impl WorkingCalendar {
    /// An empty calendar: weekdays are working days, nothing else is known.
    pub fn new() -> WorkingCalendar {
        WorkingCalendar::default()
    }

    /// The calendar shipped with minsheng: the official arrangements for 2024, 2025 and 2026.
    pub fn shipped() -> Result<WorkingCalendar, Error> {
        let files = SHIPPED_YEAR_FILES.iter().map(|json| YearFile::from_json(json)).collect::<Result<Vec<_>, _>>()?;
        WorkingCalendar::from_year_files(files)
    }

    /// Builds a calendar from year files, validating each; two files for one year are refused
    /// because silently keeping either would hide a mistake.
    pub fn from_year_files(files: impl IntoIterator<Item = YearFile>) -> Result<WorkingCalendar, Error> {
        let mut calendar = WorkingCalendar::new();
        for file in files {
            let year = file.year;
            if calendar.years.contains_key(&year) {
                return Err(Error::new(
                    ErrorKind::DuplicateYear,
                    format!("{year} 年的日历给出了不止一份"),
                    format!("more than one calendar file for {year}"),
                ));
            }
            calendar.years.insert(year, YearData::new(file)?);
        }
        Ok(calendar)
    }

    /// Imports one year file (JSON), replacing that year if it is already present: this is how an
    /// administrator loads next year's notice or corrects a year. Returns the year imported.
    /// Nothing changes when the file is refused.
    pub fn import(&mut self, json: &str) -> Result<i32, Error> {
        let file = YearFile::from_json(json)?;
        let year = file.year;
        self.years.insert(year, YearData::new(file)?);
        Ok(year)
    }

    /// The same calendar with other working hours.
    pub fn with_hours(mut self, hours: WorkingHours) -> WorkingCalendar {
        self.hours = hours;
        self
    }

    pub fn set_hours(&mut self, hours: WorkingHours) {
        self.hours = hours;
    }

    pub fn hours(&self) -> WorkingHours {
        self.hours
    }

    /// The years with data, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The imported file of a year, as given.
    pub fn year_file(&self, year: i32) -> Option<&YearFile> {
        self.years.get(&year).map(|y| &y.file)
    }

    /// A year's file as pretty JSON in the import format (for `calendar show`).
    pub fn to_json(&self, year: i32) -> Result<String, Error> {
        self.year_file(year).ok_or_else(|| Error::year_missing(year))?.to_json()
    }

    /// Whether the day is worked by the calendar's listings alone, before part-day closures.
    fn listed_working_day(&self, date: NaiveDate) -> bool {
        match self.years.get(&date.year()) {
            Some(year) if year.workdays.contains(&date) => true,
            Some(year) if year.holidays.contains(&date) => false,
            _ => !is_weekend(date),
        }
    }

    /// Whether `date` (a China date) is a working day (工作日).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.listed_working_day(date) && (!self.has_closures(date) || !self.periods_after_closures(date).is_empty())
    }

    /// The working periods of `date` in China time, ascending: none on a day off, the morning and
    /// afternoon sessions on a working day, minus any part-day closures.
    pub fn working_periods(&self, date: NaiveDate) -> Vec<Period> {
        if self.listed_working_day(date) { self.periods_after_closures(date) } else { Vec::new() }
    }

    fn has_closures(&self, date: NaiveDate) -> bool {
        self.years.get(&date.year()).is_some_and(|y| y.closures.contains_key(&date))
    }

    fn periods_after_closures(&self, date: NaiveDate) -> Vec<Period> {
        let mut periods = vec![self.hours.morning, self.hours.afternoon];
        let closures = self.years.get(&date.year()).and_then(|y| y.closures.get(&date));
        for &(from, to) in closures.into_iter().flatten() {
            periods = periods
                .into_iter()
                .flat_map(|p| {
                    let (s, e) = (p.start.minutes(), p.end.minutes());
                    let before = (s < from.min(e)).then(|| (s, from.min(e)));
                    let after = (to.max(s) < e).then(|| (to.max(s), e));
                    before.into_iter().chain(after)
                })
                .filter_map(|(s, e)| Some(Period::new(ClockTime::new(s / 60, s % 60)?, ClockTime::new(e / 60, e % 60)?)))
                .collect();
        }
        periods
    }

    /// Years between two instants (inclusive, China dates) that have no data, at most 100 of them:
    /// deadlines crossing them were computed with weekends only.
    pub fn missing_years(&self, from: Millis, to: Millis) -> Vec<i32> {
        let (first, last) = (china_date(from.min(to)).year(), china_date(from.max(to)).year());
        (first..=last).filter(|y| !self.has_year(*y)).take(100).collect()
    }

    /// A warning for administrators, or None when all is well: when this year's calendar is
    /// missing, or when `today` is in the last quarter and next year's is missing (the State
    /// Council usually publishes it in October or November, and deadlines set in December already
    /// reach into January).
    pub fn missing_year_warning(&self, today: NaiveDate) -> Option<String> {
        let year = today.year();
        if !self.has_year(year) {
            return Some(format!(
                "日历中没有 {year} 年（今年）的节假日安排，办理时限暂时只按周末计算；请导入国务院办公厅关于 {year} 年部分节假日安排的通知。 / \
                 No holiday arrangement for {year} (this year) is loaded, so time limits count weekends only; import the State Council General Office's notice for {year}."
            ));
        }
        let next = year + 1;
        if today.month() >= 10 && !self.has_year(next) {
            return Some(format!(
                "尚未导入 {next} 年的节假日安排；跨入 {next} 年的办理时限只按周末计算。通知发布后请及时导入。 / \
                 The holiday arrangement for {next} is not loaded yet; time limits reaching into {next} count weekends only. Import it once the notice is published."
            ));
        }
        None
    }
}
