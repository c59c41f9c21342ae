//! 人员库 and 知识库 over HTTP on both engines: the registry and its import, proposals for a case,
//! the knowledge base's search, review and suggestions — and every bad request refused with a
//! stable code in both languages, changing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::*;

/// A refusal: the status, the stable code and both messages.
fn refused(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(!got.1["error"]["message_zh"].as_str().unwrap().is_empty() && !got.1["error"]["message_en"].as_str().unwrap().is_empty());
}

on_both_engines!(
    registry_read_write_import_and_proposals,
    knowledge_search_review_and_suggestions,
    knowledge_refuses_bad_requests_and_changes_nothing,
);

async fn registry_read_write_import_and_proposals(s: Server) {
    let (admin, op, lh) = (s.token("admin").await, s.token("operator").await, s.token("longhua").await);
    let (st, all) = s.get(&lh, "/api/people").await;
    assert_eq!(st, StatusCode::OK);
    let n = all.as_array().unwrap().len();
    assert!((60..=120).contains(&n), "{n}");
    assert!(all[0]["kind_label"].is_string() && all[0]["load"] == 0 && all[0]["area_names"].is_array());
    let (_, experts) = s.get(&op, "/api/people?kind=expert").await;
    assert!(!experts.as_array().unwrap().is_empty() && experts.as_array().unwrap().iter().all(|p| p["kind"] == "expert"));
    let (_, experts_zh) = s.get(&op, "/api/people?kind=%E4%B8%93%E5%AE%B6").await;
    assert_eq!(experts_zh, experts, "the Chinese label works too");
    let longhua = s.app.store.unit_by_code("460106").await.unwrap().unwrap();
    let (_, local) = s.get(&op, &format!("/api/people?area={}", longhua.path)).await;
    assert!(
        local.as_array().unwrap().iter().all(|p| p["areas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().starts_with(&longhua.path)))
    );
    refused(&s.get(&op, "/api/people?kind=wizard").await, StatusCode::BAD_REQUEST, "invalid_input");
    refused(&s.get(&op, "/api/people?colour=red").await, StatusCode::BAD_REQUEST, "invalid_input");

    let yusha = s.app.store.list_units().await.unwrap().into_iter().find(|u| u.name == "玉沙社区居民委员会").unwrap();
    let body = json!({"name": "接口调解员", "kind": "mediator", "organisation": "玉沙社区人民调解委员会",
        "specialties": ["物业纠纷"], "areas": [yusha.path], "capacity": 3});
    refused(&s.post(&op, "/api/people", body.clone()).await, StatusCode::FORBIDDEN, "role_forbidden");
    let (st, created) = s.post(&admin, "/api/people", body.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!((created["capacity"].as_i64(), created["active"].as_bool()), (Some(3), Some(true)));
    refused(&s.post(&admin, "/api/people", body.clone()).await, StatusCode::CONFLICT, "already_exists");
    let mut bad = body.clone();
    bad["capacity"] = json!(0);
    let got = s.post(&admin, "/api/people", bad).await;
    refused(&got, StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(got.1["error"]["details"]["field"], "capacity");
    let mut bad = body.clone();
    bad["superpower"] = json!(true);
    refused(&s.post(&admin, "/api/people", bad).await, StatusCode::BAD_REQUEST, "invalid_input");

    let mut edit = body.clone();
    edit["specialties"] = json!(["物业纠纷", "邻里纠纷"]);
    let (st, edited) = s.put(&admin, &format!("/api/people/{id}"), edit.clone()).await;
    assert_eq!((st, edited["specialties"].as_array().unwrap().len()), (StatusCode::OK, 2));
    let (_, fetched) = s.get(&op, &format!("/api/people/{id}")).await;
    assert_eq!(fetched["specialties"], edited["specialties"]);
    refused(&s.get(&op, "/api/people/999999").await, StatusCode::NOT_FOUND, "not_found");
    refused(&s.get(&op, "/api/people/abc").await, StatusCode::BAD_REQUEST, "invalid_input");
    refused(&s.put(&lh, &format!("/api/people/{id}"), edit).await, StatusCode::FORBIDDEN, "role_forbidden");

    // CSV import: every bad row with its line, nothing stored; then the good file.
    let bad_csv = "name,kind,organisation,areas\n甲,mediator,测试委员会,460106\n乙,wizard,测试委员会,\n";
    let got = s.raw(&admin, "/api/people/import", "text/csv", bad_csv).await;
    refused(&got, StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(got.1["error"]["details"]["errors"][0]["line"], 3);
    assert_eq!(s.get(&op, "/api/people").await.1.as_array().unwrap().len(), n + 1, "nothing imported");
    let (st, done) = s.raw(&admin, "/api/people/import", "text/csv", "name,kind,organisation,areas\n甲,mediator,测试委员会,460106\n").await;
    assert_eq!((st, done["created"].as_i64()), (StatusCode::OK, Some(1)));
    refused(
        &s.raw(&op, "/api/people/import", "text/csv", "name,kind,organisation\n丙,expert,x\n").await,
        StatusCode::FORBIDDEN,
        "role_forbidden",
    );

    // Proposals for a dispute at 玉沙社区.
    let case = json!({"channel": "phone", "case_type": "help", "title": "物业纠纷求助",
        "text": "小区物业公司乱收停车费，业主与物业发生纠纷，协商不成，请求调解。",
        "citizen": {"name": "张女士", "phone": "13800138001"}, "place": {"division_unit_id": yusha.id}});
    let (st, c) = s.post(&op, "/api/cases", case).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let number = c["case"]["number"].as_str().unwrap().to_string();
    let (st, p) = s.get(&op, &format!("/api/cases/{number}/people")).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["need"], "dispute");
    let proposals = p["proposals"].as_array().unwrap();
    assert!(!proposals.is_empty() && proposals.len() <= 5);
    assert!(proposals.iter().any(|m| m["person"]["id"] == id), "the community's property-dispute mediator is proposed: {p}");
    assert!(proposals.iter().all(|m| m["score"].as_f64().unwrap() > 0.0 && !m["reasons"].as_array().unwrap().is_empty()));
    refused(&s.get(&s.token("water").await, &format!("/api/cases/{number}/people")).await, StatusCode::NOT_FOUND, "not_found");
    refused(&s.get(&op, "/api/cases/HK20990101000001/people").await, StatusCode::NOT_FOUND, "not_found");

    // 指定人员: the unit holding the case assigns the proposed mediator by name.
    let version = |v: &Value| v["case"]["version"].clone();
    let dispatcher = s.token("dispatcher").await;
    let (st, d) = s
        .post(&dispatcher, &format!("/api/cases/{number}/actions/dispatch"), json!({"version": version(&c), "lead_unit_id": longhua.id}))
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let assign = |v: &Value, person: i64| json!({"version": version(v), "person_id": person});
    refused(
        &s.post(&op, &format!("/api/cases/{number}/actions/assign_person"), assign(&d, id)).await,
        StatusCode::FORBIDDEN,
        "role_forbidden",
    );
    refused(
        &s.post(&lh, &format!("/api/cases/{number}/actions/assign_person"), assign(&d, 999_999)).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    );
    let (st, a) = s.post(&lh, &format!("/api/cases/{number}/actions/assign_person"), assign(&d, id)).await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["case"]["people"][0]["id"], id);
    assert_eq!(a["timeline"].as_array().unwrap().last().unwrap()["kind"], "person_assigned");
    assert!(a["timeline"].as_array().unwrap().last().unwrap()["label"].as_str().unwrap().contains("接口调解员"));
    let again = s.post(&lh, &format!("/api/cases/{number}/actions/assign_person"), assign(&a, id)).await;
    refused(&again, StatusCode::UNPROCESSABLE_ENTITY, "rule_violation");
    let (_, person) = s.get(&op, &format!("/api/people/{id}")).await;
    assert_eq!(person["load"], 1, "the open case counts against the person: {person}");
}

async fn knowledge_search_review_and_suggestions(s: Server) {
    let (op, cgj, sup) = (s.token("operator").await, s.token("cgj").await, s.token("supervisor").await);
    let (st, all) = s.get(&op, "/api/knowledge?limit=500").await;
    assert_eq!(st, StatusCode::OK);
    let seeded = all.as_array().unwrap().len();
    assert!((40..=60).contains(&seeded), "{seeded}");
    assert!(all[0]["state_label"] == "已发布" && all[0]["valid_now"] == true && all[0]["category_name"].is_string());

    let (st, hits) = s.get(&op, "/api/knowledge?q=%E8%90%BD%E6%88%B7").await; // 落户
    assert_eq!(st, StatusCode::OK);
    let hits = hits.as_array().unwrap();
    assert!(!hits.is_empty() && hits[0]["snippet"].as_str().unwrap().contains("<mark>"));
    assert!(hits.windows(2).all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()));
    let (_, in_cat) = s.get(&op, "/api/knowledge?category=13.04&state=published&valid=true").await;
    assert!(!in_cat.as_array().unwrap().is_empty() && in_cat.as_array().unwrap().iter().all(|a| a["category"] == "13.04"));

    // Write, submit, publish; every step returns the article with its next actions.
    let (st, draft) = s
        .post(&cgj, "/api/knowledge", json!({"title": "共享单车乱停放向谁反映", "body": "共享单车乱停放由综合行政执法部门督促企业清理，市民可拨打 12345 反映具体地点。",
            "category": "01.02", "keywords": ["共享单车", "乱停放"]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_i64().unwrap();
    assert_eq!((draft["state"].as_str(), draft["actions"].clone()), (Some("draft"), json!(["submit"])));
    let (st, v) = s.post(&cgj, &format!("/api/knowledge/{id}/actions/submit"), json!({"version": 1})).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("pending_review")), "{v}");
    let (st, v) = s.post(&sup, &format!("/api/knowledge/{id}/actions/publish"), json!({"version": 2})).await;
    assert_eq!((st, v["state"].as_str(), v["valid_now"].as_bool()), (StatusCode::OK, Some("published"), Some(true)), "{v}");
    let (_, detail) = s.get(&op, &format!("/api/knowledge/{id}")).await;
    assert_eq!(detail["history"].as_array().unwrap().len(), 3);

    // The operator types a consultation: the fresh article and the seeded ones are suggested.
    let (st, sug) = s.post(&op, "/api/knowledge/suggest", json!({"text": "小区门口共享单车乱停放，堵住了通道，应该向谁反映？"})).await;
    assert_eq!(st, StatusCode::OK, "{sug}");
    let sug = sug.as_array().unwrap();
    assert_eq!(sug[0]["id"], id, "{sug:?}");
    assert!(sug.len() <= 5 && sug[0]["body"].as_str().unwrap().contains("12345") && sug[0]["snippet"].as_str().unwrap().contains("<mark>"));
    let (_, sug) = s.post(&op, "/api/knowledge/suggest", json!({"text": "我想咨询外地户口怎么落户，需要准备什么材料"})).await;
    assert!(sug.as_array().unwrap().iter().any(|a| a["category"] == "13.04"), "{sug}");
    let (_, none) = s.post(&op, "/api/knowledge/suggest", json!({"text": "好"})).await;
    assert_eq!(none, json!([]));

    // Retired: no longer suggested.
    let (st, _) = s.post(&sup, &format!("/api/knowledge/{id}/actions/retire"), json!({"version": 3})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, sug) = s.post(&op, "/api/knowledge/suggest", json!({"text": "小区门口共享单车乱停放，堵住了通道，应该向谁反映？"})).await;
    assert!(sug.as_array().unwrap().iter().all(|a| a["id"] != id));
}

async fn knowledge_refuses_bad_requests_and_changes_nothing(s: Server) {
    let (op, cgj, water, sup, admin) =
        (s.token("operator").await, s.token("cgj").await, s.token("water").await, s.token("supervisor").await, s.token("admin").await);
    let count = || async { s.app.store.knowledge_stamp().await.unwrap() };
    let before = count().await;
    let article = json!({"title": "工地夜间施工许可查询", "body": "夜间施工须取得生态环境部门的夜间施工许可，市民可拨打 12345 核实。", "category": "04.02"});

    refused(&s.send(s.http.get(format!("{}/api/knowledge", s.base))).await, StatusCode::UNAUTHORIZED, "unauthenticated");
    // Malformed JSON, wrong types, unknown fields, bad values, oversized bodies.
    refused(&s.raw(&cgj, "/api/knowledge", "application/json", "{\"title\": ").await, StatusCode::BAD_REQUEST, "invalid_input");
    refused(&s.post(&cgj, "/api/knowledge", json!({"title": 5, "body": "x"})).await, StatusCode::BAD_REQUEST, "invalid_input");
    refused(
        &s.post(&cgj, "/api/knowledge", json!({"title": "x", "body": "y", "colour": "red"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    );
    for (patch, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "长".repeat(101)}), "title"),
        (json!({"body": "长".repeat(20_001)}), "body"),
        (json!({"category": "99"}), "category"),
        (json!({"unit_id": 999_999}), "unit_id"),
        (json!({"keywords": ["关".repeat(21)]}), "keywords"),
        (json!({"valid_from": "2026/01/01"}), "valid_from"),
        (json!({"valid_from": "2026-06-01", "valid_to": "2026-05-01"}), "valid_to"),
    ] {
        let mut body = article.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        if field == "unit_id" {
            // Only an administrator may name another unit; a missing unit is still a field error.
            let got = s.post(&admin, "/api/knowledge", body).await;
            refused(&got, StatusCode::BAD_REQUEST, "invalid_input");
            assert_eq!(got.1["error"]["details"]["field"], field);
            continue;
        }
        let got = s.post(&cgj, "/api/knowledge", body).await;
        refused(&got, StatusCode::BAD_REQUEST, "invalid_input");
        assert_eq!(got.1["error"]["details"]["field"], field, "{}", got.1);
    }
    let huge = json!({"title": "x", "body": "长".repeat(100_000)}).to_string();
    refused(&s.oversized(&cgj, "/api/knowledge", huge).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    refused(&s.get(&op, &format!("/api/knowledge?q={}", "长".repeat(201))).await, StatusCode::BAD_REQUEST, "invalid_input");
    refused(&s.get(&op, "/api/knowledge?state=lost").await, StatusCode::BAD_REQUEST, "invalid_input");
    refused(&s.post(&op, "/api/knowledge/suggest", json!({"text": "字".repeat(5_001)})).await, StatusCode::BAD_REQUEST, "invalid_input");
    refused(&s.post(&op, "/api/knowledge/suggest", json!({})).await, StatusCode::BAD_REQUEST, "invalid_input");
    // Wrong role.
    refused(&s.post(&op, "/api/knowledge", article.clone()).await, StatusCode::FORBIDDEN, "role_forbidden");
    assert_eq!(count().await, before, "nothing was written");

    let (st, a) = s.post(&cgj, "/api/knowledge", article.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    let path = format!("/api/knowledge/{id}");
    refused(&s.get(&op, &path).await, StatusCode::NOT_FOUND, "not_found"); // a draft is not the operators'
    refused(&s.put(&water, &path, json!({"version": 1, "title": "x", "body": "y"})).await, StatusCode::NOT_FOUND, "not_found");
    // Wrong state and wrong role for a step; unknown steps; a rejection without a reason.
    refused(&s.post(&sup, &format!("{path}/actions/publish"), json!({"version": 1})).await, StatusCode::CONFLICT, "invalid_state");
    refused(&s.post(&cgj, &format!("{path}/actions/retire"), json!({"version": 1})).await, StatusCode::FORBIDDEN, "role_forbidden");
    refused(&s.post(&sup, &format!("{path}/actions/approve"), json!({"version": 1})).await, StatusCode::NOT_FOUND, "not_found");
    refused(&s.post(&cgj, &format!("{path}/actions/submit"), json!({})).await, StatusCode::BAD_REQUEST, "invalid_input");
    s.post(&cgj, &format!("{path}/actions/submit"), json!({"version": 1})).await;
    let got = s.post(&sup, &format!("{path}/actions/reject"), json!({"version": 2, "note": " "})).await;
    refused(&got, StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(got.1["error"]["details"]["field"], "note");

    // Two editors at once with the same version: exactly one wins.
    // (The administrator keeps the owner, so whichever wins, the unit still sees the article.)
    let unit = a["unit_id"].clone();
    let edit = |title: &str| json!({"version": 2, "title": title, "body": "夜间施工许可可在政务服务网查询。", "category": "04.02", "unit_id": unit});
    let (a, b) = tokio::join!(s.put(&cgj, &path, edit("甲的标题")), s.put(&admin, &path, edit("乙的标题")));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", a.1, b.1);
    let loser = if a.0 == StatusCode::CONFLICT { &a } else { &b };
    refused(loser, StatusCode::CONFLICT, "version_conflict");
    assert_eq!(loser.1["error"]["details"]["current_version"], 3);
    let winner = if a.0 == StatusCode::OK { "甲的标题" } else { "乙的标题" };
    let (_, now) = s.get(&admin, &path).await;
    assert_eq!((now["title"].as_str(), now["version"].as_i64()), (Some(winner), Some(3)));
    assert_eq!(now["history"].as_array().unwrap().len(), 3, "the loser left no revision");
}
