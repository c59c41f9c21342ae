//! One window for every channel (渠道): a message from outside — mail, WeChat, SMS — becomes a new
//! case, or an addition to the case its conversation belongs to, or (an SMS "1"/"2"/"3") the
//! citizen's rating. The channel edges parse their protocol and call [`App::receive_inbound`];
//! the rules of which case a message belongs to live here once for all of them.

use minsheng_domain::Millis;
use minsheng_domain::attachment::AttachmentRef;
use minsheng_domain::case::{CallbackOutcome, Case, CaseState, CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::value::{CaseText, Note, Title};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::service::{ActionRequest, AfterIntake};

/// A message as a channel edge parsed it.
#[derive(Debug, Clone, Default)]
pub struct InboundMessage {
    pub channel: Option<Channel>,
    /// The source's id of this message (a Message-ID, a WeChat MsgId, the gateway's id). The same
    /// id again is answered with the case it went into, and changes nothing.
    pub message_id: String,
    /// Keys a later message of this conversation may refer to (this mail's Message-ID).
    pub thread_keys: Vec<String>,
    /// Keys this message refers to (In-Reply-To and References; a WeChat OpenID).
    pub refers_to: Vec<String>,
    /// A case number the citizen quotes (in a subject line, "补充 HK20261122000123").
    pub case_number: Option<String>,
    pub citizen: Citizen,
    /// 诉求类型; a channel that cannot tell says nothing and the case is a 求助.
    pub case_type: Option<CaseType>,
    /// A subject line; without one the title is the start of the text.
    pub title: Option<String>,
    pub text: String,
    pub place: Place,
    /// Files already stored by the channel (uploaded by the platform).
    pub attachments: Vec<AttachmentRef>,
}

/// What became of an inbound message.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum InboundOutcome {
    /// A new case.
    Created { number: String },
    /// Added to an open case of the same conversation or the same citizen (补充诉求).
    Added { number: String },
    /// The citizen's rating of a case waiting for its callback (短信回访).
    Rated { number: String, outcome: CallbackOutcome },
    /// This message id was handled before, into this case.
    Repeated { number: String },
}

impl InboundOutcome {
    pub fn number(&self) -> &str {
        match self {
            InboundOutcome::Created { number }
            | InboundOutcome::Added { number }
            | InboundOutcome::Rated { number, .. }
            | InboundOutcome::Repeated { number } => number,
        }
    }
}

/// The actor a channel acts as: the platform, named after the channel on the case history.
pub fn channel_actor(channel: Channel) -> Actor {
    Actor { name: format!("{}渠道", channel.label_zh()), ..Actor::system() }
}

/// How long after the last message of a WeChat conversation a new message still adds to its case
/// instead of making a new one (a citizen who writes again next week has a new matter).
pub const THREAD_WINDOW_MS: Millis = 7 * 24 * 3_600_000;

/// A callback SMS answer: "1" 满意, "2" 基本满意, "3" 不满意 (also the words themselves).
pub fn rating_of(text: &str) -> Option<CallbackOutcome> {
    let t: String = text.trim().trim_end_matches(['。', '.', '!', '！']).chars().filter(|c| !c.is_whitespace()).collect();
    match t.as_str() {
        "1" | "１" | "满意" => Some(CallbackOutcome::Satisfied),
        "2" | "２" | "基本满意" => Some(CallbackOutcome::BasicallySatisfied),
        "3" | "３" | "不满意" => Some(CallbackOutcome::Unsatisfied),
        _ => None,
    }
}

/// Cuts text to at most `max` characters, keeping whole characters.
pub fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A one-line title from a subject or the start of the text.
fn title_of(subject: Option<&str>, text: &str) -> DomainResult<Title> {
    let line = subject
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(""));
    let clean: String = line.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        return Title::parse("（无标题）");
    }
    Title::parse(&clip(clean, 40))
}

/// The text as the case keeps it: control characters but line breaks removed, at most the case
/// text's length (what does not fit is said so).
fn case_text_of(text: &str) -> DomainResult<String> {
    let clean: String = text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        return Err(DomainError::invalid("text", "内容为空", "the message has no text"));
    }
    let max = CaseText::MAX_CHARS;
    if clean.chars().count() > max {
        let mark = "……（超出部分已截断）";
        return Ok(format!("{}{mark}", clip(clean, max - mark.chars().count())));
    }
    Ok(clean.to_string())
}

impl App {
    /// Takes in one message from a channel: a repeat of a message seen before changes nothing; a
    /// message of a conversation whose case is open (or naming an open case of the same citizen)
    /// is added to it; an SMS rating answers the callback; anything else is a new case, routed and
    /// dispatched as any intake, with the citizen's acknowledgement in its creating transaction.
    pub async fn receive_inbound(&self, msg: InboundMessage) -> DomainResult<InboundOutcome> {
        let channel = msg.channel.ok_or_else(|| DomainError::invalid("channel", "缺少渠道", "no channel"))?;
        if msg.message_id.is_empty() || msg.message_id.len() > 300 {
            return Err(DomainError::invalid("message_id", "消息编号缺失或过长", "the message id is missing or too long"));
        }
        let ch = channel.as_str();
        if let Some(id) = self.store.inbound_case(ch, &msg.message_id).await? {
            let case = self.store.get_case(id).await?.ok_or_else(|| DomainError::not_found("工单", "case"))?;
            return Ok(InboundOutcome::Repeated { number: case.number.as_str().to_string() });
        }
        let now = self.clock.now();
        let actor = channel_actor(channel);

        // 短信回访: a rating answers the citizen's case that waits for its callback.
        if channel == Channel::Sms
            && let Some(outcome) = rating_of(&msg.text)
            && let Some(case) = self.awaiting_rating(&msg.citizen).await?
        {
            let request = ActionRequest::Callback { outcome, solved: None, comment: None };
            let note = Note::parse("市民短信回复评价").ok();
            let case = self.act_with_retry(&actor, case, request, note).await?;
            self.remember(ch, &msg, case.id, now).await?;
            return Ok(InboundOutcome::Rated { number: case.number.as_str().to_string(), outcome });
        }

        if let Some(case) = self.conversation_case(channel, &msg, now).await? {
            let ids: Vec<String> = msg.attachments.iter().map(|a| a.id.clone()).collect();
            // A subject says what the addition is about ("补充照片", "Re: 路灯") — keep it.
            let text = match msg.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(subject) => case_text_of(&format!("【{}】{}", clip(subject, 60), msg.text))?,
                None => case_text_of(&msg.text)?,
            };
            let note = Note::parse(&clip(&text, Note::MAX_CHARS))?;
            // The addition claims its files for the case (act_on), as any add_info does.
            let case = self.act_with_retry(&actor, case, ActionRequest::AddInfo { attachments: ids }, Some(note)).await?;
            self.remember(ch, &msg, case.id, now).await?;
            return Ok(InboundOutcome::Added { number: case.number.as_str().to_string() });
        }

        let text = case_text_of(&msg.text)?;
        let intake = Intake {
            channel,
            case_type: msg.case_type.unwrap_or(CaseType::Help),
            title: title_of(msg.title.as_deref(), &text)?,
            text: CaseText::parse(&text)?,
            urgency: Urgency::Normal,
            citizen: msg.citizen.clone(),
            place: msg.place.clone(),
            catalogue_item: None,
            catalogue_version: None,
            tags: Vec::new(),
            external_id: Some(clip(&format!("{ch}:{}", msg.message_id), 200)),
            attachments: msg.attachments.clone(),
        };
        let mut keys: Vec<String> = msg.thread_keys.iter().chain(msg.refers_to.iter()).filter(|k| !k.is_empty()).cloned().collect();
        keys.sort();
        keys.dedup();
        let link = minsheng_store::InboundLink { channel: ch.to_string(), message_id: msg.message_id.clone(), thread_keys: keys };
        let case = match self.take_in(&actor, intake, AfterIntake::Forward, Some(link)).await {
            Ok((case, _)) => case,
            // The same message delivered twice at once: the other delivery made the case.
            Err(e) => match self.store.inbound_case(ch, &msg.message_id).await? {
                Some(id) => {
                    let case = self.store.get_case(id).await?.ok_or_else(|| DomainError::not_found("工单", "case"))?;
                    return Ok(InboundOutcome::Repeated { number: case.number.as_str().to_string() });
                }
                None => return Err(e),
            },
        };
        // The intake claimed the files for the case.
        Ok(InboundOutcome::Created { number: case.number.as_str().to_string() })
    }

    /// Records the message id and links its conversation keys to the case.
    async fn remember(&self, channel: &str, msg: &InboundMessage, case_id: i64, now: Millis) -> DomainResult<()> {
        // Two deliveries of one message at once: the second finds the id taken and stops here;
        // its case (if it made one) stays, marked by its external id.
        self.store.record_inbound(channel, &msg.message_id, case_id, now).await?;
        for key in msg.thread_keys.iter().chain(msg.refers_to.iter()).filter(|k| !k.is_empty()) {
            self.store.link_thread(channel, key, case_id, now).await?;
        }
        Ok(())
    }

    /// The open case this message continues: one it refers to (a reply to our mail, the same
    /// WeChat user within the window), or one whose number it quotes if the case is the same
    /// citizen's. Closed cases are never reopened by a message: that is a new case.
    async fn conversation_case(&self, channel: Channel, msg: &InboundMessage, now: Millis) -> DomainResult<Option<Case>> {
        if let Some(number) = msg.case_number.as_deref()
            && let Some(case) = self.store.case_by_number(number).await?
            && case.state.is_open()
            && same_citizen(&case.intake.citizen, &msg.citizen)
        {
            return Ok(Some(case));
        }
        // A reply joins only from the same citizen: whoever else saw the thread (a copy, a
        // forward) starts their own case.
        if let Some(id) = self.store.thread_case(channel.as_str(), &msg.refers_to).await?
            && let Some(case) = self.store.get_case(id).await?
            && case.state.is_open()
            && same_citizen(&case.intake.citizen, &msg.citizen)
            && (channel != Channel::Wechat || now - case.updated_at <= THREAD_WINDOW_MS)
        {
            return Ok(Some(case));
        }
        Ok(None)
    }

    /// The citizen's most recent case waiting for its callback (by phone number).
    async fn awaiting_rating(&self, citizen: &Citizen) -> DomainResult<Option<Case>> {
        let Some(phone) = citizen.phone.as_ref() else { return Ok(None) };
        let query = minsheng_store::CaseQuery {
            scope: minsheng_store::Scope::All,
            filter: minsheng_store::CaseFilter {
                phone: Some(phone.as_str().to_string()),
                states: vec![CaseState::AwaitingCallback],
                ..Default::default()
            },
            before_id: None,
            limit: 1,
        };
        Ok(self.store.list_cases(&query).await?.cases.into_iter().next())
    }

    /// Acts as a channel on a case, re-reading it when someone else changed it meanwhile.
    async fn act_with_retry(&self, actor: &Actor, mut case: Case, request: ActionRequest, note: Option<Note>) -> DomainResult<Case> {
        let mut tries = 0;
        loop {
            let version = case.version;
            match self.act_on(actor, case.clone(), version, request.clone(), note.clone()).await {
                Ok(_) => return self.store.get_case(case.id).await?.ok_or_else(|| DomainError::not_found("工单", "case")),
                Err(e) if e.code == ErrorCode::VersionConflict && tries < 3 => {
                    tries += 1;
                    case = self.store.get_case(case.id).await?.ok_or_else(|| DomainError::not_found("工单", "case"))?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Whether two citizen records are one person: the same phone, e-mail address or OpenID.
pub fn same_citizen(a: &Citizen, b: &Citizen) -> bool {
    let eq = |x: Option<&str>, y: Option<&str>| matches!((x, y), (Some(x), Some(y)) if x == y);
    eq(a.phone.as_ref().map(|p| p.as_str()), b.phone.as_ref().map(|p| p.as_str()))
        || eq(a.email.as_ref().map(|p| p.as_str()), b.email.as_ref().map(|p| p.as_str()))
        || eq(a.wechat_openid.as_ref().map(|p| p.as_str()), b.wechat_openid.as_ref().map(|p| p.as_str()))
}

/// A report from the public web and mobile page (网站 / 手机上报), without login.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicReport {
    pub case_type: CaseType,
    pub title: Option<String>,
    pub text: String,
    pub name: Option<String>,
    pub phone: String,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub confidential: bool,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// `wgs84` (a browser's geolocation) or `gcj02` (Chinese map SDKs); default `wgs84`.
    pub coord_system: Option<String>,
    /// `mobile` or `web` (default `web`).
    pub channel: Option<Channel>,
    /// Ids of files uploaded before through the public upload.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// What the citizen is told after a public report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicReceipt {
    pub number: String,
    pub track_url: String,
}

impl App {
    /// Takes a public report: per-IP and per-phone limits first, then the same intake as every
    /// channel (the acknowledgement SMS goes with it). `client` is the caller's address.
    pub async fn submit_public(&self, client: &str, report: PublicReport) -> DomainResult<PublicReceipt> {
        use crate::abuse::Door;
        self.knock(Door::ReportIp, client)?;
        let phone = minsheng_domain::value::PhoneNumber::parse(&report.phone)?;
        let title = match report.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Title::parse(t)?,
            None => title_of(None, &report.text)?,
        };
        let text = CaseText::parse(&report.text)?;
        let name = match report.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if !report.anonymous => Some(minsheng_domain::value::PersonName::parse(n)?),
            _ => None,
        };
        let address = match report.address.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Some(minsheng_domain::value::Address::parse(a)?),
            None => None,
        };
        let (latitude, longitude) = match (report.latitude, report.longitude) {
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    return Err(DomainError::invalid("latitude", "坐标超出范围", "coordinates out of range"));
                }
                // Places are kept in GCJ-02, the datum of Chinese maps and of our polygons.
                let system = report.coord_system.as_deref().unwrap_or("wgs84");
                let (lon, lat) = match system {
                    "wgs84" => minsheng_place::coord::wgs84_to_gcj02(lon, lat),
                    "gcj02" => (lon, lat),
                    other => {
                        return Err(DomainError::invalid(
                            "coord_system",
                            format!("不支持的坐标系 {other}（wgs84 或 gcj02）"),
                            format!("unsupported coordinate system {other} (wgs84 or gcj02)"),
                        ));
                    }
                };
                (Some(lat), Some(lon))
            }
            (None, None) => (None, None),
            _ => return Err(DomainError::invalid("latitude", "经纬度须同时提供", "give both latitude and longitude")),
        };
        let channel = match report.channel {
            None | Some(Channel::Web) => Channel::Web,
            Some(Channel::Mobile) => Channel::Mobile,
            Some(_) => return Err(DomainError::invalid("channel", "公开页面只能是 web 或 mobile", "the public page is web or mobile")),
        };
        let citizen_actor = Actor { user_id: None, name: "市民".into(), role: Role::Citizen, unit: None };
        let attachments = self.attachment_refs(&citizen_actor, &report.attachments).await?;
        // The phone's bucket is spent only by a report that is otherwise valid.
        self.knock(Door::ReportPhone, phone.as_str())?;
        let intake = Intake {
            channel,
            case_type: report.case_type,
            title,
            text,
            urgency: Urgency::Normal,
            citizen: Citizen {
                name,
                phone: Some(phone),
                anonymous: report.anonymous,
                confidential: report.confidential,
                ..Citizen::default()
            },
            place: Place { address, division_unit_id: None, latitude, longitude },
            catalogue_item: None,
            catalogue_version: None,
            tags: Vec::new(),
            external_id: None,
            attachments,
        };
        let case = self.create_case_quietly(&citizen_actor, intake, AfterIntake::Forward).await?;
        let number = case.number.as_str().to_string();
        Ok(PublicReceipt { track_url: self.tracking_link(&number), number })
    }
}
