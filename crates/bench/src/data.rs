//! Realistic synthetic requests of a Haikou 12345 hotline: titles, texts, addresses, phones.
//! Deterministic (a seeded SplitMix64), so two runs send the same mix.
//!
//! The phone numbers are random valid-looking mobile numbers. They only ever live in throwaway
//! benchmark databases; nothing here sends messages.

/// SplitMix64: small, fast, good enough for picking words.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One kind of matter: title, the citizen's words (with `{addr}` for the place), the case type.
struct Matter {
    title: &'static str,
    text: &'static str,
    case_type: &'static str,
}

const MATTERS: &[Matter] = &[
    Matter {
        title: "小区楼下烧烤摊夜间噪音扰民",
        text: "市民反映：{addr}附近有烧烤摊每天营业到凌晨两三点，油烟大、噪音大，家中老人小孩无法休息，已多次与摊主沟通无果，请相关部门尽快处理。",
        case_type: "complaint",
    },
    Matter {
        title: "路灯不亮影响夜间出行",
        text: "市民反映：{addr}一段路的路灯已经连续一周不亮，晚上路面漆黑，电动车和行人容易发生事故，希望尽快安排维修。",
        case_type: "help",
    },
    Matter {
        title: "小区停水未提前通知",
        text: "市民来电称：{addr}从今天早上七点开始停水，物业和供水公司都没有提前通知，家里有老人需要做饭，请问什么时候恢复供水。",
        case_type: "consultation",
    },
    Matter {
        title: "占道经营堵塞人行道",
        text: "市民反映：{addr}人行道被水果摊和小吃摊长期占用，行人只能走机动车道，存在安全隐患，要求城管部门依法整治。",
        case_type: "complaint",
    },
    Matter {
        title: "建筑工地夜间违规施工",
        text: "市民投诉：{addr}旁边的建筑工地晚上十点以后仍在打桩施工，噪音很大，严重影响周边居民休息，请核实是否办理了夜间施工许可。",
        case_type: "complaint",
    },
    Matter {
        title: "咨询灵活就业人员社保缴费",
        text: "市民咨询：本人在海口灵活就业，想了解城镇职工养老保险的缴费基数、缴费方式和办理地点，住址为{addr}。",
        case_type: "consultation",
    },
    Matter {
        title: "下水道堵塞污水外溢",
        text: "市民反映：{addr}门口的下水道堵塞，下雨后污水漫到路面，气味难闻，蚊虫很多，请尽快派人疏通。",
        case_type: "help",
    },
    Matter {
        title: "举报无证经营餐饮店",
        text: "市民举报：{addr}有一家餐饮店未悬挂营业执照和食品经营许可证，后厨卫生状况差，请市场监管部门核查。",
        case_type: "report",
    },
    Matter {
        title: "公交车到站不停",
        text: "市民反映：今天早上在{addr}公交站等车，该线路公交车到站不停直接开走，导致上班迟到，希望公交集团加强管理。",
        case_type: "complaint",
    },
    Matter {
        title: "建议增设非机动车停放点",
        text: "市民建议：{addr}周边写字楼多，共享单车和电动车乱停乱放，建议在路口增设非机动车停放点并安排专人管理。",
        case_type: "suggestion",
    },
    Matter {
        title: "小区电梯频繁故障",
        text: "市民反映：{addr}小区电梯近一个月故障五次，曾有人被困，物业维修不及时，请相关部门督促物业和维保单位整改。",
        case_type: "complaint",
    },
    Matter {
        title: "表扬社区工作人员热心服务",
        text: "市民来电表扬：{addr}社区工作人员耐心帮助独居老人办理高龄补贴，服务热情周到，特此表扬。",
        case_type: "praise",
    },
];

const ROADS: &[&str] = &[
    "龙华区金贸街道玉沙路",
    "龙华区大同街道大同路",
    "龙华区中山街道解放西路",
    "美兰区海府街道海府路",
    "美兰区白龙街道白龙南路",
    "美兰区和平南街道和平大道",
    "琼山区府城街道文庄路",
    "琼山区国兴街道国兴大道",
    "秀英区秀英街道秀英大道",
    "秀英区海秀街道海秀中路",
    "龙华区滨海街道滨海大道",
    "美兰区人民路街道人民大道",
];

const SURNAMES: &[&str] = &["王", "陈", "林", "符", "吴", "李", "黄", "云", "邢", "张"];
const TITLES_OF_ADDRESS: &[&str] = &["先生", "女士"];

/// A generated request in the shape of POST /api/cases.
pub fn create_body(rng: &mut Rng, division_unit_id: Option<i64>) -> serde_json::Value {
    let m = rng.pick(MATTERS);
    let addr = format!("{}{}号", rng.pick(ROADS), 1 + rng.below(300));
    let text = m.text.replace("{addr}", &addr);
    let name = format!("{}{}", rng.pick(SURNAMES), rng.pick(TITLES_OF_ADDRESS));
    let channel = match rng.below(10) {
        0..=6 => "phone",
        7 => "wechat",
        8 => "web",
        _ => "mobile",
    };
    let urgency = if rng.below(20) == 0 { "urgent" } else { "normal" };
    let mut place = serde_json::json!({ "address": addr });
    if let Some(id) = division_unit_id {
        place["division_unit_id"] = serde_json::json!(id);
    }
    serde_json::json!({
        "channel": channel,
        "case_type": m.case_type,
        "title": m.title,
        "text": text,
        "urgency": urgency,
        "citizen": { "name": name, "phone": phone(rng) },
        "place": place,
        "after": "forward",
    })
}

/// A valid 11-digit mobile number.
pub fn phone(rng: &mut Rng) -> String {
    let second = b"3456789"[rng.below(7)] as char;
    format!("1{second}{:09}", rng.next_u64() % 1_000_000_000)
}

/// The same request as a domain intake, for seeding through the store.
pub fn intake(rng: &mut Rng, division_unit_id: Option<i64>) -> Result<minsheng_domain::case::Intake, String> {
    use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
    use minsheng_domain::value::{Address, CaseText, PersonName, PhoneNumber, Title};
    let body = create_body(rng, division_unit_id);
    let s = |k: &str| body[k].as_str().unwrap_or_default().to_string();
    let err = |e: minsheng_domain::DomainError| e.message_en;
    Ok(Intake {
        channel: Channel::parse(&s("channel")).unwrap_or(Channel::Phone),
        case_type: CaseType::parse(&s("case_type")).unwrap_or(CaseType::Help),
        title: Title::parse(&s("title")).map_err(err)?,
        text: CaseText::parse(&s("text")).map_err(err)?,
        urgency: Urgency::parse(&s("urgency")).unwrap_or(Urgency::Normal),
        citizen: Citizen {
            name: Some(PersonName::parse(body["citizen"]["name"].as_str().unwrap_or("王先生")).map_err(err)?),
            phone: Some(PhoneNumber::parse(body["citizen"]["phone"].as_str().unwrap_or("13800000000")).map_err(err)?),
            ..Citizen::default()
        },
        place: Place {
            address: Some(Address::parse(body["place"]["address"].as_str().unwrap_or("海口市")).map_err(err)?),
            division_unit_id,
            latitude: None,
            longitude: None,
        },
        catalogue_item: None,
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: vec![],
    })
}

/// What a unit writes back (办理反馈).
pub const REPLIES: &[&str] = &[
    "经现场核查，已联系相关责任人整改完毕，并向市民电话反馈处理结果，市民表示认可。",
    "已安排工作人员上门处理，问题已解决，后续将加强日常巡查。",
    "经核实，诉求情况属实，已责令当事人限期整改，执法人员将跟踪复查。",
    "已向市民详细解释相关政策和办理流程，市民表示清楚。",
];
