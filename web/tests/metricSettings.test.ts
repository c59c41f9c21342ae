import { describe, expect, it } from 'vitest'
import type { MetricSetting, ScoreRules } from '../src/api/oversight'
import { COUNTERS, counterLabel, formulaText, num, scoreFormulaText, validateDefinitions, validateScore, weightRows, weightsFromRows } from '../src/lib/metricSettings'
import fixture from './fixtures/metric_settings.json'

const defs = fixture.definitions as MetricSetting[]
const score = fixture.score as ScoreRules

describe('formula text', () => {
  it('is exactly the server formula for every default definition', () => {
    for (const d of defs) expect(formulaText(d), d.id).toBe(fixture.formulas[d.id as keyof typeof fixture.formulas])
  })

  it('brackets sums, prints weights other than 1, and reads in English', () => {
    const sat = defs.find((d) => d.id === 'satisfaction_rate')!
    expect(formulaText(sat)).toBe('(满意 + 基本满意 × 0.8) ÷ 参评量 × 100%')
    expect(formulaText(sat, 'en')).toBe('(satisfied + basically satisfied × 0.8) ÷ rated × 100%')
    const edited: MetricSetting = { ...sat, numerator: [{ counter: 'satisfied', weight: 1 }, { counter: 'basically_satisfied', weight: 0.65 }], denominator: [{ counter: 'rated', weight: 2 }] }
    expect(formulaText(edited)).toBe('(满意 + 基本满意 × 0.65) ÷ 参评量 × 2 × 100%')
    expect(formulaText({ ...sat, numerator: [] })).toBe('— ÷ 参评量 × 100%')
  })

  it('reads quantiles and hours', () => {
    expect(formulaText(defs.find((d) => d.id === 'p90_handling_hours')!, 'en')).toBe('the 90th percentile of handling time (received → closed)')
    expect(formulaText(defs.find((d) => d.id === 'avg_handling_hours')!, 'en')).toBe('total handling time ÷ timed closures (hours)')
  })

  it('is exactly the server score formula', () => {
    expect(scoreFormulaText(score, defs)).toBe(fixture.score_formula_zh)
    expect(scoreFormulaText({ ...score, weights: [['response_rate', 50], ['nope', 1]], max_deduction: 12.5 }, defs)).toBe(
      '(响应率 × 50 + nope × 1) ÷ 有效权重之和 × 100 − 退单驳回 × 0.5 − 超期 × 0.2 − 红牌督办 × 1（扣分上限 12.5）',
    )
    expect(scoreFormulaText(score, defs, 'en')).toContain('(response rate × 30 + resolution rate × 35 + satisfaction rate × 35)')
  })

  it('labels every counter, unknown ones by code', () => {
    expect(COUNTERS).toHaveLength(22)
    expect(counterLabel('handling_ms')).toBe('办理总时长')
    expect(counterLabel('mystery')).toBe('mystery')
    expect(num(0.1 + 0.2)).toBe('0.3')
    expect(num(30)).toBe('30')
  })
})

describe('validation', () => {
  it('accepts the defaults', () => {
    expect(validateScore(score, defs)).toEqual([])
    expect(validateDefinitions(defs)).toEqual([])
  })

  it('refuses negative or missing numbers, all-zero weights and unknown metrics', () => {
    expect(validateScore({ ...score, weights: [['response_rate', -1]] }, defs)).toEqual(['权重须为非负数且不全为零'])
    expect(validateScore({ ...score, weights: [['response_rate', 0]] }, defs)).toEqual(['权重须为非负数且不全为零'])
    expect(validateScore({ ...score, weights: [] }, defs)).toEqual(['权重须为非负数且不全为零'])
    expect(validateScore({ ...score, weights: [['nope', 3]] }, defs)).toEqual(['没有这个指标：nope'])
    expect(validateScore({ ...score, per_overdue: -0.2 }, defs)).toEqual(['扣分须为非负数'])
    expect(validateScore({ ...score, max_deduction: null as unknown as number }, defs, 'en')).toEqual(['deductions must be non-negative'])
    expect(validateScore({ ...score, min_cases: 1.5 }, defs)).toHaveLength(1)
    const sat = defs.find((d) => d.id === 'satisfaction_rate')!
    expect(validateDefinitions([{ ...sat, numerator: [{ counter: 'satisfied', weight: -1 }] }])).toEqual(['指标 满意率 的权重须为非负数'])
    expect(validateDefinitions([{ ...sat, denominator: [] }])).toEqual(['指标 满意率 的分子和分母都不能为空'])
  })
})

describe('the weight editor', () => {
  it('lists every metric with its weight (0 when not weighted) and keeps unknown ones', () => {
    const rows = weightRows({ ...score, weights: [['satisfaction_rate', 35], ['gone', 5]] }, defs)
    expect(rows.map((r) => r.id)).toEqual([...defs.map((d) => d.id), 'gone'])
    expect(rows.find((r) => r.id === 'satisfaction_rate')).toEqual({ id: 'satisfaction_rate', weight: 35, known: true })
    expect(rows.find((r) => r.id === 'response_rate')!.weight).toBe(0)
    expect(rows.at(-1)).toEqual({ id: 'gone', weight: 5, known: false })
  })

  it('round-trips: unweighted metrics are left out of what is saved', () => {
    expect(weightsFromRows(weightRows(score, defs))).toEqual(score.weights)
    expect(weightsFromRows([{ id: 'a', weight: 0 }, { id: 'b', weight: 2.5 }])).toEqual([['b', 2.5]])
  })
})
