//! Open311 GeoReport v2 (开放接口): the catalogue as Open311 services, a service request taken in
//! as a case, and cases shown as public service requests and their updates — never naming the
//! citizen. The HTTP edge (`minsheng-api`, `routes/open311`) parses the protocol and renders XML or
//! JSON; what may be said and how our cases map onto the standard is decided here.
//!
//! Choices, each documented where it is made:
//! - a service is a routable catalogue item (active leaf); `group` is its level-1 category;
//! - `service_request_id` is the case number (`HK20261122000123`); our intake is synchronous, so the
//!   answer to a POST carries it at once, and the `token` it also carries is the case's internal id;
//! - statuses: the standard's `open`/`closed` (from [`CaseState::is_open`]); `status_notes` names
//!   our state in Chinese and English; the update feed uses mySociety's finer statuses;
//! - `lat`/`long` are WGS-84 as the standard says; cases keep GCJ-02 (what Chinese maps and our
//!   district polygons use), so coordinates are converted on the way in and out;
//! - `media_url` is not downloaded: it is kept as a line of the case text (marked with
//!   [`MEDIA_MARK`]) and given back as `media_url`;
//! - privacy: the citizen's name, phone and e-mail never leave. The citizen's own words (the
//!   description, the exact address and coordinates, the media link, the unit's reply) are public only
//!   for requests that came in through Open311 itself, are neither confidential nor 举报, and were
//!   not voided; for every other case the public sees the service, the status, the times, the
//!   responsible unit and the district or street — a phone call's text is not published. Digit runs
//!   and e-mail addresses are masked even in what is published.

use std::collections::HashMap;

use minsheng_domain::case::{Case, CaseState, CaseType, Channel, Citizen, Intake, Place, Solved, Urgency};
use minsheng_domain::event::{Event, EventKind};
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::value::{Address, CaseNumber, CaseText, EmailAddress, PersonName, PhoneNumber, Title};
use minsheng_domain::{DomainError, DomainResult, ErrorCode, Millis, format_time};
use minsheng_store::{CaseFilter, CaseQuery, Scope};

use crate::App;
use crate::service::AfterIntake;

/// The standard's limit on `description`.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// `start_date`/`end_date` may not span more than this, and without them the last this many days.
pub const WINDOW_DAYS: i64 = 90;
/// The standard's default (and our maximum) number of requests in one answer.
pub const MAX_RESULTS: u32 = 1000;
/// How many requests `page` × `page_size` may reach into one window (deeper: narrow the dates).
pub const MAX_OFFSET: u32 = 10_000;
/// At most this many ids in one `service_request_id` list.
pub const MAX_IDS: usize = 200;
/// At most this many updates in one answer of the update feed.
pub const MAX_UPDATES: usize = 1000;
/// The feed reads at most this many changed cases per answer.
const MAX_FEED_CASES: usize = 5000;
/// The line of the case text that keeps the submitted `media_url`.
pub const MEDIA_MARK: &str = "附件链接（media_url）：";
const MAX_MEDIA_URL: usize = 1000;
const DAY_MS: Millis = 24 * 3600 * 1000;

/// One Open311 service: a routable catalogue item.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    /// The item's path of names (category / subcategory / item).
    pub description: String,
    /// Whether a definition with attributes exists (always, see [`attributes`]).
    pub metadata: bool,
    pub keywords: Vec<String>,
    /// The level-1 category (大类).
    pub group: String,
}

/// One attribute of a service definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub code: &'static str,
    /// `string`, `singlevaluelist`…
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: Option<String>,
    pub order: u32,
    pub description: String,
    /// `(key, name)` of a list.
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// A POST of a service request as the edge read it: raw strings, parsed here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestForm {
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[CODE]` (and `attribute[CODE][]`), in order, repeated for list values.
    pub attributes: Vec<(String, String)>,
}

/// The answer to a POST.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub service_request_id: String,
    pub token: String,
    pub service_notice: String,
    pub account_id: Option<String>,
}

/// `open` or `closed`, the standard's two statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Closed,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Status::Open),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }
    pub fn of(state: CaseState) -> Status {
        if state.is_open() { Status::Open } else { Status::Closed }
    }
}

/// A GET of requests: every filter of the standard plus paging.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestQuery {
    /// `service_request_id`: when given, the other filters are ignored (as the standard says).
    pub ids: Vec<String>,
    pub service_codes: Vec<String>,
    pub start: Option<Millis>,
    pub end: Option<Millis>,
    pub statuses: Vec<Status>,
    /// 1-based.
    pub page: u32,
    pub page_size: u32,
    /// Add our state, channel, type and the public notes (`extensions=true`).
    pub extensions: bool,
}

impl Default for RequestQuery {
    fn default() -> Self {
        RequestQuery {
            ids: Vec::new(),
            service_codes: Vec::new(),
            start: None,
            end: None,
            statuses: Vec::new(),
            page: 1,
            page_size: MAX_RESULTS,
            extensions: false,
        }
    }
}

/// One service request as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestView {
    pub service_request_id: String,
    pub status: Status,
    pub status_notes: String,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    /// WGS-84.
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
    pub extensions: Option<Extensions>,
}

/// What `extensions=true` adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Extensions {
    /// Our state code (`awaiting_dispatch`…) and its Chinese label.
    pub state: &'static str,
    pub state_label: &'static str,
    pub channel: &'static str,
    pub case_type: &'static str,
    pub urgency: &'static str,
    /// How many people reported this matter (并单).
    pub reporters: u32,
    pub notes: Vec<NoteView>,
}

/// One public step of a request's history.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteView {
    /// `opened`, `activity` or `closed`.
    pub kind: &'static str,
    pub datetime: String,
    pub summary: String,
    pub description: Option<String>,
    /// The request's status after this step, in the update feed's vocabulary.
    pub status: &'static str,
}

/// One entry of the update feed (`servicerequestupdates`, as FixMyStreet consumes it).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateView {
    /// `<case number>-<event seq>`: unique and stable.
    pub update_id: String,
    pub service_request_id: String,
    /// mySociety's vocabulary: open, action_scheduled, in_progress, investigating, fixed, closed,
    /// duplicate, no_further_action.
    pub status: &'static str,
    /// Our own state code.
    pub external_status_code: &'static str,
    pub updated_datetime: String,
    pub description: String,
    pub media_url: Option<String>,
    at: Millis,
    seq: i64,
    /// The step's label and the public text with it, apart (for `extensions=true` notes).
    label: String,
    text: Option<String>,
}

/// The English of each state, for `status_notes`.
fn state_en(s: CaseState) -> &'static str {
    match s {
        CaseState::Received => "received",
        CaseState::AwaitingDispatch => "awaiting dispatch",
        CaseState::Dispatched => "dispatched, awaiting the unit's signature",
        CaseState::Handling => "being handled",
        CaseState::ReturnRequested => "returned by the unit, under review",
        CaseState::Replied => "replied, reply under review",
        CaseState::AwaitingCallback => "replied, awaiting the callback",
        CaseState::Unsatisfied => "citizen unsatisfied, to be redone",
        CaseState::Closed => "closed",
        CaseState::Suspended => "suspended",
        CaseState::Merged => "merged into another request",
        CaseState::Voided => "voided",
        CaseState::Withdrawn => "withdrawn by the citizen",
        CaseState::Archived => "archived",
    }
}

/// A state in the update feed's vocabulary (mySociety's open311-adapter).
pub fn feed_status(state: CaseState, solved: Option<Solved>) -> &'static str {
    match state {
        CaseState::Received | CaseState::AwaitingDispatch => "open",
        CaseState::Dispatched => "action_scheduled",
        CaseState::Handling | CaseState::Replied | CaseState::Unsatisfied => "in_progress",
        CaseState::ReturnRequested | CaseState::Suspended => "investigating",
        CaseState::AwaitingCallback => match solved {
            Some(Solved::Solved) => "fixed",
            _ => "in_progress",
        },
        CaseState::Closed | CaseState::Archived => match solved {
            Some(Solved::Solved) => "fixed",
            Some(Solved::Unsolved) => "no_further_action",
            _ => "closed",
        },
        CaseState::Merged => "duplicate",
        CaseState::Voided | CaseState::Withdrawn => "closed",
    }
}

/// The attributes every service takes. None is required, so a plain client that knows nothing
/// of them still files a valid request.
pub fn attributes(default_urgency: Urgency) -> Vec<Attribute> {
    vec![
        Attribute {
            code: "CASE_TYPE",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: None,
            order: 1,
            description: "诉求类型（默认：求助） / Type of request (default: help)".into(),
            values: CaseType::ALL.iter().map(|t| (t.as_str().to_string(), t.label_zh().to_string())).collect(),
        },
        Attribute {
            code: "URGENCY",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: None,
            order: 2,
            description: format!("紧急程度（默认：{}） / Urgency (default: {})", default_urgency.label_zh(), default_urgency.as_str()),
            values: Urgency::ALL.iter().map(|u| (u.as_str().to_string(), u.label_zh().to_string())).collect(),
        },
        Attribute {
            code: "TITLE",
            datatype: "string",
            required: false,
            datatype_description: Some(format!(
                "一行，最多 {} 字；默认取描述的开头 / One line, at most {} characters; by default the start of the description",
                Title::MAX_CHARS,
                Title::MAX_CHARS
            )),
            order: 3,
            description: "标题 / Title".into(),
            values: Vec::new(),
        },
        Attribute {
            code: "CONFIDENTIAL",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: None,
            order: 4,
            description: "保密：不向承办单位透露身份 / Confidential: keep my identity from the units handling it".into(),
            values: vec![("false".into(), "否 / no".into()), ("true".into(), "是 / yes".into())],
        },
    ]
}

fn invalid(field: &str, zh: impl Into<String>, en: impl Into<String>) -> DomainError {
    DomainError::invalid(field, zh, en)
}

/// Parses a time as clients send it: RFC 3339 / W3C (`2026-11-22T08:00:00Z`, `…+08:00`), a local
/// date-time without offset or a bare date (both read as China time).
pub fn parse_datetime(field: &str, text: &str) -> DomainResult<Millis> {
    let t = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(dt.timestamp_millis());
    }
    let local = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S"))
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    match local.and_then(|l| l.and_local_timezone(minsheng_domain::CHINA).single()) {
        Some(dt) => Ok(dt.timestamp_millis()),
        None => Err(invalid(
            field,
            format!("「{}」不是 ISO 8601 时间（如 2026-11-22T08:00:00+08:00）", clip(t, 40)),
            format!("'{}' is not an ISO 8601 time (e.g. 2026-11-22T08:00:00+08:00)", clip(t, 40)),
        )),
    }
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Masks what looks like a phone number (a run of 7 or more digits) or an e-mail address in a
/// text that is about to be published: citizens type their numbers into descriptions.
pub fn mask_contacts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.contains('@')
            && let Some(email) = find_email(word)
        {
            out.push_str(&word.replace(email, &mask_email(email)));
            continue;
        }
        out.push_str(word);
    }
    mask_digit_runs(&out)
}

fn find_email(word: &str) -> Option<&str> {
    let at = word.find('@')?;
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+');
    let start = word[..at].char_indices().rev().take_while(|(_, c)| ok(*c)).last().map(|(i, _)| i)?;
    let end = at + 1 + word[at + 1..].char_indices().take_while(|(_, c)| ok(*c)).last().map(|(i, c)| i + c.len_utf8())?;
    let candidate = &word[start..end];
    candidate[at - start + 1..].contains('.').then_some(candidate)
}

fn mask_email(email: &str) -> String {
    EmailAddress::parse(email).map(|e| e.masked()).unwrap_or_else(|_| "***".into())
}

fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 7 {
            out.push_str(&minsheng_domain::value::mask_phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Splits the case text into what the citizen wrote and the media link kept with it.
fn split_media(text: &str) -> (&str, Option<&str>) {
    match text.rfind(MEDIA_MARK) {
        Some(i) => (text[..i].trim_end(), Some(text[i + MEDIA_MARK.len()..].trim())),
        None => (text, None),
    }
}

/// Whether the citizen's own words may be published (see the module's privacy rule).
fn public_detail(case: &Case) -> bool {
    case.intake.channel == Channel::Open311
        && !case.intake.citizen.confidential
        && case.intake.case_type != CaseType::Report
        && case.state != CaseState::Voided
}

fn optional(field: &str, value: &Option<String>, max: usize) -> DomainResult<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(invalid(field, format!("最多 {max} 个字符且不含控制字符"), format!("at most {max} characters, no control characters")))
        }
        Some(v) => Ok(Some(v.to_string())),
    }
}

fn coordinate(field: &str, value: &str, range: f64) -> DomainResult<f64> {
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= range => Ok(v),
        _ => Err(invalid(field, format!("应为 ±{range} 以内的数"), format!("must be a number within ±{range}"))),
    }
}

/// `http(s)://…` without spaces, at most [`MAX_MEDIA_URL`] characters.
fn media_url(value: &Option<String>) -> DomainResult<Option<String>> {
    let Some(url) = optional("media_url", value, MAX_MEDIA_URL)? else { return Ok(None) };
    let lower = url.to_ascii_lowercase();
    let scheme = lower.starts_with("http://") || lower.starts_with("https://");
    if !scheme || url.chars().any(char::is_whitespace) || url.len() < 10 {
        return Err(invalid("media_url", "应为 http(s) 链接", "must be an http(s) URL"));
    }
    Ok(Some(url))
}

/// A name from first and last name: Chinese names read surname first and without a space.
fn full_name(first: Option<String>, last: Option<String>) -> DomainResult<Option<PersonName>> {
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let joined = match (first, last) {
        (None, None) => return Ok(None),
        (Some(f), None) => f,
        (None, Some(l)) => l,
        (Some(f), Some(l)) if cjk(&f) || cjk(&l) => format!("{l}{f}"),
        (Some(f), Some(l)) => format!("{f} {l}"),
    };
    PersonName::parse(&joined).map(Some).map_err(|_| {
        invalid("first_name/last_name", "姓名最多 50 字且不含控制字符", "the name must be at most 50 characters, no control characters")
    })
}

/// The value of one attribute given once.
fn single<'a>(attrs: &'a HashMap<String, Vec<String>>, code: &str) -> DomainResult<Option<&'a str>> {
    match attrs.get(code).map(Vec::as_slice) {
        None | Some([]) => Ok(None),
        Some([one]) => Ok(Some(one.trim()).filter(|v| !v.is_empty())),
        Some(_) => Err(invalid(&format!("attribute[{code}]"), "此属性只能取一个值", "this attribute takes a single value")),
    }
}

fn list_value<T: Copy>(code: &str, value: &str, all: &[T], key: impl Fn(T) -> &'static str) -> DomainResult<T> {
    all.iter().copied().find(|v| key(*v) == value.to_ascii_lowercase()).ok_or_else(|| {
        let keys = all.iter().map(|v| key(*v)).collect::<Vec<_>>().join(", ");
        invalid(&format!("attribute[{code}]"), format!("取值应为 {keys} 之一"), format!("must be one of {keys}"))
    })
}

impl App {
    /// The jurisdiction this server answers for: the host of the public address. Clients may also
    /// name the case-number prefix (`hk`); an absent or empty `jurisdiction_id` means this one.
    pub fn open311_jurisdiction(&self) -> String {
        let url = self.settings.public_url.as_str();
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.split(['/', ':']).next().unwrap_or(rest).to_ascii_lowercase()
    }

    /// Refuses a `jurisdiction_id` that is not ours (the standard's 404).
    pub fn open311_check_jurisdiction(&self, given: Option<&str>) -> DomainResult<()> {
        match given.map(str::trim) {
            None | Some("") => Ok(()),
            Some(j) if j.eq_ignore_ascii_case(&self.open311_jurisdiction()) || j.eq_ignore_ascii_case(&self.settings.number_prefix) => {
                Ok(())
            }
            Some(j) => Err(DomainError::not_found(&format!("辖区「{}」", clip(j, 40)), &format!("jurisdiction_id '{}'", clip(j, 40)))),
        }
    }

    /// When the catalogue in force was saved (the discovery document's `changeset`).
    pub async fn open311_changeset(&self) -> DomainResult<String> {
        let at = self.store.catalogue(None).await?.map_or(0, |v| v.created_at);
        Ok(format_time(at))
    }

    /// GET services: every routable item of the catalogue in force.
    pub async fn open311_services(&self) -> DomainResult<Vec<Service>> {
        let catalogue = self.current_catalogue().await?;
        Ok(catalogue
            .leaves()
            .into_iter()
            .map(|item| Service {
                service_code: item.code.clone(),
                service_name: item.name.clone(),
                description: catalogue.path_name(&item.code),
                metadata: true,
                keywords: item.keywords.clone(),
                group: catalogue.category_of(&item.code).map_or_else(|| item.name.clone(), |c| c.name.clone()),
            })
            .collect())
    }

    /// GET services/{code}: the definition of one service; unknown codes are not found.
    pub async fn open311_definition(&self, code: &str) -> DomainResult<ServiceDefinition> {
        let catalogue = self.current_catalogue().await?;
        let item = routable(&catalogue, code).ok_or_else(|| DomainError::not_found("服务（职责清单事项）", "service"))?;
        Ok(ServiceDefinition { service_code: item.code.clone(), attributes: attributes(item.default_urgency) })
    }

    /// POST requests: takes a service request in as a case (channel Open311) and forwards it to
    /// dispatch like any other. The key's role must be one that takes cases in at the centre
    /// (operator, dispatcher, or the platform itself); grid workers' and units' keys are refused.
    pub async fn open311_submit(&self, actor: &Actor, form: RequestForm) -> DomainResult<Submitted> {
        if !matches!(actor.role, Role::Operator | Role::Dispatcher | Role::System) {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                format!("接口密钥的角色「{}」不能提交诉求（须为话务员或派单员）", actor.role.label_zh()),
                format!("an API key of role {} may not submit requests (operator or dispatcher)", actor.role.as_str()),
            ));
        }
        let intake = self.open311_intake(form).await?;
        let case = self.create_case_quietly(actor, intake, AfterIntake::Forward).await?;
        let number = case.number.as_str().to_string();
        let id = case.id;
        Ok(Submitted {
            service_notice: format!(
                "已受理，工单号 {number}，将转交责任单位办理。Received as case {number}; it goes to the unit responsible."
            ),
            service_request_id: number,
            token: id.to_string(),
            account_id: None,
        })
    }

    /// Reads a submitted form into an intake; every refusal names the parameter.
    pub async fn open311_intake(&self, form: RequestForm) -> DomainResult<Intake> {
        let code = form
            .service_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| invalid("service_code", "必须提供 service_code", "service_code is required"))?;
        let catalogue = self.current_catalogue().await?;
        let item = routable(&catalogue, code).ok_or_else(|| {
            invalid("service_code", format!("没有服务「{}」", clip(code, 40)), format!("service_code '{}' was not found", clip(code, 40)))
        })?;
        let mut attrs: HashMap<String, Vec<String>> = HashMap::new();
        for (code, value) in &form.attributes {
            // Codes are matched without regard to case: FixMyStreet sends `attribute[title]`.
            attrs.entry(code.to_ascii_uppercase()).or_default().push(value.clone());
        }
        let case_type = match single(&attrs, "CASE_TYPE")? {
            Some(v) => list_value("CASE_TYPE", v, CaseType::ALL, CaseType::as_str)?,
            None => CaseType::Help,
        };
        let urgency = match single(&attrs, "URGENCY")? {
            Some(v) => list_value("URGENCY", v, Urgency::ALL, Urgency::as_str)?,
            None => item.default_urgency,
        };
        let confidential = match single(&attrs, "CONFIDENTIAL")? {
            Some(v) => list_value("CONFIDENTIAL", v, &[false, true], |b| if b { "true" } else { "false" })?,
            None => false,
        };
        let description = match form.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                return Err(invalid(
                    "description",
                    format!("描述最多 {MAX_DESCRIPTION_CHARS} 字"),
                    format!("description is longer than {MAX_DESCRIPTION_CHARS} characters"),
                ));
            }
            Some(d) => Some(
                CaseText::parse(d).map_err(|_| invalid("description", "描述含有控制字符", "description contains control characters"))?,
            ),
            None => None,
        };
        let title = match single(&attrs, "TITLE")? {
            Some(t) => Title::parse(t).map_err(|e| invalid("attribute[TITLE]", e.message_zh, e.message_en))?,
            None => {
                let first_line = description.as_ref().and_then(|d| d.as_str().lines().map(str::trim).find(|l| !l.is_empty()));
                let head: String = first_line.map(|l| l.chars().filter(|c| !c.is_control()).take(30).collect()).unwrap_or_default();
                Title::parse(&head).or_else(|_| Title::parse(&item.name))?
            }
        };
        // Where: coordinates, an address in words, or a division code (our `address_id`).
        let (lat, long) =
            match (form.lat.as_deref().filter(|v| !v.trim().is_empty()), form.long.as_deref().filter(|v| !v.trim().is_empty())) {
                (Some(lat), Some(long)) => (Some(coordinate("lat", lat, 90.0)?), Some(coordinate("long", long, 180.0)?)),
                (None, None) => (None, None),
                _ => return Err(invalid("lat/long", "lat 与 long 须同时提供", "lat and long must be given together")),
            };
        let address = match optional("address_string", &form.address_string, Address::MAX_CHARS)? {
            Some(a) => Some(Address::parse(&a)?),
            None => None,
        };
        let division_unit_id = match optional("address_id", &form.address_id, 64)? {
            Some(code) => match self.store.unit_by_code(&code).await? {
                Some(u) if u.kind.is_territorial() && u.active => Some(u.id),
                _ => {
                    return Err(invalid(
                        "address_id",
                        format!("address_id「{}」不是区划代码（区、街道或社区）", clip(&code, 40)),
                        format!("address_id '{}' is not a division code (district, street or community)", clip(&code, 40)),
                    ));
                }
            },
            None => None,
        };
        if lat.is_none() && address.is_none() && division_unit_id.is_none() {
            return Err(invalid(
                "location",
                "须提供位置：lat 和 long、address_string 或 address_id",
                "a location is required: lat and long, address_string or address_id",
            ));
        }
        // The standard's coordinates are WGS-84; ours are GCJ-02.
        let (latitude, longitude) = match (lat, long) {
            (Some(lat), Some(lon)) => {
                let (glon, glat) = minsheng_place::wgs84_to_gcj02(lon, lat);
                (Some(glat), Some(glon))
            }
            _ => (None, None),
        };
        let media = media_url(&form.media_url)?;
        let name = full_name(optional("first_name", &form.first_name, 50)?, optional("last_name", &form.last_name, 50)?)?;
        let phone = match optional("phone", &form.phone, 30)? {
            Some(p) => Some(PhoneNumber::parse(&p)?),
            None => None,
        };
        let email = match optional("email", &form.email, 254)? {
            Some(e) => Some(EmailAddress::parse(&e)?),
            None => None,
        };
        optional("device_id", &form.device_id, 100)?;
        optional("account_id", &form.account_id, 100)?;
        let mut text = match &description {
            Some(d) => d.as_str().to_string(),
            None => match &address {
                Some(a) => format!("{}（{}）", item.name, a.as_str()),
                None => item.name.clone(),
            },
        };
        if let Some(url) = &media {
            text.push_str(&format!("\n\n{MEDIA_MARK}{url}"));
        }
        Ok(Intake {
            channel: Channel::Open311,
            case_type,
            title,
            text: CaseText::parse(&text)?,
            urgency,
            citizen: Citizen { anonymous: name.is_none(), name, phone, caller_number: None, confidential, email, wechat_openid: None },
            place: Place { address, division_unit_id, latitude, longitude },
            catalogue_item: Some(item.code.clone()),
            catalogue_version: None,
            tags: Vec::new(),
            external_id: None,
            attachments: Vec::new(),
        })
    }

    /// GET requests/{id}: one request by its number; not found for anything else.
    pub async fn open311_request(&self, id: &str, extensions: bool) -> DomainResult<RequestView> {
        let nf = || DomainError::not_found("诉求", "service request");
        let number = CaseNumber::parse(id.trim()).map_err(|_| nf())?;
        let case = self.store.case_by_number(number.as_str()).await?.ok_or_else(nf)?;
        let mut views = self.open311_views(vec![case], extensions).await?;
        views.pop().ok_or_else(nf)
    }

    /// GET tokens/{token}: the request a token stands for (the token is the case's internal id).
    pub async fn open311_token(&self, token: &str) -> DomainResult<String> {
        let nf = || DomainError::not_found("令牌", "token");
        let id: i64 = token.trim().parse().map_err(|_| nf())?;
        let case = self.store.get_case(id).await?.ok_or_else(nf)?;
        Ok(case.number.as_str().to_string())
    }

    /// GET requests with the standard's filters and defaults: the last 90 days, at most 1000,
    /// every status, every service; newest first. `page`/`page_size` page through the window.
    pub async fn open311_requests(&self, q: &RequestQuery) -> DomainResult<Vec<RequestView>> {
        if !q.ids.is_empty() {
            if q.ids.len() > MAX_IDS {
                return Err(invalid("service_request_id", format!("最多 {MAX_IDS} 个"), format!("at most {MAX_IDS} ids")));
            }
            let mut cases = Vec::new();
            for id in &q.ids {
                // Unknown ids are simply absent from the answer.
                if let Ok(n) = CaseNumber::parse(id.trim())
                    && let Some(case) = self.store.case_by_number(n.as_str()).await?
                    && !cases.iter().any(|c: &Case| c.id == case.id)
                {
                    cases.push(case);
                }
            }
            return self.open311_views(cases, q.extensions).await;
        }
        let (start, end) = window(q.start, q.end, self.clock.now())?;
        if q.page == 0 || q.page_size == 0 || q.page_size > MAX_RESULTS {
            return Err(invalid(
                "page/page_size",
                format!("page 从 1 起，page_size 为 1 至 {MAX_RESULTS}"),
                format!("page starts at 1, page_size is 1 to {MAX_RESULTS}"),
            ));
        }
        let offset = (q.page - 1).saturating_mul(q.page_size);
        if offset > MAX_OFFSET {
            return Err(invalid(
                "page",
                format!("翻页过深（最多前 {MAX_OFFSET} 条），请缩小时间范围"),
                format!("page too deep (the first {MAX_OFFSET} only); narrow the dates"),
            ));
        }
        let states: Vec<CaseState> = match q.statuses.as_slice() {
            [] => Vec::new(),
            s => CaseState::ALL.iter().copied().filter(|st| s.contains(&Status::of(*st))).collect(),
        };
        let filter = CaseFilter {
            states,
            from: Some(start),
            to: Some(end.saturating_add(1)),
            catalogue_items: q.service_codes.clone(),
            ..Default::default()
        };
        let want = (offset + q.page_size) as usize;
        let mut cases: Vec<Case> = Vec::new();
        let mut before_id = None;
        loop {
            let page = self.store.list_cases(&CaseQuery { scope: Scope::All, filter: filter.clone(), before_id, limit: 200 }).await?;
            cases.extend(page.cases);
            match page.next_before_id {
                Some(next) if cases.len() < want => before_id = Some(next),
                _ => break,
            }
        }
        let page: Vec<Case> = cases.into_iter().skip(offset as usize).take(q.page_size as usize).collect();
        self.open311_views(page, q.extensions).await
    }

    /// The update feed: every public step of every request between `start` and `end` (by default
    /// the last 24 hours; at most 90 days), oldest first, at most [`MAX_UPDATES`].
    pub async fn open311_updates(&self, start: Option<Millis>, end: Option<Millis>) -> DomainResult<Vec<UpdateView>> {
        let now = self.clock.now();
        let (start, end) = match (start, end) {
            (None, None) => (now - DAY_MS, now),
            (s, e) => window(s, e, now)?,
        };
        let mut out = Vec::new();
        let (mut since, mut after_id, mut read) = (start - 1, 0, 0usize);
        'scan: loop {
            let batch = self.store.cases_changed_since(since, after_id, 200).await?;
            let Some(last) = batch.last() else { break };
            (since, after_id) = (last.updated_at, last.id);
            let full = batch.len() < 200;
            for case in batch {
                read += 1;
                let events = self.store.case_events(case.id).await?;
                out.extend(updates_of(&case, &events).into_iter().filter(|u| u.at >= start && u.at <= end));
                if read >= MAX_FEED_CASES {
                    break 'scan;
                }
            }
            if full {
                break;
            }
        }
        out.sort_by(|a, b| (a.at, &a.update_id).cmp(&(b.at, &b.update_id)));
        out.truncate(MAX_UPDATES);
        Ok(out)
    }

    /// The public views of these cases, in their order.
    async fn open311_views(&self, cases: Vec<Case>, extensions: bool) -> DomainResult<Vec<RequestView>> {
        let catalogue = self.current_catalogue().await?;
        let names: HashMap<&str, &str> = catalogue.items.iter().map(|i| (i.code.as_str(), i.name.as_str())).collect();
        let dir = self.directory().await?;
        let units: HashMap<i64, (&str, &str)> = dir.units.iter().map(|u| (u.id, (u.name.as_str(), u.code.as_str()))).collect();
        let mut out = Vec::with_capacity(cases.len());
        for case in cases {
            let notes = if extensions { Some(self.store.case_events(case.id).await?) } else { None };
            out.push(view_of(&case, &names, &units, notes.as_deref()));
        }
        Ok(out)
    }
}

/// The item `code` if cases can be routed by it (an active leaf).
fn routable<'a>(catalogue: &'a minsheng_domain::catalogue::Catalogue, code: &str) -> Option<&'a minsheng_domain::catalogue::CatalogueItem> {
    let item = catalogue.item(code).filter(|i| i.active)?;
    (!catalogue.items.iter().any(|i| i.parent.as_deref() == Some(code))).then_some(item)
}

/// The standard's date window: both given, one given (90 days from or to it), or neither (the
/// last 90 days); never longer than 90 days, never reversed.
fn window(start: Option<Millis>, end: Option<Millis>, now: Millis) -> DomainResult<(Millis, Millis)> {
    let span = WINDOW_DAYS * DAY_MS;
    let (s, e) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s.saturating_add(span).min(now.max(s))),
        (None, Some(e)) => (e.saturating_sub(span), e),
        (None, None) => (now - span, now),
    };
    if e < s {
        return Err(invalid("start_date/end_date", "end_date 早于 start_date", "end_date is before start_date"));
    }
    if e - s > span {
        return Err(invalid(
            "start_date/end_date",
            format!("时间范围不能超过 {WINDOW_DAYS} 天"),
            format!("the dates may not span more than {WINDOW_DAYS} days"),
        ));
    }
    Ok((s, e))
}

fn view_of(case: &Case, names: &HashMap<&str, &str>, units: &HashMap<i64, (&str, &str)>, events: Option<&[Event]>) -> RequestView {
    let detail = public_detail(case);
    let (said, media) = split_media(case.intake.text.as_str());
    let code = case.intake.catalogue_item.clone();
    let mut notes = format!("{}（{}）", case.state.label_zh(), state_en(case.state));
    if let Some(into) = &case.merged_into {
        notes.push_str(&format!("：并入 {} / merged into {}", into.number, into.number));
    }
    if detail
        && !case.state.is_open()
        && let Some(reply) = &case.reply
    {
        notes.push_str(&format!("：{}", mask_contacts(&clip(&reply.text, 500))));
    }
    let division = case.intake.place.division_unit_id.and_then(|id| units.get(&id));
    let (lat, long) = match (detail, case.intake.place.latitude, case.intake.place.longitude) {
        (true, Some(lat), Some(lon)) => {
            let (wlon, wlat) = minsheng_place::gcj02_to_wgs84(lon, lat);
            (Some(round6(wlat)), Some(round6(wlon)))
        }
        _ => (None, None),
    };
    let address = if detail {
        case.intake.place.address.as_ref().map(|a| mask_contacts(a.as_str())).or_else(|| division.map(|(n, _)| n.to_string()))
    } else {
        division.map(|(n, _)| n.to_string())
    };
    RequestView {
        service_request_id: case.number.as_str().to_string(),
        status: Status::of(case.state),
        status_notes: notes,
        service_name: code.as_deref().and_then(|c| names.get(c)).map(|n| n.to_string()),
        service_code: code,
        description: detail.then(|| mask_contacts(said)),
        agency_responsible: case.lead_unit.as_ref().map(|u| u.name.clone()),
        service_notice: None,
        requested_datetime: format_time(case.received_at),
        updated_datetime: format_time(case.updated_at),
        expected_datetime: case
            .deadlines
            .iter()
            .find(|d| d.step == minsheng_domain::deadline::Step::Reply)
            .and_then(|d| d.due_at)
            .map(format_time),
        address,
        address_id: division.map(|(_, c)| c.to_string()),
        zipcode: None,
        lat,
        long,
        media_url: media.filter(|_| detail).map(str::to_string),
        extensions: events.map(|events| Extensions {
            state: case.state.as_str(),
            state_label: case.state.label_zh(),
            channel: case.intake.channel.as_str(),
            case_type: case.intake.case_type.as_str(),
            urgency: case.intake.urgency.as_str(),
            reporters: case.reporters,
            notes: updates_of(case, events)
                .into_iter()
                .map(|u| NoteView {
                    kind: match u.status {
                        _ if u.seq == 1 => "opened",
                        "fixed" | "closed" | "duplicate" | "no_further_action" => "closed",
                        _ => "activity",
                    },
                    datetime: u.updated_datetime,
                    summary: u.label,
                    description: u.text,
                    status: u.status,
                })
                .collect(),
        }),
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The public steps of a case with the status each left it in (the case is replayed to know).
fn updates_of(case: &Case, events: &[Event]) -> Vec<UpdateView> {
    let Some(first) = events.first() else { return Vec::new() };
    let EventKind::Received { intake } = &first.kind else { return Vec::new() };
    let detail = public_detail(case);
    let mut state = Case::new(case.id, case.number.clone(), intake.clone(), first.at, first.actor.user_id);
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            state.apply(e);
        }
        if !e.kind.citizen_visible() {
            continue;
        }
        let text = match &e.kind {
            EventKind::Replied { text, .. } => Some(text.clone()),
            EventKind::AnsweredOnSpot { answer } => Some(answer.clone()),
            EventKind::InfoAdded { .. } => e.note.clone(),
            _ => None,
        };
        let label = e.kind.public_label_zh();
        let text = text.filter(|_| detail).map(|t| mask_contacts(&clip(&t, 1000)));
        let description = match &text {
            Some(t) => format!("{label}：{t}"),
            None => label.clone(),
        };
        out.push(UpdateView {
            update_id: format!("{}-{}", case.number.as_str(), e.seq),
            service_request_id: case.number.as_str().to_string(),
            status: feed_status(state.state, state.solved),
            external_status_code: state.state.as_str(),
            updated_datetime: format_time(e.at),
            description,
            media_url: None,
            at: e.at,
            seq: e.seq,
            label,
            text,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_masked_in_published_text() {
        assert_eq!(mask_contacts("请联系13812345678尽快处理"), "请联系138****5678尽快处理");
        assert_eq!(mask_contacts("邮件 zhang.san@example.com 谢谢"), "邮件 zh***@example.com 谢谢");
        assert_eq!(mask_contacts("3号楼 2026年"), "3号楼 2026年", "short numbers stay");
    }

    #[test]
    fn dates_in_every_form_clients_send() {
        let z = parse_datetime("start_date", "2026-11-22T00:00:00Z").unwrap();
        assert_eq!(parse_datetime("start_date", "2026-11-22T08:00:00+08:00").unwrap(), z);
        assert_eq!(parse_datetime("start_date", "2026-11-22T08:00:00").unwrap(), z, "no offset is China time");
        assert_eq!(parse_datetime("start_date", "2026-11-22").unwrap(), z - 8 * 3600 * 1000);
        assert!(parse_datetime("start_date", "22/11/2026").is_err());
    }

    #[test]
    fn the_window_defaults_and_limits() {
        let now = 1_000 * DAY_MS;
        assert_eq!(window(None, None, now).unwrap(), (now - 90 * DAY_MS, now));
        assert_eq!(window(None, Some(now - DAY_MS), now).unwrap(), (now - 91 * DAY_MS, now - DAY_MS));
        assert_eq!(window(Some(now - 10 * DAY_MS), None, now).unwrap(), (now - 10 * DAY_MS, now));
        assert!(window(Some(now - 91 * DAY_MS), Some(now), now).is_err());
        assert!(window(Some(now), Some(now - 1), now).is_err());
    }

    #[test]
    fn media_links_round_trip_through_the_text() {
        let text = format!("路灯不亮\n\n{MEDIA_MARK}https://example.org/a.jpg");
        assert_eq!(split_media(&text), ("路灯不亮", Some("https://example.org/a.jpg")));
        assert_eq!(split_media("路灯不亮"), ("路灯不亮", None));
    }

    #[test]
    fn states_map_to_the_standard() {
        assert_eq!(Status::of(CaseState::AwaitingCallback), Status::Open);
        assert_eq!(Status::of(CaseState::Merged), Status::Closed);
        assert_eq!(feed_status(CaseState::Closed, Some(Solved::Solved)), "fixed");
        assert_eq!(feed_status(CaseState::Merged, None), "duplicate");
        assert_eq!(feed_status(CaseState::Dispatched, None), "action_scheduled");
    }
}
