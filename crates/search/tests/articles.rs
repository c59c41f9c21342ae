//! The knowledge-base index: search, validity, updates, and suggestions for a long message.
// Helpers outside #[test] functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_search::{ArticleDoc, ArticleIndex, Error, MAX_QUERY_CHARS};

fn article(id: i64, title: &str, body: &str, keywords: &[&str]) -> ArticleDoc {
    ArticleDoc {
        id,
        version: 1,
        title: title.to_owned(),
        body: body.to_owned(),
        category: Some("政策".to_owned()),
        unit: None,
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        valid: true,
    }
}

fn knowledge_base() -> ArticleIndex {
    let index = ArticleIndex::in_memory().unwrap();
    let mut expired =
        article(9, "路灯维修办理指南（2019年版，已废止）", "旧版路灯维修由原市政管理处受理。路灯不亮请拨打原热线。", &["路灯"]);
    expired.valid = false;
    index
        .upsert(&[
            article(1, "住房公积金提取条件及办理流程", "职工购买、建造、翻建、大修自住住房的，可以申请提取住房公积金。需提供身份证、购房合同。", &["公积金", "提取"]),
            article(2, "社会保障卡补办", "社保卡遗失后，可到社保经办机构或合作银行网点办理挂失和补办，补卡需本人身份证。", &["社保卡", "补办"]),
            article(
                3,
                "城市道路路灯报修及维修时限",
                "市政道路路灯不亮、灯杆倾斜、线路裸露的，由市政设施管理部门负责维修，一般故障在3个工作日内修复。小区内部路灯由物业服务企业负责维修。",
                &["路灯", "报修", "灯杆"],
            ),
            article(4, "建筑施工噪声扰民投诉处理", "夜间22时至次日6时禁止产生噪声污染的建筑施工作业，因特殊需要必须连续作业的，须取得证明并公告附近居民。", &["噪音", "夜间施工"]),
            article(5, "物业服务收费争议", "业主对物业服务收费有异议的，可向价格主管部门和住房城乡建设部门反映，物业费标准应当公示。", &["物业费"]),
            article(6, "户口迁移办理须知", "因投靠、购房、就业等原因迁移户口的，持相关材料到迁入地派出所办理。", &["户口", "落户"]),
            article(7, "公共租赁住房申请条件", "本市城镇中等偏下收入住房困难家庭、新就业无房职工可以申请公共租赁住房。", &["公租房"]),
            article(8, "电动自行车登记上牌", "电动自行车应当登记上牌后方可上路行驶，车主持购车发票、合格证到登记点办理。", &["电动车", "上牌"]),
            expired,
        ])
        .unwrap();
    index.commit().unwrap();
    index
}

fn ids(hits: &[minsheng_search::ArticleHit]) -> Vec<i64> {
    hits.iter().map(|h| h.id).collect()
}

#[test]
fn search_requires_every_term_and_ranks_titles_first() {
    let index = knowledge_base();
    assert_eq!(ids(&index.search("路灯", true, 10).unwrap()), [3]);
    let mut both = ids(&index.search("路灯", false, 10).unwrap());
    both.sort_unstable();
    assert_eq!(both, [3, 9], "expired articles only when asked for");
    assert_eq!(ids(&index.search("公积金 提取", true, 10).unwrap()), [1]);
    assert_eq!(ids(&index.search("公积金 社保卡", true, 10).unwrap()), Vec::<i64>::new());
    // 身份证 is in the bodies of 1 and 2, 补办 in the title of 2 only.
    assert_eq!(ids(&index.search("身份证", true, 10).unwrap()).len(), 2);
    assert_eq!(ids(&index.search("补办", true, 10).unwrap()), [2]);
    assert!(index.search("", true, 10).unwrap().is_empty());
    let hit = &index.search("物业费", true, 10).unwrap()[0];
    assert!(hit.snippet.contains("<mark>物业费</mark>"), "{}", hit.snippet);
    let long = "路".repeat(MAX_QUERY_CHARS + 1);
    assert!(matches!(index.search(&long, true, 10), Err(Error::QueryTooLong { .. })));
}

#[test]
fn suggest_finds_the_article_for_a_long_message() {
    let index = knowledge_base();
    let message = "尊敬的领导：您好！我是龙华区金贸街道玉沙社区的居民，我家住在国贸大道附近。\
        从上个月开始，我们这条路上的路灯就一直不亮，晚上出门一片漆黑，老人小孩走路很不安全，\
        前几天还有人在这里摔倒了。我们多次打电话反映，说会安排人来维修，但是到现在路灯还是不亮，\
        有一根灯杆也歪了，看着很危险。希望有关部门尽快派人来维修路灯，给居民一个安全的出行环境。\
        另外，小区门口的垃圾桶也经常满了没人清理，夏天味道很大，顺便也反映一下，但最主要的还是路灯的问题，\
        天黑以后这段路上没有任何照明，附近还有一所小学，孩子们晚上放学回家都要经过这里，家长们都很担心。谢谢！";
    assert!(message.chars().count() > MAX_QUERY_CHARS, "longer than a search query may be");
    let hits = index.suggest(message, 3).unwrap();
    assert_eq!(hits.first().map(|h| h.id), Some(3), "{hits:?}");
    assert!(!ids(&hits).contains(&9), "expired articles are never suggested");

    let noise = "夜里工地一直在施工，噪音太大了，吵得孩子睡不着觉，已经连续好几个晚上了，请管一管夜间施工噪音扰民的问题。";
    assert_eq!(index.suggest(noise, 3).unwrap().first().map(|h| h.id), Some(4));

    assert!(index.suggest("你好", 3).unwrap().is_empty(), "nothing telling, nothing suggested");
}

#[test]
fn updates_and_deletes() {
    let index = knowledge_base();
    let mut revised = article(8, "电动自行车登记", "电动自行车登记改为线上办理。", &["电动车"]);
    revised.version = 2;
    index.upsert(&[revised]).unwrap();
    index.delete(7).unwrap();
    index.commit().unwrap();
    assert!(index.search("上牌", true, 10).unwrap().is_empty());
    assert_eq!(ids(&index.search("线上办理", true, 10).unwrap()), [8]);
    assert!(index.search("公共租赁", true, 10).unwrap().is_empty());
    assert_eq!(index.doc_count(), 8);
}
