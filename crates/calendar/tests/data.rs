//! The shipped year files and the validation of imported ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Datelike;
use common::*;
use minsheng_calendar::{ClockTime, ErrorKind, Period, WorkingCalendar, WorkingHours, YearFile};

#[test]
fn shipped_calendar_has_2024_to_2026() {
    assert_eq!(cal().years(), vec![2024, 2025, 2026]);
}

#[test]
fn shipped_counts_match_the_notices() {
    let c = cal();
    let counts = |y| {
        let file = c.year_file(y).unwrap();
        (file.holidays.len(), file.workdays.len())
    };
    // 2024: 1 + 8 + 3 + 5 + 1 + 3 + 7 days off; 2 + 1 + 2 + 1 + 2 make-up days.
    assert_eq!(counts(2024), (28, 8));
    // 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 2 + 1 + 2 make-up days.
    assert_eq!(counts(2025), (28, 5));
    // 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 days off; 1 + 2 + 1 + 2 make-up days.
    assert_eq!(counts(2026), (33, 6));
}

#[test]
fn net_days_off_equal_the_statutory_holidays() {
    // Weekday holidays minus make-up workdays = the statutory days off of 《全国年节及纪念日放假办法》:
    // 11 until 2024, 13 from 2025 (春节 and 劳动节 one day more each). A typo in a date breaks this.
    let c = cal();
    for (year, statutory) in [(2024, 11), (2025, 13), (2026, 13)] {
        let file = c.year_file(year).unwrap();
        let weekday_holidays =
            file.holidays.iter().filter(|e| !matches!(e.date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)).count();
        assert_eq!(weekday_holidays - file.workdays.len(), statutory, "{year}");
    }
}

#[test]
fn every_make_up_workday_is_a_weekend_day_and_every_year_cites_its_notice() {
    let c = cal();
    for year in c.years() {
        let file = c.year_file(year).unwrap();
        assert!(file.source.contains("国办发明电"), "{year}");
        for e in &file.workdays {
            assert!(matches!(e.date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun), "{}", e.date);
        }
        assert!(file.half_days.is_empty());
    }
    assert!(c.year_file(2024).unwrap().source.contains("〔2023〕7号"));
    assert!(c.year_file(2025).unwrap().source.contains("〔2024〕12号"));
    assert!(c.year_file(2026).unwrap().source.contains("〔2025〕7号"));
}

#[test]
fn working_days_in_2026() {
    let c = cal();
    for (date, working) in [
        ("2026-01-01", false), // 元旦, Thursday
        ("2026-01-03", false), // 元旦 on a Saturday
        ("2026-01-04", true),  // make-up Sunday
        ("2026-01-05", true),
        ("2026-02-13", true),  // Friday before 春节
        ("2026-02-14", true),  // make-up Saturday
        ("2026-02-15", false), // 春节 starts (Sunday, 腊月二十八)
        ("2026-02-16", false), // Monday inside 春节
        ("2026-02-23", false), // last day of 春节 (Monday)
        ("2026-02-24", true),
        ("2026-02-28", true),  // make-up Saturday
        ("2026-03-01", false), // plain Sunday
        ("2026-04-06", false), // 清明 Monday
        ("2026-05-05", false),
        ("2026-05-09", true),
        ("2026-06-19", false), // 端午 Friday
        ("2026-09-20", true),  // make-up Sunday
        ("2026-09-25", false), // 中秋 Friday
        ("2026-10-07", false),
        ("2026-10-08", true),
        ("2026-10-10", true), // make-up Saturday
    ] {
        assert_eq!(c.is_working_day(d(date)), working, "{date}");
    }
}

#[test]
fn working_days_in_2024_and_2025() {
    let c = cal();
    for (date, working) in [
        ("2024-02-04", true),
        ("2024-02-09", true), // 除夕 2024 is only "encouraged" off: a working day
        ("2024-02-10", false),
        ("2024-02-18", true),
        ("2024-04-07", true),
        ("2024-05-11", true),
        ("2024-06-10", false),
        ("2024-09-14", true),
        ("2024-09-29", true),
        ("2024-10-12", true),
        ("2025-01-26", true),
        ("2025-01-28", false), // 除夕 2025 is a statutory holiday
        ("2025-02-04", false),
        ("2025-02-08", true),
        ("2025-04-27", true),
        ("2025-06-02", false),
        ("2025-09-28", true),
        ("2025-10-08", false),
        ("2025-10-11", true),
    ] {
        assert_eq!(c.is_working_day(d(date)), working, "{date}");
    }
}

#[test]
fn a_year_without_data_falls_back_to_weekends() {
    let c = cal();
    assert!(c.is_working_day(d("2027-01-01"))); // surely 元旦 in reality, but not loaded
    assert!(!c.is_working_day(d("2027-01-02")));
    assert!(!c.is_working_day(d("2027-01-03")));
    assert!(c.is_working_day(d("2027-01-04")));
    assert!(c.is_working_day(d("2023-12-29")));
    assert!(!WorkingCalendar::new().is_working_day(d("2026-02-15")));
    assert!(WorkingCalendar::new().is_working_day(d("2026-02-16")));
    assert!(!WorkingCalendar::new().is_working_day(d("2026-02-14")));
}

#[test]
fn missing_year_warning() {
    let c = cal();
    assert_eq!(c.missing_year_warning(d("2026-06-01")), None);
    assert_eq!(c.missing_year_warning(d("2026-09-30")), None);
    assert_eq!(c.missing_year_warning(d("2025-12-31")), None); // 2026 is loaded
    let q4 = c.missing_year_warning(d("2026-10-01")).unwrap();
    assert!(q4.contains("2027") && q4.contains("尚未导入") && q4.contains("not loaded"), "{q4}");
    let this_year = c.missing_year_warning(d("2027-03-01")).unwrap();
    assert!(this_year.contains("2027") && this_year.contains("今年") && this_year.contains("this year"), "{this_year}");
    assert!(c.missing_year_warning(d("2023-05-01")).is_some());

    let mut c = c;
    c.import(&year_2027_stub()).unwrap();
    assert_eq!(c.missing_year_warning(d("2026-11-15")), None);
    assert_eq!(c.years(), vec![2024, 2025, 2026, 2027]);
}

fn year_2027_stub() -> String {
    r#"{"year": 2027, "source": "test", "holidays": [{"date": "2027-01-01", "name": "元旦"}], "workdays": []}"#.to_string()
}

#[test]
fn import_replaces_a_year_and_round_trips_through_to_json() {
    let mut c = cal();
    let json = c.to_json(2026).unwrap();
    let again: YearFile = YearFile::from_json(&json).unwrap();
    assert_eq!(&again, c.year_file(2026).unwrap());

    // An administrator corrects 2026: 2026-03-02 is declared a holiday.
    let mut file = again;
    file.holidays.push(minsheng_calendar::DayEntry { date: d("2026-03-02"), name: "测试".into() });
    assert_eq!(c.import(&file.to_json().unwrap()).unwrap(), 2026);
    assert!(!c.is_working_day(d("2026-03-02")));
    assert_eq!(c.years(), vec![2024, 2025, 2026]);

    let err = c.to_json(2030).unwrap_err();
    assert_eq!(err.kind, ErrorKind::YearMissing);
}

fn import_err(json: &str) -> minsheng_calendar::Error {
    let mut c = cal();
    let before = c.to_json(2026).unwrap();
    let err = c.import(json).unwrap_err();
    // A refused file changes nothing.
    assert_eq!(c.to_json(2026).unwrap(), before);
    err
}

#[test]
fn refuses_a_date_in_the_wrong_year() {
    let err = import_err(r#"{"year": 2026, "source": "x", "holidays": [{"date": "2025-10-01", "name": "国庆节"}], "workdays": []}"#);
    assert_eq!(err.kind, ErrorKind::InvalidData);
    assert!(err.message_zh.contains("2025-10-01") && err.message_zh.contains("不属于 2026 年"), "{}", err.message_zh);
    assert!(err.message_en.contains("not in 2026"), "{}", err.message_en);
    let text = err.to_string();
    assert!(text.contains("不属于") && text.contains("not in"), "{text}");

    let err = import_err(r#"{"year": 2026, "source": "x", "holidays": [], "workdays": [{"date": "2027-01-04", "name": "x"}]}"#);
    assert!(err.message_en.contains("make-up workday date 2027-01-04 is not in 2026"), "{}", err.message_en);
}

#[test]
fn refuses_a_date_both_holiday_and_workday() {
    let err = import_err(
        r#"{"year": 2026, "source": "x", "holidays": [{"date": "2026-02-14", "name": "春节"}], "workdays": [{"date": "2026-02-14", "name": "春节调休上班"}]}"#,
    );
    assert_eq!(err.kind, ErrorKind::InvalidData);
    assert!(err.message_zh.contains("同时被列为放假日和调休上班日"), "{}", err.message_zh);
    assert!(err.message_en.contains("both as a holiday and as a make-up workday"), "{}", err.message_en);
}

#[test]
fn refuses_duplicates() {
    let err = import_err(
        r#"{"year": 2026, "source": "x", "holidays": [{"date": "2026-01-01", "name": "元旦"}, {"date": "2026-01-01", "name": "元旦"}], "workdays": []}"#,
    );
    assert!(err.message_zh.contains("放假日 2026-01-01 重复出现"), "{}", err.message_zh);
    assert!(err.message_en.contains("listed more than once"));
    let err = import_err(
        r#"{"year": 2026, "source": "x", "holidays": [], "workdays": [{"date": "2026-01-04", "name": "a"}, {"date": "2026-01-04", "name": "b"}]}"#,
    );
    assert!(err.message_zh.contains("调休上班日 2026-01-04 重复出现"), "{}", err.message_zh);

    let file = YearFile::from_json(common_2026_json()).unwrap();
    let err = WorkingCalendar::from_year_files([file.clone(), file]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::DuplicateYear);
    assert!(err.message_zh.contains("2026") && err.message_en.contains("more than one calendar file for 2026"));
}

fn common_2026_json() -> &'static str {
    minsheng_calendar::data::SHIPPED_YEAR_FILES[2]
}

#[test]
fn refuses_malformed_files() {
    let err = import_err("not json");
    assert_eq!(err.kind, ErrorKind::Json);
    assert!(err.message_zh.contains("不是有效的") && err.message_en.contains("not a valid"));
    // A misspelt field would otherwise be ignored and the make-up days silently lost.
    let err = import_err(r#"{"year": 2026, "source": "x", "holidays": [], "workday": []}"#);
    assert_eq!(err.kind, ErrorKind::Json);
    let err = import_err(r#"{"year": 2026, "source": "x", "holidays": [{"date": "2026-02-30", "name": "x"}], "workdays": []}"#);
    assert_eq!(err.kind, ErrorKind::Json);
    let err = import_err(r#"{"year": 20260, "source": "x", "holidays": [], "workdays": []}"#);
    assert_eq!(err.kind, ErrorKind::InvalidData);
}

#[test]
fn validates_half_days() {
    let bad_order = r#"{"year": 2026, "source": "x", "holidays": [], "workdays": [],
        "half_days": [{"date": "2026-03-09", "from": "14:00", "to": "12:00", "name": "x"}]}"#;
    let err = import_err(bad_order);
    assert!(err.message_en.contains("start must be before the end"), "{}", err.message_en);
    let bad_time = r#"{"year": 2026, "source": "x", "holidays": [], "workdays": [],
        "half_days": [{"date": "2026-03-09", "from": "12:00", "to": "24:30", "name": "x"}]}"#;
    let err = import_err(bad_time);
    assert_eq!(err.kind, ErrorKind::Json);
    assert!(err.message_en.contains("24:30"), "{}", err.message_en);
    let wrong_year = r#"{"year": 2026, "source": "x", "holidays": [], "workdays": [],
        "half_days": [{"date": "2025-03-08", "from": "12:00", "to": "24:00", "name": "妇女节"}]}"#;
    assert_eq!(import_err(wrong_year).kind, ErrorKind::InvalidData);
}

#[test]
fn clock_times() {
    assert_eq!(ClockTime::parse("08:30").unwrap().minutes(), 510);
    assert_eq!(ClockTime::parse("8:30").unwrap().to_string(), "08:30");
    assert_eq!(ClockTime::parse("24:00").unwrap(), ClockTime::END_OF_DAY);
    for bad in ["24:01", "12:60", "1230", "", ":30", "12:3", "-1:00", "123:00", "ab:cd"] {
        assert!(ClockTime::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn working_hours_setting() {
    let h = WorkingHours::default();
    assert_eq!(h.morning().start.to_string(), "08:30");
    assert_eq!(h.morning().end.to_string(), "12:00");
    assert_eq!(h.afternoon().start.to_string(), "14:30");
    assert_eq!(h.afternoon().end.to_string(), "18:00");
    assert_eq!(h.daily_minutes(), 420);
    let ct = |s| ClockTime::parse(s).unwrap();
    assert!(WorkingHours::new(Period::new(ct("09:00"), ct("12:00")), Period::new(ct("11:00"), ct("17:00"))).is_err());
    assert!(WorkingHours::new(Period::new(ct("09:00"), ct("09:00")), Period::new(ct("13:00"), ct("17:00"))).is_err());
    // A schedule without a lunch break is allowed.
    assert!(WorkingHours::new(Period::new(ct("09:00"), ct("13:00")), Period::new(ct("13:00"), ct("17:00"))).is_ok());
    // Serde goes through the same validation.
    let json = r#"{"morning": {"start": "09:00", "end": "12:00"}, "afternoon": {"start": "11:00", "end": "17:00"}}"#;
    assert!(serde_json::from_str::<WorkingHours>(json).is_err());
    let json = serde_json::to_string(&h).unwrap();
    assert_eq!(serde_json::from_str::<WorkingHours>(&json).unwrap(), h);
}

#[test]
fn part_day_closures_shorten_working_periods() {
    let mut c = cal();
    let mut file = c.year_file(2026).unwrap().clone();
    let ct = |s| ClockTime::parse(s).unwrap();
    file.half_days.push(minsheng_calendar::HalfDay {
        date: d("2026-03-09"),
        from: ct("10:00"),
        to: ct("11:00"),
        name: "测试".into(),
        scope: None,
    });
    file.half_days.push(minsheng_calendar::HalfDay {
        date: d("2026-03-09"),
        from: ct("14:00"),
        to: ct("24:00"),
        name: "测试下午".into(),
        scope: Some("全体机关工作人员".into()),
    });
    file.half_days.push(minsheng_calendar::HalfDay {
        date: d("2026-03-10"),
        from: ct("00:00"),
        to: ct("24:00"),
        name: "全天关闭".into(),
        scope: None,
    });
    c.import(&file.to_json().unwrap()).unwrap();
    let periods: Vec<String> = c.working_periods(d("2026-03-09")).iter().map(|p| format!("{}-{}", p.start, p.end)).collect();
    assert_eq!(periods, vec!["08:30-10:00", "11:00-12:00"]);
    assert!(c.is_working_day(d("2026-03-09")));
    // Closed for all of its working hours: a day off.
    assert!(!c.is_working_day(d("2026-03-10")));
    assert!(c.working_periods(d("2026-03-10")).is_empty());
    assert!(c.working_periods(d("2026-03-08")).is_empty());
}
