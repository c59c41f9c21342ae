//! A received mail into the platform (来信受理): parsed, its files stored, handed to
//! [`App::receive_inbound`] (which decides new case, addition or repeat), and the SMTP answer
//! that tells the sending server whether the mail is safely ours (250), should be tried again
//! later (451), or can never become a case (554).

use minsheng_app::App;
use minsheng_app::attachments::MAX_PER_MESSAGE;
use minsheng_app::channels::{InboundMessage, InboundOutcome};
use minsheng_domain::case::{Channel, Citizen};
use minsheng_domain::{DomainError, ErrorCode};

use crate::parse::{ParsedMail, Unreadable, parse_mail};

/// The channel name of e-mail in threads, inbound ids and the outbox.
pub const CHANNEL: &str = "email";

/// An SMTP answer to a finished DATA: the code and its text (with the enhanced status code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    fn new(code: u16, text: impl Into<String>) -> Self {
        Reply { code, text: text.into() }
    }

    /// Whether the sending server may forget the mail (it is ours now, or was refused for good).
    pub fn is_final(&self) -> bool {
        self.code < 400 || self.code >= 500
    }
}

/// What became of one mail, for the SMTP answer and for callers that want more than the code.
#[derive(Debug, Clone)]
pub enum Received {
    Case(InboundOutcome),
    /// An automatic message (out-of-office, bounce): accepted and dropped.
    Ignored,
}

/// Takes in one mail: returns the SMTP answer. Nothing is recorded unless the answer is 250.
pub async fn accept_mail(app: &App, raw: &[u8], envelope_from: Option<&str>) -> Reply {
    match receive_mail(app, raw, envelope_from).await {
        Ok(Received::Case(outcome)) => {
            let n = outcome.number();
            let what = match &outcome {
                InboundOutcome::Created { .. } => format!("case {n} created"),
                InboundOutcome::Added { .. } => format!("added to case {n}"),
                InboundOutcome::Repeated { .. } => format!("already received as case {n}"),
                InboundOutcome::Rated { .. } => format!("rating of case {n} recorded"),
            };
            Reply::new(250, format!("2.0.0 Ok: {what}"))
        }
        Ok(Received::Ignored) => Reply::new(250, "2.0.0 Ok: automatic message, not recorded"),
        Err(reply) => reply,
    }
}

/// [`accept_mail`] with the outcome itself; the error is the SMTP answer to give.
pub async fn receive_mail(app: &App, raw: &[u8], envelope_from: Option<&str>) -> Result<Received, Reply> {
    let mail = match parse_mail(raw, envelope_from) {
        Ok(m) => m,
        Err(Unreadable::NotAMessage) => return Err(Reply::new(554, "5.6.0 Message refused: no header could be read")),
        Err(Unreadable::NoSender) => return Err(Reply::new(554, "5.1.7 Message refused: no valid sender address to answer")),
    };
    if mail.automatic {
        tracing::info!(message_id = %mail.message_id, "automatic mail (auto-reply or report) dropped");
        return Ok(Received::Ignored);
    }
    // A second delivery (the sender did not see our 250) is answered before its files are
    // stored again; receive_inbound would answer it too, but after the files were kept.
    match app.store.inbound_case(CHANNEL, &mail.message_id).await {
        Ok(Some(id)) => {
            if let Ok(Some(case)) = app.store.get_case(id).await {
                return Ok(Received::Case(InboundOutcome::Repeated { number: case.number.as_str().to_string() }));
            }
        }
        Ok(None) => {}
        Err(e) => return Err(refusal(&e.into())),
    }
    let message = inbound_message(app, mail).await?;
    match app.receive_inbound(message).await {
        Ok(outcome) => {
            tracing::info!(number = outcome.number(), ?outcome, "mail received");
            Ok(Received::Case(outcome))
        }
        Err(e) => Err(refusal(&e)),
    }
}

/// Stores the mail's files and builds the channel message. A file the platform does not keep
/// (its type, its size, one too many) is named in the text instead, so the mail is never lost
/// for it.
async fn inbound_message(app: &App, mail: ParsedMail) -> Result<InboundMessage, Reply> {
    let mut attachments = Vec::new();
    let mut not_kept = Vec::new();
    for file in mail.attachments {
        if attachments.len() >= MAX_PER_MESSAGE {
            not_kept.push(format!("附件 {} 未保存：每封邮件最多 {MAX_PER_MESSAGE} 个附件", file.name));
            continue;
        }
        match app.store_attachment(None, &file.name, file.bytes).await {
            Ok(r) => attachments.push(r),
            Err(e) if matches!(e.code, ErrorCode::InvalidInput | ErrorCode::PayloadTooLarge) => {
                // "字段 file：不支持的文件类型…" — the field name means nothing to a reader of the case.
                let reason = e.message_zh.strip_prefix("字段 file：").unwrap_or(&e.message_zh);
                not_kept.push(format!("附件 {} 未保存：{reason}", file.name));
            }
            Err(e) => return Err(refusal(&e)),
        }
    }
    let mut text = mail.text;
    if text.trim().is_empty() {
        text = mail.subject.clone().unwrap_or_default();
    }
    if text.trim().is_empty() && !attachments.is_empty() {
        text = "（来信仅含附件）".to_string();
    }
    if !not_kept.is_empty() {
        if !text.trim().is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&not_kept.join("\n"));
    }
    let citizen = Citizen { email: Some(mail.from), name: mail.name, ..Default::default() };
    Ok(InboundMessage {
        channel: Some(Channel::Email),
        thread_keys: vec![mail.message_id.clone()],
        message_id: mail.message_id,
        refers_to: mail.refers_to,
        case_number: mail.case_number,
        citizen,
        case_type: None,
        title: mail.subject,
        text,
        place: Default::default(),
        attachments,
    })
}

/// The SMTP answer to a refusal: ours (the database, a race) is temporary, 451, and the sending
/// server tries again; the mail's (nothing to make a case of) is permanent, 554.
fn refusal(e: &DomainError) -> Reply {
    match e.code {
        ErrorCode::Internal | ErrorCode::VersionConflict | ErrorCode::RateLimited | ErrorCode::AlreadyExists => {
            tracing::warn!(code = e.code.as_str(), error = %e.message_en, "mail deferred");
            Reply::new(451, "4.3.0 Temporary failure, please try again later")
        }
        _ => {
            tracing::info!(code = e.code.as_str(), error = %e.message_en, "mail refused");
            Reply::new(554, format!("5.6.0 Message refused: {}", ascii_only(&e.message_en)))
        }
    }
}

/// SMTP answers are ASCII (RFC 5321 without SMTPUTF8).
fn ascii_only(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()).take(200).collect()
}
