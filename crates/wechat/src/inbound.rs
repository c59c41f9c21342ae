//! A WeChat message into the one window of every channel: text, a picture (fetched from WeChat
//! and stored as an attachment), a location (地理位置) or recognised speech becomes an
//! [`InboundMessage`] for [`App::receive_inbound`], and its outcome the words of the passive reply.

use minsheng_app::App;
use minsheng_app::channels::{InboundMessage, InboundOutcome, clip};
use minsheng_domain::case::{Channel, Citizen, Place};
use minsheng_domain::value::{Address, WechatOpenId};
use minsheng_domain::{DomainResult, ErrorCode};

use crate::WechatChannel;
use crate::xml::{Message, MessageKind};

/// The reply to a message that made a case.
pub fn created_reply(number: &str) -> String {
    format!("您的诉求已受理，工单号{number}，可回复文字或图片补充。")
}

/// The reply to a message added to an open case.
pub fn added_reply(number: &str) -> String {
    format!("已补充到工单{number}。")
}

/// The welcome to a new follower.
pub const WELCOME: &str = "欢迎关注12345政务服务便民热线。直接发送文字、图片或位置即可反映诉求，我们会回复工单号。";
/// The reply to what cannot be taken as a request (video, links, files, unrecognised voice).
pub const UNSUPPORTED: &str = "暂不支持此类消息，请发送文字、图片或位置描述您的诉求。";
/// The text of a message that is only a picture.
pub const PICTURE_TEXT: &str = "（市民发送了一张图片）";
/// The text when the picture could not be fetched or kept.
pub const PICTURE_LOST_TEXT: &str = "（市民发送了一张图片，但图片未能获取）";

/// The first case number in a text: the city's prefix, eight digits of date, six of sequence,
/// optionally `-NN`; any case, any surrounding text ("补充hk20261122000123的情况").
pub fn find_case_number(text: &str, prefix: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let prefix = prefix.to_ascii_uppercase();
    if prefix.is_empty() {
        return None;
    }
    let bytes = upper.as_bytes();
    let mut from = 0;
    while let Some(pos) = upper[from..].find(&prefix) {
        let start = from + pos;
        let digits_at = start + prefix.len();
        let digits = bytes[digits_at..].iter().take_while(|b| b.is_ascii_digit()).count();
        // Not part of a longer word before it (ABHK…), exactly 14 digits after it.
        let clean_start = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        if clean_start && digits == 14 {
            let mut end = digits_at + 14;
            if bytes.get(end) == Some(&b'-') && bytes[end + 1..].iter().take_while(|b| b.is_ascii_digit()).count() == 2 {
                end += 3;
            }
            return Some(upper[start..end].to_string());
        }
        from = digits_at;
    }
    None
}

impl WechatChannel {
    /// Takes in one message and says what to reply: `None` for events that need no answer.
    /// A message that cannot become a case (empty text) is answered with why; anything else
    /// failing is an error for the caller to log.
    pub async fn reply_text(&self, app: &App, message: &Message) -> DomainResult<Option<String>> {
        match &message.kind {
            MessageKind::Event { event } if event == "subscribe" => return Ok(Some(WELCOME.into())),
            MessageKind::Event { .. } => return Ok(None),
            MessageKind::Other { .. } | MessageKind::Voice { recognition: None } => return Ok(Some(UNSUPPORTED.into())),
            _ => {}
        }
        let msg_id = message.msg_id.clone().unwrap_or_default();
        let inbound = match self.inbound_message(app, message).await {
            Ok(m) => m,
            Err(e) if e.code == ErrorCode::InvalidInput => return Ok(Some(format!("未能受理：{}。", e.message_zh))),
            Err(e) => return Err(e),
        };
        let outcome = match app.receive_inbound(inbound).await {
            Ok(o) => o,
            Err(e) if e.code == ErrorCode::InvalidInput => {
                return Ok(Some(format!("未能受理：{}。请发送文字、图片或位置描述您的诉求。", e.message_zh)));
            }
            Err(e) => return Err(e),
        };
        Ok(Some(match outcome {
            InboundOutcome::Created { number } => created_reply(&number),
            InboundOutcome::Added { number } => added_reply(&number),
            InboundOutcome::Rated { number, .. } => format!("已收到您对工单{number}的评价。"),
            // WeChat's retry of a message we took: the same words as the first time, which
            // made the case if the case's external id is this message's.
            InboundOutcome::Repeated { number } => {
                let created_here = app
                    .store
                    .case_by_number(&number)
                    .await?
                    .and_then(|c| c.intake.external_id)
                    .is_some_and(|id| id == clip(&format!("{}:{msg_id}", Channel::Wechat.as_str()), 200));
                if created_here { created_reply(&number) } else { added_reply(&number) }
            }
        }))
    }

    /// The channel-neutral message: the citizen by OpenID, the conversation keyed by it, a quoted
    /// case number, the text, the place of a location, the picture stored.
    pub async fn inbound_message(&self, app: &App, message: &Message) -> DomainResult<InboundMessage> {
        let openid = WechatOpenId::parse(&message.from_user)?;
        let msg_id = message.msg_id.clone().unwrap_or_default();
        let mut place = Place::default();
        let mut attachments = Vec::new();
        let text = match &message.kind {
            MessageKind::Text { content } => content.clone(),
            MessageKind::Voice { recognition } => format!("（语音转写）{}", recognition.as_deref().unwrap_or_default()),
            MessageKind::Location { latitude, longitude, label, .. } => {
                // WeChat reports GCJ-02, the datum `Place` keeps (the district polygons and the
                // grids are read in it), so the numbers are stored as they come.
                place.latitude = Some(*latitude);
                place.longitude = Some(*longitude);
                let label = label.trim();
                if !label.is_empty() {
                    place.address = Address::parse(&clip(label, 200)).ok();
                }
                let at = format!("纬度 {latitude:.6}，经度 {longitude:.6}");
                if label.is_empty() {
                    format!("（市民发送了位置：{at}）")
                } else {
                    format!("（市民发送了位置：{label}，{at}）")
                }
            }
            MessageKind::Image { pic_url, .. } => {
                // A retry of a message already taken in is answered from the record; fetching
                // the picture again would only leave an orphan copy.
                if app.store.inbound_case(Channel::Wechat.as_str(), &msg_id).await?.is_some() {
                    PICTURE_TEXT.to_string()
                } else {
                    match self.store_picture(app, pic_url, &msg_id).await {
                        Ok(a) => {
                            attachments.push(a);
                            PICTURE_TEXT.to_string()
                        }
                        Err(reason) => {
                            tracing::warn!(msg_id, reason, "wechat picture not kept");
                            PICTURE_LOST_TEXT.to_string()
                        }
                    }
                }
            }
            MessageKind::Event { .. } | MessageKind::Other { .. } => String::new(),
        };
        let case_number = find_case_number(&text, &app.settings.number_prefix);
        Ok(InboundMessage {
            channel: Some(Channel::Wechat),
            message_id: msg_id,
            thread_keys: vec![openid.as_str().to_string()],
            refers_to: vec![openid.as_str().to_string()],
            case_number,
            citizen: Citizen { wechat_openid: Some(openid), ..Default::default() },
            case_type: None,
            title: None,
            text,
            place,
            attachments,
        })
    }

    /// Fetches a PicUrl from an allowed host (no redirects, a size cap, a time limit) and stores it
    /// as the platform's upload; the reason when it cannot.
    async fn store_picture(&self, app: &App, url: &str, msg_id: &str) -> Result<minsheng_domain::attachment::AttachmentRef, String> {
        let max = minsheng_app::attachments::MAX_ATTACHMENT_BYTES;
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad PicUrl: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("PicUrl is not http(s)".into());
        }
        let host = parsed.host_str().unwrap_or_default().to_string();
        if !self.settings.picture_host_allowed(&host) {
            return Err(format!("PicUrl host {host} is not an allowed picture host"));
        }
        let mut response = self.http.get(parsed).send().await.map_err(|e| format!("fetch: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("fetch: HTTP {}", response.status()));
        }
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err("the picture is too large".into());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("fetch: {e}"))? {
            if bytes.len() + chunk.len() > max {
                return Err("the picture is too large".into());
            }
            bytes.extend_from_slice(&chunk);
        }
        let extension = minsheng_app::attachments::sniff(&bytes).and_then(|(mime, _)| mime.rsplit('/').next()).unwrap_or("jpg");
        let name = format!("微信图片-{msg_id}.{extension}");
        app.store_attachment(None, &name, bytes).await.map_err(|e| e.message_en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_numbers_are_found_in_free_text() {
        assert_eq!(find_case_number("补充hk20261122000123的情况", "HK").as_deref(), Some("HK20261122000123"));
        assert_eq!(find_case_number("工单 HK20261122000123-02 还没人管", "HK").as_deref(), Some("HK20261122000123-02"));
        assert_eq!(find_case_number("HK2026112200012 少一位", "HK"), None);
        assert_eq!(find_case_number("HK202611220001234 多一位", "HK"), None);
        assert_eq!(find_case_number("ABHK20261122000123", "HK"), None);
        assert_eq!(find_case_number("HK 再 HK20261122000999", "HK").as_deref(), Some("HK20261122000999"));
        assert_eq!(find_case_number("路灯坏了", "HK"), None);
    }
}
