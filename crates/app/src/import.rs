//! Historical cases from CSV (`minsheng import FILE`): each row becomes a [`NewCase`] whose
//! follow-up events replay the case's past — received, dispatched, replied, closed — at the times
//! the source recorded, so imported cases look and count like cases handled here.
//!
//! Two column sets are understood: the 问政 board export of the shared data set (`msg_id, user,
//! title, time, detail, reply, reply_time`) and a generic one (`external_id, title, text, time,
//! phone, name, type, channel, reply, reply_time`); a few Chinese headers are accepted as aliases.
//! Rows are read one at a time, and a bad row yields an [`ImportError`] with its line number
//! without stopping the rest.

use std::io::Read;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Solved, Urgency};
use minsheng_domain::event::{ActorStamp, EventKind};
use minsheng_domain::org::{Role, UnitRef};
use minsheng_domain::value::{CaseText, Note, PersonName, PhoneNumber, Title};
use minsheng_domain::{CHINA, DomainError, Millis};
use minsheng_store::{FollowUp, NewCase};

/// The tag every imported case carries, so lists and statistics can leave history out.
pub const IMPORT_TAG: &str = "历史导入";

/// The name the importing system signs history with.
pub const IMPORTER_NAME: &str = "历史导入";

/// Why an imported case was closed; closing requires a reason.
const CLOSE_NOTE: &str = "历史工单导入，按原答复办结";

/// Titles made from the text, when a row has none, stay short enough to read in a list.
const DERIVED_TITLE_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// The case-number prefix of the city, e.g. `HK`.
    pub number_prefix: String,
    /// The unit replied cases are recorded as dispatched to (the caller resolves it, e.g. the
    /// district government). Without one, a reply is recorded as answered on the spot instead,
    /// because a dispatch needs a lead unit.
    pub lead_unit: Option<UnitRef>,
    /// The channel of rows that have no `channel` column or leave it empty.
    pub channel: Channel,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { number_prefix: "HK".to_string(), lead_unit: None, channel: Channel::Import }
    }
}

/// A row that could not be imported. `line` is the line of the CSV file where the row starts
/// (the header is line 1); 0 means the options, not a row, are at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("第 {line} 行：{message_zh} / line {line}: {message_en}")]
pub struct ImportError {
    pub line: u64,
    pub message_zh: String,
    pub message_en: String,
}

impl ImportError {
    fn new(line: u64, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ImportError { line, message_zh: zh.into(), message_en: en.into() }
    }

    fn domain(line: u64, e: DomainError) -> Self {
        ImportError { line, message_zh: e.message_zh, message_en: e.message_en }
    }

    fn csv(e: &csv::Error) -> Self {
        let line = e.position().map_or(0, |p| p.line());
        ImportError::new(line, format!("CSV 格式错误：{e}"), format!("malformed CSV: {e}"))
    }
}

/// The acting system of every imported event.
pub fn importer() -> ActorStamp {
    ActorStamp { user_id: None, name: IMPORTER_NAME.to_string(), role: Role::System, unit_id: None, unit_name: None }
}

/// Reads cases from CSV, one row at a time. The header decides which columns are used; an
/// unusable header (or a lead unit that cannot handle cases) yields one error and nothing else.
pub fn read_cases_csv<R: Read>(reader: R, options: &ImportOptions) -> impl Iterator<Item = Result<NewCase, ImportError>> + use<R> {
    let mut csv = csv::ReaderBuilder::new()
        // Rows with a wrong number of fields are reported by us, with the line, in both languages.
        .flexible(true)
        .from_reader(reader);
    let setup = check_options(options).and_then(|()| match csv.headers() {
        Ok(headers) => Columns::from_headers(headers),
        Err(e) => Err(ImportError::csv(&e)),
    });
    let (columns, first_error) = match setup {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e)),
    };
    CaseRows { records: csv.into_records(), columns, first_error, options: options.clone(), done: false }
}

/// Counts the data rows of a CSV file (malformed ones included), for a progress bar.
pub fn count_csv_rows<R: Read>(reader: R) -> Result<u64, ImportError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => rows += 1,
            Ok(false) => return Ok(rows),
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(ImportError::csv(&e)),
            // A malformed row is still a row the import will report on.
            Err(_) => rows += 1,
        }
    }
}

fn check_options(options: &ImportOptions) -> Result<(), ImportError> {
    match &options.lead_unit {
        Some(unit) if !unit.kind.handles_cases() => Err(ImportError::new(
            0,
            format!("「{}」不承办工单，不能作为导入工单的主办单位", unit.name),
            format!("{} does not handle cases and cannot be the lead unit of imported cases", unit.name),
        )),
        _ => Ok(()),
    }
}

struct CaseRows<R> {
    records: csv::StringRecordsIntoIter<R>,
    columns: Option<Columns>,
    first_error: Option<ImportError>,
    options: ImportOptions,
    done: bool,
}

impl<R: Read> Iterator for CaseRows<R> {
    type Item = Result<NewCase, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.first_error.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        let columns = self.columns.as_ref()?;
        match self.records.next()? {
            Ok(record) => Some(columns.case(&record, &self.options)),
            Err(e) => {
                // A failing reader would fail again on every call; stop instead of looping.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    self.done = true;
                }
                Some(Err(ImportError::csv(&e)))
            }
        }
    }
}

/// Which field holds what, by position.
#[derive(Debug, Default)]
struct Columns {
    count: usize,
    external_id: Option<usize>,
    title: Option<usize>,
    text: Option<usize>,
    time: Option<usize>,
    phone: Option<usize>,
    name: Option<usize>,
    case_type: Option<usize>,
    channel: Option<usize>,
    reply: Option<usize>,
    reply_time: Option<usize>,
}

impl Columns {
    fn from_headers(headers: &csv::StringRecord) -> Result<Columns, ImportError> {
        let names: Vec<String> = headers.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase()).collect();
        let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(&n.as_str()));
        let columns = Columns {
            count: names.len(),
            external_id: find(&["external_id", "msg_id", "id", "留言编号", "编号"]),
            title: find(&["title", "留言主题", "标题", "主题"]),
            text: find(&["text", "detail", "留言详情", "内容", "诉求内容"]),
            time: find(&["time", "留言时间", "受理时间", "时间"]),
            phone: find(&["phone", "电话", "联系电话"]),
            name: find(&["name", "姓名", "联系人"]),
            case_type: find(&["type", "case_type", "类型", "诉求类型"]),
            channel: find(&["channel", "渠道", "来源"]),
            reply: find(&["reply", "答复意见", "答复", "答复内容"]),
            reply_time: find(&["reply_time", "答复时间"]),
        };
        if columns.time.is_none() || (columns.title.is_none() && columns.text.is_none()) {
            return Err(ImportError::new(
                1,
                format!("表头须包含 time 列以及 title 或 text 列（实际：{}）", names.join(",")),
                format!("the header needs a time column and a title or text column (found: {})", names.join(",")),
            ));
        }
        Ok(columns)
    }

    fn case(&self, record: &csv::StringRecord, options: &ImportOptions) -> Result<NewCase, ImportError> {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != self.count {
            return Err(ImportError::new(
                line,
                format!("应有 {} 列，实际 {} 列（引号未闭合或分隔符有误？）", self.count, record.len()),
                format!("expected {} fields, found {} (unclosed quote or wrong delimiter?)", self.count, record.len()),
            ));
        }
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or_default();
        let domain = |e: DomainError| ImportError::domain(line, e);

        let raw_title = clean_line(field(self.title));
        let raw_text = clean_text(field(self.text));
        let title = match (raw_title.is_empty(), raw_text.is_empty()) {
            (true, true) => return Err(ImportError::new(line, "标题和内容都为空", "both title and text are empty")),
            (false, _) => truncate(&raw_title, Title::MAX_CHARS),
            // No title: the first line of the text stands in, as an operator would write it.
            (true, false) => truncate(&clean_line(raw_text.lines().next().unwrap_or_default()), DERIVED_TITLE_CHARS),
        };
        let title = Title::parse(&title).map_err(domain)?;
        let text = if raw_text.is_empty() { title.as_str().to_string() } else { truncate(&raw_text, CaseText::MAX_CHARS) };
        let text = CaseText::parse(&text).map_err(domain)?;

        let time_field = field(self.time);
        let received = parse_time(time_field).ok_or_else(|| bad_time(line, "time", time_field))?;
        let at = received.at;

        let case_type = match field(self.case_type) {
            "" => guess_case_type(title.as_str()),
            t => parse_case_type(t).ok_or_else(|| {
                ImportError::new(
                    line,
                    format!("无法识别的诉求类型「{t}」"),
                    format!("unknown case type {t:?} (use 咨询/求助/投诉/举报/建议/表扬 or their codes)"),
                )
            })?,
        };
        let channel = match field(self.channel) {
            "" => options.channel,
            c => Channel::parse(c)
                .ok_or_else(|| ImportError::new(line, format!("无法识别的渠道「{c}」"), format!("unknown channel {c:?}")))?,
        };

        let name = match clean_line(field(self.name)) {
            n if n.is_empty() => None,
            n => Some(PersonName::parse(&n).map_err(domain)?),
        };
        let phone = match field(self.phone) {
            "" => None,
            p => Some(PhoneNumber::parse(p).map_err(domain)?),
        };
        let anonymous = name.is_none() && phone.is_none();
        let citizen = Citizen { name, phone, anonymous, ..Citizen::default() };

        let external_id = Some(field(self.external_id).to_string()).filter(|id| !id.is_empty());

        let reply = match clean_text(field(self.reply)) {
            r if r.is_empty() => None,
            r => {
                let reply_field = field(self.reply_time);
                if reply_field.is_empty() {
                    return Err(ImportError::new(line, "有答复内容但缺少答复时间", "the row has a reply but no reply_time"));
                }
                let replied = parse_time(reply_field).ok_or_else(|| bad_time(line, "reply_time", reply_field))?;
                let reply_at = if replied.at >= at {
                    replied.at
                } else if replied.date_only && replied.at + DAY_MS > at {
                    // "Replied on that day" of a message of the same day: the reply came after it.
                    at
                } else {
                    return Err(ImportError::new(
                        line,
                        format!("答复时间 {reply_field} 早于留言时间 {time_field}"),
                        format!("reply_time {reply_field} is before time {time_field}"),
                    ));
                };
                let chars = r.chars().count();
                let truncated = (chars > Note::MAX_CHARS).then(|| format!("原答复 {chars} 字，超过 {} 字上限，已截断", Note::MAX_CHARS));
                let note = Note::parse(&truncate(&r, Note::MAX_CHARS)).map_err(domain)?;
                Some(HistoricalReply { text: note, at: reply_at, truncated })
            }
        };

        let intake = Intake {
            channel,
            case_type,
            title,
            text,
            urgency: Urgency::Normal,
            citizen,
            place: Place::default(),
            catalogue_item: None,
            catalogue_version: None,
            tags: vec![IMPORT_TAG.to_string()],
            external_id,
            attachments: Vec::new(),
        };
        Ok(NewCase {
            number_prefix: options.number_prefix.clone(),
            intake,
            at,
            actor: importer(),
            then: history(at, reply, options.lead_unit.as_ref()),
            deadlines: None,
            notices: Vec::new(),
            inbound: None,
        })
    }
}

const DAY_MS: Millis = 24 * 3600 * 1000;

struct HistoricalReply {
    text: Note,
    at: Millis,
    /// Set when the source reply was longer than a reply may be here.
    truncated: Option<String>,
}

/// The events after `Received`. They follow the lifecycle's own path (forward → dispatch → sign
/// → reply → review → close, or answer on the spot → close) so the fold of the history is a state
/// the live system could have reached.
fn history(at: Millis, reply: Option<HistoricalReply>, lead: Option<&UnitRef>) -> Vec<FollowUp> {
    let step =
        |kind: EventKind, at: Millis, actor: ActorStamp, note: Option<String>| FollowUp { kind, note, at: Some(at), actor: Some(actor) };
    let Some(reply) = reply else {
        // Never answered: it waits in the dispatch pool, where a dispatcher can still act on it.
        return vec![step(EventKind::Forwarded, at, importer(), None)];
    };
    let close = step(EventKind::Closed { final_reply: false, outcome: None }, reply.at, importer(), Some(CLOSE_NOTE.to_string()));
    let Some(lead) = lead else {
        return vec![
            step(EventKind::AnsweredOnSpot { answer: reply.text.as_str().to_string() }, reply.at, importer(), reply.truncated),
            close,
        ];
    };
    // The unit's own steps carry the unit, so the reply is attributed to it (Reply.unit_id) in
    // the unit's statistics, while the role still says the system wrote them.
    let for_unit = ActorStamp { unit_id: Some(lead.id), unit_name: Some(lead.name.clone()), ..importer() };
    vec![
        step(EventKind::Forwarded, at, importer(), None),
        step(EventKind::Dispatched { lead: lead.clone(), assisting: Vec::new() }, at, importer(), None),
        step(EventKind::Signed, reply.at, for_unit.clone(), None),
        step(EventKind::Replied { text: reply.text.as_str().to_string(), solved: Solved::Solved }, reply.at, for_unit, reply.truncated),
        step(EventKind::ReplyPassed, reply.at, importer(), None),
        close,
    ]
}

/// The type a title suggests, for rows that do not say. Checked in this order because a question
/// about a complaint is still a question (咨询 wins over 举报).
pub fn guess_case_type(title: &str) -> CaseType {
    const RULES: &[(&[&str], CaseType)] = &[
        (&["咨询", "请问", "能否", "是否", "？", "?"], CaseType::Consultation),
        (&["建议"], CaseType::Suggestion),
        (&["举报"], CaseType::Report),
        (&["表扬", "感谢"], CaseType::Praise),
    ];
    RULES.iter().find(|(words, _)| words.iter().any(|w| title.contains(w))).map_or(CaseType::Complaint, |(_, t)| *t)
}

/// A type given as code (`complaint`) or label (`投诉`, also `投诉类`).
fn parse_case_type(value: &str) -> Option<CaseType> {
    let v = value.trim();
    CaseType::parse(v).or_else(|| CaseType::parse(&v.to_lowercase())).or_else(|| v.strip_suffix('类').and_then(CaseType::parse))
}

struct ParsedTime {
    at: Millis,
    /// The source gave a day without a time; `at` is midnight China time.
    date_only: bool,
}

/// Times as exports write them, all read as China time unless they carry an offset:
/// `2019/4/25 9:32:09`, `2019-04-25 09:32[:09[.123]]`, `2019-04-25T09:32:09`, `2019年4月25日 9:32`,
/// a date alone, or RFC 3339 with an offset.
fn parse_time(value: &str) -> Option<ParsedTime> {
    const DATE_TIMES: &[&str] = &[
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y年%m月%d日 %H:%M:%S",
        "%Y年%m月%d日 %H:%M",
        "%Y年%m月%d日%H:%M:%S",
        "%Y年%m月%d日%H:%M",
    ];
    const DATES: &[&str] = &["%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日"];
    let s = value.trim();
    let parsed = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        Some(ParsedTime { at: t.timestamp_millis(), date_only: false })
    } else if let Some(local) = DATE_TIMES.iter().find_map(|f| NaiveDateTime::parse_from_str(s, f).ok()) {
        china(local).map(|at| ParsedTime { at, date_only: false })
    } else {
        DATES
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(china)
            .map(|at| ParsedTime { at, date_only: true })
    }?;
    // A two-digit or mistyped year parses fine and would date a case to antiquity; 12345 hotlines
    // and online 问政 boards began in the 1990s.
    let plausible = (china_year_start(1990)..china_year_start(2100)).contains(&parsed.at);
    plausible.then_some(parsed)
}

fn china(local: NaiveDateTime) -> Option<Millis> {
    CHINA.from_local_datetime(&local).single().map(|t| t.timestamp_millis())
}

fn china_year_start(year: i32) -> Millis {
    NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).and_then(china).unwrap_or_default()
}

fn bad_time(line: u64, column: &str, value: &str) -> ImportError {
    ImportError::new(
        line,
        format!("{column} 列的时间「{value}」无法识别（应如 2019/4/25 9:32:09 或 2019-04-25 09:32:09，北京时间）"),
        format!("cannot read the time {value:?} in column {column} (expected e.g. 2019/4/25 9:32:09 or 2019-04-25 09:32:09, China time)"),
    )
}

/// One line for titles and names: control characters (line breaks included) become spaces and
/// runs of spaces collapse, since a title is shown on one line.
fn clean_line(value: &str) -> String {
    let spaced: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Multi-line text: line breaks normalised to `\n`, tabs kept, other control characters dropped
/// (they come from copy and paste and would be refused by the domain).
fn clean_text(value: &str) -> String {
    let unified = value.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = unified.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    kept.trim().to_string()
}

/// At most `max` characters; a cut text ends with "…" so readers see that something is missing.
fn truncate(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        return value.to_string();
    }
    let mut cut: String = value.chars().take(max.saturating_sub(1)).collect();
    // Cutting may leave trailing spaces, which the domain would trim and shift the "…".
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use minsheng_domain::case::{Case, CaseState};
    use minsheng_domain::org::UnitKind;
    use minsheng_domain::value::CaseNumber;
    use minsheng_store::build_new_case;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn read(csv: &str, options: &ImportOptions) -> Vec<Result<NewCase, ImportError>> {
        read_cases_csv(csv.as_bytes(), options).collect()
    }

    fn ok(csv: &str, options: &ImportOptions) -> Result<Vec<NewCase>, ImportError> {
        read(csv, options).into_iter().collect()
    }

    fn district() -> UnitRef {
        UnitRef { id: 7, name: "龙华区".to_string(), kind: UnitKind::District, parent_id: Some(1), path: "/1/7/".to_string() }
    }

    fn with_lead() -> ImportOptions {
        ImportOptions { lead_unit: Some(district()), ..ImportOptions::default() }
    }

    /// Folds a new case as the store would and checks that replaying its events gives the same.
    fn fold(new: &NewCase) -> Result<Case, Box<dyn std::error::Error>> {
        let number = CaseNumber::parse("HK20190425000001")?;
        let (case, events) = build_new_case(1, number.clone(), new);
        let replayed = Case::replay(1, number, &events).ok_or("replay refused the history")?;
        assert_eq!(replayed, case, "replaying the history must give the stored state");
        assert_eq!(case.version, events.len() as i64);
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at), "history times go forward");
        Ok(case)
    }

    fn china_ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Millis {
        NaiveDate::from_ymd_opt(y, mo, d).and_then(|d| d.and_hms_opt(h, mi, s)).and_then(china).unwrap_or_default()
    }

    const GOVMSG: &str = "\"msg_id\",\"user\",\"title\",\"time\",\"detail\",\"reply\",\"reply_time\"\n\
        2549,\"A00045581\",\"A2区景蓉华苑物业管理有问题\",\"2019/4/25 9:32:09\",\"小区物业要退出，\n业委会收费方案不公开。\",\"网友您好，经调查核实……\",\"2019/5/10 14:56:53\"\n\
        2554,\"A00023583\",\"请问A3区地铁什么时候开通？\",\"2019/4/24 16:03:40\",\"\",\"\",\"\"\n";

    #[test]
    fn govmsg_rows_with_a_reply_replay_to_closed_cases() -> TestResult {
        let cases = ok(GOVMSG, &with_lead())?;
        assert_eq!(cases.len(), 2);
        let first = &cases[0];
        assert_eq!(first.at, china_ms(2019, 4, 25, 9, 32, 9));
        assert_eq!(first.at, 1_556_155_929_000, "9:32:09 China time is 01:32:09 UTC");
        assert_eq!(first.intake.external_id.as_deref(), Some("2549"));
        assert_eq!(first.intake.channel, Channel::Import);
        assert_eq!(first.intake.case_type, CaseType::Complaint);
        assert_eq!(first.intake.urgency, Urgency::Normal);
        assert_eq!(first.intake.tags, vec![IMPORT_TAG.to_string()]);
        assert!(first.intake.citizen.anonymous);
        assert_eq!(first.intake.text.as_str(), "小区物业要退出，\n业委会收费方案不公开。");
        assert_eq!(first.actor.role, Role::System);
        assert_eq!(first.actor.name, IMPORTER_NAME);

        let case = fold(first)?;
        assert_eq!(case.state, CaseState::Closed);
        assert_eq!(case.lead_unit.as_ref().map(|u| u.id), Some(7));
        assert_eq!(case.dispatched_at, Some(first.at));
        let reply_at = china_ms(2019, 5, 10, 14, 56, 53);
        assert_eq!(case.signed_at, Some(reply_at));
        assert_eq!(case.closed_at, Some(reply_at));
        assert_eq!(case.solved, Some(Solved::Solved));
        let reply = case.reply.as_ref().ok_or("no reply")?;
        assert_eq!(reply.text, "网友您好，经调查核实……");
        assert_eq!(reply.unit_id, Some(7), "the reply counts for the lead unit");
        assert!(!case.answered_on_spot);
        let kinds: Vec<&str> = first.then.iter().map(|f| f.kind.name()).collect();
        assert_eq!(kinds, ["forwarded", "dispatched", "signed", "replied", "reply_passed", "closed"]);
        assert!(first.then.iter().all(|f| f.at.is_some()));
        Ok(())
    }

    #[test]
    fn a_row_without_a_reply_waits_for_dispatch() -> TestResult {
        let cases = ok(GOVMSG, &with_lead())?;
        let second = &cases[1];
        assert_eq!(second.intake.case_type, CaseType::Consultation, "请问/？ make a consultation");
        assert_eq!(second.intake.text.as_str(), second.intake.title.as_str(), "empty text falls back to the title");
        let case = fold(second)?;
        assert!(matches!(case.state, CaseState::Received | CaseState::AwaitingDispatch));
        assert_eq!(case.state, CaseState::AwaitingDispatch);
        assert!(case.lead_unit.is_none() && case.closed_at.is_none());
        Ok(())
    }

    #[test]
    fn without_a_lead_unit_the_reply_is_an_answer_on_the_spot() -> TestResult {
        let cases = ok(GOVMSG, &ImportOptions::default())?;
        let case = fold(&cases[0])?;
        assert_eq!(case.state, CaseState::Closed);
        assert!(case.answered_on_spot);
        assert!(case.lead_unit.is_none() && case.involved_units.is_empty());
        assert_eq!(case.reply.as_ref().map(|r| r.text.as_str()), Some("网友您好，经调查核实……"));
        assert_eq!(fold(&cases[1])?.state, CaseState::AwaitingDispatch);
        Ok(())
    }

    #[test]
    fn the_generic_column_set_with_citizen_type_and_channel() -> TestResult {
        let csv = "external_id,title,text,time,phone,name,type,channel,reply,reply_time\n\
            W-1,海秀路路灯不亮,晚上一片漆黑,2024-03-01 20:15:00,138-0013-1234,王先生,投诉,电话,已修复,2024-03-02 10:00:00\n\
            W-2,建议增设公交站,,2024-03-01 08:00,,,suggestion,,,\n\
            W-3,举报无证经营,某店无证经营,2024/3/1 9:05:00,,李女士,举报类,wechat,,\n";
        let cases = ok(csv, &with_lead())?;
        assert_eq!(cases.len(), 3);
        let c = &cases[0].intake;
        assert_eq!(c.external_id.as_deref(), Some("W-1"));
        assert_eq!(c.case_type, CaseType::Complaint);
        assert_eq!(c.channel, Channel::Phone);
        assert_eq!(c.citizen.phone.as_ref().map(|p| p.as_str()), Some("13800131234"));
        assert_eq!(c.citizen.name.as_ref().map(|n| n.as_str()), Some("王先生"));
        assert!(!c.citizen.anonymous);
        assert_eq!(fold(&cases[0])?.state, CaseState::Closed);
        assert_eq!(cases[1].intake.case_type, CaseType::Suggestion);
        assert_eq!(cases[1].intake.channel, Channel::Import);
        assert_eq!(cases[1].at, china_ms(2024, 3, 1, 8, 0, 0));
        assert_eq!(cases[2].intake.case_type, CaseType::Report);
        assert_eq!(cases[2].intake.channel, Channel::Wechat);
        assert!(!cases[2].intake.citizen.anonymous);
        Ok(())
    }

    #[test]
    fn time_formats_are_china_time() {
        let at = |s: &str| parse_time(s).map(|t| t.at);
        let expected = Some(china_ms(2019, 4, 25, 9, 32, 9));
        for s in [
            "2019/4/25 9:32:09",
            "2019/04/25 09:32:09",
            "2019-04-25 09:32:09",
            "2019-04-25T09:32:09",
            "2019年4月25日 9:32:09",
            "2019-04-25T01:32:09Z",
            "2019-04-25T09:32:09+08:00",
            " 2019/4/25 9:32:09 ",
        ] {
            assert_eq!(at(s), expected, "{s}");
        }
        assert_eq!(at("2019-04-25 09:32:09.500"), expected.map(|t| t + 500));
        assert_eq!(at("2019/4/25 9:32"), Some(china_ms(2019, 4, 25, 9, 32, 0)));
        let day = parse_time("2018/4/24");
        assert_eq!(day.as_ref().map(|t| (t.at, t.date_only)), Some((china_ms(2018, 4, 24, 0, 0, 0), true)));
        for bad in ["", "昨天", "2019/13/1 10:00:00", "2019/2/30 10:00:00", "19/4/25 9:32:09", "1019/4/25 9:32:09", "1556155929"] {
            assert!(parse_time(bad).is_none(), "{bad} should be refused");
        }
    }

    #[test]
    fn a_date_only_reply_on_the_day_of_the_message_comes_after_it() -> TestResult {
        let csv = "msg_id,user,title,time,detail,reply,reply_time\n1,u,路面坑洼,2018/4/24 15:00:00,有坑,已修补,2018/4/24\n";
        let cases = ok(csv, &with_lead())?;
        let case = fold(&cases[0])?;
        assert_eq!(case.closed_at, Some(china_ms(2018, 4, 24, 15, 0, 0)));
        Ok(())
    }

    #[test]
    fn types_are_guessed_from_the_title() {
        assert_eq!(guess_case_type("咨询公积金提取"), CaseType::Consultation);
        assert_eq!(guess_case_type("能否延长公交运营时间"), CaseType::Consultation);
        assert_eq!(guess_case_type("小区什么时候通燃气?"), CaseType::Consultation);
        assert_eq!(guess_case_type("请问举报电话是多少"), CaseType::Consultation);
        assert_eq!(guess_case_type("关于增设红绿灯的建议"), CaseType::Suggestion);
        assert_eq!(guess_case_type("举报工地夜间施工"), CaseType::Report);
        assert_eq!(guess_case_type("感谢环卫工人"), CaseType::Praise);
        assert_eq!(guess_case_type("表扬金贸街道工作人员"), CaseType::Praise);
        assert_eq!(guess_case_type("小区噪音扰民"), CaseType::Complaint);
    }

    #[test]
    fn overlong_titles_are_truncated_and_control_characters_stripped() -> TestResult {
        let long = "很".repeat(150);
        let csv = format!(
            "title,text,time\n\"{long}\",内容,2020/1/1 8:00:00\n\"路灯\t不亮\u{7}了\",\"第一段\r\n第二段\u{1b}\",2020/1/1 8:00:00\n"
        );
        let cases = ok(&csv, &ImportOptions::default())?;
        let title = cases[0].intake.title.as_str();
        assert_eq!(title.chars().count(), Title::MAX_CHARS);
        assert!(title.ends_with('…'));
        assert!(title.starts_with("很很很"));
        assert_eq!(cases[1].intake.title.as_str(), "路灯 不亮 了");
        assert_eq!(cases[1].intake.text.as_str(), "第一段\n第二段");
        assert!(cases[0].intake.external_id.is_none());
        Ok(())
    }

    #[test]
    fn a_missing_title_is_taken_from_the_text() -> TestResult {
        let csv = format!("title,text,time\n,\"{}\n第二行\",2020/1/1 8:00:00\n", "长".repeat(60));
        let cases = ok(&csv, &ImportOptions::default())?;
        let title = cases[0].intake.title.as_str();
        assert_eq!(title.chars().count(), DERIVED_TITLE_CHARS);
        assert!(title.ends_with('…'));
        Ok(())
    }

    #[test]
    fn overlong_replies_are_cut_and_say_so() -> TestResult {
        let reply = "答".repeat(Note::MAX_CHARS + 10);
        let csv = format!("title,time,reply,reply_time\n路灯不亮,2020/1/1 8:00:00,{reply},2020/1/2 8:00:00\n");
        let cases = ok(&csv, &with_lead())?;
        let case = fold(&cases[0])?;
        let text = case.reply.as_ref().map(|r| r.text.clone()).unwrap_or_default();
        assert_eq!(text.chars().count(), Note::MAX_CHARS);
        let replied = cases[0].then.iter().find(|f| f.kind.name() == "replied").ok_or("no reply event")?;
        assert!(replied.note.as_deref().is_some_and(|n| n.contains("已截断")));
        Ok(())
    }

    #[test]
    fn malformed_rows_give_line_numbered_errors_and_the_rest_imports() {
        let csv = "msg_id,user,title,time,detail,reply,reply_time\n\
            1,u,正常留言,2019/4/25 9:32:09,内容,,\n\
            2,u,时间错误,昨天下午,内容,,\n\
            3,u,少了列,2019/4/25 9:32:09\n\
            4,u,,2019/4/25 9:32:09,,,\n\
            5,u,答复在前,2019/4/25 9:32:09,内容,答复,2019/4/20 9:00:00\n\
            6,u,有答复无时间,2019/4/25 9:32:09,内容,答复,\n\
            \"7\",\"u\",\"多行\n内容\",\"2019/4/25\",\"第一行\n第二行\",\"\",\"\"\n\
            8,u,第八条,2019/4/25 9:32:09,内容,,\n";
        let results = read(csv, &ImportOptions::default());
        let lines: Vec<Result<&str, u64>> =
            results.iter().map(|r| r.as_ref().map(|c| c.intake.title.as_str()).map_err(|e| e.line)).collect();
        assert_eq!(lines, [Ok("正常留言"), Err(3), Err(4), Err(5), Err(6), Err(7), Ok("多行 内容"), Ok("第八条")]);
        let errors: Vec<&ImportError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(errors[0].message_zh.contains("昨天下午") && errors[0].message_en.contains("cannot read the time"));
        assert!(errors[1].message_en.contains("expected 7 fields, found 4"));
        assert!(errors[2].message_en.contains("empty"));
        assert!(errors[3].message_en.contains("before"));
        assert!(errors[4].message_en.contains("no reply_time"));
        assert!(errors[0].to_string().starts_with("第 3 行："), "{}", errors[0]);
    }

    #[test]
    fn bad_values_in_the_generic_columns_are_errors() {
        let csv = "title,time,phone,type,channel\n\
            甲,2020/1/1 8:00:00,12345,,\n\
            乙,2020/1/1 8:00:00,,投拆,\n\
            丙,2020/1/1 8:00:00,,,飞鸽传书\n";
        let lines: Vec<u64> = read(csv, &ImportOptions::default()).into_iter().filter_map(|r| r.err()).map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4]);
    }

    #[test]
    fn an_unusable_header_or_lead_unit_stops_at_once() {
        let results = read("a,b,c\n1,2,3\n", &ImportOptions::default());
        assert_eq!(results.len(), 1);
        assert!(results[0].as_ref().is_err_and(|e| e.line == 1 && e.message_en.contains("header")));

        let centre =
            UnitRef { id: 2, name: "12345热线中心".to_string(), kind: UnitKind::Centre, parent_id: Some(1), path: "/1/2/".to_string() };
        let options = ImportOptions { lead_unit: Some(centre), ..ImportOptions::default() };
        let results = read(GOVMSG, &options);
        assert_eq!(results.len(), 1);
        assert!(results[0].as_ref().is_err_and(|e| e.line == 0));
    }

    #[test]
    fn rows_are_counted_for_progress() -> Result<(), ImportError> {
        assert_eq!(count_csv_rows(GOVMSG.as_bytes())?, 2);
        assert_eq!(count_csv_rows("title,time\n".as_bytes())?, 0);
        Ok(())
    }

    #[test]
    fn a_bom_and_chinese_headers_are_understood() -> TestResult {
        let csv =
            "\u{feff}留言编号,留言主题,留言时间,留言详情,答复意见,答复时间\n9,噪音扰民,2019/1/2 3:04:05,夜间施工,已处理,2019/1/3 3:04:05\n";
        let cases = ok(csv, &with_lead())?;
        assert_eq!(cases[0].intake.external_id.as_deref(), Some("9"));
        assert_eq!(fold(&cases[0])?.state, CaseState::Closed);
        Ok(())
    }

    /// The real export of the shared data set, when present: nearly every row must import, and
    /// every imported case must replay to a closed case.
    #[test]
    fn the_real_govmsg_file_imports() -> TestResult {
        let path = std::path::Path::new("/work/shared/data/govmsg/messages_with_replies.csv");
        if !path.exists() {
            return Ok(());
        }
        let total = count_csv_rows(std::fs::File::open(path)?)?;
        let (mut imported, mut failed) = (0u64, Vec::new());
        for result in read_cases_csv(std::fs::File::open(path)?, &with_lead()) {
            match result {
                Ok(new) => {
                    assert_eq!(fold(&new)?.state, CaseState::Closed);
                    imported += 1;
                }
                Err(e) => failed.push(e.to_string()),
            }
        }
        assert_eq!(imported + failed.len() as u64, total);
        assert!(
            imported * 100 >= total * 95,
            "only {imported} of {total} rows imported; first errors: {:?}",
            &failed[..failed.len().min(5)]
        );
        Ok(())
    }
}
