//! 智能分类 at intake on both engines: no model → the pool; a model trained on the history
//! proposes items, a confident case is dispatched at once, the rest wait for review with the top
//! 3; a dispatcher's correction is one action and becomes training data; models are versioned
//! with their evaluation and one is active.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use minsheng_app::classifier::{ClassifierSettings, RetrainOptions, item_proposals};
use minsheng_app::service::{ActionRequest, AfterIntake};
use minsheng_app::{App, ManualClock, Settings};
use minsheng_classify::TrainOptions;
use minsheng_domain::ErrorCode;
use minsheng_domain::case::Case;
use minsheng_domain::case::{CaseState, CaseType, Channel, Citizen, Intake, ItemSource, Place, Urgency};
use minsheng_domain::org::Actor;
use minsheng_domain::value::{CaseText, PhoneNumber, Title};

const MON_9: i64 = 1_772_413_200_000;
static NEXT: AtomicU32 = AtomicU32::new(0);

async fn app(url: String) -> App {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(ManualClock::at(MON_9)), Settings::default());
    minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    app.reload_catalogue().await.unwrap();
    app
}

async fn who(app: &App, login: &str) -> Actor {
    let u = app.store.user_by_login(login).await.unwrap().unwrap();
    app.actor_for_user(&u).await.unwrap()
}

fn intake(title: &str, text: &str, item: Option<&str>) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse(title).unwrap(),
        text: CaseText::parse(text).unwrap(),
        urgency: Urgency::Normal,
        // A different caller each time: three reports of one item by one caller would escalate.
        citizen: Citizen {
            phone: Some(PhoneNumber::parse(&format!("1380013{:04}", NEXT.fetch_add(1, Ordering::Relaxed))).unwrap()),
            ..Default::default()
        },
        place: Place {
            address: Some(minsheng_domain::value::Address::parse("海口市龙华区金贸街道玉沙社区").unwrap()),
            ..Default::default()
        },
        catalogue_item: item.map(str::to_string),
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

/// The whole case as stored (the detail leaves the citizen out of `case`).
async fn stored(app: &App, case: &serde_json::Value) -> Case {
    app.store.get_case(case["id"].as_i64().unwrap()).await.unwrap().unwrap()
}

fn item_named(app: &App, name: &str) -> String {
    app.catalogue().items.iter().find(|i| i.name == name).unwrap().code.clone()
}

/// Texts people wrote about three matters, varied enough for a model to learn from.
const NOISE: &[&str] =
    &["工地夜间施工打桩", "半夜施工噪音很大", "凌晨施工吵得睡不着", "工地噪音影响休息", "夜间施工机器轰响", "晚上十二点还在打桩"];
const FIRE: &[&str] =
    &["消防通道被车辆堵塞", "楼道堆满杂物堵住消防通道", "消防栓损坏没人修", "小区消防设施老化", "消防通道被占用", "商场消防通道上锁"];
const DOG: &[&str] = &["邻居家狗叫一整夜", "犬吠扰民严重", "楼下宠物狗天天叫", "养狗不拴绳还乱叫", "狗叫声影响孩子学习", "宠物犬夜里狂叫"];

fn quick() -> RetrainOptions {
    let train = TrainOptions { calibration_folds: 2, ..TrainOptions::default() };
    RetrainOptions { include_base: Some(false), activate: true, note: Some("测试".into()), train: Some(train) }
}

async fn operator_cases(app: &App, items: &[(&[&str], &str)]) {
    let operator = who(app, "operator").await;
    for (texts, item) in items {
        for t in *texts {
            app.create_case(&operator, intake(t, t, Some(item)), AfterIntake::Forward).await.unwrap();
        }
    }
}

async fn without_a_model_cases_go_to_the_pool_unclassified(app: App) {
    let operator = who(&app, "operator").await;
    let d = app.create_case(&operator, intake("夜间施工", "工地半夜施工", None), AfterIntake::Forward).await.unwrap();
    let case: Case = stored(&app, &d.case).await;
    assert_eq!(case.state, CaseState::AwaitingDispatch);
    assert!(case.classification.is_none());
    assert!(app.classify("夜间施工", "工地半夜施工").await.unwrap().is_none());
    let admin = who(&app, "admin").await;
    let e = app.retrain(&admin, quick()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RuleViolation, "no history and no base data: {e:?}");
    assert!(app.models().await.unwrap().is_empty(), "nothing saved");
}

async fn confident_cases_are_dispatched_and_the_rest_reviewed(app: App) {
    let (noise, fire, dog) = (item_named(&app, "夜间违规施工噪声"), item_named(&app, "消防安全"), item_named(&app, "宠物噪声"));
    let admin = who(&app, "admin").await;
    // Every case here is at one place: repeated reports there would (rightly) escalate.
    let rules = minsheng_domain::escalation::EscalationRules { repeats: 0, ..app.escalation_rules() };
    app.set_escalation_rules(&admin, rules).await.unwrap();
    operator_cases(&app, &[(NOISE, &noise), (FIRE, &fire), (DOG, &dog)]).await;
    let report = app.retrain(&admin, quick()).await.unwrap();
    assert_eq!((report.history_examples, report.base_examples), (18, 0));
    assert_eq!(report.model.version, 1);
    assert!(report.model.active);
    assert!(report.model.evaluation["macro_f1"].as_f64().is_some(), "{:?}", report.model.evaluation);
    assert_eq!(report.model.labels, 3);

    // A text clearly about night construction: the top proposal is that item, with a probability.
    let c = app.classify("半夜施工", "工地半夜施工打桩，吵得睡不着").await.unwrap().unwrap();
    assert_eq!(c.proposals[0].item, noise, "{c:?}");
    assert!(c.proposals.len() <= 3 && c.proposals.len() >= 2);
    assert!(c.proposals.windows(2).all(|w| w[0].confidence >= w[1].confidence));
    assert_eq!(c.model_version, Some(1));
    assert!(c.proposals[0].name.contains("夜间违规施工噪声"));

    // Threshold met → dispatched without review, by the system, with the reason on record.
    assert!(c.proposals[0].confidence >= 0.5, "a clear text is proposed with confidence: {c:?}");
    let threshold = c.proposals[0].confidence - 0.01;
    let settings = ClassifierSettings { auto_dispatch_threshold: threshold.max(0.5), ..Default::default() };
    app.set_classifier_settings(&admin, settings).await.unwrap();
    let operator = who(&app, "operator").await;
    let d = app.create_case(&operator, intake("半夜施工", "工地半夜施工打桩，吵得睡不着", None), AfterIntake::Forward).await.unwrap();
    let auto: Case = stored(&app, &d.case).await;
    {
        assert_eq!(auto.state, CaseState::Dispatched, "{:?}", d.timeline.iter().map(|t| &t.label).collect::<Vec<_>>());
        assert_eq!(auto.intake.catalogue_item.as_deref(), Some(noise.as_str()));
        assert_eq!(auto.item_source, Some(ItemSource::Classifier));
        assert!(auto.classification.as_ref().unwrap().auto);
        assert_eq!(auto.lead_unit.as_ref().map(|u| u.id), auto.routing.as_ref().unwrap().lead.as_ref().map(|u| u.id));
        let kinds: Vec<&str> = d.timeline.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, vec!["received", "classified", "routed", "forwarded", "dispatched"]);
        assert_eq!(d.timeline[4].actor.role, minsheng_domain::org::Role::System);
    }

    // Threshold 1 → never automatic: the case waits in the pool with the top 3.
    app.set_classifier_settings(&admin, ClassifierSettings { auto_dispatch_threshold: 1.0, ..Default::default() }).await.unwrap();
    let d = app.create_case(&operator, intake("狗叫", "楼下的狗每天夜里叫", None), AfterIntake::Forward).await.unwrap();
    let review: Case = stored(&app, &d.case).await;
    assert_eq!(review.state, CaseState::AwaitingDispatch);
    assert_eq!(review.intake.catalogue_item, None, "no item until a person decides");
    let proposals = &review.classification.as_ref().unwrap().proposals;
    assert_eq!(proposals[0].item, dog);
    assert!(!review.classification.as_ref().unwrap().auto);
    // The routing shown is the top proposal's, as a suggestion.
    assert_eq!(review.routing.as_ref().unwrap().item_code.as_deref(), Some(dog.as_str()));

    // The dispatcher corrects the item while dispatching: one action, the correction recorded.
    let dispatcher = who(&app, "dispatcher").await;
    let lead = review.routing.as_ref().unwrap().lead.clone().unwrap();
    let done = app
        .act(
            &dispatcher,
            review.number.as_str(),
            review.version,
            ActionRequest::Dispatch { lead_unit_id: lead.id, assisting_unit_ids: vec![], catalogue_item: Some(fire.clone()) },
            None,
        )
        .await
        .unwrap();
    let fixed: Case = stored(&app, &done.case).await;
    assert_eq!(fixed.state, CaseState::Dispatched);
    assert_eq!(fixed.intake.catalogue_item.as_deref(), Some(fire.as_str()));
    assert_eq!(fixed.item_source, Some(ItemSource::Dispatcher));
    let kinds: Vec<&str> = done.timeline.iter().map(|t| t.kind).collect();
    assert_eq!(&kinds[kinds.len() - 3..], &["reclassified", "routed", "dispatched"]);
    assert_eq!(fixed.routing.as_ref().unwrap().item_code.as_deref(), Some(fire.as_str()), "routed again for the new item");

    // An unknown item is refused and changes nothing.
    let other = app.create_case(&operator, intake("狗叫", "狗一直叫", None), AfterIntake::Forward).await.unwrap();
    let other: Case = stored(&app, &other.case).await;
    let e = app
        .act(
            &dispatcher,
            other.number.as_str(),
            other.version,
            ActionRequest::Dispatch { lead_unit_id: lead.id, assisting_unit_ids: vec![], catalogue_item: Some("NOPE".into()) },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(app.visible_case(&dispatcher, other.number.as_str()).await.unwrap().version, other.version);
    // Reclassify on its own, and not to the same item twice.
    let r =
        app.act(&dispatcher, other.number.as_str(), other.version, ActionRequest::Reclassify { item: dog.clone() }, None).await.unwrap();
    let r: Case = stored(&app, &r.case).await;
    assert_eq!(r.intake.catalogue_item.as_deref(), Some(dog.as_str()));
    let e =
        app.act(&dispatcher, other.number.as_str(), r.version, ActionRequest::Reclassify { item: dog.clone() }, None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RuleViolation);
    // Operators may not reclassify.
    let e = app.act(&operator, other.number.as_str(), r.version, ActionRequest::Reclassify { item: fire.clone() }, None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleForbidden);

    // Retraining learns from people's choices (18 + the correction + the reclassification),
    // not from the classifier's own automatic choice.
    let again = app.retrain(&admin, quick()).await.unwrap();
    assert_eq!(again.history_examples, 20);
    assert_eq!(again.model.version, 2);
    let models = app.models().await.unwrap();
    assert_eq!(models.iter().map(|m| (m.version, m.active)).collect::<Vec<_>>(), vec![(2, true), (1, false)]);
    // Going back to version 1 is one call; the proposals say which model made them.
    app.activate_model(&admin, 1).await.unwrap();
    assert_eq!(app.classify("狗叫", "狗叫").await.unwrap().unwrap().model_version, Some(1));
    assert_eq!(app.activate_model(&admin, 7).await.unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(app.activate_model(&dispatcher, 2).await.unwrap_err().code, ErrorCode::Forbidden);
    assert_eq!(app.retrain(&dispatcher, quick()).await.unwrap_err().code, ErrorCode::Forbidden);
}

async fn settings_are_validated(app: App) {
    let admin = who(&app, "admin").await;
    for bad in [0.2, 1.5, f64::NAN] {
        let e = app.set_classifier_settings(&admin, ClassifierSettings { auto_dispatch_threshold: bad, ..Default::default() }).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidInput, "{bad}");
    }
    let dispatcher = who(&app, "dispatcher").await;
    let e = app.set_classifier_settings(&dispatcher, ClassifierSettings::default()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert_eq!(app.classifier_settings().await.unwrap(), ClassifierSettings::default(), "nothing changed");
    let ok = ClassifierSettings { auto_dispatch_threshold: 0.8, enabled: false, ..Default::default() };
    app.set_classifier_settings(&admin, ok.clone()).await.unwrap();
    assert_eq!(app.classifier_settings().await.unwrap(), ok);
}

#[test]
fn a_category_label_is_shared_among_its_items_by_keywords() {
    let c = minsheng_app::catalogue::demo_catalogue().unwrap();
    let noise_branch = c.items.iter().find(|i| i.parent.is_none() && i.code == "ZS").unwrap();
    // The model is sure of the noise category; the text names dogs barking.
    let ranked = vec![(noise_branch.code.clone(), 0.9), ("城乡建设".to_string(), 0.1)];
    let p = item_proposals(&c, &ranked, "楼下狗叫犬吠一整夜", 3);
    assert_eq!(c.item(&p[0].item).unwrap().name, "宠物噪声", "{p:?}");
    assert!(p[0].confidence > p[1].confidence * 3.0);
    assert!(p.iter().map(|x| x.confidence).sum::<f64>() <= 1.0 + 1e-9);
    // The real tree's items carry citizens' words: a street light is a public facility.
    let city = c.items.iter().find(|i| i.parent.is_none() && i.name == "城乡建设").unwrap().code.clone();
    let p = item_proposals(&c, &[(city.clone(), 0.95)], "小区门口的路灯坏了一个月，晚上很黑", 3);
    assert_eq!(c.item(&p[0].item).unwrap().name, "城市公共设施", "{p:?}");
    // A category none of whose items the text names proposes nothing (no arbitrary items).
    assert!(item_proposals(&c, &[(city, 0.95)], "请问这个怎么弄", 3).is_empty());
    // A label the catalogue does not know is ignored; nothing known → nothing proposed.
    assert!(item_proposals(&c, &[("不存在".into(), 1.0)], "狗叫", 3).is_empty());
    // A leaf label is proposed as it is.
    let leaf = c.leaves()[5].code.clone();
    let p = item_proposals(&c, &[(leaf.clone(), 0.7)], "随便什么", 3);
    assert_eq!((p[0].item.as_str(), p[0].confidence), (leaf.as_str(), 0.7));
}

macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name(super::app(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name(super::app(minsheng_testkit::fresh_pg_database().await).await).await }
        }
    )+};
}

on_both_engines!(
    without_a_model_cases_go_to_the_pool_unclassified,
    confident_cases_are_dispatched_and_the_rest_reviewed,
    settings_are_validated
);
