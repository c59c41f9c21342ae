import { describe, expect, it } from 'vitest'
import type { MetricRow, MetricsTable } from '../src/api/metrics'
import { metricsApi } from '../src/api/metrics'
import {
  addDays,
  chinaClock,
  chinaToday,
  count,
  defaultLevel,
  elapsed,
  featureNames,
  formatCount,
  formatGrowth,
  formatHours,
  formatPercent,
  formatScore,
  formatValue,
  groupByLevel,
  growthHotspots,
  kpis,
  matchDistricts,
  periodFromQuery,
  periodRange,
  periodToQuery,
  previousRange,
  rangeLabel,
  topByReceived,
  trendBucket,
  trendSeries,
  value,
} from '../src/lib/dashboard'
import { translate } from '../src/lib/i18n'
import unitJson from './fixtures/metrics_unit.json'
import dayJson from './fixtures/metrics_day.json'
import channelJson from './fixtures/metrics_channel.json'
import categoryJson from './fixtures/metrics_category.json'
import categoryPrevJson from './fixtures/metrics_category_previous.json'
// The map the app ships (vite's ?raw, as in the app's build).
import geoText from '../src/assets/haikou_districts.geojson?raw'

const unit = unitJson as unknown as MetricsTable
const day = dayJson as unknown as MetricsTable
const channel = channelJson as unknown as MetricsTable
const category = categoryJson as unknown as MetricsTable
const categoryPrev = categoryPrevJson as unknown as MetricsTable

/** Milliseconds of a China wall-clock time. */
const china = (iso: string) => Date.parse(`${iso}+08:00`)
const tr = (key: string) => translate('zh', key)

describe('periods (China time, `to` exclusive)', () => {
  it('本月 runs from the first to the first of the next month', () => {
    expect(periodRange('month', china('2026-11-22T10:00:00'))).toEqual({ from: '2026-11-01', to: '2026-12-01' })
    expect(periodRange('month', china('2026-12-31T23:59:00'))).toEqual({ from: '2026-12-01', to: '2027-01-01' })
  })

  it('uses the China day, not the browser’s or UTC’s', () => {
    // 2026-11-30 17:30 UTC is already 1 December in China.
    expect(chinaToday(Date.parse('2026-11-30T17:30:00Z'))).toBe('2026-12-01')
    expect(periodRange('month', Date.parse('2026-11-30T17:30:00Z'))).toEqual({ from: '2026-12-01', to: '2027-01-01' })
  })

  it('上月 crosses the year', () => {
    expect(periodRange('last_month', china('2027-01-05T09:00:00'))).toEqual({ from: '2026-12-01', to: '2027-01-01' })
    expect(periodRange('last_month', china('2026-03-31T09:00:00'))).toEqual({ from: '2026-02-01', to: '2026-03-01' })
  })

  it('本周 starts on Monday, also when today is Sunday', () => {
    // 2026-11-22 is a Sunday, 2026-11-16 the Monday before.
    expect(periodRange('week', china('2026-11-22T12:00:00'))).toEqual({ from: '2026-11-16', to: '2026-11-23' })
    expect(periodRange('week', china('2026-11-23T00:05:00'))).toEqual({ from: '2026-11-23', to: '2026-11-30' })
  })

  it('自定义 takes inclusive days, in either order, and falls back to 本月 without them', () => {
    const now = china('2026-11-22T12:00:00')
    expect(periodRange('custom', now, { from: '2026-10-01', toInclusive: '2026-10-31' })).toEqual({ from: '2026-10-01', to: '2026-11-01' })
    expect(periodRange('custom', now, { from: '2026-10-31', toInclusive: '2026-10-01' })).toEqual({ from: '2026-10-01', to: '2026-11-01' })
    expect(periodRange('custom', now, null)).toEqual({ from: '2026-11-01', to: '2026-12-01' })
  })

  it('stops what has happened at today', () => {
    expect(elapsed({ from: '2026-11-01', to: '2026-12-01' }, '2026-11-22')).toEqual({ from: '2026-11-01', to: '2026-11-23' })
    expect(elapsed({ from: '2026-10-01', to: '2026-11-01' }, '2026-11-22')).toEqual({ from: '2026-10-01', to: '2026-11-01' })
    expect(elapsed({ from: '2027-01-01', to: '2027-02-01' }, '2026-11-22')).toEqual({ from: '2027-01-01', to: '2027-01-01' })
  })

  it('compares like with like: the same days of the previous month or week', () => {
    // 1–22 November against 1–22 October.
    expect(previousRange({ from: '2026-11-01', to: '2026-12-01' }, '2026-11-22')).toEqual({ from: '2026-10-01', to: '2026-10-23' })
    // The whole of October against the whole of September (clamped to its 30 days).
    expect(previousRange({ from: '2026-10-01', to: '2026-11-01' }, '2026-11-22')).toEqual({ from: '2026-09-01', to: '2026-10-01' })
    // 1–31 March against February.
    expect(previousRange({ from: '2026-03-01', to: '2026-04-01' }, '2026-05-01')).toEqual({ from: '2026-02-01', to: '2026-03-01' })
    // Monday to Wednesday of this week against Monday to Wednesday of the last.
    expect(previousRange({ from: '2026-11-16', to: '2026-11-23' }, '2026-11-18')).toEqual({ from: '2026-11-09', to: '2026-11-12' })
    // A custom fortnight in the past against the fortnight before.
    expect(previousRange({ from: '2026-10-05', to: '2026-10-19' }, '2026-11-22')).toEqual({ from: '2026-09-21', to: '2026-10-05' })
  })

  it('groups the trend by day, week or month by length', () => {
    expect(trendBucket({ from: '2026-11-01', to: '2026-12-01' })).toBe('day')
    expect(trendBucket({ from: '2026-01-01', to: '2026-04-01' })).toBe('week')
    expect(trendBucket({ from: '2026-01-01', to: '2027-01-01' })).toBe('month')
  })

  it('labels a range by its last day', () => {
    expect(rangeLabel({ from: '2026-11-01', to: '2026-12-01' })).toBe('2026-11-01 至 2026-11-30')
    expect(rangeLabel({ from: '2026-11-01', to: '2026-11-02' })).toBe('2026-11-01')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
  })

  it('goes through the address and back; bad days fall back to 本月', () => {
    expect(periodToQuery('week', null)).toEqual({ period: 'week' })
    expect(periodToQuery('custom', { from: '2026-10-01', toInclusive: '2026-10-15' })).toEqual({ period: 'custom', from: '2026-10-01', to: '2026-10-15' })
    expect(periodFromQuery({ period: 'custom', from: '2026-10-01', to: '2026-10-15' })).toEqual({ kind: 'custom', custom: { from: '2026-10-01', toInclusive: '2026-10-15' } })
    expect(periodFromQuery({ period: 'last_month' })).toEqual({ kind: 'last_month', custom: null })
    expect(periodFromQuery({ period: 'custom', from: '2026-02-30', to: '2026-03-01' })).toEqual({ kind: 'month', custom: null })
    expect(periodFromQuery({ period: 'yesterday' })).toEqual({ kind: 'month', custom: null })
    expect(periodFromQuery({})).toEqual({ kind: 'month', custom: null })
  })
})

describe('figures: null is "—", never 0', () => {
  it('formats percentages, hours, counts and scores', () => {
    expect(formatPercent(0.9312)).toBe('93.1%')
    expect(formatPercent(0)).toBe('0.0%')
    expect(formatPercent(null)).toBe('—')
    expect(formatPercent(undefined)).toBe('—')
    expect(formatPercent(Number.NaN)).toBe('—')
    expect(formatHours(30.46)).toBe('30.5 h')
    expect(formatHours(null)).toBe('—')
    expect(formatCount(12345)).toBe('12,345')
    expect(formatCount(0)).toBe('0')
    expect(formatCount(null)).toBe('—')
    expect(formatScore(91.24)).toBe('91.2')
    expect(formatScore(null)).toBe('—')
    expect(formatValue(0.5, 'percent')).toBe('50.0%')
    expect(formatValue(null, 'hours')).toBe('—')
  })

  it('reads counts and values, a missing one as null', () => {
    const r = unit.rows[0]
    expect(count(r, 'received')).toBe(60)
    expect(count(r, 'no_such_counter')).toBeNull()
    expect(value(r, 'satisfaction_rate')).toBeNull()
    expect(value(r, 'on_time_rate')).toBe(1)
    expect(count(null, 'received')).toBeNull()
  })

  it('makes the six KPI cards from the total, each with its formula', () => {
    const cards = kpis(unit, 'zh', tr)
    expect(cards.map((c) => c.id)).toEqual(['received', 'closed', 'response_rate', 'resolution_rate', 'satisfaction_rate', 'on_time_rate'])
    expect(cards.map((c) => c.name)).toEqual(['受理量', '办结量', '响应率', '解决率', '满意率', '按时办结率'])
    expect(cards.map((c) => c.text)).toEqual(['412', '300', '93.0%', '81.0%', '88.5%', '90.0%'])
    expect(cards[2].formula).toBe('按时响应量 ÷ 派单量 × 100%')
    expect(cards[0].formula).toBe('统计期内受理的工单件数')
    expect(cards.every((c) => c.formula !== '')).toBe(true)
  })

  it('shows "—" for a KPI without denominator and before any data', () => {
    const noRated: MetricsTable = { ...unit, total: { ...unit.total, values: { ...unit.total.values, satisfaction_rate: null } } }
    const sat = kpis(noRated, 'zh', tr).find((c) => c.id === 'satisfaction_rate')!
    expect(sat).toMatchObject({ text: '—', empty: true })
    const none = kpis(null, 'zh', tr)
    expect(none.every((c) => c.text === '—' && c.empty)).toBe(true)
  })

  it('names figures in English from the definitions', () => {
    const cards = kpis(unit, 'en', (k) => translate('en', k))
    expect(cards[2].name).toBe('Response rate')
    expect(cards[0].name).toBe('Received')
  })
})

describe('the daily trend', () => {
  it('fills the days that have passed, with 0 cases on days without a row, and stops at today', () => {
    const s = trendSeries(day.rows, { from: '2026-11-01', to: '2026-12-01' }, 'day', '2026-11-05')
    expect(s.keys).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05'])
    expect(s.received).toEqual([10, 14, 0, 20, 0])
    expect(s.closed).toEqual([8, 12, 0, 15, 0])
    // Nobody rated on the 2nd: a gap, not 0%.
    expect(s.satisfaction).toEqual([0.9, null, null, 0.85, null])
  })

  it('keeps a row the server has beyond today (clocks that disagree)', () => {
    const s = trendSeries(day.rows, { from: '2026-11-01', to: '2026-12-01' }, 'day', '2026-11-02')
    expect(s.keys).toEqual(['2026-11-01', '2026-11-02', '2026-11-04'])
  })

  it('takes weeks and months as the server orders them', () => {
    const s = trendSeries(day.rows, { from: '2026-01-01', to: '2027-01-01' }, 'week', '2026-11-22')
    expect(s.keys).toEqual(['2026-11-01', '2026-11-02', '2026-11-04'])
  })
})

describe('top lists', () => {
  it('orders channels by volume and drops empty ones', () => {
    expect(topByReceived(channel.rows).map((x) => [x.name, x.value])).toEqual([
      ['电话', 300],
      ['微信', 70],
      ['网站', 42],
    ])
  })

  it('takes the top 10 categories', () => {
    const top = topByReceived(category.rows, 10)
    expect(top).toHaveLength(10)
    expect(top[0]).toEqual({ key: 'noise', name: '噪声污染', value: 60 })
    expect(top.map((x) => x.key)).not.toContain('misc')
  })
})

describe('districts on the map', () => {
  const geo = JSON.parse(geoText)
  const names = featureNames(geo)

  it('the shipped map has the four districts of 海口市', () => {
    expect([...names].sort()).toEqual(['琼山区', '秀英区', '美兰区', '龙华区'].sort())
  })

  it('matches district rows by label, loosely, and reports the rest', () => {
    const m = matchDistricts(unit.rows, names)
    const v = Object.fromEntries(m.regions.map((r) => [r.name, r.value]))
    expect(v).toEqual({ 美兰区: 90, 琼山区: 30, 秀英区: 40, 龙华区: 120 })
    expect(m.max).toBe(120)
    // Streets and departments are not districts; a district of another city is reported.
    expect(m.unmatched.map((r) => r.label)).toEqual(['三亚市吉阳区'])
  })

  it('leaves a district without a row as no data (null), not 0', () => {
    const rows = unit.rows.filter((r) => r.label !== '秀英区')
    const m = matchDistricts(rows, names)
    expect(m.regions.find((r) => r.name === '秀英区')).toEqual({ name: '秀英区', value: null, row: null })
  })

  it('matches short names and spaced ones', () => {
    const r = (label: string, received: number): MetricRow => ({ key: label, label, level: 'district', counts: { received }, values: {} })
    const m = matchDistricts([r('龙华', 5), r(' 美兰区 ', 6), r('海口市秀英区', 7)], names)
    expect(Object.fromEntries(m.regions.map((x) => [x.name, x.value]))).toEqual({ 美兰区: 6, 琼山区: null, 秀英区: 7, 龙华区: 5 })
    expect(m.unmatched).toEqual([])
  })

  it('has max 0 when nothing matches', () => {
    expect(matchDistricts([], names).max).toBe(0)
  })
})

describe('rankings per level', () => {
  const groups = groupByLevel(unit.rows)

  it('groups levels in the order of the unit tree', () => {
    expect(groups.map((g) => g.level)).toEqual(['centre', 'district', 'street', 'department'])
    expect(defaultLevel(groups)).toBe('district')
    expect(defaultLevel(groups.filter((g) => g.level !== 'district'))).toBe('centre')
    expect(defaultLevel([])).toBe('')
  })

  it('leaves out rows that are no unit (未派单)', () => {
    const none: MetricRow = { key: 'none', label: '未派单', level: null, level_label: null, counts: { received: 9 }, values: {}, score: null, rank: null }
    expect(groupByLevel([...unit.rows, none]).flatMap((g) => g.rows).map((r) => r.key)).not.toContain('none')
  })

  it('lists the ranked by rank, then the unranked', () => {
    const d = groups.find((g) => g.level === 'district')!
    expect(d.rows.map((r) => [r.label, r.rank ?? null])).toEqual([
      ['龙华区', 1],
      ['美兰区', 2],
      ['秀英区', 3],
      ['海口市琼山区', 4],
      ['三亚市吉阳区', null],
    ])
    const s = groups.find((g) => g.level === 'street')!
    expect(s.rows.map((r) => r.label)).toEqual(['金贸街道', '滨海街道', '海垦街道'])
  })
})

describe('hotspots: the fastest-growing categories', () => {
  it('ranks by increase, lists only growth, marks new categories', () => {
    const h = growthHotspots(category.rows, categoryPrev.rows, 10)
    expect(h.map((x) => [x.label, x.current, x.previous, x.delta])).toEqual([
      ['噪声污染', 60, 30, 30],
      ['供水问题', 40, 20, 20],
      ['园林绿化', 12, 2, 10],
      ['空调外机', 8, 0, 8],
      ['燃气服务', 7, 0, 7],
      ['公交线路', 6, 1, 5],
    ])
    expect(h[0].growth).toBe(1)
    expect(h[3].growth).toBeNull()
    expect(formatGrowth(h[0], '新增')).toBe('+100%')
    expect(formatGrowth(h[3], '新增')).toBe('新增')
    expect(formatGrowth(h[2], '新增')).toBe('+500%')
  })

  it('puts a new category before an old one of the same increase, and stops at n', () => {
    const r = (key: string, received: number): MetricRow => ({ key, label: key, counts: { received }, values: {} })
    const h = growthHotspots([r('a', 10), r('b', 5), r('c', 5)], [r('a', 5), r('c', 0)], 2)
    // All grew by 5: the new ones (b, c) first, then a (+100%); two asked for.
    expect(h.map((x) => x.key)).toEqual(['b', 'c'])
    expect(growthHotspots([r('a', 10), r('b', 5)], [r('a', 5)]).map((x) => x.key)).toEqual(['b', 'a'])
    expect(growthHotspots([r('a', 3)], [r('a', 3)])).toEqual([])
  })
})

describe('the API wrappers', () => {
  it('exports the same table with &format=', () => {
    expect(metricsApi.exportUrl({ from: '2026-11-01', to: '2026-12-01', by: 'unit' }, 'csv')).toBe('/api/metrics?from=2026-11-01&to=2026-12-01&by=unit&format=csv')
    expect(metricsApi.exportUrl({ from: '2026-11-01', to: '2026-12-01', by: 'unit', unit: 12 }, 'xlsx')).toBe(
      '/api/metrics?from=2026-11-01&to=2026-12-01&by=unit&unit=12&format=xlsx',
    )
  })
})

describe('the clock', () => {
  it('reads China time with the weekday', () => {
    expect(chinaClock(Date.parse('2026-11-22T02:03:04Z'))).toEqual({ date: '2026-11-22', time: '10:03:04', weekday: 0 })
  })
})
