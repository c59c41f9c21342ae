//! Turns a message into tokens: text normalisation, jieba segmentation with a domain dictionary, stop words.
//!
//! Two input forms land in the same token stream: raw text (title and body run together) is cut
//! by jieba, already segmented text (space-separated tokens, as in `train_segmented.csv`) is
//! split on whitespace. Both then go through the same normalisation and the same stop list, so a
//! model trained on one form scores the other sensibly.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

/// Identifies the tokeniser (stop list, domain dictionary, normalisation). Stored in every model:
/// features are hashes of tokens, so a model is only valid with the tokeniser it was trained with.
pub const TOKENIZER_VERSION: &str = "jieba-rs-0.11+domain-v1+stop-v1";

/// How a document's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextForm {
    /// Ordinary text, to be segmented by jieba.
    Raw,
    /// Already segmented: tokens separated by whitespace.
    Segmented,
}

/// One message to classify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub text: String,
    pub form: TextForm,
}

impl Document {
    pub fn raw(text: impl Into<String>) -> Self {
        Self { text: text.into(), form: TextForm::Raw }
    }

    pub fn segmented(tokens: impl Into<String>) -> Self {
        Self { text: tokens.into(), form: TextForm::Segmented }
    }
}

/// Words of this board that jieba's general dictionary misses or hides inside longer entries
/// (its dictionary has 灯不亮, which swallows 路灯 in 路灯不亮). Added with a high frequency so
/// they win over overlapping dictionary words.
const DOMAIN_WORDS: &[&str] = &[
    // 城乡建设
    "路灯",
    "物业",
    "物业费",
    "违建",
    "违章建筑",
    "违法建筑",
    "渣土车",
    "加装电梯",
    "电梯",
    "棚改",
    "拆迁",
    "安置房",
    "回迁房",
    "房产证",
    "不动产证",
    "维修基金",
    "开发商",
    "烂尾楼",
    "业委会",
    "自来水",
    "停水",
    "停电",
    "水压",
    "燃气",
    "化粪池",
    "下水道",
    "排水",
    "井盖",
    "公租房",
    "廉租房",
    "小区",
    "城管",
    "占道经营",
    "学区房",
    "交房",
    "延期交房",
    "网签",
    "商品房",
    // 环境保护
    "噪音",
    "噪声",
    "扰民",
    "油烟",
    "扬尘",
    "异味",
    "臭味",
    "污水",
    "排污",
    "偷排",
    "黑臭水体",
    "垃圾站",
    "垃圾分类",
    "养猪场",
    "养殖场",
    "砂石场",
    "搅拌站",
    "粉尘",
    "废气",
    "化工厂",
    "环评",
    "广场舞",
    "噪音扰民",
    // 劳动和社会保障
    "公积金",
    "社保",
    "医保",
    "养老金",
    "退休金",
    "养老保险",
    "医疗保险",
    "失业保险",
    "工伤",
    "低保",
    "五险一金",
    "失业金",
    "欠薪",
    "拖欠工资",
    "农民工",
    "劳动合同",
    "人才引进",
    "落户",
    "社保卡",
    "退役军人",
    "优抚",
    "事业编",
    "编制",
    "职称",
    // 教育文体
    "义务教育",
    "幼儿园",
    "补课",
    "教辅",
    "校外培训",
    "培训机构",
    "学位",
    "择校",
    "划片",
    "学籍",
    "中考",
    "高考",
    "教师",
    "班主任",
    "民办学校",
    "营养餐",
    // 卫生计生
    "新农合",
    "计生",
    "二胎",
    "疫苗",
    "医患",
    "医疗纠纷",
    "卫健委",
    "独生子女",
    "计划生育",
    "生育证",
    "准生证",
    "诊所",
    "卫生院",
    // 商贸旅游
    "传销",
    "预付卡",
    "消费券",
    "快递",
    "景区",
    "门票",
    "旅行社",
    "导游",
    "超市",
    "市场监管",
    "食品安全",
    "假冒伪劣",
    "退款",
    "售后",
    // 交通运输
    "公交车",
    "公交",
    "地铁",
    "出租车",
    "网约车",
    "共享单车",
    "高铁",
    "高速公路",
    "驾照",
    "车管所",
    "电动车",
    "停车位",
    "充电桩",
    "红绿灯",
    "斑马线",
    "客运",
    "班车",
    "运管",
    "超载",
    "收费站",
];

/// Dictionary entries that hide a domain word and read worse than the split (灯不亮 → 路灯 + 不亮).
const DEMOTED_WORDS: &[&str] = &["灯不亮", "路灯杆"];

/// Stop words removed from both forms. Derived from the data: the words jieba produces often on
/// the raw messages that never occur in the (stop-word-filtered) segmented file, so raw text is
/// brought to the shape of the segmented file. Content words among them (保险) were kept out.
const STOP_WORDS: &[&str] = &[
    "的",
    "是",
    "了",
    "在",
    "不",
    "有",
    "都",
    "我",
    "也",
    "没有",
    "和",
    "我们",
    "就",
    "到",
    "还",
    "为",
    "要",
    "给",
    "这",
    "对",
    "能",
    "但",
    "等",
    "上",
    "吗",
    "又",
    "被",
    "可以",
    "与",
    "不能",
    "去",
    "让",
    "而",
    "从",
    "向",
    "来",
    "并",
    "这样",
    "将",
    "什么",
    "多",
    "一",
    "就是",
    "作为",
    "把",
    "有关",
    "他们",
    "以",
    "a",
    "为什么",
    "没",
    "会",
    "个",
    "自己",
    "这个",
    "如果",
    "及",
    "不是",
    "该",
    "但是",
    "可",
    "于",
    "还是",
    "这些",
    "多次",
    "大",
    "由",
    "关于",
    "过",
    "本人",
    "按",
    "还有",
    "很",
    "因为",
    "为了",
    "才",
    "因",
    "只有",
    "着",
    "更",
    "其",
    "开始",
    "怎么",
    "通过",
    "其他",
    "或",
    "任何",
    "而且",
    "此",
    "由于",
    "他",
    "这么",
    "很多",
    "您",
    "呢",
    "难道",
    "用",
    "时候",
    "你",
    "所以",
    "谁",
    "们",
    "那",
    "不要",
    "根据",
    "内",
    "所",
    "二",
    "你们",
    "得",
    "地",
    "为何",
    "之",
    "结果",
    "且",
    "按照",
    "拿",
    "至",
    "同时",
    "看",
    "打",
    "如此",
    "非常",
    "出",
    "三",
    "均",
    "必须",
    "只是",
    "那么",
    "可能",
    "啊",
    "如何",
    "可是",
    "或者",
    "吧",
    "连",
    "叫",
    "经过",
    "甚至",
    "并且",
    "基本",
    "望",
    "一样",
    "其中",
    "如",
    "才能",
    "经",
    "跟",
    "各种",
    "这里",
    "比",
    "尽快",
    "以及",
    "多少",
    "近",
    "不会",
    "因此",
    "自",
    "对于",
    "个人",
    "到底",
    "如下",
    "本",
    "不管",
    "老",
    "哪里",
    "大家",
    "各",
    "当",
    "出来",
    "起",
    "不得",
    "经常",
    "虽然",
    "后来",
    "只要",
    "像",
    "四",
    "竟然",
    "带",
    "何时",
    "仍然",
    "然而",
    "第",
    "据",
    "管",
    "如今",
    "仍",
    "然后",
    "等等",
    "的话",
    "另外",
    "怎么办",
    "有些",
    "不了",
    "即",
    "那些",
    "而是",
    "既",
    "极大",
    "不同",
    "每",
    "仅",
    "既然",
    "更加",
    "一般",
    "她",
    "起来",
    "其实",
    "快",
    "随着",
    "不再",
    "到处",
    "另",
    "靠",
    "不仅",
    "五",
    "共",
    "马上",
    "哪",
    "其它",
    "一切",
    "它",
    "不少",
    "别人",
    "离",
    "呀",
    "不但",
    "否则",
    "便",
    "首先",
    "当然",
    "六",
    "那里",
    "各位",
    "就算",
    "除了",
    "同",
    "几乎",
    "及其",
    "别的",
    "反而",
    "那个",
    "某些",
    "哪个",
    "见",
    "较",
    "加上",
    "之一",
    "于是",
    "怎样",
    "凭",
    "怕",
    "则",
    "刚",
    "某",
    "者",
    "比如",
    "据说",
    "自身",
    "任",
    "若",
    "哪些",
    "依照",
    "进去",
    "基本上",
    "居然",
    "故意",
    "从来",
    "不得不",
    "不过",
    "敢",
    "等到",
    "人家",
    "即使",
    "方",
    "归",
    "么",
    "不如",
    "无论",
    "自从",
    "他人",
    "满",
    "进来",
    "往",
    "大概",
    "一旦",
    "不然",
    "除",
    "仅仅",
    "即将",
    "本身",
    "从未",
    "亲自",
    "不满",
    "极其",
    "这边",
    "从而",
    "借",
    "究竟",
    "极",
    "或是",
    "例如",
    "绝对",
    "故",
    "各个",
    "理应",
    "大多",
    "本着",
    "很少",
    "虽",
    "毫无",
    "那边",
    "从不",
    "将近",
    "单",
    "况且",
    "那样",
    "公然",
    "照",
    "其次",
    "差不多",
    "冲",
    "近年来",
    "要么",
    "简直",
    "要是",
    "按时",
    "七",
    "其余",
    "出去",
    "不怕",
    "不起",
    "替",
    "九",
    "而言",
    "大约",
    "不止",
    "前后",
    "之类",
    "鉴于",
    "毕竟",
    "基于",
    "啦",
    "怎么样",
    "初",
    "并非",
    "己",
    "千万",
    "竟",
    "这时",
    "待",
    "别",
    "她们",
    "从此",
    "加之",
    "看来",
    "而已",
    "定",
    "与其",
    "不仅仅",
    "迫于",
];

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for word in DEMOTED_WORDS {
        jieba.add_word(word, Some(1), None);
    }
    for word in DOMAIN_WORDS {
        // At least what jieba needs to keep the word whole, and high enough to beat overlapping
        // entries such as 灯不亮.
        let freq = jieba.suggest_freq(word).max(20_000);
        jieba.add_word(word, Some(freq), None);
    }
    jieba
});

static STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| STOP_WORDS.iter().copied().collect());

/// Builds the shared segmenter now rather than on the first message (it takes a moment).
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&STOP);
}

/// Full-width ASCII to half-width, ASCII to lower case, spreadsheet line-break artefacts removed.
pub fn normalize(text: &str) -> String {
    let text = text.replace("_x000D_", " ").replace("_x000d_", " ");
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a (normalised) token carries content: not punctuation, not a lone digit, not a stop word.
fn keep(token: &str) -> bool {
    if !token.chars().any(char::is_alphanumeric) {
        return false;
    }
    let mut chars = token.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_ascii_digit()
    {
        return false;
    }
    !STOP.contains(token)
}

/// The content tokens of a document, in order.
pub fn tokens(doc: &Document) -> Vec<String> {
    tokens_with(doc, false)
}

/// As [`tokens`]; with `resegment`, segmented input is joined and cut again by jieba.
pub fn tokens_with(doc: &Document, resegment: bool) -> Vec<String> {
    let text = normalize(&doc.text);
    match doc.form {
        TextForm::Segmented if resegment => {
            let joined: String = text.split_whitespace().collect::<Vec<_>>().join("");
            cut(&joined)
        }
        TextForm::Raw => cut(&text),
        TextForm::Segmented => text.split_whitespace().filter(|w| keep(w)).map(str::to_owned).collect(),
    }
}

fn cut(text: &str) -> Vec<String> {
    JIEBA.cut(text, true).into_iter().map(|t| t.word.trim()).filter(|w| keep(w)).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_full_width_and_case() {
        assert_eq!(normalize("ＡＢｃ１２　x_x000D_y"), "abc12 x y");
    }

    #[test]
    fn domain_dictionary_keeps_street_lamp_whole() {
        let t = tokens(&Document::raw("小区门口的路灯不亮了，物业不管"));
        assert!(t.contains(&"路灯".to_owned()), "{t:?}");
        assert!(t.contains(&"物业".to_owned()), "{t:?}");
        assert!(!t.contains(&"的".to_owned()), "stop word kept: {t:?}");
    }

    #[test]
    fn segmented_input_is_split_and_filtered() {
        let t = tokens(&Document::segmented("A1 区 路灯 的 ， 3 2019"));
        assert_eq!(t, vec!["a1", "区", "路灯", "2019"]);
    }
}
