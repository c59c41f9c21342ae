//! Year files: one JSON document per year holding the State Council General Office's holiday
//! arrangement (节假日安排) for that year, the shape an administrator imports, and the validation
//! that rejects a file before it can silently shift every deadline in the system.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorKind};

/// The shipped year files, embedded so that a fresh installation computes correct deadlines
/// without any import. Each one cites its notice in `source`; see data/README.md.
pub const SHIPPED_YEAR_FILES: [&str; 3] =
    [include_str!("../data/2024.json"), include_str!("../data/2025.json"), include_str!("../data/2026.json")];

/// The earliest and latest year a file may describe; anything else is a typo.
const YEAR_RANGE: std::ops::RangeInclusive<i32> = 1949..=9999;

/// One year's official arrangement (年度节假日安排), as published once a year (usually in
/// October or November for the following year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearFile {
    pub year: i32,
    /// The notice this data comes from, e.g. "国务院办公厅 … 国办发明电〔2025〕7号".
    pub source: String,
    /// A remark for people (e.g. that a day is only "encouraged" off); not used in computation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Days off (放假日), including those that fall on a weekend.
    pub holidays: Vec<DayEntry>,
    /// Make-up working days (调休上班日): weekend days that are worked.
    pub workdays: Vec<DayEntry>,
    /// Part-day closures (半天假) that apply to everyone counted by this calendar. Empty by default:
    /// the national half days (妇女节 for women, 青年节 for youths aged 14–28, …) apply only to some
    /// people and must not shorten a unit's time limits; list a half day here only when a local
    /// government closes all offices for it.
    #[serde(default)]
    pub half_days: Vec<HalfDay>,
}

/// A dated entry of a year file: a holiday or a make-up working day, with its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayEntry {
    pub date: NaiveDate,
    pub name: String,
}

/// A part-day closure (半天假): from `from` to `to` China time on `date` no working time passes.
/// A day closed for all of its working hours counts as a day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HalfDay {
    pub date: NaiveDate,
    pub from: ClockTime,
    pub to: ClockTime,
    pub name: String,
    /// Who it applies to, for people reading the file (e.g. "全体机关工作人员").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A time of day (时刻) as minutes after midnight, written "HH:MM"; "24:00" is allowed so that a
/// closure can run to the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Midnight at the start of the day.
    pub const MIDNIGHT: ClockTime = ClockTime(0);
    /// 24:00, the end of the day.
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    /// `hour` 0–24 and `minute` 0–59, with 24 only as 24:00.
    pub fn new(hour: u16, minute: u16) -> Option<ClockTime> {
        let minutes = hour.checked_mul(60)?.checked_add(minute)?;
        (minute < 60 && minutes <= 24 * 60).then_some(ClockTime(minutes))
    }

    /// `self` plus `minutes`, capped at 24:00; for constants, where `new` would need an unwrap.
    pub(crate) const fn plus(self, minutes: u16) -> ClockTime {
        let total = self.0.saturating_add(minutes);
        ClockTime(if total > 24 * 60 { 24 * 60 } else { total })
    }

    /// Minutes after midnight, 0–1440.
    pub fn minutes(self) -> u16 {
        self.0
    }

    /// Parses "HH:MM" (also "H:MM").
    pub fn parse(text: &str) -> Result<ClockTime, Error> {
        let bad = || {
            Error::invalid_data(
                format!("时刻“{text}”格式错误，应为 HH:MM（00:00–24:00）"),
                format!("time \"{text}\" is not HH:MM (00:00–24:00)"),
            )
        };
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let hour = h.parse::<u16>().map_err(|_| bad())?;
        let minute = m.parse::<u16>().map_err(|_| bad())?;
        ClockTime::new(hour, minute).ok_or_else(bad)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ClockTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl YearFile {
    /// Parses and validates one year file.
    pub fn from_json(json: &str) -> Result<YearFile, Error> {
        let file: YearFile = serde_json::from_str(json).map_err(|e| {
            Error::new(ErrorKind::Json, format!("日历文件不是有效的年度日历 JSON：{e}"), format!("not a valid year calendar JSON: {e}"))
        })?;
        file.validate()?;
        Ok(file)
    }

    /// Pretty JSON in the import format, so that `calendar show` output can be edited and re-imported.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self)
            .map_err(|e| Error::new(ErrorKind::Json, format!("无法生成 JSON：{e}"), format!("cannot write JSON: {e}")))
    }

    /// Checks the rules whose breach would make deadlines silently wrong: every date in the file's
    /// year, no date listed twice, no date both off and worked, part-day closures that make sense.
    pub fn validate(&self) -> Result<(), Error> {
        let year = self.year;
        if !YEAR_RANGE.contains(&year) {
            return Err(Error::invalid_data(
                format!("年份 {year} 不在 {}–{} 之间", YEAR_RANGE.start(), YEAR_RANGE.end()),
                format!("year {year} is outside {}–{}", YEAR_RANGE.start(), YEAR_RANGE.end()),
            ));
        }
        let in_year = |date: NaiveDate, list_zh: &str, list_en: &str| {
            if date.year() == year {
                Ok(())
            } else {
                Err(Error::invalid_data(
                    format!("{list_zh}中的日期 {date} 不属于 {year} 年"),
                    format!("{list_en} date {date} is not in {year}"),
                ))
            }
        };
        let mut holidays = BTreeSet::new();
        for entry in &self.holidays {
            in_year(entry.date, "放假日", "holiday")?;
            if !holidays.insert(entry.date) {
                return Err(Error::invalid_data(
                    format!("放假日 {} 重复出现", entry.date),
                    format!("holiday {} is listed more than once", entry.date),
                ));
            }
        }
        let mut workdays = BTreeSet::new();
        for entry in &self.workdays {
            in_year(entry.date, "调休上班日", "make-up workday")?;
            if !workdays.insert(entry.date) {
                return Err(Error::invalid_data(
                    format!("调休上班日 {} 重复出现", entry.date),
                    format!("make-up workday {} is listed more than once", entry.date),
                ));
            }
            if holidays.contains(&entry.date) {
                return Err(Error::invalid_data(
                    format!("日期 {} 同时被列为放假日和调休上班日", entry.date),
                    format!("date {} is listed both as a holiday and as a make-up workday", entry.date),
                ));
            }
        }
        for half in &self.half_days {
            in_year(half.date, "半天假", "half-day")?;
            if half.from >= half.to {
                return Err(Error::invalid_data(
                    format!("{} 的半天假起止时刻 {}–{} 无效：开始须早于结束", half.date, half.from, half.to),
                    format!("half-day on {} runs {}–{}: the start must be before the end", half.date, half.from, half.to),
                ));
            }
        }
        Ok(())
    }
}
