//! The XML of the push protocol: a flat `<xml>` element whose children carry the fields, text
//! mostly in CDATA; and the replies we write back.
//!
//! The reader refuses a DOCTYPE (so no entity of a DTD is ever expanded), unknown entities,
//! unbalanced tags, text outside the root and bodies larger than [`MAX_XML_BYTES`].

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::WechatError;

/// No push is anywhere near this (a text message is at most 2048 characters of content).
pub const MAX_XML_BYTES: usize = 64 * 1024;
/// Deeper than any push (menu events nest two levels under the root).
const MAX_DEPTH: usize = 8;

fn bad(m: impl Into<String>) -> WechatError {
    WechatError::BadMessage(m.into())
}

/// The leaves of an XML document by element name, text trimmed. Direct children of the root may
/// appear once; the leaves of nested lists (a menu event's pictures) keep their first value.
pub fn fields(xml: &str) -> Result<BTreeMap<String, String>, WechatError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(WechatError::TooLarge(MAX_XML_BYTES));
    }
    let mut reader = Reader::from_str(xml);
    // (name, text so far, whether it has child elements)
    let mut stack: Vec<(String, String, bool)> = Vec::new();
    let mut out = BTreeMap::new();
    let mut root_seen = false;
    loop {
        let event = reader.read_event().map_err(|e| bad(format!("XML: {e}")))?;
        match event {
            Event::Start(e) => {
                if stack.is_empty() && root_seen {
                    return Err(bad("more than one root element"));
                }
                root_seen = true;
                if stack.len() >= MAX_DEPTH {
                    return Err(bad("nested too deep"));
                }
                if let Some(parent) = stack.last_mut() {
                    parent.2 = true;
                }
                let name = String::from_utf8(e.name().as_ref().to_vec()).map_err(|_| bad("element name is not UTF-8"))?;
                stack.push((name, String::new(), false));
            }
            Event::Empty(e) => {
                if stack.is_empty() {
                    return Err(bad("no root element with fields"));
                }
                if let Some(parent) = stack.last_mut() {
                    parent.2 = true;
                }
                let name = String::from_utf8(e.name().as_ref().to_vec()).map_err(|_| bad("element name is not UTF-8"))?;
                insert(&mut out, name, String::new(), stack.len() == 1)?;
            }
            Event::End(_) => {
                // quick-xml has checked that the name matches the start.
                let Some((name, text, has_children)) = stack.pop() else { return Err(bad("unbalanced end tag")) };
                if stack.is_empty() {
                    if !text.trim().is_empty() {
                        return Err(bad("text directly inside the root element"));
                    }
                } else if !has_children {
                    insert(&mut out, name, text.trim().to_string(), stack.len() == 1)?;
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| bad(format!("text: {e}")))?;
                match stack.last_mut() {
                    Some(top) => top.1.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(bad("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let text = String::from_utf8(c.into_inner().into_owned()).map_err(|_| bad("CDATA is not UTF-8"))?;
                match stack.last_mut() {
                    Some(top) => top.1.push_str(&text),
                    None => return Err(bad("CDATA outside the root element")),
                }
            }
            Event::GeneralRef(r) => {
                // Since quick-xml 0.38 `&amp;` and `&#36713;` arrive on their own.
                let resolved = match r.resolve_char_ref().map_err(|e| bad(format!("character reference: {e}")))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| bad(format!("entity: {e}")))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("unknown entity &{name};")))?
                            .to_string()
                    }
                };
                match stack.last_mut() {
                    Some(top) => top.1.push_str(&resolved),
                    None => return Err(bad("entity outside the root element")),
                }
            }
            Event::DocType(_) => return Err(bad("DOCTYPE is not accepted")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(bad("unexpected end of the document"));
    }
    if !root_seen {
        return Err(bad("empty document"));
    }
    Ok(out)
}

fn insert(out: &mut BTreeMap<String, String>, name: String, text: String, top_level: bool) -> Result<(), WechatError> {
    if out.contains_key(&name) {
        if top_level {
            return Err(bad(format!("field {name} appears twice")));
        }
        return Ok(());
    }
    out.insert(name, text);
    Ok(())
}

/// A pushed message, as far as this channel uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// ToUserName: the official account's original id (gh_…).
    pub to_user: String,
    /// FromUserName: the citizen's OpenID.
    pub from_user: String,
    /// CreateTime, seconds since the epoch.
    pub create_time: i64,
    /// MsgId: the same on WeChat's retries of one message; events have none.
    pub msg_id: Option<String>,
    pub kind: MessageKind,
}

/// The kinds of message (MsgType) the channel tells apart.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    /// 文本消息.
    Text { content: String },
    /// 图片消息: PicUrl is WeChat's copy of the picture, MediaId the material's id.
    Image { pic_url: String, media_id: String },
    /// 地理位置消息: Location_X is the latitude, Location_Y the longitude (GCJ-02), Label the
    /// address WeChat found for it.
    Location { latitude: f64, longitude: f64, scale: Option<i64>, label: String },
    /// 语音消息, with WeChat's speech recognition when the account enabled it.
    Voice { recognition: Option<String> },
    /// 事件推送 (subscribe, unsubscribe, menu clicks…).
    Event { event: String },
    /// Video, short video, link, file: not taken as requests.
    Other { msg_type: String },
}

impl Message {
    /// Reads a (decrypted) message.
    pub fn parse(xml: &str) -> Result<Message, WechatError> {
        let f = fields(xml)?;
        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        let required = |k: &str| match f.get(k).map(|v| v.as_str()) {
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            _ => Err(bad(format!("{k} is missing"))),
        };
        let from_user = required("FromUserName")?;
        let to_user = required("ToUserName")?;
        let create_time = required("CreateTime")?.parse::<i64>().map_err(|_| bad("CreateTime is not a number"))?;
        let msg_type = required("MsgType")?;
        let msg_id = f.get("MsgId").filter(|v| !v.is_empty()).cloned();
        if let Some(id) = &msg_id
            && (id.len() > 64 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad("MsgId is not a number"));
        }
        let kind = match msg_type.as_str() {
            "text" => MessageKind::Text { content: get("Content").to_string() },
            "image" => MessageKind::Image { pic_url: required("PicUrl")?, media_id: get("MediaId").to_string() },
            "location" => {
                let coord = |k: &str, range: std::ops::RangeInclusive<f64>| {
                    required(k)?
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && range.contains(v))
                        .ok_or_else(|| bad(format!("{k} is not a coordinate")))
                };
                MessageKind::Location {
                    latitude: coord("Location_X", -90.0..=90.0)?,
                    longitude: coord("Location_Y", -180.0..=180.0)?,
                    scale: get("Scale").parse().ok(),
                    label: get("Label").to_string(),
                }
            }
            "voice" => MessageKind::Voice { recognition: f.get("Recognition").filter(|r| !r.is_empty()).cloned() },
            "event" => MessageKind::Event { event: get("Event").to_ascii_lowercase() },
            other => MessageKind::Other { msg_type: other.to_string() },
        };
        if msg_id.is_none() && !matches!(kind, MessageKind::Event { .. }) {
            return Err(bad("MsgId is missing"));
        }
        Ok(Message { to_user, from_user, create_time, msg_id, kind })
    }
}

/// Text as CDATA; a `]]>` inside is split across two sections, the only way to carry it.
pub fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// The passive text reply (被动回复文本消息) to a citizen, from the official account.
pub fn text_reply(to_user: &str, from_user: &str, create_time: i64, content: &str) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>{}</Content></xml>",
        cdata(to_user),
        cdata(from_user),
        cdata(content)
    )
}

/// The envelope of an encrypted reply.
pub fn encrypted_reply(encrypt: &str, msg_signature: &str, timestamp: &str, nonce: &str) -> String {
    format!(
        "<xml><Encrypt>{}</Encrypt><MsgSignature>{}</MsgSignature><TimeStamp>{}</TimeStamp><Nonce>{}</Nonce></xml>",
        cdata(encrypt),
        cdata(msg_signature),
        timestamp,
        cdata(nonce)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_with_cdata_and_entities() {
        let xml = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime><MsgType>  <![CDATA[text]]></MsgType><Content><![CDATA[路灯坏了 <b>]]> &amp; 谢谢&#36713;</Content><MsgId>6054768590064713728</MsgId></xml>";
        let m = Message::parse(xml).unwrap();
        assert_eq!(m.from_user, "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
        assert_eq!(m.to_user, "gh_10f6c3c3ac5a");
        assert_eq!(m.create_time, 1409735668);
        assert_eq!(m.msg_id.as_deref(), Some("6054768590064713728"));
        assert_eq!(m.kind, MessageKind::Text { content: "路灯坏了 <b> & 谢谢轩".into() });
    }

    #[test]
    fn image_location_voice_and_events() {
        let image = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/a.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>2</MsgId></xml>";
        assert_eq!(
            Message::parse(image).unwrap().kind,
            MessageKind::Image { pic_url: "http://mmbiz.qpic.cn/a.jpg".into(), media_id: "m1".into() }
        );
        let location = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>20.02</Location_X><Location_Y>110.33</Location_Y><Scale>15</Scale><Label><![CDATA[海南省海口市龙华区]]></Label><MsgId>3</MsgId></xml>";
        assert_eq!(
            Message::parse(location).unwrap().kind,
            MessageKind::Location { latitude: 20.02, longitude: 110.33, scale: Some(15), label: "海南省海口市龙华区".into() }
        );
        let voice = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>voice</MsgType><Recognition><![CDATA[井盖丢了]]></Recognition><MsgId>4</MsgId></xml>";
        assert_eq!(Message::parse(voice).unwrap().kind, MessageKind::Voice { recognition: Some("井盖丢了".into()) });
        let event = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>";
        let e = Message::parse(event).unwrap();
        assert_eq!(e.kind, MessageKind::Event { event: "subscribe".into() });
        assert_eq!(e.msg_id, None);
    }

    #[test]
    fn malformed_messages_are_refused() {
        let cases = [
            "",
            "not xml",
            "<xml><ToUserName>gh</ToUserName>",
            "<xml><ToUserName>gh</FromUserName></xml>",
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><Content>&x;</Content></xml>",
            "<xml><Content>&x;</Content></xml>",
            "<xml><A>1</A><A>2</A></xml>",
            "<xml>loose<A>1</A></xml>",
            "<xml><A>1</A></xml><xml/>",
            // Fields missing or wrong.
            "<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>x</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1 OR 1</MsgId></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><Location_X>200</Location_X><Location_Y>110</Location_Y><MsgId>1</MsgId></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>image</MsgType><MsgId>1</MsgId></xml>",
        ];
        for xml in cases {
            assert!(matches!(Message::parse(xml), Err(WechatError::BadMessage(_))), "{xml}");
        }
        let deep = "<a>".repeat(20) + &"</a>".repeat(20);
        assert!(fields(&deep).is_err());
        let huge = format!("<xml><Content>{}</Content></xml>", "x".repeat(MAX_XML_BYTES));
        assert_eq!(fields(&huge), Err(WechatError::TooLarge(MAX_XML_BYTES)));
    }

    #[test]
    fn replies_escape_cdata_ends_and_read_back() {
        let xml = text_reply("o1", "gh_1", 1700000000, "工单号HK20261122000123 ]]> <x>");
        let f = fields(&xml).unwrap();
        assert_eq!(f["Content"], "工单号HK20261122000123 ]]> <x>");
        assert_eq!(f["ToUserName"], "o1");
        assert_eq!(f["MsgType"], "text");
        let sealed = encrypted_reply("abc+/=", "sig", "1409304348", "xxxxxx");
        let f = fields(&sealed).unwrap();
        assert_eq!((f["Encrypt"].as_str(), f["MsgSignature"].as_str(), f["TimeStamp"].as_str()), ("abc+/=", "sig", "1409304348"));
    }
}
