//! Template messages (模板消息): the outbox transport that tells a citizen who wrote through the
//! official account how their case goes.
//!
//! - The access token (`{api_base}/cgi-bin/token?grant_type=client_credential`) is kept until
//!   five minutes before it expires, and fetched again when WeChat says it is invalid or expired
//!   (errcode 40001, 40014, 42001) — once per send, by one sender at a time.
//! - The message (`{api_base}/cgi-bin/message/template/send`) uses the configured template with
//!   the fields `first`, `keyword1` (the case number), `keyword2` (the notice's text) and
//!   `remark`, and links to the tracking page.
//! - errcode 0 is sent; a refusal about the recipient or the template (43004 not following,
//!   43101 refused, 40003 bad OpenID, 40037 bad template, 47001/47003 bad data) is permanent;
//!   anything else — network, HTTP 5xx, system busy, rate limits — is tried again later.
//!
//! Idempotency: WeChat's template API has no idempotency key in the sense of an SMS gateway. The
//! notice's `dedup_key` goes along as `client_msg_id`, which WeChat documents as suppressing a
//! second message with the same id to the same OpenID for ten minutes only; a retry after a lost
//! answer more than ten minutes later may reach the citizen twice. The outbox's lease and its
//! never-resend-what-is-sent rule keep that to the rare case of an answer lost in transit.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use minsheng_app::Clock;
use minsheng_app::channels::clip;
use minsheng_app::outbox::{SendError, Transport, WECHAT};
use minsheng_domain::Millis;
use minsheng_domain::value::WechatOpenId;
use minsheng_store::Notice;
use serde::Deserialize;
use sha1::Digest;

use crate::{WechatError, WechatSettings};

/// Errcodes that mean the access token must be fetched again.
const TOKEN_INVALID: &[i64] = &[40001, 40014, 42001];
/// Errcodes that no retry will change.
const PERMANENT: &[i64] = &[40003, 40036, 40037, 43004, 43101, 47001, 47003];
/// A token is renewed this long before WeChat says it expires.
const TOKEN_MARGIN_MS: Millis = 5 * 60_000;
/// WeChat's limit on `client_msg_id`.
const CLIENT_MSG_ID_MAX: usize = 64;

#[derive(Debug, Clone)]
struct CachedToken {
    token: String,
    expires_at: Millis,
}

/// The transport of the `wechat` outbox channel.
pub struct WechatTemplateTransport {
    http: reqwest::Client,
    api_base: String,
    app_id: String,
    app_secret: String,
    template_id: String,
    clock: Arc<dyn Clock>,
    /// One fetch of a token at a time: the others wait and use its result.
    token: tokio::sync::Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for WechatTemplateTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatTemplateTransport").field("api_base", &self.api_base).field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

/// What the API answers: a token, or an errcode (0 is success).
#[derive(Debug, Deserialize)]
struct ApiAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    access_token: Option<String>,
    expires_in: Option<i64>,
}

/// How one call to the send API ended.
enum Sent {
    Done,
    TokenInvalid(String),
}

/// The delivery decision for an errcode of the send API (pure, for the tests).
pub fn classify(errcode: i64, errmsg: &str) -> Result<(), SendError> {
    match errcode {
        0 => Ok(()),
        c if PERMANENT.contains(&c) => Err(SendError::permanent(format!("wechat errcode {c}: {errmsg}"))),
        c => Err(SendError::retry(format!("wechat errcode {c}: {errmsg}"))),
    }
}

/// The `client_msg_id` of a notice: its dedup key, or a digest of it when too long.
pub fn client_msg_id(dedup_key: &str) -> String {
    if dedup_key.len() <= CLIENT_MSG_ID_MAX && dedup_key.bytes().all(|b| b.is_ascii_graphic()) {
        dedup_key.to_string()
    } else {
        hex::encode(sha1::Sha1::digest(dedup_key.as_bytes()))
    }
}

impl WechatTemplateTransport {
    /// Needs the AppSecret and the template id; `clock` is the application's (token expiry).
    pub fn new(settings: &WechatSettings, clock: Arc<dyn Clock>) -> Result<Self, WechatError> {
        let secret = settings.app_secret.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let template = settings.template_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let (Some(app_secret), Some(template_id)) = (secret, template) else {
            return Err(WechatError::Config("template messages need app_secret and template_id".into()));
        };
        let api_base = settings.api_base.trim().trim_end_matches('/').to_string();
        if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
            return Err(WechatError::Config(format!("api_base is not an http(s) address: {api_base}")));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| WechatError::Config(format!("HTTP client: {e}")))?;
        Ok(WechatTemplateTransport {
            http,
            api_base,
            app_id: settings.app_id.clone(),
            app_secret: app_secret.to_string(),
            template_id: template_id.to_string(),
            clock,
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// A valid access token: the cached one, unless it is `stale` (refused by WeChat) or expired.
    async fn access_token(&self, stale: Option<&str>) -> Result<String, SendError> {
        let mut cached = self.token.lock().await;
        let now = self.clock.now();
        if let Some(t) = cached.as_ref()
            && t.expires_at > now
            && stale != Some(t.token.as_str())
        {
            return Ok(t.token.clone());
        }
        let response = self
            .http
            .get(format!("{}/cgi-bin/token", self.api_base))
            .query(&[("grant_type", "client_credential"), ("appid", self.app_id.as_str()), ("secret", self.app_secret.as_str())])
            .send()
            .await
            // The error text would carry the URL with the secret: say only what kind of failure.
            .map_err(|e| SendError::retry(format!("wechat token: {}", describe(&e))))?;
        let answer = read_answer(response, "token").await?;
        match (answer.errcode, answer.access_token) {
            (0, Some(token)) if !token.is_empty() => {
                let lifetime = answer.expires_in.unwrap_or(7200).max(0) * 1000;
                let expires_at = now + (lifetime - TOKEN_MARGIN_MS).max(60_000);
                *cached = Some(CachedToken { token: token.clone(), expires_at });
                Ok(token)
            }
            // A wrong AppSecret or an IP not on the account's whitelist: an administrator must act;
            // the notice waits and is tried again.
            (code, _) => {
                tracing::error!(errcode = code, errmsg = %answer.errmsg, "wechat access token refused");
                Err(SendError::retry(format!("wechat token errcode {code}: {}", answer.errmsg)))
            }
        }
    }

    /// The template message of a notice.
    pub fn message(&self, notice: &Notice) -> serde_json::Value {
        let number = notice.payload.get("number").and_then(|v| v.as_str()).unwrap_or_default();
        let link = notice.payload.get("link").and_then(|v| v.as_str()).unwrap_or_default();
        let first = match notice.template.as_str() {
            "replied" => "您反映的诉求已办理，请评价",
            "redo" => "您的诉求已安排重新办理",
            _ => "您的诉求有新进展",
        };
        let mut body = serde_json::json!({
            "touser": notice.recipient,
            "template_id": self.template_id,
            "client_msg_id": client_msg_id(&notice.dedup_key),
            "data": {
                "first": {"value": first},
                "keyword1": {"value": number},
                "keyword2": {"value": clip(&notice.body, 200)},
                "remark": {"value": "点击查看详情"},
            },
        });
        if !link.is_empty() {
            body["url"] = serde_json::Value::String(link.to_string());
        }
        body
    }

    async fn post(&self, token: &str, message: &serde_json::Value) -> Result<Sent, SendError> {
        let response = self
            .http
            .post(format!("{}/cgi-bin/message/template/send", self.api_base))
            .query(&[("access_token", token)])
            .json(message)
            .send()
            .await
            .map_err(|e| SendError::retry(format!("wechat send: {}", describe(&e))))?;
        let answer = read_answer(response, "send").await?;
        if TOKEN_INVALID.contains(&answer.errcode) {
            return Ok(Sent::TokenInvalid(format!("wechat errcode {}: {}", answer.errcode, answer.errmsg)));
        }
        classify(answer.errcode, &answer.errmsg).map(|()| Sent::Done)
    }
}

/// A request error without its URL (which holds the secret or the token).
fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    }
}

async fn read_answer(response: reqwest::Response, what: &str) -> Result<ApiAnswer, SendError> {
    let status = response.status();
    if !status.is_success() {
        return Err(SendError::retry(format!("wechat {what}: HTTP {status}")));
    }
    response.json::<ApiAnswer>().await.map_err(|_| SendError::retry(format!("wechat {what}: unreadable answer")))
}

#[async_trait]
impl Transport for WechatTemplateTransport {
    fn channel(&self) -> &'static str {
        WECHAT
    }

    async fn send(&self, notice: &Notice) -> Result<(), SendError> {
        if WechatOpenId::parse(&notice.recipient).is_err() {
            return Err(SendError::permanent("the recipient is not a WeChat OpenID"));
        }
        let message = self.message(notice);
        let token = self.access_token(None).await?;
        match self.post(&token, &message).await? {
            Sent::Done => Ok(()),
            Sent::TokenInvalid(_) => {
                let fresh = self.access_token(Some(&token)).await?;
                match self.post(&fresh, &message).await? {
                    Sent::Done => Ok(()),
                    Sent::TokenInvalid(e) => Err(SendError::retry(format!("a fresh token was refused too: {e}"))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcodes_are_sorted_into_sent_permanent_and_retry() {
        assert_eq!(classify(0, "ok"), Ok(()));
        for code in [43004, 43101, 40003, 40037, 47003] {
            assert!(classify(code, "x").unwrap_err().permanent, "{code}");
        }
        for code in [-1, 45009, 99999] {
            assert!(!classify(code, "x").unwrap_err().permanent, "{code}");
        }
    }

    #[test]
    fn client_msg_ids_fit_wechats_limit() {
        assert_eq!(client_msg_id("citizen:replied:HK20261122000123:7"), "citizen:replied:HK20261122000123:7");
        let long = "x".repeat(100);
        assert_eq!(client_msg_id(&long).len(), 40);
        assert_eq!(client_msg_id(&long), client_msg_id(&long));
        assert_eq!(client_msg_id("带中文的键").len(), 40);
    }

    #[test]
    fn needs_secret_and_template() {
        let clock: Arc<dyn Clock> = Arc::new(minsheng_app::ManualClock::at(0));
        let mut s = WechatSettings::new("t", "wx1");
        assert!(WechatTemplateTransport::new(&s, clock.clone()).is_err());
        s.app_secret = Some("secret".into());
        s.template_id = Some("tmpl".into());
        assert!(WechatTemplateTransport::new(&s, clock.clone()).is_ok());
        s.api_base = "ftp://x".into();
        assert!(WechatTemplateTransport::new(&s, clock).is_err());
    }
}
