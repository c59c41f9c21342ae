//! The SMS channel (短信): the gateway's signed webhook for messages citizens send to the hotline
//! number, and the adapter that hands our notices to the gateway over HTTP.
//!
//! Both directions sign the same way, so a gateway integration is one recipe: the headers
//! `X-Minsheng-Timestamp` (Unix seconds), `X-Minsheng-Nonce` (8–64 characters) and
//! `X-Minsheng-Signature` = hex(HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + body)).
//! A request more than five minutes off, or a nonce seen before, is a replay and is refused.

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use minsheng_domain::Millis;
use minsheng_domain::case::{Channel, Citizen};
use minsheng_domain::value::PhoneNumber;
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::Notice;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::App;
use crate::channels::{InboundMessage, InboundOutcome};
use crate::outbox::{SMS, SendError, Transport};

pub const TIMESTAMP_HEADER: &str = "x-minsheng-timestamp";
pub const NONCE_HEADER: &str = "x-minsheng-nonce";
pub const SIGNATURE_HEADER: &str = "x-minsheng-signature";
/// How far a request's timestamp may be from our clock.
pub const MAX_SKEW_MS: Millis = 5 * 60_000;
/// The longest SMS text taken (a long message arrives concatenated by the gateway).
pub const MAX_TEXT_CHARS: usize = 2_000;

/// The gateway's settings: where to send, and the shared secrets of each direction.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// The secret inbound webhooks are signed with; without it the webhook is closed.
    pub inbound_secret: Option<String>,
    /// The gateway's send endpoint (HTTP POST, JSON); without it SMS notices stay in the outbox.
    pub gateway_url: Option<String>,
    /// The secret our requests to the gateway are signed with.
    pub gateway_secret: Option<String>,
}

/// The MAC over timestamp, nonce and body; `None` never happens (HMAC takes a key of any length).
fn mac(secret: &str, timestamp: &str, nonce: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    for part in [timestamp.as_bytes(), b"\n", nonce.as_bytes(), b"\n", body] {
        mac.update(part);
    }
    Some(mac)
}

/// The signature of a request: hex HMAC-SHA256 over timestamp, nonce and body.
pub fn sign(secret: &str, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    mac(secret, timestamp, nonce, body).map(|m| hex::encode(m.finalize().into_bytes())).unwrap_or_default()
}

fn verify_signature(secret: &str, timestamp: &str, nonce: &str, body: &[u8], signature: &str) -> bool {
    let (Some(mac), Ok(given)) = (mac(secret, timestamp, nonce, body), hex::decode(signature.trim())) else { return false };
    // verify_slice compares in constant time.
    mac.verify_slice(&given).is_ok()
}

/// One message as the gateway posts it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InboundSms {
    /// The gateway's id of the message (its retries repeat it).
    pub id: String,
    /// The sender's number.
    pub from: String,
    /// The hotline number it was sent to.
    #[serde(default)]
    pub to: Option<String>,
    pub text: String,
}

fn refused(code: ErrorCode, zh: &str, en: &str) -> DomainError {
    DomainError::new(code, zh, en)
}

impl App {
    /// Takes in a signed webhook request from the SMS gateway: checks the signature, the clock
    /// skew and the nonce (a replay changes nothing), then hands the message to
    /// [`App::receive_inbound`]. A digit answer to a callback SMS becomes the rating.
    pub async fn receive_sms(
        &self,
        settings: &SmsSettings,
        timestamp: &str,
        nonce: &str,
        signature: &str,
        body: &[u8],
    ) -> DomainResult<InboundOutcome> {
        let Some(secret) = settings.inbound_secret.as_deref().filter(|s| !s.is_empty()) else {
            return Err(refused(ErrorCode::NotFound, "短信接入未开通", "the SMS webhook is not configured"));
        };
        let unsigned = || refused(ErrorCode::Unauthenticated, "签名无效", "invalid signature");
        if nonce.len() < 8 || nonce.len() > 64 || !nonce.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(unsigned());
        }
        if !verify_signature(secret, timestamp, nonce, body, signature) {
            return Err(unsigned());
        }
        let now = self.clock.now();
        let at = timestamp.trim().parse::<i64>().map_err(|_| unsigned())?.saturating_mul(1000);
        if (now - at).abs() > MAX_SKEW_MS {
            return Err(refused(
                ErrorCode::Unauthenticated,
                "请求时间戳超出允许范围（重放）",
                "the request's timestamp is too far from now (replay)",
            ));
        }
        let sms: InboundSms = serde_json::from_slice(body)
            .map_err(|e| DomainError::invalid("body", format!("短信内容格式错误：{e}"), format!("malformed SMS body: {e}")))?;
        if sms.id.trim().is_empty() || sms.id.len() > 128 {
            return Err(DomainError::invalid("id", "缺少短信编号或过长", "the message id is missing or too long"));
        }
        if sms.text.chars().count() > MAX_TEXT_CHARS {
            return Err(DomainError::invalid(
                "text",
                format!("短信超过 {MAX_TEXT_CHARS} 字"),
                format!("longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        let phone = PhoneNumber::parse(&sms.from)?;
        // The nonce is spent only by a request that passed every check above.
        if !self.store.record_inbound("sms-nonce", nonce, 0, now).await? {
            return Err(refused(ErrorCode::Unauthenticated, "重复的请求（nonce 已使用）", "replayed request (the nonce was used before)"));
        }
        let msg = InboundMessage {
            channel: Some(Channel::Sms),
            message_id: sms.id.trim().to_string(),
            case_number: find_case_number(&sms.text),
            citizen: Citizen { phone: Some(phone), ..Citizen::default() },
            text: sms.text,
            ..InboundMessage::default()
        };
        self.receive_inbound(msg).await
    }
}

/// A case number quoted in a text (`HK20261122000123`, also with a `-01` suffix).
pub fn find_case_number(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    for start in 0..chars.len() {
        if !chars[start].is_ascii_uppercase() || (start > 0 && chars[start - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let letters = chars[start..].iter().take_while(|c| c.is_ascii_uppercase()).count();
        if !(1..=6).contains(&letters) {
            continue;
        }
        let digits = chars[start + letters..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits != 14 {
            continue;
        }
        let mut end = start + letters + digits;
        if chars.get(end) == Some(&'-')
            && chars.get(end + 1).is_some_and(char::is_ascii_digit)
            && chars.get(end + 2).is_some_and(char::is_ascii_digit)
        {
            end += 3;
        }
        let candidate: String = chars[start..end].iter().collect();
        if minsheng_domain::value::CaseNumber::parse(&candidate).is_ok() {
            return Some(candidate);
        }
    }
    None
}

/// What we post to the gateway.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboundSms {
    /// Our id of the message: the gateway drops a second message with the same id.
    pub id: String,
    pub to: String,
    pub text: String,
}

/// Sends SMS notices through the gateway's HTTP endpoint, signed; the notice's dedup key is the
/// message id and the `Idempotency-Key` header, so a re-send after a crash is dropped there.
pub struct SmsGatewayTransport {
    url: String,
    secret: String,
    http: reqwest::Client,
}

impl SmsGatewayTransport {
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default();
        SmsGatewayTransport { url: url.into(), secret: secret.into(), http }
    }

    pub fn from_settings(s: &SmsSettings) -> Option<Self> {
        Some(Self::new(s.gateway_url.clone()?, s.gateway_secret.clone().unwrap_or_default()))
    }
}

#[async_trait]
impl Transport for SmsGatewayTransport {
    fn channel(&self) -> &'static str {
        SMS
    }

    async fn send(&self, notice: &Notice) -> Result<(), SendError> {
        let body =
            serde_json::to_vec(&OutboundSms { id: notice.dedup_key.clone(), to: notice.recipient.clone(), text: notice.body.clone() })
                .map_err(|e| SendError::permanent(e.to_string()))?;
        let timestamp = (chrono::Utc::now().timestamp()).to_string();
        let nonce = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        let signature = sign(&self.secret, &timestamp, &nonce, &body);
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("idempotency-key", &notice.dedup_key)
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(NONCE_HEADER, &nonce)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::retry(format!("gateway unreachable: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text: String = response.text().await.unwrap_or_default().chars().take(200).collect();
        let message = format!("gateway answered {status}: {text}");
        // A refusal of the request itself will not change on retry; overload and outages will.
        if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(SendError::permanent(message))
        } else {
            Err(SendError::retry(message))
        }
    }
}
