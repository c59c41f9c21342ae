//! Mail to citizens (邮件回复): the outbox's [`Transport`] for the `email` channel, through a
//! configured SMTP relay (plain, STARTTLS or SMTPS, with or without credentials).
//!
//! Each notice's Message-ID is derived from its stable dedup key, so a notice sent again after a
//! crash carries the same id and the receiving side can tell it is the same mail. The id is
//! linked to the case as a thread key before sending: the citizen's reply names it in
//! In-Reply-To and joins the case. The derivation is keyed with a secret of this installation
//! (kept in the settings), so nobody can compute the id of another citizen's mail from its case
//! number and write into that case.

use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncTransport, Tokio1Executor};
use minsheng_app::App;
use minsheng_app::outbox::{EMAIL, SendError, Transport};
use minsheng_store::Notice;
use sha2::{Digest, Sha256};

use crate::intake::CHANNEL;

/// Setting key of the secret the Message-IDs are derived with.
pub const SECRET_KEY: &str = "email_message_id_secret";

/// Where and as whom mail goes out.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The relay as a URL: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS from the start). A path names the EHLO
    /// host: `smtp://host:25/hotline.example.gov.cn`.
    pub url: String,
    /// The sender, `12345热线 <12345@hotline.example.gov.cn>`; its domain names the Message-IDs.
    pub from: String,
    /// How long one SMTP exchange may take.
    pub timeout: Duration,
}

/// Sends the `email` notices of the outbox.
pub struct SmtpTransport {
    app: App,
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    secret: Vec<u8>,
}

impl SmtpTransport {
    /// Builds the transport; reads (or, the first time, makes) the installation's secret.
    pub async fn new(app: App, config: &RelayConfig) -> Result<Self, String> {
        let from: Mailbox = config.from.parse().map_err(|e| format!("mail_from {:?} is not a mailbox: {e}", config.from))?;
        let domain = from.email.domain().to_string();
        let mailer = relay(&config.url)?.timeout(Some(config.timeout)).build();
        let secret = match app.store.get_setting(SECRET_KEY).await.map_err(|e| e.to_string())? {
            Some(s) if !s.is_empty() => s,
            _ => {
                let s = hex::encode(rand::random::<[u8; 32]>());
                app.store.put_setting(SECRET_KEY, &s).await.map_err(|e| e.to_string())?;
                s
            }
        };
        Ok(SmtpTransport { app, mailer, from, domain, secret: secret.into_bytes() })
    }

    /// The Message-ID of the mail of a notice, without angle brackets (as the listener reads
    /// thread keys).
    pub fn message_id(&self, dedup_key: &str) -> String {
        let mut h = Sha256::new();
        h.update(&self.secret);
        h.update([0]);
        h.update(dedup_key.as_bytes());
        format!("{}@{}", &hex::encode(h.finalize())[..32], self.domain)
    }

    /// The mail of a notice: the citizen's subject and text, our stable Message-ID, and a reply to
    /// their first mail when the case came by mail.
    async fn compose(&self, notice: &Notice, message_id: &str) -> Result<Message, SendError> {
        let to: Mailbox = notice.recipient.parse().map_err(|e| SendError::permanent(format!("bad recipient address: {e}")))?;
        let number = notice.payload.get("number").and_then(|n| n.as_str()).unwrap_or_default();
        let subject = match notice.payload.get("subject").and_then(|s| s.as_str()) {
            Some(s) => s.to_string(),
            None => format!("【12345】工单{number}"),
        };
        let now = u64::try_from(self.app.clock.now()).unwrap_or(0);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .date(UNIX_EPOCH + Duration::from_millis(now))
            .message_id(Some(format!("<{message_id}>")))
            // RFC 3834: out-of-office replies must not answer us (and we drop those that do).
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into()));
        if let Some(original) = self.original_message_id(notice).await? {
            builder = builder.in_reply_to(format!("<{original}>")).references(format!("<{original}>"));
        }
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(notice.body.clone())
            .map_err(|e| SendError::permanent(format!("cannot build the mail: {e}")))
    }

    /// The Message-ID of the citizen's mail that made the case (its external id `email:<id>`).
    async fn original_message_id(&self, notice: &Notice) -> Result<Option<String>, SendError> {
        let Some(case_id) = notice.case_id else { return Ok(None) };
        let case = self.app.store.get_case(case_id).await.map_err(|e| SendError::retry(format!("cannot read the case: {e}")))?;
        let id = case
            .and_then(|c| c.intake.external_id)
            .and_then(|x| x.strip_prefix("email:").map(str::to_string))
            // An external id is clipped at 200 characters; a clipped id would name no mail.
            .filter(|id| id.len() < 190 && !id.ends_with("@sha256.invalid"));
        Ok(id)
    }
}

/// The lettre builder for a relay URL. TLS needs the `tls` query or `smtps`; a plain `smtp://`
/// relay gets no TLS at all (a local MTA, or a test server).
fn relay(url: &str) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, String> {
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("smtp_relay {url:?}: {e}"))?;
    if url.starts_with("smtp://") && !url.contains("tls=") {
        return Ok(builder.tls(Tls::None));
    }
    Ok(builder)
}

#[async_trait]
impl Transport for SmtpTransport {
    fn channel(&self) -> &'static str {
        EMAIL
    }

    async fn send(&self, notice: &Notice) -> Result<(), SendError> {
        let message_id = self.message_id(&notice.dedup_key);
        // Linked before sending: a reply can only come after our mail, and a link of a mail that
        // then failed to go is harmless (nobody can reply to it).
        if let Some(case_id) = notice.case_id {
            let now = self.app.clock.now();
            self.app
                .store
                .link_thread(CHANNEL, &message_id, case_id, now)
                .await
                .map_err(|e| SendError::retry(format!("cannot link the thread: {e}")))?;
        }
        let message = self.compose(notice, &message_id).await?;
        match self.mailer.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// A refused address is final (550, 551, 553: no such mailbox, not local, bad address); anything
/// else, our misconfiguration (530, 535) or the relay's trouble included, is tried again later
/// with backoff, up to the outbox's limit.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let permanent = e.is_permanent() && e.status().is_some_and(|c| matches!(c.to_string().as_str(), "550" | "551" | "553"));
    let message = format!("smtp: {e}");
    if permanent { SendError::permanent(message) } else { SendError::retry(message) }
}
