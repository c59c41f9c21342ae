//! A citizen report (诉求) as this crate sees it, its time in Beijing time, and the CSV reader for
//! message exports such as `messages_unlabelled.csv`.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _};
use serde::{Deserialize, Serialize};

use crate::error::ClusterError;

/// One report (诉求): a new case at intake, an open case, or a historical message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The caller's identifier (case number, message id); returned in candidates and hotspots.
    pub id: String,
    pub title: String,
    /// The body of the report (诉求内容).
    pub text: String,
    /// When it was reported, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Structured place, when the intake form or an upstream system resolved one. Place phrases in
    /// the text are found separately and count as well.
    pub place: Option<PlaceKey>,
    /// Who reported it (user id, masked phone): repeated posts by one person heat a hotspot less.
    pub reporter: Option<String>,
    pub likes: u32,
    pub dislikes: u32,
}

impl Report {
    /// A report with only the fields every source has.
    pub fn new(id: impl Into<String>, title: impl Into<String>, text: impl Into<String>, at_ms: i64) -> Self {
        Report { id: id.into(), title: title.into(), text: text.into(), at_ms, place: None, reporter: None, likes: 0, dislikes: 0 }
    }
}

/// A place (地点) as resolved by the caller: division codes (district 区县 / street 街道 / community 社区,
/// GB/T 2260 and statistical codes) and/or a point. Any field may be missing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlaceKey {
    pub district: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    /// Longitude and latitude in degrees; only distances between points are used, so any one datum
    /// (WGS-84 or GCJ-02) will do as long as it is the same for all reports.
    pub point: Option<(f64, f64)>,
}

/// Beijing time. China has kept one offset without daylight saving since 1991, so Asia/Shanghai is
/// this fixed offset for every date the hotline can meet. Evaluated at compile time, so the `panic!`
/// can only ever fail the build.
pub(crate) const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// Parses the time formats of the message exports (`2019/2/28 11:25:05`, `2019-08-01 00:00:00`,
/// minutes or date only) as Beijing time, or RFC 3339 with its own offset. Milliseconds since the epoch.
pub fn parse_time(value: &str) -> Option<i64> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp_millis());
    }
    let (date, time) = match value.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (value, None),
    };
    let mut parts = date.split(['/', '-', '.']);
    let (y, m, d) = (num(parts.next()?)?, num(parts.next()?)?, num(parts.next()?)?);
    if parts.next().is_some() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    let time = match time {
        None | Some("") => NaiveTime::MIN,
        Some(t) => {
            let mut parts = t.split(':');
            let h = num(parts.next()?)?;
            let min = num(parts.next()?)?;
            let s = match parts.next() {
                // Fractions of a second do not matter for clustering.
                Some(s) => num(s.split('.').next()?)?,
                None => 0,
            };
            if parts.next().is_some() {
                return None;
            }
            NaiveTime::from_hms_opt(h, min, s)?
        }
    };
    let local = NaiveDateTime::new(date, time);
    BEIJING.from_local_datetime(&local).single().map(|t| t.timestamp_millis())
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// RFC 3339 in Beijing time, to the second: `2019-02-28T11:25:05+08:00`.
pub fn format_time(at_ms: i64) -> String {
    match BEIJING.timestamp_millis_opt(at_ms).single() {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => String::new(),
    }
}

/// Column names accepted for each field: the English export and the original Chinese one.
const ID: &[&str] = &["msg_id", "id", "留言编号"];
const TITLE: &[&str] = &["title", "留言主题"];
const DETAIL: &[&str] = &["detail", "text", "留言详情"];
const TIME: &[&str] = &["time", "留言时间"];
const USER: &[&str] = &["user", "reporter", "留言用户"];
const LIKES: &[&str] = &["likes", "点赞数"];
const DISLIKES: &[&str] = &["dislikes", "反对数"];

/// Reads a message export: `msg_id`, `title`, `detail`, `time` are required; `user`, `likes`,
/// `dislikes` are used when present. Empty likes count as 0.
pub fn read_reports_csv(path: &Path) -> Result<Vec<Report>, ClusterError> {
    let file = std::fs::File::open(path).map_err(|source| ClusterError::Io { path: path.to_owned(), source })?;
    read_reports(file, path)
}

/// As [`read_reports_csv`], from any reader; `path` only names the source in errors.
pub fn read_reports(input: impl std::io::Read, path: &Path) -> Result<Vec<Report>, ClusterError> {
    let bad_csv =
        |e: csv::Error| ClusterError::BadCsv { path: path.to_owned(), line: e.position().map_or(0, |p| p.line()), message: e.to_string() };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(input);
    let headers = reader.headers().map_err(bad_csv)?.clone();
    let find = |names: &[&str]| {
        headers.iter().position(|h| {
            let h = h.trim().trim_start_matches('\u{feff}');
            names.iter().any(|n| h.eq_ignore_ascii_case(n))
        })
    };
    let found = || headers.iter().collect::<Vec<_>>().join(", ");
    let required = |names: &[&'static str]| {
        find(names).ok_or_else(|| ClusterError::MissingColumn { path: path.to_owned(), column: names[0], found: found() })
    };
    let (id, title, detail, time) = (required(ID)?, required(TITLE)?, required(DETAIL)?, required(TIME)?);
    let (user, likes, dislikes) = (find(USER), find(LIKES), find(DISLIKES));

    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad_csv)?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let msg_id = field(id);
        if msg_id.is_empty() {
            return Err(ClusterError::EmptyValue { path: path.to_owned(), line, column: "msg_id" });
        }
        let raw_time = field(time);
        let at_ms =
            parse_time(raw_time).ok_or_else(|| ClusterError::BadTime { path: path.to_owned(), line, value: raw_time.to_owned() })?;
        let count = |column: Option<usize>, name: &'static str| -> Result<u32, ClusterError> {
            let Some(i) = column else { return Ok(0) };
            let value = field(i);
            if value.is_empty() {
                return Ok(0);
            }
            value.parse::<u32>().map_err(|_| ClusterError::BadNumber { path: path.to_owned(), line, column: name, value: value.to_owned() })
        };
        out.push(Report {
            id: msg_id.to_owned(),
            title: field(title).to_owned(),
            text: field(detail).to_owned(),
            at_ms,
            place: None,
            reporter: user.map(field).filter(|u| !u.is_empty()).map(str::to_owned),
            likes: count(likes, "likes")?,
            dislikes: count(dislikes, "dislikes")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_times_are_beijing_time() {
        let a = parse_time("2019/2/28 11:25:05").unwrap();
        assert_eq!(format_time(a), "2019-02-28T11:25:05+08:00");
        assert_eq!(parse_time("2019-02-28 11:25:05"), Some(a));
        assert_eq!(parse_time("2019-02-28T03:25:05Z"), Some(a));
        assert_eq!(parse_time("2019/02/28 3:25:05").map(|t| a - t), Some(8 * 3600 * 1000));
        assert_eq!(parse_time("2019/2/28").map(format_time).as_deref(), Some("2019-02-28T00:00:00+08:00"));
    }

    #[test]
    fn impossible_times_are_refused() {
        for bad in ["2019/2/30 10:00:00", "2019/13/1", "昨天", "2019/2/28 25:00:00", "", "2019/2/28 10:00:00:00"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_the_export_format_with_optional_columns() {
        let csv = "\"msg_id\",\"user\",\"title\",\"time\",\"detail\",\"likes\",\"dislikes\"\n\
                   \"1\",\"A1\",\"路灯不亮\",\"2019/2/28 11:25:05\",\"联丰路路灯坏了\",\"3\",\"\"\n";
        let reports = read_reports(csv.as_bytes(), Path::new("m.csv")).unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].likes, 3);
        assert_eq!(reports[0].dislikes, 0);
        assert_eq!(reports[0].reporter.as_deref(), Some("A1"));

        let minimal = "msg_id,title,detail,time\n7,t,d,2019-08-01 00:00:00\n";
        let reports = read_reports(minimal.as_bytes(), Path::new("m.csv")).unwrap();
        assert_eq!((reports[0].likes, reports[0].reporter.clone()), (0, None));

        let chinese = "留言编号,留言用户,留言主题,留言时间,留言详情,点赞数,反对数\n9,u,t,2019/1/2 3:04:05,d,0,1\n";
        assert_eq!(read_reports(chinese.as_bytes(), Path::new("m.csv")).unwrap()[0].dislikes, 1);
    }

    #[test]
    fn errors_name_the_problem() {
        let missing = "msg_id,title,detail\n1,t,d\n";
        let e = read_reports(missing.as_bytes(), Path::new("m.csv")).unwrap_err();
        assert_eq!(e.code(), "cluster_missing_column");
        assert!(e.to_string().contains("time"), "{e}");

        let bad_time = "msg_id,title,detail,time\n1,t,d,2019/2/28\n2,t,d,someday\n";
        let e = read_reports(bad_time.as_bytes(), Path::new("m.csv")).unwrap_err();
        assert_eq!(e.code(), "cluster_bad_time");
        assert!(matches!(e, ClusterError::BadTime { line: 3, .. }), "{e:?}");

        let bad_likes = "msg_id,title,detail,time,likes\n1,t,d,2019/2/28,-2\n";
        assert_eq!(read_reports(bad_likes.as_bytes(), Path::new("m.csv")).unwrap_err().code(), "cluster_bad_number");

        let ragged = "msg_id,title,detail,time\n1,t,d\n";
        assert_eq!(read_reports(ragged.as_bytes(), Path::new("m.csv")).unwrap_err().code(), "cluster_bad_csv");
    }
}
