//! One mail's bytes to what the platform needs of it (来信解析): who wrote, the conversation it
//! belongs to, a case number it quotes, its text and its files. Pure: no storage, no clock.
//!
//! MIME decoding (RFC 2047 words, quoted-printable, base64, GBK/GB18030/GB2312/Big5/UTF-8
//! bodies) is mail-parser's; what is ours is the choice of text (plain part, else the HTML part
//! as readable text), the thread keys and what counts as an automatic message.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use minsheng_domain::value::{CaseNumber, EmailAddress, PersonName};
use sha2::{Digest, Sha256};

use crate::html;

/// The longest id kept as a thread key; longer ones (rare, and never ours) are hashed.
const MAX_ID_LEN: usize = 250;
/// The newest references kept of a long thread: enough to find our mail in it.
const MAX_REFERENCES: usize = 20;

/// A mail as the platform reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMail {
    /// The Message-ID without angle brackets; for a mail without one, a hash of its bytes (so a
    /// second delivery of the same bytes is still recognised).
    pub message_id: String,
    /// In-Reply-To and References, without brackets, newest first.
    pub refers_to: Vec<String>,
    /// A case number quoted in the subject (补充 HK20261122000123).
    pub case_number: Option<String>,
    pub from: EmailAddress,
    /// The display name when it is a usable name (not an address).
    pub name: Option<PersonName>,
    pub subject: Option<String>,
    /// What the citizen wrote: the plain-text part, else the HTML part as text; in a reply, the
    /// quoted earlier mail is cut off.
    pub text: String,
    pub attachments: Vec<MailFile>,
    /// An out-of-office reply, a bounce or another machine's message: not a citizen's request.
    pub automatic: bool,
}

/// A file that came with the mail.
#[derive(Debug, Clone, PartialEq)]
pub struct MailFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a mail cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// No header could be parsed.
    NotAMessage,
    /// Neither the From header nor the envelope names a valid address to answer.
    NoSender,
}

/// Reads a mail. `envelope_from` is the SMTP reverse-path (`None` for the null path `<>` of
/// bounces); it stands in for a missing or broken From header.
pub fn parse_mail(raw: &[u8], envelope_from: Option<&str>) -> Result<ParsedMail, Unreadable> {
    let message = MessageParser::default().parse(raw).ok_or(Unreadable::NotAMessage)?;
    if message.headers().is_empty() {
        return Err(Unreadable::NotAMessage);
    }

    let from_header = message.from().and_then(|a| a.first());
    let from = from_header
        .and_then(|a| a.address())
        .and_then(|a| EmailAddress::parse(a).ok())
        .or_else(|| envelope_from.and_then(|a| EmailAddress::parse(a).ok()))
        .ok_or(Unreadable::NoSender)?;
    let name = from_header
        .and_then(|a| a.name())
        .map(|n| n.trim().trim_matches('"').trim())
        .filter(|n| !n.is_empty() && !n.contains('@'))
        .and_then(|n| PersonName::parse(n).ok());

    let message_id = match message.message_id().map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => thread_key(id),
        None => format!("{}@sha256.invalid", &hex::encode(Sha256::digest(raw))[..32]),
    };
    let mut refers_to: Vec<String> = Vec::new();
    let in_reply_to = message.in_reply_to().as_text_list().map(|l| l.to_vec()).unwrap_or_default();
    let references = message.references().as_text_list().map(|l| l.to_vec()).unwrap_or_default();
    // In-Reply-To is the mail answered; References oldest first, so read it backwards.
    for id in in_reply_to.iter().chain(references.iter().rev()) {
        let key = thread_key(id.trim());
        if !key.is_empty() && key != message_id && !refers_to.contains(&key) && refers_to.len() < MAX_REFERENCES {
            refers_to.push(key);
        }
    }

    let subject = message.subject().map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty());
    let case_number = subject.as_deref().and_then(case_number_in);

    let mut text = body_text(&message);
    if !refers_to.is_empty() {
        let own = strip_quoted(&text);
        if !own.trim().is_empty() {
            text = own;
        }
    }

    let mut attachments = Vec::new();
    for (i, part) in message.attachments().enumerate() {
        let bytes = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
            PartType::Text(t) | PartType::Html(t) => t.as_bytes().to_vec(),
            PartType::Message(m) => m.raw_message().to_vec(),
            PartType::Multipart(_) => continue,
        };
        let name = part.attachment_name().map(str::trim).filter(|n| !n.is_empty()).map_or_else(|| format!("附件{}", i + 1), str::to_string);
        attachments.push(MailFile { name, bytes });
    }

    let automatic = envelope_from.is_none() || is_automatic(&message);
    Ok(ParsedMail { message_id, refers_to, case_number, from, name, subject, text, attachments, automatic })
}

/// A Message-ID as a thread key: without brackets or spaces; very long ones hashed.
pub fn thread_key(id: &str) -> String {
    let id: String = id.trim().trim_start_matches('<').trim_end_matches('>').chars().filter(|c| !c.is_whitespace()).collect();
    if id.len() > MAX_ID_LEN { format!("{}@sha256.invalid", &hex::encode(Sha256::digest(id.as_bytes()))[..32]) } else { id }
}

/// The first case number in a subject line (`Re: 【12345】诉求已受理 工单号HK20261122000123`).
pub fn case_number_in(subject: &str) -> Option<String> {
    subject
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.len() >= 15)
        .find_map(|w| CaseNumber::parse(w).ok())
        .map(|n| n.as_str().to_string())
}

/// The text of the mail: its plain-text parts; for a part that is HTML (an HTML-only mail), the
/// readable text of it. Line ends are `\n`.
fn body_text(message: &mail_parser::Message<'_>) -> String {
    let mut parts: Vec<String> = message
        .text_bodies()
        .filter_map(|p| match &p.body {
            PartType::Text(t) => Some(t.to_string()),
            PartType::Html(h) => Some(html::to_text(h)),
            _ => None,
        })
        .collect();
    if parts.iter().all(|p| p.trim().is_empty()) {
        parts = message
            .html_bodies()
            .filter_map(|p| match &p.body {
                PartType::Html(h) => Some(html::to_text(h)),
                PartType::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
    }
    let joined = parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n\n");
    joined.replace("\r\n", "\n").replace('\r', "\n")
}

/// Lines that start the quoted earlier mail in a reply, as Chinese and other mailers write them.
fn starts_quote(line: &str) -> bool {
    let l = line.trim();
    l.starts_with("-----Original Message-----")
        || l.starts_with("-----原始邮件-----")
        || (l.starts_with("---") && l.contains("原始邮件"))
        || (l.starts_with("---") && l.contains("Original"))
        || (l.starts_with("在") && (l.ends_with("写道：") || l.ends_with("写道:")))
        || (l.starts_with("On ") && l.ends_with("wrote:"))
        || l.starts_with("发件人：")
        || l.starts_with("发件人:")
        || l.starts_with("From: ")
}

/// The reply without the mail it quotes: lines from a quote header on, and `>` lines, go.
fn strip_quoted(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        if starts_quote(line) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        out.push(line);
    }
    out.join("\n").trim().to_string()
}

/// An automatic message (RFC 3834 Auto-Submitted, a delivery or read report, a bulk or
/// auto-reply precedence): answering it or making it a case would only make noise.
fn is_automatic(message: &mail_parser::Message<'_>) -> bool {
    let raw = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if raw("Auto-Submitted").is_some_and(|v| !v.starts_with("no")) {
        return true;
    }
    if raw("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "auto_reply")) {
        return true;
    }
    if raw("X-Autoreply").is_some() || raw("X-Autorespond").is_some() {
        return true;
    }
    message
        .content_type()
        .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn case_numbers_in_subjects() {
        assert_eq!(case_number_in("Re: 【12345】诉求已受理 工单号HK20261122000123").as_deref(), Some("HK20261122000123"));
        assert_eq!(case_number_in("补充 hk20261122000123 的材料").as_deref(), Some("HK20261122000123"));
        assert_eq!(case_number_in("12345 投诉 20261122000123"), None);
    }

    #[test]
    fn a_reply_keeps_only_what_is_new() {
        let text = "补充一张照片。\n\n在 2026年11月22日 09:00，12345 写道：\n> 您的来信已受理";
        assert_eq!(strip_quoted(text), "补充一张照片。");
        let qq = "路灯还是不亮\n------------------ 原始邮件 ------------------\n发件人: 12345";
        assert_eq!(strip_quoted(qq), "路灯还是不亮");
    }

    #[test]
    fn headers_and_thread_keys() {
        let raw = b"From: =?UTF-8?B?5byg5LiJ?= <Zhang@Example.COM>\r\nTo: 12345@hotline.example\r\n\
            Subject: =?GBK?B?wre1xsvwu7U=?=\r\nMessage-ID: <abc@example.com>\r\nIn-Reply-To: <ours@hotline.example>\r\n\
            References: <first@example.com> <ours@hotline.example>\r\n\r\nhello\r\n";
        let m = parse_mail(raw, Some("zhang@example.com")).unwrap();
        assert_eq!(m.from.as_str(), "zhang@example.com");
        assert_eq!(m.name.as_ref().map(|n| n.as_str()), Some("张三"));
        assert_eq!(m.subject.as_deref(), Some("路灯损坏"));
        assert_eq!(m.message_id, "abc@example.com");
        assert_eq!(m.refers_to, vec!["ours@hotline.example".to_string(), "first@example.com".to_string()]);
        assert!(!m.automatic);
    }

    #[test]
    fn automatic_messages_and_missing_ids() {
        let raw = b"From: a@example.com\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\naway\r\n";
        let m = parse_mail(raw, Some("a@example.com")).unwrap();
        assert!(m.automatic);
        assert!(m.message_id.ends_with("@sha256.invalid"));
        assert_eq!(parse_mail(raw, Some("a@example.com")).unwrap().message_id, m.message_id);
        assert_eq!(parse_mail(b"From: nobody\r\n\r\nx", None), Err(Unreadable::NoSender));
    }
}
