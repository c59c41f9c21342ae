//! Metrics and scores (考核指标): what each case contributes (its facts), how the figures are
//! defined over sums of those facts (a setting, with its formula shown next to the figure), and
//! a unit's assessment score. Pure: the store sums facts, this module turns sums into figures.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::case::{CallbackOutcome, Case, CaseState, Solved, Supervision};
use crate::org::UnitId;

/// A summable fact of a case: one column of the fact table, summed per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// 受理量
    Received,
    /// 派单量: cases dispatched to a unit.
    Dispatched,
    /// 按时响应: signed and the citizen contacted, each within its limit.
    Responded,
    /// 签收量
    Signed,
    /// 及时签收
    SignedOnTime,
    /// 参评量: callbacks with a rating (满意, 基本满意 or 不满意).
    Rated,
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
    /// Rated cases the citizen called solved (解决).
    Solved,
    /// Rated cases the citizen called partly solved (部分解决).
    PartlySolved,
    /// 办结量
    Closed,
    /// 按时办结: closed, and the reply came within its limit (approved extensions count).
    ClosedOnTime,
    /// 即时办结: answered on the spot.
    AnsweredOnSpot,
    /// Return requests (approved or refused).
    Returned,
    /// 退单驳回: refused returns, the only ones that count against the unit.
    ReturnsRefused,
    /// 重办: cases sent back at least once.
    Redone,
    /// 超期: cases on which some clock ran out.
    Overdue,
    /// 红牌督办
    RedSupervised,
    /// Closed cases whose handling time is known (the denominator of the average).
    Timed,
    /// Sum of handling times in milliseconds (受理 → 办结).
    HandlingMs,
    /// 回访量: ratings recorded by the unit (counted for the unit that called back).
    CallbacksMade,
}

impl Counter {
    pub const ALL: [Counter; 22] = [
        Counter::Received,
        Counter::Dispatched,
        Counter::Responded,
        Counter::Signed,
        Counter::SignedOnTime,
        Counter::Rated,
        Counter::Satisfied,
        Counter::BasicallySatisfied,
        Counter::Unsatisfied,
        Counter::Solved,
        Counter::PartlySolved,
        Counter::Closed,
        Counter::ClosedOnTime,
        Counter::AnsweredOnSpot,
        Counter::Returned,
        Counter::ReturnsRefused,
        Counter::Redone,
        Counter::Overdue,
        Counter::RedSupervised,
        Counter::Timed,
        Counter::HandlingMs,
        Counter::CallbacksMade,
    ];

    /// Those summed from the fact table by the case's lead unit: all but the last, `CallbacksMade`,
    /// which is counted for the unit that called back.
    pub const SUMMED: &'static [Counter] = Counter::ALL.split_at(Counter::ALL.len() - 1).0;

    /// The column name in the fact table and the code in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            Counter::Received => "received",
            Counter::Dispatched => "dispatched",
            Counter::Responded => "responded",
            Counter::Signed => "signed",
            Counter::SignedOnTime => "signed_on_time",
            Counter::Rated => "rated",
            Counter::Satisfied => "satisfied",
            Counter::BasicallySatisfied => "basically_satisfied",
            Counter::Unsatisfied => "unsatisfied",
            Counter::Solved => "solved",
            Counter::PartlySolved => "partly_solved",
            Counter::Closed => "closed",
            Counter::ClosedOnTime => "closed_on_time",
            Counter::AnsweredOnSpot => "answered_on_spot",
            Counter::Returned => "returned",
            Counter::ReturnsRefused => "returns_refused",
            Counter::Redone => "redone",
            Counter::Overdue => "overdue",
            Counter::RedSupervised => "red_supervised",
            Counter::Timed => "timed",
            Counter::HandlingMs => "handling_ms",
            Counter::CallbacksMade => "callbacks_made",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Counter::Received => "受理量",
            Counter::Dispatched => "派单量",
            Counter::Responded => "按时响应量",
            Counter::Signed => "签收量",
            Counter::SignedOnTime => "及时签收量",
            Counter::Rated => "参评量",
            Counter::Satisfied => "满意",
            Counter::BasicallySatisfied => "基本满意",
            Counter::Unsatisfied => "不满意",
            Counter::Solved => "已解决",
            Counter::PartlySolved => "部分解决",
            Counter::Closed => "办结量",
            Counter::ClosedOnTime => "按时办结量",
            Counter::AnsweredOnSpot => "即时办结量",
            Counter::Returned => "退单申请量",
            Counter::ReturnsRefused => "退单驳回量",
            Counter::Redone => "重办量",
            Counter::Overdue => "超期量",
            Counter::RedSupervised => "红牌督办量",
            Counter::Timed => "计时办结量",
            Counter::HandlingMs => "办理总时长",
            Counter::CallbacksMade => "回访量",
        }
    }

    pub fn parse(s: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Sums of counters for one group (a unit, a channel, a day...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals(pub Vec<i64>);

impl Default for Totals {
    fn default() -> Self {
        Totals(vec![0; Counter::ALL.len()])
    }
}

impl Totals {
    pub fn get(&self, c: Counter) -> i64 {
        self.0.get(c.index()).copied().unwrap_or(0)
    }
    pub fn set(&mut self, c: Counter, v: i64) {
        if let Some(slot) = self.0.get_mut(c.index()) {
            *slot = v;
        }
    }
    pub fn add(&mut self, other: &Totals) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }
}

/// What one case contributes to the figures; one row of the fact table, rewritten with every
/// change of the case so figures are always live.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub received_at: Millis,
    /// The unit assessed for the case: its lead unit (主办单位).
    pub unit_id: Option<UnitId>,
    pub callback_unit_id: Option<UnitId>,
    /// When the last rating was recorded (the weekly digest of unsatisfied cases reads it).
    pub rated_at: Option<Millis>,
    /// 0/1 flags and counts, indexed like [`Counter::SUMMED`].
    pub values: Totals,
    /// The bucket of the handling time, for percentiles (see [`handling_bucket`]).
    pub handling_bucket: Option<i32>,
}

impl CaseFacts {
    pub fn of(case: &Case) -> CaseFacts {
        let mut v = Totals::default();
        let flag = |b: bool| i64::from(b);
        let dispatched = case.dispatched_at.is_some();
        let signed = case.signed_at.is_some();
        let responded = signed && case.sign_late != Some(true) && case.contacted_at.is_some() && case.contact_late != Some(true);
        let rated =
            matches!(case.rating, Some(CallbackOutcome::Satisfied | CallbackOutcome::BasicallySatisfied | CallbackOutcome::Unsatisfied));
        let closed = matches!(case.state, CaseState::Closed | CaseState::Archived) && case.closed_at.is_some();
        let on_time = closed && case.reply_late != Some(true) && !case.reply_overdue;
        let handling = case.closed_at.filter(|_| closed).map(|c| (c - case.received_at).max(0));
        v.set(Counter::Received, 1);
        v.set(Counter::Dispatched, flag(dispatched));
        v.set(Counter::Responded, flag(dispatched && responded));
        v.set(Counter::Signed, flag(signed));
        v.set(Counter::SignedOnTime, flag(signed && case.sign_late != Some(true)));
        v.set(Counter::Rated, flag(rated));
        v.set(Counter::Satisfied, flag(case.rating == Some(CallbackOutcome::Satisfied)));
        v.set(Counter::BasicallySatisfied, flag(case.rating == Some(CallbackOutcome::BasicallySatisfied)));
        v.set(Counter::Unsatisfied, flag(case.rating == Some(CallbackOutcome::Unsatisfied)));
        v.set(Counter::Solved, flag(rated && case.solved == Some(Solved::Solved)));
        v.set(Counter::PartlySolved, flag(rated && case.solved == Some(Solved::PartlySolved)));
        v.set(Counter::Closed, flag(closed));
        v.set(Counter::ClosedOnTime, flag(on_time));
        v.set(Counter::AnsweredOnSpot, flag(case.answered_on_spot && closed));
        v.set(Counter::Returned, i64::from(case.returns_approved + case.returns_refused));
        v.set(Counter::ReturnsRefused, i64::from(case.returns_refused));
        v.set(Counter::Redone, flag(case.redo_count > 0));
        v.set(Counter::Overdue, flag(case.overdue_count > 0));
        v.set(Counter::RedSupervised, flag(case.supervision == Supervision::Red));
        v.set(Counter::Timed, flag(handling.is_some()));
        v.set(Counter::HandlingMs, handling.unwrap_or(0));
        CaseFacts {
            received_at: case.received_at,
            unit_id: case.lead_unit.as_ref().map(|u| u.id),
            callback_unit_id: if rated { case.callback_unit_id } else { None },
            rated_at: if rated { case.rated_at } else { None },
            values: v,
            handling_bucket: handling.map(handling_bucket),
        }
    }
}

/// Handling times are bucketed on a log scale (5 % wide) so percentiles come from counts per
/// bucket: exact enough for a ranking, and summable in SQL on both engines.
pub fn handling_bucket(ms: i64) -> i32 {
    let minutes = (ms as f64 / 60_000.0).max(1.0);
    (minutes.ln() / 1.05f64.ln()).floor() as i32
}

/// The upper bound of a bucket in milliseconds.
pub fn bucket_upper_ms(bucket: i32) -> i64 {
    (1.05f64.powi(bucket + 1) * 60_000.0) as i64
}

/// The `q`-quantile (0..1) of handling time from `(bucket, count)` pairs, in milliseconds.
pub fn quantile_ms(buckets: &[(i32, i64)], q: f64) -> Option<i64> {
    let mut sorted: Vec<(i32, i64)> = buckets.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as i64;
    let mut seen = 0;
    for (b, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(bucket_upper_ms(b));
        }
    }
    None
}

/// How a figure is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A share, shown in per cent.
    Percent,
    /// A duration, shown in hours.
    Hours,
}

/// One term of a formula: a counter times a weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Term {
    pub counter: Counter,
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// A figure's definition: numerator and denominator as weighted sums of counters. Cities define
/// these differently; administrators edit them, and every figure is shown with its formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricDef {
    /// Stable code, e.g. `response_rate`.
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub format: Format,
    pub numerator: Vec<Term>,
    pub denominator: Vec<Term>,
    /// For `Hours`: a quantile of the handling time instead of a ratio (e.g. 0.9).
    #[serde(default)]
    pub quantile: Option<f64>,
}

impl MetricDef {
    fn ratio(id: &str, zh: &str, en: &str, num: &[(Counter, f64)], den: &[Counter]) -> MetricDef {
        MetricDef {
            id: id.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            format: Format::Percent,
            numerator: num.iter().map(|(c, w)| Term { counter: *c, weight: *w }).collect(),
            denominator: den.iter().map(|c| Term { counter: *c, weight: 1.0 }).collect(),
            quantile: None,
        }
    }

    /// The value for these sums: a share in 0..=1, or hours. `None` when the denominator is 0.
    pub fn value(&self, totals: &Totals, buckets: &[(i32, i64)]) -> Option<f64> {
        if let Some(q) = self.quantile {
            return quantile_ms(buckets, q).map(|ms| ms as f64 / 3_600_000.0);
        }
        let sum = |terms: &[Term]| terms.iter().map(|t| t.weight * totals.get(t.counter) as f64).sum::<f64>();
        let den = sum(&self.denominator);
        if den <= 0.0 {
            return None;
        }
        let v = sum(&self.numerator) / den;
        Some(match self.format {
            Format::Percent => v,
            Format::Hours => v / 3_600_000.0,
        })
    }

    /// The formula as people read it, e.g. `(满意 + 基本满意 × 0.8) ÷ 参评量`.
    pub fn formula_zh(&self) -> String {
        if let Some(q) = self.quantile {
            return format!("办结用时（受理 → 办结）的第 {:.0} 百分位数", q * 100.0);
        }
        let side = |terms: &[Term]| {
            let parts: Vec<String> = terms
                .iter()
                .map(|t| {
                    if (t.weight - 1.0).abs() < 1e-9 {
                        t.counter.label_zh().to_string()
                    } else {
                        format!("{} × {}", t.counter.label_zh(), t.weight)
                    }
                })
                .collect();
            if parts.len() > 1 { format!("({})", parts.join(" + ")) } else { parts.join("") }
        };
        let ratio = format!("{} ÷ {}", side(&self.numerator), side(&self.denominator));
        match self.format {
            Format::Percent => format!("{ratio} × 100%"),
            Format::Hours => format!("{ratio}（小时）"),
        }
    }

    /// Why a definition cannot be used, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(format!("指标代码只能含小写字母、数字和下划线：{}", self.id));
        }
        if self.name_zh.trim().is_empty() {
            return Err(format!("指标 {} 缺少中文名称", self.id));
        }
        match self.quantile {
            Some(q) if !(0.0..=1.0).contains(&q) => return Err(format!("指标 {} 的分位数须在 0 到 1 之间", self.id)),
            Some(_) => return Ok(()),
            None => {}
        }
        if self.numerator.is_empty() || self.denominator.is_empty() {
            return Err(format!("指标 {} 的分子和分母都不能为空", self.id));
        }
        if self.numerator.iter().chain(&self.denominator).any(|t| !t.weight.is_finite() || t.weight < 0.0) {
            return Err(format!("指标 {} 的权重须为非负数", self.id));
        }
        Ok(())
    }
}

/// The default definitions (DOMAIN.md, "Metrics").
pub fn default_metrics() -> Vec<MetricDef> {
    use Counter as C;
    let mut avg = MetricDef::ratio("avg_handling_hours", "平均办理时长", "average handling time", &[(C::HandlingMs, 1.0)], &[C::Timed]);
    avg.format = Format::Hours;
    let mut p90 = avg.clone();
    p90.id = "p90_handling_hours".into();
    p90.name_zh = "办理时长 90 分位".into();
    p90.name_en = "90th percentile handling time".into();
    p90.quantile = Some(0.9);
    vec![
        MetricDef::ratio("response_rate", "响应率", "response rate", &[(C::Responded, 1.0)], &[C::Dispatched]),
        MetricDef::ratio("resolution_rate", "解决率", "resolution rate", &[(C::Solved, 1.0)], &[C::Rated]),
        MetricDef::ratio(
            "satisfaction_rate",
            "满意率",
            "satisfaction rate",
            &[(C::Satisfied, 1.0), (C::BasicallySatisfied, 0.8)],
            &[C::Rated],
        ),
        MetricDef::ratio("on_time_rate", "按时办结率", "on-time rate", &[(C::ClosedOnTime, 1.0)], &[C::Closed]),
        MetricDef::ratio("instant_rate", "即时办结率", "answered on the spot", &[(C::AnsweredOnSpot, 1.0)], &[C::Closed]),
        MetricDef::ratio("return_rate", "退单率", "return rate", &[(C::ReturnsRefused, 1.0)], &[C::Dispatched]),
        MetricDef::ratio("redo_rate", "重办率", "redo rate", &[(C::Redone, 1.0)], &[C::Closed]),
        MetricDef::ratio("sign_rate", "及时签收率", "signed on time", &[(C::SignedOnTime, 1.0)], &[C::Signed]),
        avg,
        p90,
    ]
}

/// How a unit's assessment score is made (考核得分).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ScoreRules {
    /// Metric id → weight; weights are normalised over the metrics that have a value, so a unit
    /// with no rated case is scored on the rest rather than given zero.
    pub weights: Vec<(String, f64)>,
    /// Points off per refused return (退单被驳回).
    pub per_refused_return: f64,
    /// Points off per overdue case.
    pub per_overdue: f64,
    /// Points off per red supervision (红牌督办).
    pub per_red_supervision: f64,
    /// At most this many points off in all.
    pub max_deduction: f64,
    /// Units with fewer dispatched cases than this are listed but not ranked.
    pub min_cases: i64,
}

impl Default for ScoreRules {
    fn default() -> Self {
        ScoreRules {
            weights: vec![("response_rate".into(), 30.0), ("resolution_rate".into(), 35.0), ("satisfaction_rate".into(), 35.0)],
            per_refused_return: 0.5,
            per_overdue: 0.2,
            per_red_supervision: 1.0,
            max_deduction: 30.0,
            min_cases: 1,
        }
    }
}

/// A unit's score and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Score {
    /// 0..=100.
    pub score: f64,
    /// The weighted part before deductions.
    pub base: f64,
    pub deduction: f64,
    /// Ranked only with enough cases.
    pub ranked: bool,
}

impl ScoreRules {
    pub fn score(&self, defs: &[MetricDef], totals: &Totals, buckets: &[(i32, i64)]) -> Score {
        let mut weighted = 0.0;
        let mut weight_sum = 0.0;
        for (id, w) in &self.weights {
            if let Some(v) = defs.iter().find(|d| &d.id == id).and_then(|d| d.value(totals, buckets)) {
                weighted += w * v.clamp(0.0, 1.0);
                weight_sum += w;
            }
        }
        let base = if weight_sum > 0.0 { 100.0 * weighted / weight_sum } else { 0.0 };
        let deduction = (self.per_refused_return * totals.get(Counter::ReturnsRefused) as f64
            + self.per_overdue * totals.get(Counter::Overdue) as f64
            + self.per_red_supervision * totals.get(Counter::RedSupervised) as f64)
            .min(self.max_deduction);
        Score {
            score: (base - deduction).clamp(0.0, 100.0),
            base,
            deduction,
            ranked: weight_sum > 0.0 && totals.get(Counter::Dispatched) >= self.min_cases,
        }
    }

    pub fn formula_zh(&self, defs: &[MetricDef]) -> String {
        let name = |id: &str| defs.iter().find(|d| d.id == id).map_or_else(|| id.to_string(), |d| d.name_zh.clone());
        let parts: Vec<String> = self.weights.iter().map(|(id, w)| format!("{} × {w}", name(id))).collect();
        format!(
            "({}) ÷ 有效权重之和 × 100 − 退单驳回 × {} − 超期 × {} − 红牌督办 × {}（扣分上限 {}）",
            parts.join(" + "),
            self.per_refused_return,
            self.per_overdue,
            self.per_red_supervision,
            self.max_deduction
        )
    }
}
