//! The responsibility catalogue in the application: the version in force (cached, reloaded like
//! the calendar), saving a new version with its diff, CSV and JSON import/export, and the demo
//! catalogue built from the real category tree (`data/taxonomy.csv`) plus a noise branch.

use std::collections::BTreeMap;
use std::sync::Arc;

use minsheng_calendar::Limit;
use minsheng_domain::case::Urgency;
use minsheng_domain::catalogue::{Catalogue, CatalogueDiff, CatalogueItem, HandlingLevel, ItemLimits};
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::{CatalogueVersion, Store};
use serde::Serialize;

use crate::App;

const TAXONOMY_CSV: &str = include_str!("../data/taxonomy.csv");

/// The owner of a category of the demo tree: department type (None = the place's government),
/// handling level, territorial.
type Owner = (Option<&'static str>, HandlingLevel, bool);

fn owner(level1: &str, level2: &str) -> Owner {
    use HandlingLevel::{City, District, Street};
    let dept = |d: &'static str, l| (Some(d), l, false);
    match (level1, level2) {
        (_, "安全生产") => dept("应急", City),
        ("城乡建设", "城市建设和市政管理") => dept("城管", District),
        ("城乡建设", "城乡规划") => dept("自然资源", City),
        ("城乡建设", "村镇建设") => (None, Street, true),
        ("城乡建设", _) => dept("住建", District),
        ("交通运输", _) => dept("交通", City),
        ("农村农业", "村务管理") => (None, Street, true),
        ("农村农业", "水利水电") => dept("水务", City),
        ("农村农业", _) => dept("农业农村", District),
        ("劳动和社会保障", _) => dept("人社", City),
        ("卫生计生", "食品药品监管") => dept("市场监管", District),
        ("卫生计生", _) => dept("卫健", District),
        ("商贸旅游", "市场监管" | "质监检验检疫") => dept("市场监管", District),
        ("商贸旅游", "旅游管理") => dept("文体", City),
        ("商贸旅游", _) => dept("商务", City),
        ("国土资源", _) => dept("自然资源", City),
        ("政法", "交通管理") => dept("交警", City),
        ("政法", "仲裁与调解" | "法律服务" | "法制建设" | "行政复议" | "诉讼") => dept("司法", City),
        ("政法", _) => dept("公安", City),
        ("教育文体", "体育" | "文化" | "文物管理") => dept("文体", City),
        ("教育文体", _) => dept("教育", District),
        ("民政", "基层选举和社区建设") => (None, Street, true),
        ("民政", "复退安置" | "优抚") => dept("退役军人", City),
        ("民政", _) => dept("民政", City),
        ("环境保护", _) => dept("生态环境", City),
        ("科技与信息产业", _) => dept("工信", City),
        ("经济管理", _) => dept("发改", City),
        // 党务政务, 纪检监察 and anything unknown: the district government of the place (属地兜底).
        _ => (None, District, true),
    }
}

/// Land and demolition matters are long-cycle (复杂事项): 15 working days to reply.
fn complex(level2: &str) -> bool {
    matches!(level2, "国有土地上房屋征收与补偿" | "集体土地上房屋拆迁与补偿" | "土地征收" | "土地承包经营")
}

/// What citizens write about the commonest items of the real tree, whose names are an
/// administration's words (城市公共设施) rather than theirs (路灯不亮). A city keeps these in its
/// catalogue; the demo starts with a few dozen. Keyed by (subcategory, item).
const CITIZEN_WORDS: &[(&str, &str, &str)] = &[
    ("城市建设和市政管理", "城市公共设施", "路灯|井盖|公厕|垃圾桶|护栏|指示牌|灯不亮"),
    ("城市建设和市政管理", "基础设施", "道路破损|坑洼|人行道|积水|下水道|排水|管网|修路"),
    ("城市建设和市政管理", "环境卫生", "垃圾|清运|保洁|脏乱|卫生死角|臭味"),
    ("城市建设和市政管理", "园林绿化", "树木|绿化带|草坪|修剪|砍树|倒伏"),
    ("城市建设和市政管理", "城管执法", "占道经营|流动摊贩|乱摆卖|广告牌|乱贴"),
    ("城市建设和市政管理", "自来水供应", "停水|水压|自来水|水质|水管爆|供水"),
    ("城市建设和市政管理", "电力供应", "停电|断电|电压|供电|电线|变压器"),
    ("城市建设和市政管理", "燃气供应", "燃气|煤气|天然气|漏气"),
    ("城市建设和市政管理", "小区管理", "小区|业委会|电梯|停车位"),
    ("城市建设和市政管理", "公共汽车", "公交|公交车|公交站|线路|班次"),
    ("城乡规划", "违章建筑", "违建|违章搭建|加盖|私搭乱建|违法建设"),
    ("住房保障与房地产", "物业服务", "物业|物业费|物业公司"),
    ("住房保障与房地产", "住房公积金", "公积金|提取|贷款额度"),
    ("住房保障与房地产", "房产证登记、办理", "房产证|不动产证|办证|产权证"),
    ("住房保障与房地产", "房地产开发管理", "开发商|楼盘|交房|烂尾|延期交付"),
    ("住房保障与房地产", "房屋租赁", "租房|房租|押金|房东|租赁"),
    ("建筑市场", "拖欠工程款", "工程款|拖欠|包工头"),
    ("环境污染", "噪音污染", "噪音|噪声|扰民"),
    ("环境污染", "大气污染", "油烟|废气|粉尘|烧垃圾|异味|空气"),
    ("环境污染", "水污染", "排污|污水|河道|黑臭"),
    ("出租车管理", "网约车问题", "网约车|滴滴|顺风车"),
    ("出租车管理", "行业监管", "出租车|的士|拒载|绕路"),
    ("社会救助", "城镇低保", "低保|困难补助"),
    ("电信", "电信资费", "话费|流量|宽带费|扣费"),
    ("电信", "通信保障", "信号|没网|断网|宽带"),
];

fn keywords_of_item(level2: &str, name: &str) -> Vec<String> {
    let mut out = keywords_of(name);
    if let Some((_, _, words)) = CITIZEN_WORDS.iter().find(|(b, c, _)| *b == level2 && *c == name) {
        out.extend(words.split('|').map(str::to_string));
    }
    out
}

fn keywords_of(name: &str) -> Vec<String> {
    // The name and its parts split at 及/和/与/、: what citizens actually write. Words that any
    // message may contain (其他, 办理…) would match every such item and tell nothing.
    const GENERIC: &[&str] = &["其他", "办理", "管理", "服务", "问题"];
    let mut out: Vec<String> = Vec::new();
    if !GENERIC.contains(&name) {
        out.push(name.to_string());
    }
    for part in name.split(['及', '和', '与', '、', '/']) {
        let part = part.trim();
        if part.chars().count() >= 2 && part != name && !GENERIC.contains(&part) {
            out.push(part.to_string());
        }
    }
    out
}

/// The 噪声 branch: one complaint, many owners (Shenzhen lists 35 noise items). Each entry:
/// subcategory, item, department type, level, keywords.
const NOISE: &[(&str, &str, &str, HandlingLevel, &str)] = &[
    ("建筑施工噪声", "夜间违规施工噪声", "生态环境", HandlingLevel::District, "夜间施工|半夜施工|凌晨施工|工地噪音|打桩"),
    ("建筑施工噪声", "市政道路施工噪声", "城管", HandlingLevel::District, "道路施工|修路噪音|挖路"),
    ("建筑施工噪声", "房屋装修噪声", "城管", HandlingLevel::District, "装修噪音|电钻|敲墙"),
    ("建筑施工噪声", "轨道交通与重点工程施工噪声", "住建", HandlingLevel::City, "重点工程|轨道施工|隧道施工"),
    ("社会生活噪声", "广场舞噪声", "城管", HandlingLevel::District, "广场舞|音响|跳舞音乐"),
    ("社会生活噪声", "商铺促销喇叭噪声", "城管", HandlingLevel::District, "喇叭|促销|叫卖|高音喇叭"),
    ("社会生活噪声", "娱乐场所噪声", "公安", HandlingLevel::City, "KTV|酒吧|歌厅|夜总会"),
    ("社会生活噪声", "邻里生活噪声", "公安", HandlingLevel::City, "邻居|楼上|噪音扰民|吵闹"),
    ("社会生活噪声", "宠物噪声", "公安", HandlingLevel::City, "狗叫|犬吠|宠物"),
    ("社会生活噪声", "夜市与大排档噪声", "城管", HandlingLevel::District, "夜市|大排档|烧烤摊"),
    ("社会生活噪声", "学校广播噪声", "教育", HandlingLevel::District, "学校广播|早操音乐|学校喇叭"),
    ("社会生活噪声", "公园活动噪声", "园林环卫", HandlingLevel::City, "公园|唱歌|乐器"),
    ("社会生活噪声", "宗教与民俗活动噪声", "民政", HandlingLevel::City, "鞭炮|锣鼓|婚丧"),
    ("交通噪声", "机动车鸣笛与炸街", "交警", HandlingLevel::City, "鸣笛|炸街|改装车|摩托车"),
    ("交通噪声", "道路交通噪声", "交通", HandlingLevel::City, "车流噪音|高架噪音|隔音屏"),
    ("交通噪声", "公交场站噪声", "交通", HandlingLevel::City, "公交站|公交车场|发车"),
    ("交通噪声", "航空噪声", "交通", HandlingLevel::City, "飞机噪音|航班|机场噪音"),
    ("工业噪声", "工厂生产噪声", "生态环境", HandlingLevel::City, "工厂噪音|机器轰鸣|车间"),
    ("工业噪声", "商业设备噪声", "生态环境", HandlingLevel::District, "空调外机|冷却塔|风机"),
    ("工业噪声", "水泵与供水设备噪声", "水务", HandlingLevel::City, "水泵|二次供水|泵房"),
];

/// The demo catalogue: every row of the real category tree, owned the Haikou way, plus the noise branch.
pub fn demo_catalogue() -> DomainResult<Catalogue> {
    let bad = |line: usize, what: &str| {
        DomainError::new(ErrorCode::Internal, format!("内置分类数据第 {line} 行有误：{what}"), format!("taxonomy line {line}: {what}"))
    };
    let mut reader = csv::Reader::from_reader(TAXONOMY_CSV.as_bytes());
    let mut l1: BTreeMap<String, String> = BTreeMap::new();
    let mut l2: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut items = Vec::new();
    let mut leaves_in: BTreeMap<String, usize> = BTreeMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| bad(i + 2, &e.to_string()))?;
        let (a, b, c) = (row.get(0).unwrap_or(""), row.get(1).unwrap_or(""), row.get(2).unwrap_or(""));
        if a.is_empty() || b.is_empty() || c.is_empty() {
            return Err(bad(i + 2, "empty level"));
        }
        let n1 = l1.len() + 1;
        let c1 = l1.entry(a.to_string()).or_insert_with(|| format!("{n1:02}")).clone();
        if !items.iter().any(|x: &CatalogueItem| x.code == c1) {
            items.push(CatalogueItem { code: c1.clone(), name: a.into(), ..Default::default() });
        }
        let n2 = l2.keys().filter(|(x, _)| x == a).count() + 1;
        let c2 = l2.entry((a.to_string(), b.to_string())).or_insert_with(|| format!("{c1}.{n2:02}")).clone();
        let (dept, level, territorial) = owner(a, b);
        if !items.iter().any(|x: &CatalogueItem| x.code == c2) {
            items.push(CatalogueItem { code: c2.clone(), name: b.into(), parent: Some(c1.clone()), ..Default::default() });
        }
        let n3 = leaves_in.entry(c2.clone()).or_default();
        *n3 += 1;
        let mut limits = ItemLimits::default();
        if complex(b) {
            limits.normal.reply = Some(Limit::WorkingDays { days: 15 });
        }
        let urgent = matches!(c, "事故处理" | "安全隐患") || c.contains("燃气") || c.contains("停水") || c.contains("停电");
        items.push(CatalogueItem {
            code: format!("{c2}.{:03}", *n3),
            name: c.into(),
            parent: Some(c2),
            keywords: keywords_of_item(b, c),
            department_type: dept.map(str::to_string),
            handling_level: level,
            territorial,
            default_urgency: if urgent { Urgency::Urgent } else { Urgency::Normal },
            limits,
            ..Default::default()
        });
    }
    items.push(CatalogueItem {
        code: "ZS".into(),
        name: "噪声污染".into(),
        keywords: vec!["噪音".into(), "噪声".into()],
        ..Default::default()
    });
    let mut subs: Vec<&str> = Vec::new();
    for (sub, name, dept, level, words) in NOISE {
        let si = match subs.iter().position(|s| s == sub) {
            Some(i) => i,
            None => {
                subs.push(sub);
                items.push(CatalogueItem {
                    code: format!("ZS.{:02}", subs.len()),
                    name: (*sub).into(),
                    parent: Some("ZS".into()),
                    ..Default::default()
                });
                subs.len() - 1
            }
        };
        let n = items.iter().filter(|i| i.parent.as_deref() == Some(&format!("ZS.{:02}", si + 1))).count() + 1;
        items.push(CatalogueItem {
            code: format!("ZS.{:02}.{n:03}", si + 1),
            name: (*name).into(),
            parent: Some(format!("ZS.{:02}", si + 1)),
            keywords: words.split('|').map(str::to_string).collect(),
            department_type: Some((*dept).into()),
            handling_level: *level,
            co_handling: if *dept == "生态环境" { vec!["城管".into()] } else { vec![] },
            ..Default::default()
        });
    }
    let catalogue = Catalogue { version: 0, items };
    catalogue.validate().map_err(|p| bad(0, &p.iter().map(|x| x.message_en.clone()).collect::<Vec<_>>().join("; ")))?;
    Ok(catalogue)
}

/// Saves the demo catalogue as version 1 if the store has none.
pub async fn load_demo(store: &dyn Store, at: i64) -> DomainResult<()> {
    if store.catalogue(None).await?.is_some() {
        return Ok(());
    }
    let c = demo_catalogue()?;
    let data = serde_json::to_string(&c.items).map_err(|_| DomainError::internal())?;
    store.save_catalogue(&data, c.items.len() as i64, at, None, Some("演示职责清单：真实三级分类 517 项 + 噪声分支")).await?;
    Ok(())
}

fn parse_version(v: &CatalogueVersion) -> DomainResult<Catalogue> {
    let items: Vec<CatalogueItem> = serde_json::from_str(&v.data).map_err(|e| {
        tracing::error!(error = %e, version = v.version, "stored catalogue does not parse");
        DomainError::internal()
    })?;
    Ok(Catalogue { version: v.version, items })
}

/// What a save did.
#[derive(Debug, Clone, Serialize)]
pub struct SavedCatalogue {
    pub version: i64,
    pub items: usize,
    pub diff: CatalogueDiff,
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 13] = [
    "code",
    "name",
    "parent",
    "keywords",
    "examples",
    "department_type",
    "handling_level",
    "territorial",
    "default_urgency",
    "reply_working_days",
    "co_handling",
    "active",
    "path",
];

fn catalogue_error(problems: Vec<minsheng_domain::catalogue::CatalogueProblem>) -> DomainError {
    let zh: Vec<String> = problems.iter().take(10).map(|p| p.message_zh.clone()).collect();
    let en: Vec<String> = problems.iter().take(10).map(|p| p.message_en.clone()).collect();
    DomainError::invalid("catalogue", format!("职责清单有误：{}", zh.join("；")), format!("invalid catalogue: {}", en.join("; ")))
        .with_details(serde_json::json!({ "field": "catalogue", "problems": problems.iter().map(|p| serde_json::json!({"code": p.code, "message_zh": p.message_zh, "message_en": p.message_en})).collect::<Vec<_>>() }))
}

/// Reads the CSV form (UTF-8, header row, lists separated by `|`).
pub fn catalogue_from_csv(text: &str) -> DomainResult<Vec<CatalogueItem>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| DomainError::invalid("csv", format!("CSV 表头无法读取：{e}"), format!("cannot read the CSV header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(code_i), Some(name_i)) = (col("code"), col("name")) else {
        return Err(DomainError::invalid("csv", "CSV 须包含 code 和 name 列", "the CSV needs code and name columns"));
    };
    let list = |s: &str| s.split('|').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect::<Vec<_>>();
    let mut items = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| DomainError::invalid("csv", format!("第 {line} 行无法读取：{e}"), format!("line {line}: {e}")))?;
        let get = |name: &str| col(name).and_then(|c| row.get(c)).map(str::trim).unwrap_or("");
        let bad = |field: &str, v: &str| {
            DomainError::invalid("csv", format!("第 {line} 行 {field} 无效：{v}"), format!("line {line}: invalid {field}: {v}"))
        };
        let level = get("handling_level");
        let urgency = get("default_urgency");
        let reply = get("reply_working_days");
        let mut limits = ItemLimits::default();
        if !reply.is_empty() {
            let days: u32 = reply.parse().ok().filter(|d| (1..=180).contains(d)).ok_or_else(|| bad("reply_working_days", reply))?;
            limits.normal.reply = Some(Limit::WorkingDays { days });
        }
        let yes = |v: &str| matches!(v, "true" | "1" | "是" | "yes");
        items.push(CatalogueItem {
            code: row.get(code_i).unwrap_or("").trim().to_string(),
            name: row.get(name_i).unwrap_or("").trim().to_string(),
            parent: Some(get("parent")).filter(|p| !p.is_empty()).map(str::to_string),
            keywords: list(get("keywords")),
            examples: list(get("examples")),
            department_type: Some(get("department_type")).filter(|p| !p.is_empty()).map(str::to_string),
            handling_level: if level.is_empty() {
                HandlingLevel::District
            } else {
                HandlingLevel::parse(level).ok_or_else(|| bad("handling_level", level))?
            },
            territorial: yes(get("territorial")),
            default_urgency: if urgency.is_empty() {
                Urgency::Normal
            } else {
                Urgency::parse(urgency).ok_or_else(|| bad("default_urgency", urgency))?
            },
            limits,
            co_handling: list(get("co_handling")),
            active: get("active").is_empty() || yes(get("active")),
        });
    }
    Ok(items)
}

pub fn catalogue_to_csv(c: &Catalogue) -> DomainResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let fail = |_| DomainError::internal();
    w.write_record(CSV_COLUMNS).map_err(fail)?;
    for i in &c.items {
        let reply = match i.limits.normal.reply {
            Some(Limit::WorkingDays { days }) => days.to_string(),
            _ => String::new(),
        };
        w.write_record([
            i.code.as_str(),
            &i.name,
            i.parent.as_deref().unwrap_or(""),
            &i.keywords.join("|"),
            &i.examples.join("|"),
            i.department_type.as_deref().unwrap_or(""),
            i.handling_level.as_str(),
            if i.territorial { "true" } else { "false" },
            i.default_urgency.as_str(),
            &reply,
            &i.co_handling.join("|"),
            if i.active { "true" } else { "false" },
            &c.path_name(&i.code),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|_| DomainError::internal())
}

impl App {
    /// The catalogue in force (version 0 and empty before any is saved).
    pub fn catalogue(&self) -> Arc<Catalogue> {
        match self.catalogue.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The catalogue in force, loading it first if this process has not yet.
    pub async fn current_catalogue(&self) -> DomainResult<Arc<Catalogue>> {
        if self.catalogue().version == 0 {
            self.reload_catalogue().await?;
        }
        Ok(self.catalogue())
    }

    /// Re-reads the latest version from the database (other nodes may have saved one).
    pub async fn reload_catalogue(&self) -> DomainResult<()> {
        let Some(v) = self.store.catalogue(None).await? else { return Ok(()) };
        if v.version == self.catalogue().version {
            return Ok(());
        }
        let fresh = Arc::new(parse_version(&v)?);
        if let Ok(mut c) = self.catalogue.write() {
            *c = fresh;
        }
        Ok(())
    }

    /// A given version (for reading an old case as it was routed).
    pub async fn catalogue_version(&self, version: Option<i64>) -> DomainResult<Catalogue> {
        match self.store.catalogue(version).await? {
            Some(v) => parse_version(&v),
            None => Err(DomainError::not_found("职责清单版本", "catalogue version")),
        }
    }

    pub async fn catalogue_versions(&self) -> DomainResult<Vec<CatalogueVersion>> {
        Ok(self.store.catalogue_versions().await?)
    }

    /// Saves a new version (administrators), recording who and why; returns what changed.
    pub async fn save_catalogue(&self, actor: &Actor, items: Vec<CatalogueItem>, note: Option<&str>) -> DomainResult<SavedCatalogue> {
        if actor.role != Role::Admin && actor.role != Role::System {
            return Err(DomainError::new(ErrorCode::Forbidden, "仅管理员可以修改职责清单", "only administrators may change the catalogue"));
        }
        let next = Catalogue { version: 0, items };
        next.validate().map_err(catalogue_error)?;
        let current = match self.store.catalogue(None).await? {
            Some(v) => parse_version(&v)?,
            None => Catalogue::default(),
        };
        let diff = next.diff(&current);
        let data = serde_json::to_string(&next.items).map_err(|_| DomainError::internal())?;
        let saved = self.store.save_catalogue(&data, next.items.len() as i64, self.clock.now(), actor.user_id, note).await?;
        self.reload_catalogue().await?;
        Ok(SavedCatalogue { version: saved.version, items: next.items.len(), diff })
    }
}
