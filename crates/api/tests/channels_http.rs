//! The channels over HTTP on both engines: the SMS gateway's signed webhook (good, forged,
//! stale, replayed, malformed), the public report door with its limits, the tracking page's limit,
//! the citizen's history and flag, and the notice templates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_app::Settings;
use minsheng_app::sms::{NONCE_HEADER, SIGNATURE_HEADER, SmsSettings, TIMESTAMP_HEADER, sign};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::*;

const SECRET: &str = "inbound-secret";

async fn server(url: String) -> Server {
    let settings = Settings { sms: SmsSettings { inbound_secret: Some(SECRET.into()), ..Default::default() }, ..Settings::default() };
    start_with(url, settings).await
}

async fn sqlite_server() -> Server {
    server(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await
}

async fn postgres_server() -> Server {
    server(minsheng_testkit::fresh_pg_database().await).await
}

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() { super::$name(super::sqlite_server().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() { super::$name(super::postgres_server().await).await }
        }
    )+};
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn post_sms(s: &Server, body: &str, ts: i64, nonce: &str, secret: &str) -> (StatusCode, Value) {
    let ts = ts.to_string();
    let sig = sign(secret, &ts, nonce, body.as_bytes());
    let r = s
        .http
        .post(format!("{}/api/channels/sms/inbound", s.base))
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, &ts)
        .header(NONCE_HEADER, nonce)
        .header(SIGNATURE_HEADER, sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn the_sms_webhook_takes_signed_messages_only(s: Server) {
    let body = json!({"id": "m-1", "from": "13912345001", "to": "12345", "text": "龙华区金贸街道路灯不亮"}).to_string();
    let (st, v) = post_sms(&s, &body, now_s(), "nonce-0001", SECRET).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["result"], "created");
    let number = v["number"].as_str().unwrap().to_string();
    let before = s.count().await;
    // A replay of the very same request (same nonce) is refused.
    let (st, v) = post_sms(&s, &body, now_s(), "nonce-0001", SECRET).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::UNAUTHORIZED, json!("unauthenticated")), "{v}");
    // The gateway's own retry (new nonce, same message id) answers with the same case.
    let (st, v) = post_sms(&s, &body, now_s(), "nonce-0002", SECRET).await;
    assert_eq!((st, v["result"].clone(), v["number"].clone()), (StatusCode::OK, json!("repeated"), json!(number)));
    // Forged, stale, unsigned, malformed: refused, nothing stored.
    let other = json!({"id": "m-2", "from": "13912345001", "text": "伪造"}).to_string();
    let (st, _) = post_sms(&s, &other, now_s(), "nonce-0003", "wrong-secret").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = post_sms(&s, &other, now_s() - 600, "nonce-0004", SECRET).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    assert!(v["error"]["message_zh"].as_str().unwrap().contains("时间戳"));
    let (st, _) = post_sms(&s, &other, now_s(), "short", SECRET).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let r = s.http.post(format!("{}/api/channels/sms/inbound", s.base)).body(other.clone()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (st, v) = post_sms(&s, "{\"id\": \"m-3\", \"from\": ", now_s(), "nonce-0005", SECRET).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_input")));
    let (st, v) = post_sms(&s, &json!({"id": "m-4", "from": "12345", "text": "x"}).to_string(), now_s(), "nonce-0006", SECRET).await;
    assert_eq!((st, v["error"]["details"]["field"].clone()), (StatusCode::BAD_REQUEST, json!("phone")));
    let (st, _) =
        post_sms(&s, &json!({"id": "m-5", "from": "13912345001", "text": "x", "extra": 1}).to_string(), now_s(), "nonce-0007", SECRET)
            .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(s.count().await, before, "nothing stored");
}

async fn the_webhook_is_closed_without_a_secret(_s: Server) {
    let plain = common::sqlite().await;
    let body = json!({"id": "m-1", "from": "13912345001", "text": "x"}).to_string();
    let (st, _) = post_sms(&plain, &body, now_s(), "nonce-0001", "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

fn public_report(phone: &str) -> Value {
    json!({"case_type": "complaint", "text": "楼下烧烤店油烟很大，晚上十二点还在营业", "phone": phone, "address": "海口市龙华区金贸街道玉沙社区",
        "latitude": 20.0245, "longitude": 110.3265, "coord_system": "wgs84", "channel": "mobile"})
}

async fn the_public_door_and_the_citizens_history(s: Server) {
    // Anyone may report; the receipt has the number and the tracking link.
    let r = s.http.post(format!("{}/api/public/cases", s.base)).json(&public_report("13912345010")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt: Value = r.json().await.unwrap();
    let number = receipt["number"].as_str().unwrap().to_string();
    assert!(receipt["track_url"].as_str().unwrap().ends_with(&format!("#/track?number={number}")));
    // The same phone, five an hour: the sixth is 429 with the wait, and stores nothing.
    for _ in 0..4 {
        let r = s.http.post(format!("{}/api/public/cases", s.base)).json(&public_report("13912345010")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let before = s.count().await;
    let r = s.http.post(format!("{}/api/public/cases", s.base)).json(&public_report("13912345010")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    assert!(v["error"]["details"]["retry_after"].as_i64().unwrap() > 0);
    assert_eq!(s.count().await, before);
    // Wrong type, unknown field: 400 and nothing stored.
    let mut bad = public_report("13912345011");
    bad["latitude"] = json!("north");
    let r = s.http.post(format!("{}/api/public/cases", s.base)).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut bad = public_report("13912345011");
    bad["catalogue_item"] = json!("x");
    let r = s.http.post(format!("{}/api/public/cases", s.base)).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(s.count().await, before);

    // 来电弹屏: the operator sees the history; a unit may not look citizens up.
    let op = s.token("operator").await;
    let (st, h) = s.get(&op, "/api/citizens/13912345010").await;
    assert_eq!(st, StatusCode::OK, "{h}");
    assert_eq!(h["total"], 5);
    assert_eq!(h["channels"]["mobile"], 5);
    assert_eq!(h["phone_masked"], "139****5010");
    assert!(h["flag"].is_null());
    assert!(h["cases"][0]["number"].as_str().is_some());
    let lh = s.token("longhua").await;
    assert_eq!(s.get(&lh, "/api/citizens/13912345010").await.0, StatusCode::FORBIDDEN);
    assert_eq!(s.get(&op, "/api/citizens/abc").await.0, StatusCode::BAD_REQUEST);

    // The supervisor flags by the case, and the history shows it.
    let sup = s.token("supervisor").await;
    let (st, f) =
        s.put(&sup, &format!("/api/cases/{number}/citizen-flag"), json!({"active": true, "reason": "同一事项一小时内重复上报"})).await;
    assert_eq!(st, StatusCode::OK, "{f}");
    assert_eq!(f["phone_masked"], "139****5010");
    let (st, _) = s.put(&op, "/api/citizens/13912345010/flag", json!({"active": false})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s.put(&sup, "/api/citizens/13912345010/flag", json!({"active": true})).await;
    assert_eq!((st, v["error"]["details"]["field"].clone()), (StatusCode::BAD_REQUEST, json!("reason")));
    let (_, h) = s.get(&op, "/api/citizens/13912345010").await;
    assert_eq!(h["flag"]["active"], true);
    let (st, list) = s.get(&sup, "/api/citizen-flags").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0]["set_by_name"].is_string());
}

async fn the_tracking_page_cannot_be_guessed_by_trying(s: Server) {
    let op = s.token("operator").await;
    let c = s.create(&op, json!({"channel": "phone", "case_type": "complaint", "title": "噪音", "text": "夜间施工噪音", "citizen": {"phone": "13912345020"}})).await;
    let number = c["case"]["number"].as_str().unwrap().to_string();
    let mut limited = false;
    for i in 0..40 {
        let r = s.http.get(format!("{}/api/track/{number}?phone4={:04}", s.base, 1000 + i)).send().await.unwrap();
        match r.status() {
            StatusCode::NOT_FOUND => {}
            StatusCode::TOO_MANY_REQUESTS => {
                limited = true;
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(limited, "30 tries then 429");
    // Uploads from one address: 60 at once, then one a second (even refused ones count).
    // (Refills during a slow run may let a few more through; the 429 still comes.)
    let mut statuses = Vec::new();
    for _ in 0..100 {
        let r = s.http.post(format!("{}/api/public/attachments?name=x.txt", s.base)).body("not a photo").send().await.unwrap();
        statuses.push(r.status());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert!(statuses.len() > 60 && statuses[..statuses.len() - 1].iter().all(|st| *st == StatusCode::BAD_REQUEST), "{statuses:?}");
}

async fn notice_templates_over_http(s: Server) {
    let admin = s.token("admin").await;
    let (st, v) = s.get(&admin, "/api/settings/notice-templates").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["templates"], v["defaults"]);
    assert!(v["placeholders"].as_array().unwrap().contains(&json!("link")));
    let (st, v) = s.put(&admin, "/api/settings/notice-templates", json!({"templates": {"sms.redo": "工单{number}已重办"}})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["templates"]["sms.redo"], "工单{number}已重办");
    assert_eq!(v["templates"]["sms.acknowledged"], v["defaults"]["sms.acknowledged"]);
    // A second change keeps the first.
    let (_, v) = s.put(&admin, "/api/settings/notice-templates", json!({"templates": {"sms.acknowledged": "已受理{number}"}})).await;
    assert_eq!(v["templates"]["sms.redo"], "工单{number}已重办");
    let (st, v) = s.put(&admin, "/api/settings/notice-templates", json!({"templates": {"sms.redo": "{phone}"}})).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_input")));
    let op = s.token("operator").await;
    assert_eq!(s.get(&op, "/api/settings/notice-templates").await.0, StatusCode::FORBIDDEN);
}

on_both!(
    the_sms_webhook_takes_signed_messages_only,
    the_webhook_is_closed_without_a_secret,
    the_public_door_and_the_citizens_history,
    the_tracking_page_cannot_be_guessed_by_trying,
    notice_templates_over_http,
);
