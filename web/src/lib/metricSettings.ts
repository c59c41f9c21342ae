// The metric settings (指标与权重): each figure as a weighted ratio of counted facts, and the
// assessment score made of the figures' weights minus deductions. The formula texts mirror the
// server's (crates/domain/src/metrics.rs, MetricDef::formula_zh and ScoreRules::formula_zh).

import type { MetricSetting, ScoreRules } from '../api/oversight'
import type { Lang } from './i18n'

/** The counters a definition can use: code, Chinese label (as the server has it), English. */
export const COUNTERS: [string, string, string][] = [
  ['received', '受理量', 'received'],
  ['dispatched', '派单量', 'dispatched'],
  ['responded', '按时响应量', 'responded on time'],
  ['signed', '签收量', 'signed'],
  ['signed_on_time', '及时签收量', 'signed on time'],
  ['rated', '参评量', 'rated'],
  ['satisfied', '满意', 'satisfied'],
  ['basically_satisfied', '基本满意', 'basically satisfied'],
  ['unsatisfied', '不满意', 'unsatisfied'],
  ['solved', '已解决', 'solved'],
  ['partly_solved', '部分解决', 'partly solved'],
  ['closed', '办结量', 'closed'],
  ['closed_on_time', '按时办结量', 'closed on time'],
  ['answered_on_spot', '即时办结量', 'answered on the spot'],
  ['returned', '退单申请量', 'return requests'],
  ['returns_refused', '退单驳回量', 'returns refused'],
  ['redone', '重办量', 'redone'],
  ['overdue', '超期量', 'overdue'],
  ['red_supervised', '红牌督办量', 'red-card supervised'],
  ['timed', '计时办结量', 'timed closures'],
  ['handling_ms', '办理总时长', 'total handling time'],
  ['callbacks_made', '回访量', 'callbacks made'],
]

const COUNTER_LABEL = new Map(COUNTERS.map(([c, zh, en]) => [c, { zh, en }]))

export function counterLabel(code: string, lang: Lang = 'zh'): string {
  const l = COUNTER_LABEL.get(code)
  return l ? l[lang] : code
}

/** A weight as the server prints it: 1 → "1", 0.8 → "0.8", 30 → "30". */
export function num(w: number): string {
  if (!Number.isFinite(w)) return String(w)
  return String(Math.round(w * 1e6) / 1e6)
}

function side(terms: MetricSetting['numerator'], lang: Lang): string {
  const parts = terms.map((t) => (Math.abs(t.weight - 1) < 1e-9 ? counterLabel(t.counter, lang) : `${counterLabel(t.counter, lang)} × ${num(t.weight)}`))
  if (parts.length === 0) return '—'
  return parts.length > 1 ? `(${parts.join(' + ')})` : parts[0]
}

/** The formula as people read it, e.g. "(满意 + 基本满意 × 0.8) ÷ 参评量 × 100%". */
export function formulaText(def: MetricSetting, lang: Lang = 'zh'): string {
  if (def.quantile !== null && def.quantile !== undefined) {
    const p = Math.round(def.quantile * 100)
    return lang === 'en' ? `the ${p}th percentile of handling time (received → closed)` : `办结用时（受理 → 办结）的第 ${p} 百分位数`
  }
  const ratio = `${side(def.numerator, lang)} ÷ ${side(def.denominator, lang)}`
  if (def.format === 'percent') return `${ratio} × 100%`
  return lang === 'en' ? `${ratio} (hours)` : `${ratio}（小时）`
}

/** The score's formula, e.g. "(响应率 × 30 + …) ÷ 有效权重之和 × 100 − 退单驳回 × 0.5 − …（扣分上限 30）". */
export function scoreFormulaText(rules: ScoreRules, defs: readonly MetricSetting[], lang: Lang = 'zh'): string {
  const name = (id: string) => {
    const d = defs.find((x) => x.id === id)
    return d ? (lang === 'en' ? d.name_en || d.name_zh : d.name_zh) : id
  }
  const parts = rules.weights.map(([id, w]) => `${name(id)} × ${num(w)}`)
  const sum = parts.length ? parts.join(' + ') : '—'
  if (lang === 'en')
    return `(${sum}) ÷ sum of weights with a value × 100 − refused returns × ${num(rules.per_refused_return)} − overdue × ${num(rules.per_overdue)} − red cards × ${num(rules.per_red_supervision)} (at most ${num(rules.max_deduction)} off)`
  return `(${sum}) ÷ 有效权重之和 × 100 − 退单驳回 × ${num(rules.per_refused_return)} − 超期 × ${num(rules.per_overdue)} − 红牌督办 × ${num(rules.per_red_supervision)}（扣分上限 ${num(rules.max_deduction)}）`
}

const bad = (w: unknown) => typeof w !== 'number' || !Number.isFinite(w) || w < 0

/** Problems with the score rules (Chinese and English), as the server checks them; empty when fine. */
export function validateScore(rules: ScoreRules, defs: readonly MetricSetting[], lang: Lang = 'zh'): string[] {
  const out: string[] = []
  const zh = lang === 'zh'
  if (!rules.weights.length || rules.weights.some(([, w]) => bad(w)) || rules.weights.every(([, w]) => w === 0))
    out.push(zh ? '权重须为非负数且不全为零' : 'weights must be non-negative and not all zero')
  for (const [id] of rules.weights) if (!defs.some((d) => d.id === id)) out.push(zh ? `没有这个指标：${id}` : `no such metric: ${id}`)
  if ([rules.per_refused_return, rules.per_overdue, rules.per_red_supervision, rules.max_deduction].some(bad)) out.push(zh ? '扣分须为非负数' : 'deductions must be non-negative')
  if (bad(rules.min_cases) || !Number.isInteger(rules.min_cases)) out.push(zh ? '最少派单量须为非负整数' : 'the minimum number of cases must be a whole number ≥ 0')
  return out
}

/** Problems with the definitions' weights (non-negative, both sides present); empty when fine. */
export function validateDefinitions(defs: readonly MetricSetting[], lang: Lang = 'zh'): string[] {
  const out: string[] = []
  const zh = lang === 'zh'
  for (const d of defs) {
    if (d.quantile !== null && d.quantile !== undefined) {
      if (bad(d.quantile) || d.quantile > 1) out.push(zh ? `指标 ${d.name_zh} 的分位数须在 0 到 1 之间` : `${d.name_en || d.id}: the quantile must be within 0..1`)
      continue
    }
    if (!d.numerator.length || !d.denominator.length) out.push(zh ? `指标 ${d.name_zh} 的分子和分母都不能为空` : `${d.name_en || d.id}: numerator and denominator must not be empty`)
    if ([...d.numerator, ...d.denominator].some((t) => bad(t.weight))) out.push(zh ? `指标 ${d.name_zh} 的权重须为非负数` : `${d.name_en || d.id}: weights must be non-negative`)
  }
  return out
}

/**
 * The editor's view of the weights: every defined metric with its weight (0 when not weighted),
 * in the definitions' order, then weights of unknown metrics (kept, so they can be seen and fixed).
 */
export function weightRows(rules: ScoreRules, defs: readonly MetricSetting[]): { id: string; weight: number; known: boolean }[] {
  const given = new Map(rules.weights)
  const rows = defs.map((d) => ({ id: d.id, weight: given.get(d.id) ?? 0, known: true }))
  for (const [id, w] of rules.weights) if (!defs.some((d) => d.id === id)) rows.push({ id, weight: w, known: false })
  return rows
}

/** Back to the API's pairs: metrics with weight 0 are left out (as if not weighted). */
export function weightsFromRows(rows: readonly { id: string; weight: number }[]): [string, number][] {
  return rows.filter((r) => r.weight !== 0).map((r) => [r.id, r.weight])
}
