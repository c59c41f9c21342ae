//! The HTTP API end to end, on a real server bound to a free port, against both engines: the
//! lifecycle, refusals, visibility, masking, bad input and concurrency, as clients see them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minsheng_app::{App, Settings, SystemClock};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::*;

fn complaint(title: &str, phone: &str) -> Value {
    json!({
        "channel": "phone", "case_type": "complaint", "title": title,
        "text": format!("{title}，已经持续一周，请尽快处理。"),
        "citizen": {"name": "张先生", "phone": phone},
        "place": {"address": "海口市龙华区金贸街道玉沙路"}
    })
}

on_both_engines!(
    public_statistics_need_no_login_and_name_no_one,
    whole_lifecycle_over_http,
    units_see_only_their_subtree_and_masked_phones,
    refusals_name_state_action_and_reason,
    bad_input_is_refused_and_stores_nothing,
    concurrent_actions_one_wins,
    sessions_cookies_and_api_keys,
    lists_filter_and_paginate,
    citizen_tracks_adds_information_and_withdraws,
    merge_keeps_every_reporter,
    operations_endpoints,
    figures_exports_notifications_and_duty,
    catalogue_read_search_and_versions,
);

async fn whole_lifecycle_over_http(s: Server) {
    let (op, di, lh, cg, sup) = (
        s.token("operator").await,
        s.token("dispatcher").await,
        s.token("longhua").await,
        s.token("cgj").await,
        s.token("supervisor").await,
    );
    let created = s.create(&op, complaint("玉沙路路灯不亮", "13800138000")).await;
    let number = created["case"]["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("HK") && number.len() == 16, "{number}");
    assert_eq!(created["case"]["state"], "awaiting_dispatch");
    let (longhua, cgj) = (s.unit("460106").await, s.unit("HK-CGJ").await);
    let v = s.act(&di, &number, "dispatch", json!({"lead_unit_id": longhua, "assisting_unit_ids": [cgj]})).await;
    assert_eq!(v["case"]["state"], "dispatched");
    let steps: Vec<&str> = v["clocks"].as_array().unwrap().iter().map(|c| c["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["sign", "contact", "reply"], "the clocks that run once dispatched");
    assert!(v["clocks"].as_array().unwrap().iter().all(|c| c["light"] == "green" && c["due_at"].as_str().unwrap().ends_with("+08:00")));
    assert!(v["actions"].as_array().unwrap().contains(&json!("reassign")));
    let v = s.act(&lh, &number, "sign", json!({})).await;
    assert_eq!(v["case"]["state"], "handling");
    assert!(!v["actions"].as_array().unwrap().contains(&json!("reply")), "the lead waits for its assisting unit");
    s.act(&lh, &number, "contact", json!({"method": "phone", "note": "已电话联系市民，约定明天上门"})).await;
    s.act(&cg, &number, "assist_reply", json!({"note": "城管已配合检查线路"})).await;
    let (_, v) = s.get(&lh, &format!("/api/cases/{number}")).await;
    assert!(v["actions"].as_array().unwrap().contains(&json!("reply")));
    let v = s.act(&lh, &number, "reply", json!({"text": "路灯已修复，恢复照明", "solved": "solved"})).await;
    assert_eq!(v["case"]["state"], "replied");
    let v = s.act(&di, &number, "review_reply", json!({"pass": true})).await;
    assert_eq!(v["case"]["state"], "awaiting_callback");
    // The citizen rates on the tracking page (number + last four digits), as good as a callback.
    let rate = s
        .http
        .post(format!("{}/api/track/{number}/actions/callback", s.base))
        .json(&json!({"phone4": "8000", "outcome": "unreachable"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rate.status(), StatusCode::BAD_REQUEST, "a citizen cannot be 'unreachable'");
    let rate = s
        .http
        .post(format!("{}/api/track/{number}/actions/callback", s.base))
        .json(&json!({"phone4": "8000", "outcome": "satisfied", "solved": "solved", "comment": "修好了，谢谢"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rate.status(), StatusCode::OK);
    let (_, v) = s.get(&sup, &format!("/api/cases/{number}")).await;
    assert_eq!(v["case"]["state"], "closed");
    assert_eq!(v["case"]["rating"], "satisfied");
    assert_eq!(v["case"]["rating_comment"], "修好了，谢谢");
    let v = s.act(&sup, &number, "archive", json!({})).await;
    assert_eq!(v["case"]["state"], "archived");
    let kinds: Vec<&str> = v["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "received",
            "routed",
            "forwarded",
            "dispatched",
            "signed",
            "contacted",
            "assist_replied",
            "replied",
            "reply_passed",
            "callback_recorded",
            "closed",
            "archived"
        ]
    );
    // The routing proposal is on the case with its reasons: the place named in the address.
    let routed = &v["timeline"][1];
    assert_eq!(routed["actor"]["role"], "system");
    assert!(v["case"]["routing"]["reasons_zh"].as_array().unwrap().len() >= 2, "{}", v["case"]["routing"]);
    // Every step records who, in which role and unit, when and why.
    let contacted = &v["timeline"][5];
    assert_eq!(contacted["actor"]["role"], "unit_handler");
    assert_eq!(contacted["actor"]["unit_id"], longhua);
    assert_eq!(contacted["note"], "已电话联系市民，约定明天上门");
    assert!(contacted["at"].as_str().unwrap().ends_with("+08:00"));
    // The history in the store replays to the stored state.
    let case = s.app.store.case_by_number(&number).await.unwrap().unwrap();
    let events = s.app.store.case_events(case.id).await.unwrap();
    assert_eq!(minsheng_domain::case::Case::replay(case.id, case.number.clone(), &events).unwrap(), case);
}

async fn units_see_only_their_subtree_and_masked_phones(s: Server) {
    let (op, di) = (s.token("operator").await, s.token("dispatcher").await);
    let (lh, lh_leader, ml, jm, sup) = (
        s.token("longhua").await,
        s.token("longhua_leader").await,
        s.token("meilan").await,
        s.token("jinmao").await,
        s.token("supervisor").await,
    );
    let open = s.create(&op, complaint("噪音扰民", "13912345678")).await;
    let n1 = open["case"]["number"].as_str().unwrap().to_string();
    let mut secret = complaint("举报违建", "13700001111");
    secret["citizen"]["confidential"] = json!(true);
    let n2 = s.create(&op, secret).await["case"]["number"].as_str().unwrap().to_string();
    let jinmao = s.unit("460106003").await;
    let longhua = s.unit("460106").await;
    s.act(&di, &n1, "dispatch", json!({"lead_unit_id": longhua})).await;
    s.act(&di, &n2, "dispatch", json!({"lead_unit_id": jinmao})).await;

    // 龙华区 sees its own case and its street's; the phone is masked for it.
    let (st, v) = s.get(&lh, &format!("/api/cases/{n1}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["citizen"]["phone"], "139****5678");
    assert_eq!(v["citizen"]["phone_masked"], true);
    let (st, v) = s.get(&lh_leader, &format!("/api/cases/{n2}")).await;
    assert_eq!(st, StatusCode::OK, "a district sees its street's case");
    assert_eq!(v["citizen"]["name"], "保密");
    assert!(v["citizen"]["phone"].is_null());
    assert!(!v.to_string().contains("13700001111"), "the confidential phone appears nowhere");
    // 美兰区 does not know they exist; the street does not see its parent's case.
    assert_eq!(s.get(&ml, &format!("/api/cases/{n1}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.get(&ml, &format!("/api/cases/{n2}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.get(&jm, &format!("/api/cases/{n1}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.get(&jm, &format!("/api/cases/{n2}")).await.0, StatusCode::OK);
    let (_, list) = s.get(&ml, "/api/cases").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (_, list) = s.get(&lh, "/api/cases").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (_, inbox) = s.get(&lh, "/api/cases?view=inbox&state=dispatched").await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1, "the inbox holds only what the unit itself holds");
    // The centre's supervisor calls back and sees the full number and the identity.
    let (_, v) = s.get(&sup, &format!("/api/cases/{n2}")).await;
    assert_eq!(v["citizen"]["phone"], "13700001111");
    assert_eq!(v["citizen"]["name"], "张先生");
    // Acting on an invisible case is the same 404 as reading it.
    let (st, _) = s.post(&ml, &format!("/api/cases/{n1}/actions/sign"), json!({"version": 3})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

async fn refusals_name_state_action_and_reason(s: Server) {
    let (op, lh, di) = (s.token("operator").await, s.token("longhua").await, s.token("dispatcher").await);
    let n = s.create(&op, complaint("井盖缺失", "13800138001")).await["case"]["number"].as_str().unwrap().to_string();
    let before = s.app.store.case_by_number(&n).await.unwrap().unwrap();
    // Wrong state: nothing to sign yet (and the unit cannot see it: it is not involved).
    let (st, v) = s.post(&di, &format!("/api/cases/{n}/actions/sign"), json!({"version": 3})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"]["code"], "role_forbidden");
    let (st, v) = s.post(&di, &format!("/api/cases/{n}/actions/callback"), json!({"version": 3, "outcome": "satisfied"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "dispatchers do not call back: {v}");
    let sup = s.token("supervisor").await;
    let (st, v) = s.post(&sup, &format!("/api/cases/{n}/actions/callback"), json!({"version": 3, "outcome": "satisfied"})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(v["error"]["code"], "invalid_state");
    assert_eq!(v["error"]["details"]["state"], "awaiting_dispatch");
    assert_eq!(v["error"]["details"]["action"], "callback");
    assert!(v["error"]["message_zh"].as_str().unwrap().contains("待派单"));
    assert!(v["error"]["message_en"].as_str().unwrap().contains("callback"));
    // A required reason missing.
    let (st, v) = s.post(&sup, &format!("/api/cases/{n}/actions/supervise"), json!({"version": 3, "level": "yellow"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["details"]["field"], "note");
    // Rule: the centre does not handle cases.
    let centre = s.unit("HK-12345").await;
    let (st, v) = s.post(&di, &format!("/api/cases/{n}/actions/dispatch"), json!({"version": 3, "lead_unit_id": centre})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "rule_violation");
    // Unknown unit, unknown action.
    let (st, v) = s.post(&di, &format!("/api/cases/{n}/actions/dispatch"), json!({"version": 3, "lead_unit_id": 999999})).await;
    assert_eq!((st, v["error"]["details"]["field"].clone()), (StatusCode::BAD_REQUEST, json!("lead_unit_id")));
    let (st, _) = s.post(&di, &format!("/api/cases/{n}/actions/teleport"), json!({"version": 3})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // A unit user cannot dispatch, even with the right data.
    let longhua = s.unit("460106").await;
    let (st, v) = s.post(&lh, &format!("/api/cases/{n}/actions/dispatch"), json!({"version": 3, "lead_unit_id": longhua})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "a unit not involved does not even see it: {v}");
    // None of it changed anything.
    assert_eq!(s.app.store.case_by_number(&n).await.unwrap().unwrap(), before);
    assert_eq!(s.app.store.case_events(before.id).await.unwrap().len(), 3, "received, routed, forwarded");
    // Roles that may not take cases in.
    let (st, v) = s.post(&lh, "/api/cases", complaint("单位不能受理", "13800138002")).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::FORBIDDEN, json!("role_forbidden")));
}

async fn bad_input_is_refused_and_stores_nothing(s: Server) {
    let op = s.token("operator").await;
    let before = s.count().await;
    let url = format!("{}/api/cases", s.base);
    let raw = |body: String| s.http.post(&url).bearer_auth(&op).header("content-type", "application/json").body(body).send();
    let expect = |r: reqwest::Response, status: StatusCode, code: &'static str| async move {
        assert_eq!(r.status(), status);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(!v["error"]["message_zh"].as_str().unwrap().is_empty() && !v["error"]["message_en"].as_str().unwrap().is_empty());
        v
    };
    expect(raw("{\"channel\": \"phone\",".into()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    let (st, v) = s.oversized(&op, "/api/cases", format!("{{\"title\": \"{}\"}}", "长".repeat(200_000))).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::PAYLOAD_TOO_LARGE, json!("payload_too_large")), "{v}");
    let mut wrong_type = complaint("类型错误", "13800138000");
    wrong_type["title"] = json!(123);
    expect(raw(wrong_type.to_string()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    let mut unknown = complaint("多余字段", "13800138000");
    unknown["priority"] = json!("high");
    let v = expect(raw(unknown.to_string()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(v["error"]["message_en"].as_str().unwrap().contains("priority"));
    let v = expect(raw(complaint("电话错误", "12345").to_string()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(v["error"]["message_en"].as_str().unwrap().contains("phone"), "{v}");
    expect(raw(complaint(&"长".repeat(101), "13800138000").to_string()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    expect(raw(complaint("控制\u{0001}字符", "13800138000").to_string()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    let mut bad_enum = complaint("未知渠道", "13800138000");
    bad_enum["channel"] = json!("carrier_pigeon");
    expect(raw(bad_enum.to_string()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    let mut bad_place = complaint("区划错误", "13800138000");
    bad_place["place"]["division_unit_id"] = json!(s.unit("HK-CGJ").await);
    expect(raw(bad_place.to_string()).await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input").await;
    let r = s.http.post(&url).bearer_auth(&op).header("content-type", "text/plain").body("hello").send().await.unwrap();
    expect(r, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(s.count().await, before, "nothing was stored");
    // Bad query parameters.
    let (st, v) = s.get(&op, "/api/cases?state=flying").await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_input")));
    let (st, _) = s.get(&op, "/api/cases?limit=abc").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = s.get(&op, "/api/cases?from=yesterday").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = s.get(&op, "/api/cases?cursor=xyz").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // A bad action body.
    let n = s.create(&op, complaint("动作参数", "13800138000")).await["case"]["number"].as_str().unwrap().to_string();
    let di = s.token("dispatcher").await;
    for body in
        [json!({"lead_unit_id": 1}), json!({"version": "3", "lead_unit_id": 1}), json!({"version": 3, "lead_unit_id": "x"}), json!([1, 2])]
    {
        let (st, v) = s.post(&di, &format!("/api/cases/{n}/actions/dispatch"), body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {v}");
    }
}

async fn concurrent_actions_one_wins(s: Server) {
    let (op, di) = (s.token("operator").await, s.token("dispatcher").await);
    let n = s.create(&op, complaint("并发派单", "13800138000")).await["case"]["number"].as_str().unwrap().to_string();
    let (a, b) = (s.unit("460106").await, s.unit("460108").await);
    let path = format!("/api/cases/{n}/actions/dispatch");
    let (r1, r2) = tokio::join!(
        s.post(&di, &path, json!({"version": 3, "lead_unit_id": a})),
        s.post(&di, &path, json!({"version": 3, "lead_unit_id": b}))
    );
    let mut statuses = [r1.0, r2.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{r1:?} {r2:?}");
    let loser = if r1.0 == StatusCode::CONFLICT { r1.1 } else { r2.1 };
    assert_eq!(loser["error"]["code"], "version_conflict");
    assert_eq!(loser["error"]["details"]["current_version"], 4, "the loser learns the version to reload");
    let case = s.app.store.case_by_number(&n).await.unwrap().unwrap();
    assert_eq!(s.app.store.case_events(case.id).await.unwrap().len(), 4, "exactly one dispatch was recorded");
}

async fn sessions_cookies_and_api_keys(s: Server) {
    // No credentials, bad credentials.
    let (st, v) = s.get("", "/api/me").await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::UNAUTHORIZED, json!("unauthenticated")));
    let r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"login": "operator", "password": "wrong-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"login": "nobody", "password": "minsheng123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A browser: the cookie carries the session.
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = browser
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"login": "supervisor", "password": "minsheng123"}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let me: Value = browser.get(format!("{}/api/me", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["role"], "supervisor");
    assert_eq!(browser.post(format!("{}/api/auth/logout", s.base)).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(browser.get(format!("{}/api/me", s.base)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // API keys: only administrators create them; the key works until revoked.
    let op = s.token("operator").await;
    let (st, _) = s.post(&op, "/api/apikeys", json!({"name": "open311", "role": "operator"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let admin = s.token("admin").await;
    let centre = s.unit("HK-12345").await;
    let (st, created) = s.post(&admin, "/api/apikeys", json!({"name": "open311", "role": "operator", "unit_id": centre})).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    let r = s
        .http
        .post(format!("{}/api/cases", s.base))
        .header("x-api-key", &key)
        .json(&complaint("接口受理", "13800138000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, list) = s.get(&admin, "/api/apikeys").await;
    assert!(!list.to_string().contains(key.rsplit('_').next().unwrap()), "the secret is never listed");
    let id = created["record"]["id"].as_i64().unwrap();
    let r = s.http.delete(format!("{}/api/apikeys/{id}", s.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = s.http.get(format!("{}/api/me", s.base)).header("x-api-key", &key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = s.http.get(format!("{}/api/me", s.base)).header("x-api-key", "msk_nope_nope").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Administrators manage users; others may not.
    let (st, _) = s.post(&op, "/api/users", json!({"login": "x1", "name": "新人", "role": "operator", "password": "password123"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .post(
            &admin,
            "/api/users",
            json!({"login": "newop", "name": "新话务员", "role": "operator", "unit_id": centre, "password": "password123"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert!(v.get("password_hash").is_none(), "hashes never leave the server");
    let (st, _) = s
        .post(
            &admin,
            "/api/users",
            json!({"login": "newop", "name": "重复", "role": "operator", "unit_id": centre, "password": "password123"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _) = s
        .post(&admin, "/api/users", json!({"login": "weak", "name": "弱密码", "role": "operator", "unit_id": centre, "password": "123"}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

async fn lists_filter_and_paginate(s: Server) {
    let op = s.token("operator").await;
    for i in 0..7 {
        let mut c = complaint(&format!("占道经营{i}"), "13800138000");
        if i % 2 == 0 {
            c["case_type"] = json!("consultation");
            c["urgency"] = json!("urgent");
        }
        s.create(&op, c).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/cases?limit=3&cursor={c}"),
            None => "/api/cases?limit=3".to_string(),
        };
        let (st, v) = s.get(&op, &path).await;
        assert_eq!(st, StatusCode::OK);
        seen.extend(v["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
    let (_, v) = s.get(&op, "/api/cases?type=consultation&urgency=urgent").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 4);
    let (_, v) = s.get(&op, "/api/cases?q=%E7%BB%8F%E8%90%A53").await; // 经营3
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (_, v) = s.get(&op, "/api/cases?state=awaiting_dispatch,dispatched&channel=phone").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 7);
    let (_, v) = s.get(&op, "/api/cases?from=2000-01-01T00:00:00%2B08:00&to=2001-01-01T00:00:00%2B08:00").await;
    assert!(v["items"].as_array().unwrap().is_empty());
    let (_, v) = s.get(&op, "/api/cases?phone=13800138000").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 7, "caller history by phone");
}

async fn citizen_tracks_adds_information_and_withdraws(s: Server) {
    let (op, di, lh) = (s.token("operator").await, s.token("dispatcher").await, s.token("longhua").await);
    let n = s.create(&op, complaint("小区垃圾无人清运", "13655556666")).await["case"]["number"].as_str().unwrap().to_string();
    let longhua = s.unit("460106").await;
    s.act(&di, &n, "dispatch", json!({"lead_unit_id": longhua})).await;
    s.act(&lh, &n, "sign", json!({})).await;
    s.act(&lh, &n, "handle", json!({"note": "内部：已通知环卫公司，费用问题待协调"})).await;
    let track = |q: &str| s.http.get(format!("{}/api/track/{n}?phone4={q}", s.base)).send();
    let r = track("0000").await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = track("12ab").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = track("6666").await.unwrap().json().await.unwrap();
    let text = v.to_string();
    assert_eq!(v["state"], "办理中");
    assert!(text.contains("派单至龙华区") && text.contains("签收"), "{text}");
    for hidden in ["李明辉", "陈晓燕", "林志强", "内部", "办理过程"] {
        assert!(!text.contains(hidden), "the public view leaks {hidden}: {text}");
    }
    let add = s
        .http
        .post(format!("{}/api/track/{n}/actions/add_info", s.base))
        .json(&json!({"phone4": "6666", "note": "垃圾已经堆到路边了"}))
        .send()
        .await
        .unwrap();
    assert_eq!(add.status(), StatusCode::OK);
    let v: Value = add.json().await.unwrap();
    assert!(v.to_string().contains("垃圾已经堆到路边了"));
    let bad = s.http.post(format!("{}/api/track/{n}/actions/close", s.base)).json(&json!({"phone4": "6666"})).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    let wrong = s.http.post(format!("{}/api/track/{n}/actions/withdraw", s.base)).json(&json!({"phone4": "1111"})).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let w = s
        .http
        .post(format!("{}/api/track/{n}/actions/withdraw", s.base))
        .json(&json!({"phone4": "6666", "note": "已自行解决"}))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status(), StatusCode::OK);
    let v: Value = w.json().await.unwrap();
    assert_eq!(v["state"], "已撤诉");
}

async fn merge_keeps_every_reporter(s: Server) {
    let (op, di) = (s.token("operator").await, s.token("dispatcher").await);
    let a = s.create(&op, complaint("工地夜间施工噪音", "13800000001")).await["case"]["number"].as_str().unwrap().to_string();
    let b = s.create(&op, complaint("工地半夜施工太吵", "13800000002")).await["case"]["number"].as_str().unwrap().to_string();
    let v = s.act(&di, &b, "merge", json!({"into": a, "note": "同一工地"})).await;
    assert_eq!(v["case"]["state"], "merged");
    assert_eq!(v["case"]["merged_into"]["number"], a);
    let (_, t) = s.get(&di, &format!("/api/cases/{a}")).await;
    assert_eq!(t["case"]["reporters"], 2);
    assert_eq!(t["case"]["merged_from"][0]["number"], b);
    // A merged case accepts no more merges, and a case cannot merge into itself.
    let (st, _) = s.post(&di, &format!("/api/cases/{a}/actions/merge"), json!({"version": t["case"]["version"], "into": a})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = s.post(&di, &format!("/api/cases/{a}/actions/merge"), json!({"version": t["case"]["version"], "into": b})).await;
    assert_eq!(st, StatusCode::CONFLICT, "the target is merged, no longer open");
}

async fn operations_endpoints(s: Server) {
    let r = s.http.get(format!("{}/healthz", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let op = s.token("operator").await;
    s.create(&op, complaint("指标", "13800138000")).await;
    let metrics = s.http.get(format!("{}/metrics", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("minsheng_http_requests_total"), "{metrics}");
    assert!(metrics.contains("minsheng_case_events_total"));
    let doc: Value = s.http.get(format!("{}/api/openapi.json", s.base)).send().await.unwrap().json().await.unwrap();
    for path in
        ["/api/cases", "/api/cases/{key}", "/api/cases/{key}/actions/{action}", "/api/track/{number}", "/api/auth/login", "/api/apikeys"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from OpenAPI");
    }
    let description = doc["info"]["description"].as_str().unwrap();
    for a in minsheng_domain::lifecycle::Action::ALL {
        assert!(description.contains(&format!("`{}`", a.as_str())), "action {} missing from the docs", a.as_str());
    }
    let page = s.http.get(format!("{}/api/docs/", s.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().to_lowercase().contains("swagger"));
    let (st, v) = s.get(&op, "/api/no/such/thing").await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    let (_, meta) = s.get(&op, "/api/meta").await;
    assert_eq!(meta["actions"].as_array().unwrap().len(), 31);
}

/// The browser application's files are served at `/`; the API keeps its JSON 404s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_web_application_beside_the_api() {
    let dir = std::env::temp_dir().join(format!("minsheng-web-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>民生</title><div id=app></div>").unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log('ok')").unwrap();
    let store = minsheng_store::open(&format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(SystemClock), Settings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = minsheng_api::router_with_web(app, Some(dir.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let get = |p: &str| reqwest::get(format!("{base}{p}"));
    let index = get("/").await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert!(index.text().await.unwrap().contains("民生"));
    let js = get("/assets/app.js").await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let js_cache = js.headers()["cache-control"].clone();
    assert!(get("/some/client/route").await.unwrap().text().await.unwrap().contains("id=app"), "client routes fall back to index.html");
    // Hashed assets are cached for good; the index is always revalidated (a new release names new assets).
    assert_eq!(js_cache, "public, max-age=31536000, immutable");
    assert_eq!(get("/").await.unwrap().headers()["cache-control"], "no-cache");
    assert_eq!(get("/some/client/route").await.unwrap().headers()["cache-control"], "no-cache");
    // gzip when the client asks for it.
    std::fs::write(dir.join("assets/big.js"), "console.log('民生');\n".repeat(2000)).unwrap();
    let http = reqwest::Client::new();
    let gz = http.get(format!("{base}/assets/big.js")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert!(gz.bytes().await.unwrap().len() < 2000, "compressed");
    let plain = http.get(format!("{base}/assets/big.js")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let api = get("/api/nothing").await.unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK);
}

async fn figures_exports_notifications_and_duty(s: Server) {
    let (op, di, sup, lh, lhl, admin) = (
        s.token("operator").await,
        s.token("dispatcher").await,
        s.token("supervisor").await,
        s.token("longhua").await,
        s.token("longhua_leader").await,
        s.token("admin").await,
    );
    let created = s.create(&op, complaint("龙昆南路积水", "13800138000")).await;
    let number = created["case"]["number"].as_str().unwrap().to_string();
    let longhua = s.unit("460106").await;
    s.act(&di, &number, "dispatch", json!({"lead_unit_id": longhua})).await;
    s.act(&lh, &number, "sign", json!({})).await;

    let (st, v) = s.get(&sup, "/api/metrics?by=unit").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let row = v["rows"].as_array().unwrap().iter().find(|r| r["label"] == "龙华区").unwrap().clone();
    assert_eq!(row["counts"]["received"], 1);
    assert_eq!(row["counts"]["signed"], 1);
    assert_eq!(row["level"], "district");
    assert!(
        v["definitions"].as_array().unwrap().iter().any(|d| d["id"] == "response_rate" && d["formula_zh"] == "按时响应量 ÷ 派单量 × 100%")
    );
    assert!(v["score_formula_zh"].as_str().unwrap().contains("满意率"));
    let (st, v) = s.get(&sup, "/api/metrics?by=month&from=2026-01-01&to=2027-01-01").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s.get(&sup, "/api/metrics/rankings").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["levels"].as_array().unwrap().iter().any(|l| l["level"] == "district"));

    // Exports: CSV with a BOM, XLSX as a zip, both as attachments.
    let r = s.http.get(format!("{}/api/metrics?format=csv", s.base)).bearer_auth(&sup).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(".csv"));
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(&[0xEF, 0xBB, 0xBF]) && String::from_utf8_lossy(&body).contains("龙华区"));
    let r = s.http.get(format!("{}/api/metrics?format=xlsx", s.base)).bearer_auth(&sup).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));

    // Bad input and wrong roles change nothing and say why.
    for (path, code) in [
        ("/api/metrics?format=pdf", "invalid_input"),
        ("/api/metrics?by=planet", "invalid_input"),
        ("/api/metrics?from=2026-02-30", "invalid_input"),
        ("/api/metrics?from=2026-03-01&to=2026-02-01", "invalid_input"),
        ("/api/metrics?unit=abc", "invalid_input"),
        ("/api/metrics/rankings?month=2026-13", "invalid_input"),
    ] {
        let (st, v) = s.get(&sup, path).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["error"]["code"], code, "{path}: {v}");
        assert!(!v["error"]["message_zh"].as_str().unwrap().is_empty());
    }
    let r = s.http.get(format!("{}/api/metrics", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (st, _) = s.get(&s.token("grid").await, "/api/metrics").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let meilan = s.unit("460108").await;
    let (st, _) = s.get(&lhl, &format!("/api/metrics?unit={meilan}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another district's figures do not exist for this leader");

    // Settings: only administrators, and only valid definitions.
    let (_, defs) = s.get(&sup, "/api/settings/metrics").await;
    let put =
        |token: &str, body: Value| s.http.put(format!("{}/api/settings/metrics", s.base)).bearer_auth(token.to_string()).json(&body).send();
    assert_eq!(put(&sup, defs.clone()).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(put(&admin, json!([])).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(put(&admin, json!([{"id": "x"}])).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(put(&admin, defs).await.unwrap().status(), StatusCode::NO_CONTENT);

    // A supervisor's urge lands in the handler's notifications.
    s.act(&sup, &number, "urge", json!({"note": "请今天内联系市民"})).await;
    s.app.deliver_in_app(100).await.unwrap();
    let (st, v) = s.get(&lh, "/api/notifications?unread=true").await;
    assert_eq!(st, StatusCode::OK);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    assert!(list[0]["body"].as_str().unwrap().contains("请今天内联系市民"));
    let id = list[0]["id"].as_i64().unwrap();
    let (st, _) = s.post(&lhl, &format!("/api/notifications/{id}/read"), json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "not the leader's notice");
    let (st, _) = s.post(&lh, &format!("/api/notifications/{id}/read"), json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert!(s.get(&lh, "/api/notifications?unread=true").await.1.as_array().unwrap().is_empty());
    let (_, log) = s.get(&sup, &format!("/api/cases/{number}/notices")).await;
    assert_eq!(log.as_array().unwrap()[0]["state"], "sent");

    // The duty roster and the digest.
    let leader_id = s.app.store.user_by_login("longhua_leader").await.unwrap().unwrap().id;
    let put_duty = |token: &str, body: Value| s.http.put(format!("{}/api/duty", s.base)).bearer_auth(token.to_string()).json(&body).send();
    assert_eq!(
        put_duty(&lh, json!({"day": "2026-11-23", "unit_id": longhua, "user_ids": [leader_id]})).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put_duty(&lhl, json!({"day": "23/11/2026", "unit_id": longhua, "user_ids": [leader_id]})).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        put_duty(&lhl, json!({"day": "2026-11-23", "unit_id": longhua, "user_ids": [leader_id]})).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let (_, roster) = s.get(&sup, "/api/duty?from=2026-11-23&to=2026-11-29").await;
    assert_eq!(roster.as_array().unwrap().len(), 1);
    let (st, v) = s.get(&sup, "/api/digest/unsatisfied?week=2026-11-25").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["week"], "2026-11-23");
    assert_eq!(v["recipients"], json!([leader_id]));
    let (st, _) = s.get(&lh, "/api/digest/unsatisfied").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

async fn catalogue_read_search_and_versions(s: Server) {
    let (op, admin, sup) = (s.token("operator").await, s.token("admin").await, s.token("supervisor").await);
    let (st, cat) = s.get(&op, "/api/catalogue").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(cat["version"], 1);
    let items = cat["items"].as_array().unwrap().clone();
    assert!(items.len() > 600, "categories, subcategories and 537 items");
    let (st, hits) = s.get(&op, "/api/catalogue/search?q=%E5%B9%BF%E5%9C%BA%E8%88%9E%E9%9F%B3%E5%93%8D%E5%A4%AA%E5%90%B5").await; // 广场舞音响太吵
    assert_eq!(st, StatusCode::OK);
    assert_eq!(hits[0]["name"], "广场舞噪声");
    assert_eq!(hits[0]["path"], "噪声污染 / 社会生活噪声 / 广场舞噪声");

    let r = s.http.get(format!("{}/api/catalogue?format=csv", s.base)).bearer_auth(&op).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.trim_start_matches('\u{feff}').starts_with("code,name,parent"));

    // Saving: administrators only; a broken tree is refused with its problems; CSV import works.
    let put = |token: &str, body: Value| s.http.put(format!("{}/api/catalogue", s.base)).bearer_auth(token.to_string()).json(&body).send();
    assert_eq!(put(&sup, json!({"items": items})).await.unwrap().status(), StatusCode::FORBIDDEN);
    let r =
        put(&admin, json!({"items": [{"code": "01", "name": "城建"}, {"code": "01.01", "name": "路灯", "parent": "02"}]})).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"]["details"]["problems"].as_array().unwrap().iter().any(|p| p["code"] == "missing_parent"), "{v}");
    assert_eq!(put(&admin, json!({"items": [], "extra": 1})).await.unwrap().status(), StatusCode::BAD_REQUEST, "unknown field");
    let r = s
        .http
        .post(format!("{}/api/catalogue/import?note=%E5%AF%BC%E5%85%A5", s.base))
        .bearer_auth(&admin)
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["diff"]["changed"].as_array().unwrap().len(), 0, "a round trip changes nothing");
    let (_, versions) = s.get(&op, "/api/catalogue/versions").await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[0]["note"], "导入");
    let (st, _) = s.get(&op, "/api/catalogue?version=99").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The routing preview for a draft: nothing stored, the proposal and the place read.
    let mut draft = complaint("广场舞噪音", "13800138000");
    draft["catalogue_item"] = json!("ZS.02.001");
    draft["place"] = json!({"address": "龙华区金贸街道玉沙社区"});
    let before = s.app.store.count_cases().await.unwrap();
    let (st, p) = s.post(&op, "/api/cases/preview", draft).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["routing"]["rule"], "department");
    assert!(p["place"]["unit_id"].as_i64().is_some(), "{p}");
    assert_eq!(s.app.store.count_cases().await.unwrap(), before);
    // Grids: an administrator uploads polygons; coordinates of a draft are placed in one.
    let grid = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "LH-001", "name": "玉沙一网格"},
        "geometry": {"type": "Polygon", "coordinates": [[[110.30, 20.02], [110.32, 20.02], [110.32, 20.04], [110.30, 20.04], [110.30, 20.02]]]}}]});
    let upload = |token: &str, body: String| s.http.put(format!("{}/api/grids", s.base)).bearer_auth(token.to_string()).body(body).send();
    assert_eq!(upload(&op, grid.to_string()).await.unwrap().status(), StatusCode::FORBIDDEN);
    let r = upload(&admin, "{\"type\": \"FeatureCollection\", \"features\": []}".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["details"]["reason"], "no_polygons", "{v}");
    assert_eq!(upload(&admin, "not json".into()).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let r = upload(&admin, grid.to_string()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["grids"], 1);
    let mut at = complaint("井盖缺失", "13800138000");
    at["place"] = json!({"longitude": 110.31, "latitude": 20.03});
    let (st, p) = s.post(&op, "/api/cases/preview", at).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["place"]["grid"]["code"], "LH-001", "{p}");
    // Intake against the catalogue.
    let mut body = complaint("广场舞噪音", "13800138000");
    body["catalogue_item"] = json!("no.such.item");
    let (st, v) = s.post(&op, "/api/cases", body.clone()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["details"]["field"], "catalogue_item");
    body["catalogue_item"] = json!("ZS.02.001");
    let created = s.create(&op, body).await;
    assert_eq!(created["case"]["intake"]["catalogue_version"], 2);

    // 并单建议: a second report of the same matter at the same place finds the first, with reasons.
    let first = s
        .create(
            &op,
            json!({"channel": "phone", "case_type": "complaint", "title": "龙昆南路海秀快速路口井盖缺失",
            "text": "龙昆南路与海秀快速路交叉口东侧人行道井盖缺失，晚上很危险，已有行人踩空。", "urgency": "normal",
            "citizen": {"phone": "13800138001"}, "place": {"address": "龙华区龙昆南路海秀快速路口"}, "after": "forward"}),
        )
        .await;
    let first_number = first["case"]["number"].as_str().unwrap().to_string();
    let draft = json!({"channel": "phone", "case_type": "complaint", "title": "龙昆南路海秀快速路口人行道井盖没了",
        "text": "龙昆南路海秀快速路口东边人行道上井盖缺失，夜里有人踩空，请尽快补上。", "urgency": "normal",
        "citizen": {"phone": "13800138002"}, "place": {"address": "龙华区龙昆南路海秀快速路口"}, "after": "forward"});
    let (st, p) = s.post(&op, "/api/cases/preview", draft.clone()).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let similar = p["similar"].as_array().unwrap();
    assert_eq!(similar[0]["number"], first_number.as_str(), "{p}");
    assert!(similar[0]["score"].as_f64().unwrap() >= 0.4);
    assert!(!similar[0]["reasons"].as_array().unwrap().is_empty());
    assert!(similar.iter().all(|c| c["title"] != "广场舞噪音"), "another matter is not proposed: {p}");
    let second = s.create(&op, draft).await;
    let (st, v) = s.get(&op, &format!("/api/cases/{}/similar", second["case"]["number"].as_str().unwrap())).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v[0]["number"], first_number.as_str(), "{v}");
    assert!(v.as_array().unwrap().iter().all(|c| c["number"] != second["case"]["number"]), "never itself");
}

async fn public_statistics_need_no_login_and_name_no_one(s: Server) {
    let op = s.token("operator").await;
    s.create(&op, complaint("路灯不亮", "13800138111")).await;
    s.create(&op, complaint("井盖缺失", "13800138112")).await;
    let r = s.http.get(format!("{}/api/public/stats", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let months = v["months"].as_array().unwrap();
    assert!(!months.is_empty() && months.len() <= 12, "{v}");
    let this_month = months.last().unwrap();
    assert_eq!(this_month["received"], 2, "{v}");
    assert_eq!(v["total"]["received"], 2);
    assert!(this_month["month"].as_str().unwrap().len() == 7);
    let text = v.to_string();
    assert!(!text.contains("龙华区") && !text.contains("13800138111") && !text.contains("路灯"), "no units, people or cases: {text}");
    // Computed at most once a minute: a third case does not show at once.
    s.create(&op, complaint("垃圾未清运", "13800138113")).await;
    let again: Value = s.http.get(format!("{}/api/public/stats", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["total"]["received"], 2);
}
