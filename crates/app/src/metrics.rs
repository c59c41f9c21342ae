//! The figures (考核指标) live from the fact table: per unit (alone or with its subtree), per
//! level, category, channel, type and period; each figure with its formula; a unit's score from
//! configurable weights and its monthly rank within its level; exported as CSV and XLSX.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use minsheng_domain::case::{CaseType, Channel};
use minsheng_domain::metrics::{Counter, Format, MetricDef, Score, ScoreRules, Totals, default_metrics};
use minsheng_domain::org::{Actor, Role, UnitId, UnitKind};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::{FactGroup, FactKey, FactQuery, UnitRecord};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::notify::{day_start, parse_day};

/// Setting keys: the definitions and the score rules are data an administrator edits.
pub const DEFINITIONS_KEY: &str = "metrics.definitions";
pub const SCORE_KEY: &str = "metrics.score";

/// How the rows of a report are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsBy {
    /// Each unit's own cases (as lead).
    Unit,
    /// Each unit with everything below it.
    UnitTree,
    /// 层级: city, district, street, department...
    Level,
    Category,
    Channel,
    CaseType,
    Day,
    Week,
    Month,
}

impl MetricsBy {
    pub fn parse(s: &str) -> DomainResult<MetricsBy> {
        serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| {
            DomainError::invalid(
                "by",
                format!("不支持的分组方式：{s}（可选 unit, unit_tree, level, category, channel, case_type, day, week, month）"),
                format!("unknown grouping: {s} (unit, unit_tree, level, category, channel, case_type, day, week, month)"),
            )
        })
    }

    fn fact_key(self) -> FactKey {
        match self {
            MetricsBy::Unit | MetricsBy::UnitTree | MetricsBy::Level => FactKey::Unit,
            MetricsBy::Category => FactKey::CatalogueItem,
            MetricsBy::Channel => FactKey::Channel,
            MetricsBy::CaseType => FactKey::CaseType,
            MetricsBy::Day | MetricsBy::Week | MetricsBy::Month => FactKey::Day,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MetricsRequest {
    /// First day, China time.
    pub from: NaiveDate,
    /// The day after the last (exclusive).
    pub to: NaiveDate,
    pub by: MetricsBy,
    /// Only this unit's subtree.
    pub unit: Option<UnitId>,
}

impl MetricsRequest {
    pub fn parse(from: Option<&str>, to: Option<&str>, by: Option<&str>, unit: Option<UnitId>, today: NaiveDate) -> DomainResult<Self> {
        let month_start = today.with_day(1).unwrap_or(today);
        let from = from.map(|f| parse_day("from", f)).transpose()?.unwrap_or(month_start);
        let to = to.map(|t| parse_day("to", t)).transpose()?.unwrap_or_else(|| today.succ_opt().unwrap_or(today));
        if to <= from {
            return Err(DomainError::invalid("to", "结束日期须晚于开始日期", "to must be after from"));
        }
        if (to - from).num_days() > 3 * 366 {
            return Err(DomainError::invalid("to", "统计区间最长 3 年", "a period may span at most 3 years"));
        }
        Ok(MetricsRequest { from, to, by: by.map(MetricsBy::parse).transpose()?.unwrap_or(MetricsBy::Unit), unit })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DefinitionView {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub format: Format,
    pub formula_zh: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricRow {
    pub key: String,
    pub label: String,
    pub level: Option<&'static str>,
    pub level_label: Option<&'static str>,
    pub counts: BTreeMap<&'static str, i64>,
    /// Each figure by id; `None` when it has no denominator (shown as —, never as 0).
    pub values: BTreeMap<String, Option<f64>>,
    pub score: Option<Score>,
    /// Rank by score within the level (units only).
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricsReport {
    pub from: String,
    pub to: String,
    pub by: MetricsBy,
    pub definitions: Vec<DefinitionView>,
    pub score_formula_zh: String,
    pub rows: Vec<MetricRow>,
    pub total: MetricRow,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankingLevel {
    pub level: &'static str,
    pub level_label: &'static str,
    pub rows: Vec<MetricRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rankings {
    pub month: String,
    pub score_formula_zh: String,
    pub levels: Vec<RankingLevel>,
}

pub fn level_label(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::City => "市",
        UnitKind::Centre => "热线中心",
        UnitKind::District => "区",
        UnitKind::Street => "街道乡镇",
        UnitKind::Community => "社区村",
        UnitKind::Department => "职能部门",
        UnitKind::Company => "公共服务企业",
    }
}

/// A group's sums and histogram, merged from several store groups.
#[derive(Default, Clone)]
struct Acc {
    totals: Totals,
    buckets: HashMap<i32, i64>,
}

impl Acc {
    fn add(&mut self, g: &FactGroup) {
        self.totals.add(&g.totals);
        for (b, n) in &g.buckets {
            *self.buckets.entry(*b).or_default() += n;
        }
    }
    fn add_acc(&mut self, other: &Acc) {
        self.totals.add(&other.totals);
        for (b, n) in &other.buckets {
            *self.buckets.entry(*b).or_default() += n;
        }
    }
    fn bucket_vec(&self) -> Vec<(i32, i64)> {
        self.buckets.iter().map(|(b, n)| (*b, *n)).collect()
    }
}

fn days_to_date(days: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(days)
}

impl App {
    pub async fn metric_definitions(&self) -> DomainResult<Vec<MetricDef>> {
        Ok(match self.store.get_setting(DEFINITIONS_KEY).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_else(|_| default_metrics()),
            None => default_metrics(),
        })
    }

    pub async fn score_rules(&self) -> DomainResult<ScoreRules> {
        Ok(match self.store.get_setting(SCORE_KEY).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => ScoreRules::default(),
        })
    }

    /// Replaces the metric definitions (administrators); each is validated first.
    pub async fn set_metric_definitions(&self, actor: &Actor, defs: Vec<MetricDef>) -> DomainResult<()> {
        require_admin(actor)?;
        if defs.is_empty() {
            return Err(DomainError::invalid("definitions", "至少需要一个指标", "at least one metric is needed"));
        }
        for d in &defs {
            d.validate().map_err(|zh| DomainError::invalid("definitions", zh.clone(), format!("invalid definition {}: {zh}", d.id)))?;
        }
        let mut ids: Vec<&str> = defs.iter().map(|d| d.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(DomainError::invalid("definitions", "指标代码重复", "duplicate metric id"));
        }
        let text = serde_json::to_string(&defs).map_err(|_| DomainError::internal())?;
        Ok(self.store.put_setting(DEFINITIONS_KEY, &text).await?)
    }

    pub async fn set_score_rules(&self, actor: &Actor, rules: ScoreRules) -> DomainResult<()> {
        require_admin(actor)?;
        let bad = |w: f64| !w.is_finite() || w < 0.0;
        if rules.weights.is_empty() || rules.weights.iter().any(|(_, w)| bad(*w)) || rules.weights.iter().all(|(_, w)| *w == 0.0) {
            return Err(DomainError::invalid("weights", "权重须为非负数且不全为零", "weights must be non-negative and not all zero"));
        }
        if [rules.per_refused_return, rules.per_overdue, rules.per_red_supervision, rules.max_deduction].into_iter().any(bad) {
            return Err(DomainError::invalid("deductions", "扣分须为非负数", "deductions must be non-negative"));
        }
        let defs = self.metric_definitions().await?;
        if let Some((id, _)) = rules.weights.iter().find(|(id, _)| !defs.iter().any(|d| &d.id == id)) {
            return Err(DomainError::invalid("weights", format!("没有这个指标：{id}"), format!("no such metric: {id}")));
        }
        let text = serde_json::to_string(&rules).map_err(|_| DomainError::internal())?;
        Ok(self.store.put_setting(SCORE_KEY, &text).await?)
    }

    /// Which subtree an actor may see figures of: `None` is the whole city.
    async fn metrics_scope(&self, actor: &Actor, unit: Option<UnitId>) -> DomainResult<Option<UnitRecord>> {
        let dir = self.directory().await?;
        let find = |id: UnitId| dir.units.iter().find(|u| u.id == id).cloned();
        let wanted = match unit {
            Some(id) => Some(find(id).ok_or_else(|| DomainError::not_found("单位", "unit"))?),
            None => None,
        };
        match actor.role {
            Role::Operator | Role::Dispatcher | Role::Supervisor | Role::Leader | Role::Admin | Role::System => Ok(wanted),
            Role::UnitLeader | Role::UnitHandler => {
                let own = actor.unit.as_ref().and_then(|u| find(u.id)).ok_or_else(|| DomainError::not_found("单位", "unit"))?;
                match wanted {
                    Some(w) if w.path.starts_with(&own.path) => Ok(Some(w)),
                    // Outside one's own subtree: not found, as for cases.
                    Some(_) => Err(DomainError::not_found("单位", "unit")),
                    None => Ok(Some(own)),
                }
            }
            _ => Err(DomainError::new(ErrorCode::Forbidden, "无权查看统计", "you may not see the figures")),
        }
    }

    /// The report for one period and grouping.
    pub async fn metrics_report(&self, actor: &Actor, req: &MetricsRequest) -> DomainResult<MetricsReport> {
        let scope = self.metrics_scope(actor, req.unit).await?;
        let defs = self.metric_definitions().await?;
        let rules = self.score_rules().await?;
        let dir = self.directory().await?;
        let query =
            |by| FactQuery { from: day_start(req.from), to: day_start(req.to), by, unit_path: scope.as_ref().map(|u| u.path.clone()) };
        let groups = self.store.aggregate_facts(&query(req.by.fact_key())).await?;
        let is_units = matches!(req.by, MetricsBy::Unit | MetricsBy::UnitTree | MetricsBy::Level);
        let callbacks = if is_units { self.store.aggregate_facts(&query(FactKey::CallbackUnit)).await? } else { Vec::new() };

        let mut total = Acc::default();
        for g in &groups {
            total.add(g);
        }
        let units: HashMap<UnitId, &UnitRecord> = dir.units.iter().map(|u| (u.id, u)).collect();
        let unit_of = |key: &Option<String>| key.as_deref().and_then(|k| k.parse::<UnitId>().ok()).and_then(|id| units.get(&id).copied());
        let mut per_unit: HashMap<UnitId, Acc> = HashMap::new();
        for g in groups.iter().chain(&callbacks) {
            if let Some(u) = unit_of(&g.key) {
                per_unit.entry(u.id).or_default().add(g);
            }
        }
        let in_scope = |u: &UnitRecord| scope.as_ref().is_none_or(|s| u.path.starts_with(&s.path));

        // (key, label, level, acc), in display order.
        let mut rows: Vec<(String, String, Option<UnitKind>, Acc)> = Vec::new();
        match req.by {
            MetricsBy::Unit => {
                let mut list: Vec<&&UnitRecord> = units.values().filter(|u| per_unit.contains_key(&u.id)).collect();
                list.sort_by(|a, b| a.path.cmp(&b.path));
                for u in list {
                    rows.push((u.id.to_string(), u.name.clone(), Some(u.kind), per_unit[&u.id].clone()));
                }
                if let Some(g) = groups.iter().find(|g| g.key.is_none()) {
                    let mut acc = Acc::default();
                    acc.add(g);
                    rows.push(("none".into(), "未派单".into(), None, acc));
                }
            }
            MetricsBy::UnitTree => {
                let mut list: Vec<&&UnitRecord> = units.values().filter(|u| in_scope(u)).collect();
                list.sort_by(|a, b| a.path.cmp(&b.path));
                for u in list {
                    let mut acc = Acc::default();
                    for (id, a) in &per_unit {
                        if units.get(id).is_some_and(|x| x.path.starts_with(&u.path)) {
                            acc.add_acc(a);
                        }
                    }
                    if acc.totals.get(Counter::Received) > 0 || acc.totals.get(Counter::CallbacksMade) > 0 {
                        rows.push((u.id.to_string(), u.name.clone(), Some(u.kind), acc));
                    }
                }
            }
            MetricsBy::Level => {
                let mut by_kind: BTreeMap<&'static str, (UnitKind, Acc)> = BTreeMap::new();
                for (id, a) in &per_unit {
                    if let Some(u) = units.get(id) {
                        by_kind.entry(u.kind.as_str()).or_insert_with(|| (u.kind, Acc::default())).1.add_acc(a);
                    }
                }
                for (code, (kind, acc)) in by_kind {
                    rows.push((code.to_string(), level_label(kind).to_string(), Some(kind), acc));
                }
            }
            MetricsBy::Category | MetricsBy::Channel | MetricsBy::CaseType => {
                let mut merged: BTreeMap<String, Acc> = BTreeMap::new();
                for g in &groups {
                    let key = match (req.by, g.key.as_deref()) {
                        (MetricsBy::Category, Some(item)) => item.split(['.', '/', '-']).next().unwrap_or(item).to_string(),
                        (_, Some(k)) => k.to_string(),
                        (_, None) => "none".to_string(),
                    };
                    merged.entry(key).or_default().add(g);
                }
                let catalogue = self.catalogue();
                for (key, acc) in merged {
                    let label = match req.by {
                        MetricsBy::Channel => Channel::parse(&key).map(|c| c.label_zh().to_string()),
                        MetricsBy::CaseType => CaseType::parse(&key).map(|c| c.label_zh().to_string()),
                        MetricsBy::Category => catalogue.item(&key).map(|i| i.name.clone()),
                        _ => None,
                    }
                    .unwrap_or_else(|| if key == "none" { "未分类".into() } else { key.clone() });
                    rows.push((key, label, None, acc));
                }
                rows.sort_by_key(|r| std::cmp::Reverse(r.3.totals.get(Counter::Received)));
            }
            MetricsBy::Day | MetricsBy::Week | MetricsBy::Month => {
                let mut merged: BTreeMap<NaiveDate, Acc> = BTreeMap::new();
                for g in &groups {
                    let Some(day) = g.key.as_deref().and_then(|k| k.parse::<i64>().ok()).map(days_to_date) else { continue };
                    let start = match req.by {
                        MetricsBy::Week => day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday())),
                        MetricsBy::Month => day.with_day(1).unwrap_or(day),
                        _ => day,
                    };
                    merged.entry(start).or_default().add(g);
                }
                for (start, acc) in merged {
                    rows.push((start.to_string(), start.to_string(), None, acc));
                }
            }
        }

        let mut out: Vec<MetricRow> =
            rows.into_iter().map(|(key, label, kind, acc)| row_of(key, label, kind, &acc, &defs, &rules, kind.is_some())).collect();
        if req.by == MetricsBy::Unit || req.by == MetricsBy::UnitTree {
            rank_within_levels(&mut out);
        }
        let total = row_of("all".into(), "合计".into(), None, &total, &defs, &rules, false);
        Ok(MetricsReport {
            from: req.from.to_string(),
            to: req.to.to_string(),
            by: req.by,
            definitions: defs
                .iter()
                .map(|d| DefinitionView {
                    id: d.id.clone(),
                    name_zh: d.name_zh.clone(),
                    name_en: d.name_en.clone(),
                    format: d.format,
                    formula_zh: d.formula_zh(),
                })
                .collect(),
            score_formula_zh: rules.formula_zh(&defs),
            rows: out,
            total,
        })
    }

    /// 月度排名: every unit's score for the month, ranked within its level.
    pub async fn monthly_rankings(&self, actor: &Actor, month: &str) -> DomainResult<Rankings> {
        let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| {
            DomainError::invalid("month", format!("月份格式应为 YYYY-MM：{month}"), format!("expected a month YYYY-MM: {month}"))
        })?;
        let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
        let report = self.metrics_report(actor, &MetricsRequest { from: first, to: next, by: MetricsBy::Unit, unit: None }).await?;
        let mut levels: BTreeMap<&'static str, RankingLevel> = BTreeMap::new();
        for row in report.rows {
            let (Some(level), Some(label)) = (row.level, row.level_label) else { continue };
            levels.entry(level).or_insert_with(|| RankingLevel { level, level_label: label, rows: Vec::new() }).rows.push(row);
        }
        let mut levels: Vec<RankingLevel> = levels.into_values().collect();
        for l in &mut levels {
            l.rows.sort_by_key(|r| (r.rank.is_none(), r.rank));
        }
        Ok(Rankings { month: month.to_string(), score_formula_zh: report.score_formula_zh, levels })
    }
}

fn require_admin(actor: &Actor) -> DomainResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(DomainError::new(ErrorCode::Forbidden, "仅管理员可以修改指标设置", "only administrators may change metric settings"))
    }
}

fn row_of(
    key: String,
    label: String,
    kind: Option<UnitKind>,
    acc: &Acc,
    defs: &[MetricDef],
    rules: &ScoreRules,
    scored: bool,
) -> MetricRow {
    let buckets = acc.bucket_vec();
    MetricRow {
        key,
        label,
        level: kind.map(|k| k.as_str()),
        level_label: kind.map(level_label),
        counts: Counter::ALL.iter().map(|c| (c.as_str(), acc.totals.get(*c))).collect(),
        values: defs.iter().map(|d| (d.id.clone(), d.value(&acc.totals, &buckets))).collect(),
        score: scored.then(|| rules.score(defs, &acc.totals, &buckets)),
        rank: None,
    }
}

/// Ranks scored rows by score within each level (ties share a rank).
fn rank_within_levels(rows: &mut [MetricRow]) {
    let mut by_level: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let (Some(level), Some(s)) = (r.level, &r.score)
            && s.ranked
        {
            by_level.entry(level).or_default().push(i);
        }
    }
    for idx in by_level.into_values() {
        let mut scored: Vec<(usize, f64)> = idx.iter().map(|i| (*i, rows[*i].score.as_ref().map_or(0.0, |s| s.score))).collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut rank = 0;
        let mut last: Option<f64> = None;
        for (pos, (i, s)) in scored.iter().enumerate() {
            if last.is_none_or(|l| (s - l).abs() > 1e-9) {
                rank = pos as u32 + 1;
                last = Some(*s);
            }
            rows[*i].rank = Some(rank);
        }
    }
}

/// The report as a table: a header row and one row per group, figures in per cent or hours.
pub fn report_table(report: &MetricsReport) -> (Vec<String>, Vec<Vec<TableCell>>) {
    let mut header = vec!["分组".to_string(), "层级".to_string()];
    let counters = [Counter::Received, Counter::Dispatched, Counter::Closed, Counter::Rated, Counter::Overdue, Counter::ReturnsRefused];
    header.extend(counters.iter().map(|c| c.label_zh().to_string()));
    for d in &report.definitions {
        header.push(match d.format {
            Format::Percent => format!("{}(%)", d.name_zh),
            Format::Hours => format!("{}(小时)", d.name_zh),
        });
    }
    header.extend(["得分".to_string(), "排名".to_string()]);
    let body = report
        .rows
        .iter()
        .chain(std::iter::once(&report.total))
        .map(|r| {
            let mut cells = vec![TableCell::Text(r.label.clone()), TableCell::Text(r.level_label.unwrap_or("").to_string())];
            cells.extend(counters.iter().map(|c| TableCell::Number(r.counts.get(c.as_str()).copied().unwrap_or(0) as f64)));
            for d in &report.definitions {
                cells.push(match r.values.get(&d.id).copied().flatten() {
                    Some(v) if d.format == Format::Percent => TableCell::Number((v * 10_000.0).round() / 100.0),
                    Some(v) => TableCell::Number((v * 100.0).round() / 100.0),
                    None => TableCell::Empty,
                });
            }
            cells.push(r.score.as_ref().map_or(TableCell::Empty, |s| TableCell::Number((s.score * 100.0).round() / 100.0)));
            cells.push(r.rank.map_or(TableCell::Empty, |k| TableCell::Number(f64::from(k))));
            cells
        })
        .collect();
    (header, body)
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableCell {
    Text(String),
    Number(f64),
    Empty,
}

/// CSV with a BOM so spreadsheet programs in China open it as UTF-8.
pub fn report_csv(report: &MetricsReport) -> DomainResult<Vec<u8>> {
    let (header, rows) = report_table(report);
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let fail = |_| DomainError::internal();
    w.write_record(&header).map_err(fail)?;
    for r in rows {
        let cells: Vec<String> = r
            .into_iter()
            .map(|c| match c {
                TableCell::Text(t) => t,
                TableCell::Number(n) => format!("{n}"),
                TableCell::Empty => String::new(),
            })
            .collect();
        w.write_record(&cells).map_err(fail)?;
    }
    w.into_inner().map_err(|_| DomainError::internal())
}

/// An XLSX workbook: the table on the first sheet, the formulas on the second.
pub fn report_xlsx(report: &MetricsReport) -> DomainResult<Vec<u8>> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "xlsx export failed");
        DomainError::internal()
    };
    let (header, rows) = report_table(report);
    let mut book = Workbook::new();
    let bold = XFormat::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("指标").map_err(fail)?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                TableCell::Text(t) => sheet.write_string(r, c, t).map(|_| ()).map_err(fail)?,
                TableCell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()).map_err(fail)?,
                TableCell::Empty => {}
            }
        }
    }
    let defs = book.add_worksheet();
    defs.set_name("指标定义").map_err(fail)?;
    defs.write_string_with_format(0, 0, "指标", &bold).map_err(fail)?;
    defs.write_string_with_format(0, 1, "公式", &bold).map_err(fail)?;
    for (i, d) in report.definitions.iter().enumerate() {
        defs.write_string(i as u32 + 1, 0, &d.name_zh).map_err(fail)?;
        defs.write_string(i as u32 + 1, 1, &d.formula_zh).map_err(fail)?;
    }
    let n = report.definitions.len() as u32 + 1;
    defs.write_string(n, 0, "考核得分").map_err(fail)?;
    defs.write_string(n, 1, &report.score_formula_zh).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// 公开数据: what the city publishes without a login — each month's volume and the headline
/// rates of the last twelve months, and the categories citizens wrote about most this month.
/// No unit names, no cases: only city-wide counts and rates.
#[derive(Debug, Clone, Serialize)]
pub struct PublicStats {
    pub months: Vec<PublicMonth>,
    /// The twelve months together.
    pub total: PublicMonth,
    /// This month's ten busiest categories (catalogue level 1).
    pub categories: Vec<PublicCount>,
    pub generated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicMonth {
    /// `YYYY-MM`, or `total`.
    pub month: String,
    pub received: i64,
    pub closed: i64,
    /// 响应率, 解决率, 满意率, 按时办结率 as the city defines them; `None` without a denominator.
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicCount {
    pub name: String,
    pub received: i64,
}

fn public_month(month: String, row: &MetricRow) -> PublicMonth {
    let v = |k: &str| row.values.get(k).copied().flatten();
    PublicMonth {
        month,
        received: row.counts.get("received").copied().unwrap_or(0),
        closed: row.counts.get("closed").copied().unwrap_or(0),
        response_rate: v("response_rate"),
        resolution_rate: v("resolution_rate"),
        satisfaction_rate: v("satisfaction_rate"),
        on_time_rate: v("on_time_rate"),
    }
}

impl App {
    /// The public statistics page's figures (anyone may ask; computed from the roll-ups).
    pub async fn public_stats(&self) -> DomainResult<PublicStats> {
        let now = self.clock.now();
        // Anyone may ask, so the figures are computed at most once a minute per node.
        if let Ok(cached) = self.public_stats.lock()
            && let Some((at, stats)) = cached.as_ref()
            && now - at < 60_000
            && now >= *at
        {
            return Ok(stats.clone());
        }
        let today = crate::notify::china_date(now);
        let this_month = today.with_day(1).unwrap_or(today);
        let next = this_month.checked_add_months(chrono::Months::new(1)).unwrap_or(this_month);
        let from = next.checked_sub_months(chrono::Months::new(12)).unwrap_or(this_month);
        let system = Actor::system();
        let by_month = self.metrics_report(&system, &MetricsRequest { from, to: next, by: MetricsBy::Month, unit: None }).await?;
        let months = by_month.rows.iter().map(|r| public_month(r.key.chars().take(7).collect(), r)).collect();
        let total = public_month("total".into(), &by_month.total);
        let by_category =
            self.metrics_report(&system, &MetricsRequest { from: this_month, to: next, by: MetricsBy::Category, unit: None }).await?;
        let mut categories: Vec<PublicCount> = by_category
            .rows
            .iter()
            .map(|r| PublicCount { name: r.label.clone(), received: r.counts.get("received").copied().unwrap_or(0) })
            .filter(|c| c.received > 0)
            .collect();
        categories.sort_by(|a, b| b.received.cmp(&a.received).then_with(|| a.name.cmp(&b.name)));
        categories.truncate(10);
        let stats = PublicStats { months, total, categories, generated_at: minsheng_domain::format_time(now) };
        if let Ok(mut cached) = self.public_stats.lock() {
            *cached = Some((now, stats.clone()));
        }
        Ok(stats)
    }
}
