//! 智能分类 over HTTP on both engines: settings, retraining in the background, versions with
//! their evaluation, activation, live proposals for a draft, and refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_app::service::AfterIntake;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::*;

/// Waits for the background training run to finish and returns the overview.
async fn trained(s: &Server, token: &str) -> Value {
    for _ in 0..600 {
        let (_, v) = s.get(token, "/api/classifier").await;
        if v["training"]["running"] == json!(false) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("training did not finish");
}

/// Cases whose item the operator chose: the history a model learns from.
async fn history(s: &Server) {
    let operator = s.app.store.user_by_login("operator").await.unwrap().unwrap();
    let operator = s.app.actor_for_user(&operator).await.unwrap();
    let items = [
        ("夜间违规施工噪声", ["工地夜间施工打桩", "半夜施工噪音很大", "凌晨施工吵得睡不着", "夜间施工机器轰响"]),
        ("宠物噪声", ["邻居家狗叫一整夜", "犬吠扰民严重", "楼下宠物狗天天叫", "宠物犬夜里狂叫"]),
    ];
    let mut n = 0;
    for (name, texts) in items {
        let code = s.app.catalogue().items.iter().find(|i| i.name == name).unwrap().code.clone();
        for t in texts {
            n += 1;
            let intake: minsheng_domain::case::Intake = serde_json::from_value(json!({
                "channel": "phone", "case_type": "complaint", "title": t, "text": t, "urgency": "normal",
                "citizen": {"phone": format!("1390000{n:04}")}, "place": {}, "catalogue_item": code, "external_id": null
            }))
            .unwrap();
            s.app.create_case(&operator, intake, AfterIntake::Forward).await.unwrap();
        }
    }
}

async fn models_settings_and_retraining(s: Server) {
    let (admin, dispatcher, operator) = (s.token("admin").await, s.token("dispatcher").await, s.token("operator").await);
    let (st, v) = s.get(&dispatcher, "/api/classifier").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["models"], json!([]));
    assert_eq!(v["settings"]["auto_dispatch_threshold"], json!(0.9));
    let (st, v) = s.post(&operator, "/api/classify", json!({"text": "工地半夜施工"})).await;
    assert_eq!((st, v), (StatusCode::OK, Value::Null), "no model yet");

    // Settings: only administrators, only sensible values, unknown fields refused.
    let (st, v) = s.put(&dispatcher, "/api/settings/classifier", json!({"auto_dispatch_threshold": 0.8})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = s.put(&admin, "/api/settings/classifier", json!({"auto_dispatch_threshold": 0.1})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], json!("invalid_input"));
    assert!(v["error"]["message_zh"].as_str().unwrap().contains("阈值"));
    let (st, _) = s.put(&admin, "/api/settings/classifier", json!({"threshold": 0.8})).await;
    assert!(st.is_client_error());
    let (st, _) = s.put(&admin, "/api/settings/classifier", json!({"auto_dispatch_threshold": "high"})).await;
    assert!(st.is_client_error());
    let (_, v) = s.get(&dispatcher, "/api/classifier").await;
    assert_eq!(v["settings"]["auto_dispatch_threshold"], json!(0.9), "refusals changed nothing");

    // Retraining without history or base data fails in the background, and says why.
    let (st, _) = s.post(&dispatcher, "/api/classifier/retrain", json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s.post(&admin, "/api/classifier/retrain", json!({"include_base": false})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let v = trained(&s, &admin).await;
    assert!(v["training"]["last_error"].as_str().unwrap().contains("训练数据不足"), "{v}");
    assert_eq!(v["models"], json!([]));

    // With history: a model, active, with its evaluation; proposals for drafts. Four cases of
    // an item are enough to learn it here.
    history(&s).await;
    let (st, _) = s.put(&admin, "/api/settings/classifier", json!({"min_examples_per_item": 2})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.post(&admin, "/api/classifier/retrain", json!({"include_base": false, "note": "首次训练"})).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let v = trained(&s, &admin).await;
    assert_eq!(v["training"]["last_version"], json!(1), "{v}");
    assert_eq!(v["models"][0]["active"], json!(true));
    assert_eq!(v["models"][0]["note"], json!("首次训练"));
    assert_eq!(v["models"][0]["evaluation"]["history_examples"], json!(8));
    let (st, v) = s.post(&operator, "/api/classify", json!({"title": "狗叫", "text": "楼下的狗整夜叫"})).await;
    assert_eq!(st, StatusCode::OK);
    assert!(v["proposals"][0]["name"].as_str().unwrap().contains("宠物噪声"), "{v}");
    assert_eq!(v["model_version"], json!(1));
    let draft = json!({"channel": "phone", "case_type": "complaint", "title": "工地半夜施工", "text": "工地半夜施工打桩，吵得睡不着",
        "citizen": {"phone": "13912345678"}, "place": {"address": "海口市龙华区金贸街道"}});
    let (st, v) = s.post(&operator, "/api/cases/preview", draft).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["classification"]["proposals"][0]["name"].as_str().unwrap().contains("夜间违规施工噪声"), "{v}");
    assert_eq!(v["routing"]["item_code"], v["classification"]["proposals"][0]["item"], "routed by the top proposal");

    // Versions: a second run, then back to the first.
    let (st, _) = s.post(&admin, "/api/classifier/retrain", json!({"include_base": false, "activate": false})).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let v = trained(&s, &admin).await;
    let flags: Vec<(i64, bool)> =
        v["models"].as_array().unwrap().iter().map(|m| (m["version"].as_i64().unwrap(), m["active"].as_bool().unwrap())).collect();
    assert_eq!(flags, vec![(2, false), (1, true)]);
    let (st, v) = s.post(&admin, "/api/classifier/models/2/activate", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v[0]["active"], json!(true));
    let (st, _) = s.post(&admin, "/api/classifier/models/99/activate", json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.post(&dispatcher, "/api/classifier/models/1/activate", json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Oversized or malformed text is refused.
    let (st, _) = s.post(&operator, "/api/classify", json!({"text": "字".repeat(6000)})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = s.post(&operator, "/api/classify", json!({"text": 5})).await;
    assert!(st.is_client_error());
}

on_both_engines!(models_settings_and_retraining);
