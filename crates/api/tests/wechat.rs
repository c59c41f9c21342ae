//! The WeChat official account channel over HTTP, on SQLite and PostgreSQL: the callback's URL
//! verification, messages in plain and safe mode becoming cases and additions with the passive
//! reply, pictures fetched from a local stand-in for WeChat's picture host, locations, refusals
//! that store nothing; and the template-message transport against a local stand-in for WeChat's API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use common::Server;
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::case::Channel;
use minsheng_domain::event::EventKind;
use minsheng_store::{NewNotice, NoticeQuery, NoticeState};
use minsheng_wechat::crypto::{MessageCrypt, signature};
use minsheng_wechat::xml::fields;
use minsheng_wechat::{WechatChannel, WechatSettings, WechatTemplateTransport};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "minsheng12345";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APP_ID: &str = "wx5823bf96d3bd56c7";
const ACCOUNT: &str = "gh_12345haikou";
/// 2026-11-23 10:00 China time, a Monday.
const NOW_MS: i64 = 1_795_399_200_000;

/// A 1×1 PNG, as WeChat's picture host would serve it.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63,
    0x64, 0x60, 0xf8, 0x5f, 0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

struct Wx {
    server: Server,
    clock: ManualClock,
    crypt: MessageCrypt,
}

async fn start(url: String) -> Wx {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let clock = ManualClock::at(NOW_MS);
    let app = App::new(store, Arc::new(clock.clone()), Settings::default());
    let hash = minsheng_app::auth::hash_password(minsheng_app::demo::DEMO_PASSWORD).unwrap();
    minsheng_app::demo::load(app.store.as_ref(), &hash, 0).await.unwrap();
    app.reload_catalogue().await.unwrap();
    let mut settings = WechatSettings::new(TOKEN, APP_ID);
    settings.encoding_aes_key = Some(AES_KEY.into());
    // The stand-in picture host runs on loopback.
    settings.picture_hosts = vec!["127.0.0.1".into()];
    let channel = Arc::new(WechatChannel::new(settings).unwrap());
    let router = minsheng_api::router(app.clone()).layer(axum::Extension(channel));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await });
    Wx { server: Server { base, http: reqwest::Client::new(), app }, clock, crypt: MessageCrypt::new(AES_KEY, APP_ID).unwrap() }
}

async fn sqlite() -> Wx {
    start(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await
}

async fn postgres() -> Wx {
    start(minsheng_testkit::fresh_pg_database().await).await
}

/// Each named `async fn(Wx)` once on a fresh SQLite and once on a fresh PostgreSQL.
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() { super::$name(super::sqlite().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() { super::$name(super::postgres().await).await }
        }
    )+};
}

fn text_xml(openid: &str, content: &str, msg_id: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>",
        NOW_MS / 1000
    )
}

fn image_xml(openid: &str, pic_url: &str, msg_id: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[{pic_url}]]></PicUrl><MediaId><![CDATA[media_{msg_id}]]></MediaId><MsgId>{msg_id}</MsgId></xml>",
        NOW_MS / 1000
    )
}

fn location_xml(openid: &str, lat: f64, lon: f64, label: &str, msg_id: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>{lat}</Location_X><Location_Y>{lon}</Location_Y><Scale>16</Scale><Label><![CDATA[{label}]]></Label><MsgId>{msg_id}</MsgId></xml>",
        NOW_MS / 1000
    )
}

impl Wx {
    fn callback(&self) -> String {
        format!("{}/wechat/callback", self.server.base)
    }

    fn timestamp(&self) -> String {
        (self.server.app.clock.now() / 1000).to_string()
    }

    /// A plain-mode push signed with our token (or `token` to forge one) at `timestamp`.
    async fn push_signed(&self, body: &str, token: &str, timestamp: &str) -> (StatusCode, String) {
        let nonce = "1320562132";
        let sig = signature(&[token, timestamp, nonce]);
        let r = self
            .server
            .http
            .post(self.callback())
            .query(&[("signature", sig.as_str()), ("timestamp", timestamp), ("nonce", nonce), ("openid", "ignored")])
            .header("content-type", "text/xml")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn push(&self, body: &str) -> (StatusCode, String) {
        self.push_signed(body, TOKEN, &self.timestamp()).await
    }

    /// A safe-mode push: the message encrypted, signed with msg_signature; the reply decrypted
    /// after checking its own signature.
    async fn push_safe(&self, message: &str) -> (StatusCode, String) {
        let (ts, nonce) = (self.timestamp(), "987654321".to_string());
        let encrypt = self.crypt.encrypt(message);
        let body = format!("<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
        let sig = signature(&[TOKEN, &ts, &nonce]);
        let msg_sig = signature(&[TOKEN, &ts, &nonce, &encrypt]);
        let r = self
            .server
            .http
            .post(self.callback())
            .query(&[
                ("signature", sig.as_str()),
                ("timestamp", ts.as_str()),
                ("nonce", nonce.as_str()),
                ("encrypt_type", "aes"),
                ("msg_signature", msg_sig.as_str()),
            ])
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        if status != StatusCode::OK || text == "success" {
            return (status, text);
        }
        let f = fields(&text).unwrap();
        assert_eq!(f["TimeStamp"], ts);
        assert_eq!(f["Nonce"], nonce);
        assert_eq!(f["MsgSignature"], signature(&[TOKEN, &ts, &nonce, &f["Encrypt"]]), "the reply's msg_signature");
        (status, self.crypt.decrypt(&f["Encrypt"]).unwrap())
    }
}

/// The Content of a passive reply, checking it is a text reply to the citizen from the account.
fn reply_content(xml: &str, openid: &str) -> String {
    let f = fields(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    assert_eq!(f["ToUserName"], openid);
    assert_eq!(f["FromUserName"], ACCOUNT);
    assert_eq!(f["MsgType"], "text");
    assert_eq!(f["CreateTime"], (NOW_MS / 1000).to_string());
    f["Content"].clone()
}

/// The case number in a reply.
fn number_in(content: &str) -> String {
    minsheng_wechat::inbound::find_case_number(content, "HK").unwrap_or_else(|| panic!("no case number in {content}"))
}

async fn url_verification(wx: Wx) {
    let ts = wx.timestamp();
    let get = |pairs: Vec<(&'static str, String)>| {
        let http = wx.server.http.clone();
        let url = wx.callback();
        async move {
            let r = http.get(url).query(&pairs).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let good = signature(&[TOKEN, &ts, "n1"]);
    let (s, body) =
        get(vec![("signature", good.clone()), ("timestamp", ts.clone()), ("nonce", "n1".into()), ("echostr", "5678901234".into())]).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "5678901234"));
    // Another token's signature, a missing one, a stale timestamp: 403 and no echo.
    let forged = signature(&["other", &ts, "n1"]);
    let (s, body) =
        get(vec![("signature", forged), ("timestamp", ts.clone()), ("nonce", "n1".into()), ("echostr", "5678901234".into())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!body.contains("5678901234"));
    let (s, _) = get(vec![("timestamp", ts.clone()), ("nonce", "n1".into()), ("echostr", "5678901234".into())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let old = (NOW_MS / 1000 - 301).to_string();
    let stale = signature(&[TOKEN, &old, "n1"]);
    let (s, _) = get(vec![("signature", stale), ("timestamp", old), ("nonce", "n1".into()), ("echostr", "5678901234".into())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Safe mode: an encrypted echostr under msg_signature comes back decrypted.
    let echo = wx.crypt.encrypt("1616140317555161061");
    let msg_sig = signature(&[TOKEN, &ts, "n2", &echo]);
    let (s, body) =
        get(vec![("msg_signature", msg_sig), ("timestamp", ts.clone()), ("nonce", "n2".into()), ("echostr", echo.clone())]).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "1616140317555161061"));
    let (s, _) = get(vec![("msg_signature", "0".repeat(40)), ("timestamp", ts), ("nonce", "n2".into()), ("echostr", echo)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn plain_text_makes_a_case_and_replies_with_its_number(wx: Wx) {
    let before = wx.server.count().await;
    let openid = "oPlain_Citizen-0001";
    let (s, xml) = wx.push(&text_xml(openid, "龙华区金贸街道玉沙社区的路灯坏了一个星期，晚上很黑", "24000000000000001")).await;
    assert_eq!(s, StatusCode::OK, "{xml}");
    let content = reply_content(&xml, openid);
    let number = number_in(&content);
    assert_eq!(content, format!("您的诉求已受理，工单号{number}，可回复文字或图片补充。"));
    assert_eq!(wx.server.count().await, before + 1);
    let case = wx.server.app.store.case_by_number(&number).await.unwrap().unwrap();
    assert_eq!(case.intake.channel, Channel::Wechat);
    assert_eq!(case.intake.citizen.wechat_openid.as_ref().map(|o| o.as_str()), Some(openid));
    assert!(case.intake.text.as_str().contains("路灯坏了"));
    assert_eq!(case.intake.external_id.as_deref(), Some("wechat:24000000000000001"));
    // A citizen who follows the account is welcomed; other events need no answer.
    let subscribe = format!(
        "<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>",
        NOW_MS / 1000
    );
    let (s, xml) = wx.push(&subscribe).await;
    assert_eq!(s, StatusCode::OK);
    assert!(reply_content(&xml, openid).contains("欢迎关注"));
    let (s, body) = wx.push(&subscribe.replace("subscribe", "VIEW")).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "success"));
    assert_eq!(wx.server.count().await, before + 1);
}

async fn safe_mode_message_is_decrypted_and_answered_encrypted(wx: Wx) {
    let before = wx.server.count().await;
    let openid = "oSafe_Citizen_0002";
    let (s, plain) = wx.push_safe(&text_xml(openid, "美兰区海甸岛有人半夜施工扰民", "24000000000000002")).await;
    assert_eq!(s, StatusCode::OK, "{plain}");
    let number = number_in(&reply_content(&plain, openid));
    assert_eq!(wx.server.count().await, before + 1);
    let case = wx.server.app.store.case_by_number(&number).await.unwrap().unwrap();
    assert!(case.intake.text.as_str().contains("施工扰民"));
    // Compatible mode: the plain fields beside Encrypt are ignored; the encrypted copy counts.
    let (ts, nonce) = (wx.timestamp(), "42");
    let encrypt = wx.crypt.encrypt(&text_xml(openid, "补充：就在和平大道", "24000000000000003"));
    let body = format!("{}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>", text_xml(openid, "明文副本", "1").trim_end_matches("</xml>"));
    let r = wx
        .server
        .http
        .post(wx.callback())
        .query(&[
            ("signature", signature(&[TOKEN, &ts, nonce]).as_str()),
            ("timestamp", ts.as_str()),
            ("nonce", nonce),
            ("encrypt_type", "aes"),
            ("msg_signature", signature(&[TOKEN, &ts, nonce, &encrypt]).as_str()),
        ])
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let f = fields(&r.text().await.unwrap()).unwrap();
    let content = reply_content(&wx.crypt.decrypt(&f["Encrypt"]).unwrap(), openid);
    assert_eq!(content, format!("已补充到工单{number}。"));
    // Encrypted with another AppID's key layout: refused, nothing stored.
    let foreign = MessageCrypt::new(AES_KEY, "wx0000000000000000").unwrap().encrypt(&text_xml(openid, "别的公众号", "24000000000000004"));
    let ts = wx.timestamp();
    let r = wx
        .server
        .http
        .post(wx.callback())
        .query(&[
            ("timestamp", ts.as_str()),
            ("nonce", "7"),
            ("encrypt_type", "aes"),
            ("msg_signature", signature(&[TOKEN, &ts, "7", &foreign]).as_str()),
        ])
        .body(format!("<xml><Encrypt><![CDATA[{foreign}]]></Encrypt></xml>"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(wx.server.count().await, before + 1);
}

async fn the_same_msgid_again_answers_the_same_case(wx: Wx) {
    let before = wx.server.count().await;
    let openid = "oRetry_Citizen_0003";
    let message = text_xml(openid, "琼山区府城的下水道堵了", "24000000000000005");
    let (_, first) = wx.push(&message).await;
    let first = reply_content(&first, openid);
    // WeChat's three retries, plain and encrypted alike: the same words, nothing new.
    for _ in 0..2 {
        let (s, again) = wx.push(&message).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(reply_content(&again, openid), first);
    }
    let (_, again) = wx.push_safe(&message).await;
    assert_eq!(reply_content(&again, openid), first);
    assert_eq!(wx.server.count().await, before + 1);
    let number = number_in(&first);
    let case = wx.server.app.store.case_by_number(&number).await.unwrap().unwrap();
    let events = wx.server.app.store.case_events(case.id).await.unwrap();
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::InfoAdded { .. })), "a retry is not an addition");
    // A retry of an addition is answered as an addition.
    let add = text_xml(openid, "补充：堵了三天了", "24000000000000006");
    let (_, added) = wx.push(&add).await;
    let (_, added_again) = wx.push(&add).await;
    assert_eq!(reply_content(&added, openid), format!("已补充到工单{number}。"));
    assert_eq!(reply_content(&added_again, openid), reply_content(&added, openid));
}

async fn a_second_message_is_added_to_the_open_case(wx: Wx) {
    let before = wx.server.count().await;
    let openid = "oAdd_Citizen_0004";
    let (_, xml) = wx.push(&text_xml(openid, "秀英区长流镇的垃圾好几天没人收", "24000000000000007")).await;
    let number = number_in(&reply_content(&xml, openid));
    wx.clock.advance(3_600_000);
    let (_, xml) = wx.push_signed(&text_xml(openid, "已经开始发臭了", "24000000000000008"), TOKEN, &wx.timestamp()).await;
    let f = fields(&xml).unwrap();
    assert_eq!(f["Content"], format!("已补充到工单{number}。"));
    assert_eq!(wx.server.count().await, before + 1);
    // The addition is on the case's timeline, with what the citizen wrote.
    let token = wx.server.token("supervisor").await;
    let (s, detail) = wx.server.get(&token, &format!("/api/cases/{number}")).await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    let added: Vec<&Value> = detail["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "info_added").collect();
    assert_eq!(added.len(), 1, "{}", detail["timeline"]);
    assert!(added[0].to_string().contains("已经开始发臭了"), "{}", added[0]);
    // Another citizen's message is another case.
    let (_, xml) = wx.push_signed(&text_xml("oOther_Citizen_0005", "我这边也有垃圾", "24000000000000009"), TOKEN, &wx.timestamp()).await;
    assert_ne!(number_in(&fields(&xml).unwrap()["Content"]), number);
    assert_eq!(wx.server.count().await, before + 2);
}

/// A stand-in for WeChat's picture host; counts the requests.
async fn picture_host() -> (String, Arc<Mutex<usize>>) {
    let hits = Arc::new(Mutex::new(0usize));
    let h = hits.clone();
    let router = axum::Router::new().route(
        "/mmbiz_png/{name}",
        get(move || {
            let h = h.clone();
            async move {
                *h.lock().unwrap() += 1;
                ([(axum::http::header::CONTENT_TYPE, "image/png")], PNG.to_vec())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, hits)
}

async fn an_image_message_brings_its_picture(wx: Wx) {
    let (host, hits) = picture_host().await;
    let openid = "oImage_Citizen_0006";
    let message = image_xml(openid, &format!("{host}/mmbiz_png/abc123"), "24000000000000010");
    let (s, xml) = wx.push(&message).await;
    assert_eq!(s, StatusCode::OK, "{xml}");
    let number = number_in(&reply_content(&xml, openid));
    let case = wx.server.app.store.case_by_number(&number).await.unwrap().unwrap();
    assert_eq!(case.intake.text.as_str(), "（市民发送了一张图片）");
    assert_eq!(case.intake.attachments.len(), 1, "{:?}", case.intake.attachments);
    let file = &case.intake.attachments[0];
    assert_eq!((file.content_type.as_str(), file.size), ("image/png", PNG.len() as u64));
    let stored = wx.server.app.store.get_attachments(std::slice::from_ref(&file.id)).await.unwrap();
    assert_eq!(stored[0].case_id, Some(case.id));
    // The retry does not fetch it again.
    let (_, again) = wx.push(&message).await;
    assert_eq!(reply_content(&again, openid), reply_content(&xml, openid));
    assert_eq!(*hits.lock().unwrap(), 1);
    // Later text adds to the case the picture made.
    let (_, xml) = wx.push(&text_xml(openid, "照片里是倒在路边的树", "24000000000000011")).await;
    assert_eq!(reply_content(&xml, openid), format!("已补充到工单{number}。"));
    // A PicUrl on a host that is not WeChat's is never fetched: the case says the picture is missing.
    let elsewhere = image_xml("oImage_Citizen_0007", "http://localhost:1/mmbiz_png/x", "24000000000000012");
    let (s, xml) = wx.push(&elsewhere).await;
    assert_eq!(s, StatusCode::OK);
    let other = wx.server.app.store.case_by_number(&number_in(&reply_content(&xml, "oImage_Citizen_0007"))).await.unwrap().unwrap();
    assert!(other.intake.attachments.is_empty());
    assert_eq!(other.intake.text.as_str(), "（市民发送了一张图片，但图片未能获取）");
}

async fn a_location_message_gives_the_place(wx: Wx) {
    let openid = "oPlace_Citizen_0008";
    let label = "海南省海口市龙华区金贸街道玉沙路";
    let (s, xml) = wx.push(&location_xml(openid, 20.024_512, 110.318_866, label, "24000000000000013")).await;
    assert_eq!(s, StatusCode::OK, "{xml}");
    let number = number_in(&reply_content(&xml, openid));
    let case = wx.server.app.store.case_by_number(&number).await.unwrap().unwrap();
    let place = &case.intake.place;
    assert_eq!(place.address.as_ref().map(|a| a.as_str()), Some(label));
    // GCJ-02 as WeChat sent it, the datum the place is kept in.
    assert!((place.latitude.unwrap() - 20.024_512).abs() < 1e-9);
    assert!((place.longitude.unwrap() - 110.318_866).abs() < 1e-9);
    assert!(case.intake.text.as_str().contains(label));
}

async fn forged_stale_and_malformed_pushes_store_nothing(wx: Wx) {
    let before = wx.server.count().await;
    let openid = "oBad_Citizen_0009";
    let message = text_xml(openid, "伪造的消息", "24000000000000014");
    // Another token's signature.
    let (s, _) = wx.push_signed(&message, "not-our-token", &wx.timestamp()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Signed, but six minutes old or six minutes ahead (a replay, a wrong clock).
    for shift in [-360, 360] {
        let (s, _) = wx.push_signed(&message, TOKEN, &(NOW_MS / 1000 + shift).to_string()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "shift {shift}");
    }
    // Safe mode with a tampered ciphertext.
    let (ts, encrypt) = (wx.timestamp(), wx.crypt.encrypt(&message));
    let msg_sig = signature(&[TOKEN, &ts, "5", &encrypt]);
    let tampered = format!("<xml><Encrypt><![CDATA[A{}]]></Encrypt></xml>", &encrypt[1..]);
    let r = wx
        .server
        .http
        .post(wx.callback())
        .query(&[("timestamp", ts.as_str()), ("nonce", "5"), ("encrypt_type", "aes"), ("msg_signature", msg_sig.as_str())])
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Malformed XML, missing fields, a DOCTYPE, an oversized body: 400.
    for bad in [
        "not xml at all".to_string(),
        "<xml><ToUserName>gh</ToUserName>".to_string(),
        message.replace("<MsgId>24000000000000014</MsgId>", ""),
        message.replace("<FromUserName>", "<Other>").replace("</FromUserName>", "</Other>"),
        format!("<!DOCTYPE xml [<!ENTITY e \"x\">]>{message}"),
        text_xml(openid, &"长".repeat(40_000), "24000000000000015"),
    ] {
        let (s, body) = wx.push(&bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{}: {body}", &bad[..bad.len().min(80)]);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], "invalid_input", "{v}");
    }
    // Past the server's body limit: 413 before anything is read.
    let (s, _) = wx.server.oversized("", "/wechat/callback?timestamp=1&nonce=1&signature=x", "x".repeat(300 * 1024)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(wx.server.count().await, before);
    assert!(wx.server.app.store.inbound_case("wechat", "24000000000000014").await.unwrap().is_none());
    // An empty text is answered with why, and makes no case.
    let (s, xml) = wx.push(&text_xml(openid, "   ", "24000000000000016")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(reply_content(&xml, openid).starts_with("未能受理"));
    assert_eq!(wx.server.count().await, before);
}

async fn without_configuration_the_callback_is_not_there(wx: Wx) {
    let router = minsheng_api::router(wx.server.app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let r = wx.server.http.get(format!("{base}/wechat/callback?echostr=1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = wx.server.http.post(format!("{base}/wechat/callback")).body(text_xml("o1", "x", "1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

on_both_engines!(
    url_verification,
    plain_text_makes_a_case_and_replies_with_its_number,
    safe_mode_message_is_decrypted_and_answered_encrypted,
    the_same_msgid_again_answers_the_same_case,
    a_second_message_is_added_to_the_open_case,
    an_image_message_brings_its_picture,
    a_location_message_gives_the_place,
    forged_stale_and_malformed_pushes_store_nothing,
    without_configuration_the_callback_is_not_there,
    template_messages_are_sent_with_a_cached_token,
    an_expired_token_is_renewed_once,
    an_unsubscribed_citizen_is_a_permanent_failure,
    a_server_error_is_retried_after_the_backoff,
);

// ---- The template-message transport against a stand-in for WeChat's API ----

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: HashMap<String, String>,
    body: Value,
}

#[derive(Default)]
struct FakeApi {
    seen: Mutex<Vec<Seen>>,
    tokens: Mutex<usize>,
    /// Answers of the send API in turn (status, JSON); `errcode 0` when empty.
    answers: Mutex<VecDeque<(u16, Value)>>,
}

impl FakeApi {
    fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen.lock().unwrap().iter().filter(|s| s.path == path).cloned().collect()
    }
}

async fn fake_token(State(api): State<Arc<FakeApi>>, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    api.seen.lock().unwrap().push(Seen { path: "/cgi-bin/token".into(), query: q, body: Value::Null });
    let mut n = api.tokens.lock().unwrap();
    *n += 1;
    Json(json!({"access_token": format!("TOKEN{n}"), "expires_in": 7200}))
}

async fn fake_send(
    State(api): State<Arc<FakeApi>>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    api.seen.lock().unwrap().push(Seen { path: "/cgi-bin/message/template/send".into(), query: q, body });
    let (status, answer) =
        api.answers.lock().unwrap().pop_front().unwrap_or((200, json!({"errcode": 0, "errmsg": "ok", "msgid": 200228332})));
    (axum::http::StatusCode::from_u16(status).unwrap(), Json(answer))
}

async fn fake_api(answers: Vec<(u16, Value)>) -> (Arc<FakeApi>, String) {
    let api = Arc::new(FakeApi { answers: Mutex::new(answers.into()), ..Default::default() });
    let router = axum::Router::new()
        .route("/cgi-bin/token", get(fake_token))
        .route("/cgi-bin/message/template/send", post(fake_send))
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (api, base)
}

fn transport(wx: &Wx, api_base: &str) -> WechatTemplateTransport {
    let mut s = WechatSettings::new(TOKEN, APP_ID);
    s.app_secret = Some("the-app-secret".into());
    s.template_id = Some("TMPL_case_progress".into());
    s.api_base = api_base.to_string();
    WechatTemplateTransport::new(&s, wx.server.app.clock.clone()).unwrap()
}

async fn enqueue(wx: &Wx, openid: &str, number: &str) -> String {
    let dedup_key = format!("citizen:replied:{number}:7");
    let link = wx.server.app.tracking_link(number);
    wx.server
        .app
        .store
        .enqueue_notices(vec![NewNotice {
            dedup_key: dedup_key.clone(),
            case_id: None,
            channel: "wechat".into(),
            recipient: openid.into(),
            template: "replied".into(),
            body: format!("您反映的“路灯不亮”（工单{number}）已由龙华区办理：已修复。点击评价：{link}"),
            payload: json!({"number": number, "template": "replied", "link": link}),
            created_at: wx.server.app.clock.now(),
        }])
        .await
        .unwrap();
    dedup_key
}

async fn notices(wx: &Wx) -> Vec<minsheng_store::Notice> {
    wx.server.app.store.list_notices(&NoticeQuery { channel: Some("wechat".into()), limit: 100, ..Default::default() }).await.unwrap()
}

async fn template_messages_are_sent_with_a_cached_token(wx: Wx) {
    let (api, base) = fake_api(vec![]).await;
    let t = transport(&wx, &base);
    let key1 = enqueue(&wx, "oTmpl_Citizen_0001", "HK20261123000001").await;
    enqueue(&wx, "oTmpl_Citizen_0002", "HK20261123000002").await;
    let report = wx.server.app.deliver_all(&t, 10, 1).await.unwrap();
    assert_eq!((report.sent, report.retried, report.failed), (2, 0, 0));
    // One token for both sends, asked with the AppID and secret.
    let tokens = api.seen("/cgi-bin/token");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].query["grant_type"], "client_credential");
    assert_eq!(tokens[0].query["appid"], APP_ID);
    assert_eq!(tokens[0].query["secret"], "the-app-secret");
    let sends = api.seen("/cgi-bin/message/template/send");
    assert_eq!(sends.len(), 2);
    assert!(sends.iter().all(|s| s.query["access_token"] == "TOKEN1"));
    let first = sends.iter().find(|s| s.body["touser"] == "oTmpl_Citizen_0001").unwrap();
    assert_eq!(first.body["template_id"], "TMPL_case_progress");
    assert_eq!(first.body["client_msg_id"], key1);
    assert_eq!(first.body["url"], wx.server.app.tracking_link("HK20261123000001"));
    assert_eq!(first.body["data"]["keyword1"]["value"], "HK20261123000001");
    assert!(first.body["data"]["keyword2"]["value"].as_str().unwrap().contains("已修复"));
    assert!(notices(&wx).await.iter().all(|n| n.state == NoticeState::Sent));
    // A later notice still uses the cached token.
    enqueue(&wx, "oTmpl_Citizen_0003", "HK20261123000003").await;
    wx.server.app.deliver_all(&t, 10, 1).await.unwrap();
    assert_eq!(api.seen("/cgi-bin/token").len(), 1);
    // Two hours later the token has expired and is fetched again.
    wx.clock.advance(2 * 3_600_000);
    enqueue(&wx, "oTmpl_Citizen_0004", "HK20261123000004").await;
    wx.server.app.deliver_all(&t, 10, 1).await.unwrap();
    assert_eq!(api.seen("/cgi-bin/token").len(), 2);
    assert_eq!(api.seen("/cgi-bin/message/template/send").last().unwrap().query["access_token"], "TOKEN2");
}

async fn an_expired_token_is_renewed_once(wx: Wx) {
    let (api, base) =
        fake_api(vec![(200, json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}))]).await;
    let t = transport(&wx, &base);
    enqueue(&wx, "oTmpl_Citizen_0005", "HK20261123000005").await;
    let report = wx.server.app.deliver_all(&t, 10, 1).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(api.seen("/cgi-bin/token").len(), 2);
    let sends = api.seen("/cgi-bin/message/template/send");
    let used: Vec<&str> = sends.iter().map(|s| s.query["access_token"].as_str()).collect();
    assert_eq!(used, ["TOKEN1", "TOKEN2"]);
}

async fn an_unsubscribed_citizen_is_a_permanent_failure(wx: Wx) {
    let (api, base) = fake_api(vec![(200, json!({"errcode": 43004, "errmsg": "require subscribe"}))]).await;
    let t = transport(&wx, &base);
    enqueue(&wx, "oTmpl_Citizen_0006", "HK20261123000006").await;
    let report = wx.server.app.deliver_round(&t, 10, 1).await.unwrap();
    assert_eq!((report.sent, report.retried, report.failed), (0, 0, 1));
    let n = &notices(&wx).await[0];
    assert_eq!(n.state, NoticeState::Failed);
    assert!(n.last_error.as_deref().unwrap_or_default().contains("43004"), "{:?}", n.last_error);
    // Never tried again, however long we wait.
    wx.clock.advance(86_400_000);
    assert_eq!(wx.server.app.deliver_all(&t, 10, 1).await.unwrap().total(), 0);
    assert_eq!(api.seen("/cgi-bin/message/template/send").len(), 1);
}

async fn a_server_error_is_retried_after_the_backoff(wx: Wx) {
    let (api, base) = fake_api(vec![(500, json!({"error": "upstream"}))]).await;
    let t = transport(&wx, &base);
    enqueue(&wx, "oTmpl_Citizen_0007", "HK20261123000007").await;
    let report = wx.server.app.deliver_round(&t, 10, 1).await.unwrap();
    assert_eq!((report.sent, report.retried, report.failed), (0, 1, 0));
    let n = &notices(&wx).await[0];
    assert_eq!(n.state, NoticeState::Pending);
    assert_eq!(n.next_attempt_at, NOW_MS + minsheng_app::outbox::backoff(n.attempts), "{n:?}");
    assert!(n.last_error.as_deref().unwrap_or_default().contains("500"));
    // Not before the backoff has passed…
    wx.clock.advance(5_000);
    assert_eq!(wx.server.app.deliver_round(&t, 10, 1).await.unwrap().total(), 0);
    assert_eq!(api.seen("/cgi-bin/message/template/send").len(), 1);
    // …then sent.
    wx.clock.set(n.next_attempt_at);
    assert_eq!(wx.server.app.deliver_round(&t, 10, 1).await.unwrap().sent, 1);
    assert_eq!(api.seen("/cgi-bin/message/template/send").len(), 2);
    assert_eq!(notices(&wx).await[0].state, NoticeState::Sent);
}
