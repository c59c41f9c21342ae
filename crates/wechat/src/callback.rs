//! The callback (服务器配置 URL) of the message push protocol, without HTTP: URL verification,
//! opening a push in each of the three modes, and the sealed reply.
//!
//! - Plain mode (明文模式): the query has `signature` = sha1(sort(token, timestamp, nonce)) and
//!   the body is the message; the reply is plain XML.
//! - Compatible mode (兼容模式): the body has both the plain fields and `Encrypt`, the query has
//!   `encrypt_type=aes` and `msg_signature`; we read the encrypted copy and reply encrypted.
//! - Safe mode (安全模式): the body has only `Encrypt`; `msg_signature` = sha1(sort(token,
//!   timestamp, nonce, Encrypt)); the reply is encrypted and signed the same way.
//!
//! Every push must be answered within WeChat's 5 seconds or it is retried (three times, with the
//! same MsgId). A reply of `success` tells WeChat not to retry and to show the citizen nothing;
//! we answer so whenever we cannot give the case number in time, and log why.

use std::sync::Arc;
use std::time::Duration;

use minsheng_app::App;
use serde::Deserialize;

use crate::crypto::{MessageCrypt, signature, signature_matches};
use crate::xml::{MAX_XML_BYTES, Message, encrypted_reply, fields, text_reply};
use crate::{WechatError, WechatSettings};

/// How far a push's timestamp may be from our clock before it is taken for a replay.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;
/// WeChat waits 5 s; half a second is left for the network and the encryption.
pub const REPLY_BUDGET: Duration = Duration::from_millis(4500);
/// The answer that makes WeChat stop retrying and show nothing.
pub const SUCCESS: &str = "success";

/// The query string of a callback request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallbackQuery {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    /// The string to echo on URL verification.
    pub echostr: Option<String>,
    /// `aes` in compatible and safe mode, `raw` or absent in plain mode.
    pub encrypt_type: Option<String>,
    pub msg_signature: Option<String>,
    /// The sender's OpenID (informational; the signed body is what counts).
    pub openid: Option<String>,
}

impl CallbackQuery {
    fn encrypted(&self) -> bool {
        self.encrypt_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("aes"))
    }
}

/// A verified and decrypted push.
#[derive(Debug, Clone)]
pub struct Opened {
    pub message: Message,
    /// Whether it came encrypted, so the reply goes back encrypted.
    pub encrypted: bool,
    timestamp: String,
    nonce: String,
}

/// What to answer a push with.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// 200 with this body (reply XML, or `success`).
    Reply(String),
    /// Refused: 403 for who sent it, 400 for what it says; nothing was stored.
    Refused(WechatError),
}

/// The channel of one official account: its settings, its cipher and the client that fetches
/// pictures. Built once at start-up; shared by every request.
pub struct WechatChannel {
    pub(crate) settings: WechatSettings,
    crypt: Option<MessageCrypt>,
    pub(crate) http: reqwest::Client,
}

impl std::fmt::Debug for WechatChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatChannel").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Pictures are fetched within this, to leave time for the case inside WeChat's 5 s.
const PICTURE_TIMEOUT: Duration = Duration::from_secs(3);

impl WechatChannel {
    /// Checks the settings: a token, an AppID, a well-formed EncodingAESKey if one is given.
    pub fn new(settings: WechatSettings) -> Result<Self, WechatError> {
        if settings.token.trim().is_empty() || !settings.token.bytes().all(|b| b.is_ascii_alphanumeric()) || settings.token.len() > 32 {
            return Err(WechatError::Config("the token must be 1 to 32 letters and digits".into()));
        }
        if settings.app_id.trim().is_empty() {
            return Err(WechatError::Config("the AppID is empty".into()));
        }
        let crypt = match settings.encoding_aes_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => Some(MessageCrypt::new(key, &settings.app_id)?),
            None => None,
        };
        // No redirects: an allowed picture host must not be able to send us elsewhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PICTURE_TIMEOUT)
            .build()
            .map_err(|e| WechatError::Config(format!("HTTP client: {e}")))?;
        Ok(WechatChannel { settings, crypt, http })
    }

    pub fn settings(&self) -> &WechatSettings {
        &self.settings
    }

    fn crypt(&self) -> Result<&MessageCrypt, WechatError> {
        self.crypt.as_ref().ok_or_else(|| WechatError::Config("an encrypted push arrived but no EncodingAESKey is configured".into()))
    }

    /// The timestamp and nonce, the timestamp within the window around `now_ms`.
    fn fresh<'q>(&self, q: &'q CallbackQuery, now_ms: i64) -> Result<(&'q str, &'q str), WechatError> {
        let timestamp = q.timestamp.as_deref().ok_or(WechatError::StaleTimestamp)?;
        let seconds = timestamp.trim().parse::<i64>().map_err(|_| WechatError::StaleTimestamp)?;
        if (now_ms.div_euclid(1000) - seconds).abs() > TIMESTAMP_WINDOW_SECS {
            return Err(WechatError::StaleTimestamp);
        }
        let nonce = q.nonce.as_deref().ok_or(WechatError::BadSignature)?;
        Ok((timestamp, nonce))
    }

    /// URL verification (GET): the echostr when the signature is right — decrypted when the
    /// request carries a msg_signature (an encrypted echostr).
    pub fn verify_url(&self, q: &CallbackQuery, now_ms: i64) -> Result<String, WechatError> {
        let echostr = q.echostr.as_deref().filter(|e| !e.is_empty()).ok_or_else(|| WechatError::BadMessage("echostr is missing".into()))?;
        let (timestamp, nonce) = self.fresh(q, now_ms)?;
        let token = self.settings.token.as_str();
        if let Some(msg_signature) = q.msg_signature.as_deref() {
            if !signature_matches(msg_signature, &[token, timestamp, nonce, echostr]) {
                return Err(WechatError::BadSignature);
            }
            return self.crypt()?.decrypt(echostr);
        }
        let given = q.signature.as_deref().ok_or(WechatError::BadSignature)?;
        if !signature_matches(given, &[token, timestamp, nonce]) {
            return Err(WechatError::BadSignature);
        }
        Ok(echostr.to_string())
    }

    /// A pushed message (POST): signatures checked, timestamp fresh, decrypted when encrypted.
    pub fn open(&self, q: &CallbackQuery, body: &[u8], now_ms: i64) -> Result<Opened, WechatError> {
        if body.len() > MAX_XML_BYTES {
            return Err(WechatError::TooLarge(MAX_XML_BYTES));
        }
        let (timestamp, nonce) = (q.timestamp.as_deref().unwrap_or(""), q.nonce.as_deref().unwrap_or(""));
        let token = self.settings.token.as_str();
        let encrypted = q.encrypted();
        // `signature` comes in every mode; only safe mode may do without it.
        match q.signature.as_deref() {
            Some(given) if !signature_matches(given, &[token, timestamp, nonce]) => return Err(WechatError::BadSignature),
            None if !encrypted => return Err(WechatError::BadSignature),
            _ => {}
        }
        let text = std::str::from_utf8(body).map_err(|_| WechatError::BadMessage("the body is not UTF-8".into()))?;
        let message = if encrypted {
            let crypt = self.crypt()?;
            let envelope = fields(text)?;
            let encrypt =
                envelope.get("Encrypt").filter(|e| !e.is_empty()).ok_or_else(|| WechatError::BadMessage("Encrypt is missing".into()))?;
            let given = q.msg_signature.as_deref().ok_or(WechatError::BadSignature)?;
            if !signature_matches(given, &[token, timestamp, nonce, encrypt]) {
                return Err(WechatError::BadSignature);
            }
            self.fresh(q, now_ms)?;
            Message::parse(&crypt.decrypt(encrypt)?)?
        } else {
            self.fresh(q, now_ms)?;
            Message::parse(text)?
        };
        Ok(Opened { message, encrypted, timestamp: timestamp.to_string(), nonce: nonce.to_string() })
    }

    /// The reply as it goes back: plain, or encrypted and signed with the push's timestamp and
    /// nonce (as WeChat's own library does).
    pub fn seal(&self, opened: &Opened, reply_xml: &str) -> Result<String, WechatError> {
        if !opened.encrypted {
            return Ok(reply_xml.to_string());
        }
        let encrypt = self.crypt()?.encrypt(reply_xml);
        let msg_signature = signature(&[&self.settings.token, &opened.timestamp, &opened.nonce, &encrypt]);
        Ok(encrypted_reply(&encrypt, &msg_signature, &opened.timestamp, &opened.nonce))
    }

    /// Answers a push: refused when it is not authentic or not readable; otherwise the passive
    /// reply with the case number, or `success` when there is nothing to say, an internal error,
    /// or no answer within [`REPLY_BUDGET`] (the case is then finished in the background).
    pub async fn answer(self: &Arc<Self>, app: &App, q: &CallbackQuery, body: &[u8]) -> Answer {
        let now = app.clock.now();
        let opened = match self.open(q, body, now) {
            Ok(o) => o,
            Err(e) => return Answer::Refused(e),
        };
        let message = opened.message.clone();
        let msg_id = message.msg_id.clone().unwrap_or_default();
        // A task of its own, so a slow database or picture host finishes the case even when the
        // answer has to go before it.
        let task = {
            let (channel, app, message) = (self.clone(), app.clone(), message.clone());
            tokio::spawn(async move { channel.reply_text(&app, &message).await })
        };
        let text = match tokio::time::timeout(REPLY_BUDGET, task).await {
            Ok(Ok(Ok(Some(text)))) => text,
            Ok(Ok(Ok(None))) => return Answer::Reply(SUCCESS.into()),
            Ok(Ok(Err(e))) => {
                tracing::error!(msg_id, code = e.code.as_str(), error = %e.message_en, "wechat message not taken in");
                return Answer::Reply(SUCCESS.into());
            }
            Ok(Err(e)) => {
                tracing::error!(msg_id, error = %e, "wechat message task failed");
                return Answer::Reply(SUCCESS.into());
            }
            Err(_) => {
                tracing::warn!(msg_id, "wechat message not answered within WeChat's 5 s; its case is finished in the background");
                return Answer::Reply(SUCCESS.into());
            }
        };
        let reply = text_reply(&message.from_user, &message.to_user, app.clock.now().div_euclid(1000), &text);
        match self.seal(&opened, &reply) {
            Ok(sealed) => Answer::Reply(sealed),
            Err(e) => {
                tracing::error!(msg_id, error = %e, "wechat reply not sealed");
                Answer::Reply(SUCCESS.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const SAMPLE_ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";

    fn sample_channel() -> WechatChannel {
        let mut s = WechatSettings::new("spamtest", "wx2c2769f8efd9abc2");
        s.encoding_aes_key = Some(KEY.into());
        WechatChannel::new(s).unwrap()
    }

    fn query(pairs: &[(&str, &str)]) -> CallbackQuery {
        let v: serde_json::Map<String, serde_json::Value> = pairs.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect();
        serde_json::from_value(serde_json::Value::Object(v)).unwrap()
    }

    #[test]
    fn the_published_safe_mode_push_opens() {
        let channel = sample_channel();
        let body =
            format!("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>");
        let q = query(&[
            ("timestamp", "1409735669"),
            ("nonce", "1320562132"),
            ("encrypt_type", "aes"),
            ("msg_signature", "5d197aaffba7e9b25a30732f161a50dee96bd5fa"),
        ]);
        let opened = channel.open(&q, body.as_bytes(), 1_409_735_669_000).unwrap();
        assert!(opened.encrypted);
        assert_eq!(opened.message.from_user, "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
        assert_eq!(opened.message.msg_id.as_deref(), Some("6054768590064713728"));
        // Five minutes and one second later it is a replay.
        assert_eq!(channel.open(&q, body.as_bytes(), 1_409_735_669_000 + 301_000).unwrap_err(), WechatError::StaleTimestamp);
        // A changed ciphertext no longer matches its signature.
        let tampered = body.replace("hyzAe4", "hyzAe5");
        assert_eq!(channel.open(&q, tampered.as_bytes(), 1_409_735_669_000).unwrap_err(), WechatError::BadSignature);
        // The sealed reply opens with the same key and carries a valid msg_signature.
        let sealed = channel.seal(&opened, "<xml><Content><![CDATA[ok]]></Content></xml>").unwrap();
        let f = fields(&sealed).unwrap();
        assert!(signature_matches(&f["MsgSignature"], &["spamtest", "1409735669", "1320562132", &f["Encrypt"]]));
        assert_eq!(channel.crypt().unwrap().decrypt(&f["Encrypt"]).unwrap(), "<xml><Content><![CDATA[ok]]></Content></xml>");
    }

    #[test]
    fn url_verification_plain_and_encrypted() {
        let channel = sample_channel();
        let now = 1_700_000_000_000;
        let sig = signature(&["spamtest", "1700000000", "n1"]);
        let q = query(&[("signature", &sig), ("timestamp", "1700000000"), ("nonce", "n1"), ("echostr", "4075181314397890557")]);
        assert_eq!(channel.verify_url(&q, now).unwrap(), "4075181314397890557");
        let wrong = query(&[("signature", "0000"), ("timestamp", "1700000000"), ("nonce", "n1"), ("echostr", "e")]);
        assert_eq!(channel.verify_url(&wrong, now), Err(WechatError::BadSignature));
        assert_eq!(channel.verify_url(&q, now + 600_000), Err(WechatError::StaleTimestamp));
        let echo = channel.crypt().unwrap().encrypt("1616140317555161061");
        let msg_sig = signature(&["spamtest", "1700000000", "n1", &echo]);
        let q = query(&[("msg_signature", &msg_sig), ("timestamp", "1700000000"), ("nonce", "n1"), ("echostr", &echo)]);
        assert_eq!(channel.verify_url(&q, now).unwrap(), "1616140317555161061");
    }

    #[test]
    fn settings_are_checked_at_start() {
        assert!(WechatChannel::new(WechatSettings::new("", "wx1")).is_err());
        assert!(WechatChannel::new(WechatSettings::new("tok en", "wx1")).is_err());
        assert!(WechatChannel::new(WechatSettings::new("token", " ")).is_err());
        let mut s = WechatSettings::new("token", "wx1");
        s.encoding_aes_key = Some("short".into());
        assert!(WechatChannel::new(s).is_err());
        // An encrypted push without a key is a configuration error, not a crash.
        let plain_only = WechatChannel::new(WechatSettings::new("token", "wx1")).unwrap();
        let q = query(&[("timestamp", "1"), ("nonce", "n"), ("encrypt_type", "aes"), ("msg_signature", "x")]);
        assert!(matches!(plain_only.open(&q, b"<xml><Encrypt>abc</Encrypt></xml>", 1000), Err(WechatError::Config(_))));
    }
}
