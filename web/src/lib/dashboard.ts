// The dashboard's data shaping, pure: periods (China time, `to` exclusive), figure formatting
// (null is "—", never 0), KPI cards, daily series, district matching for the map, unit rankings
// per level, and the fastest-growing categories.

import type { HotspotItem, MetricDefinition, MetricRow, MetricsBy, MetricsTable } from '../api/metrics'

// --- Days ---------------------------------------------------------------------------------------

const pad = (n: number) => String(n).padStart(2, '0')
const DAY_MS = 86_400_000

/** A calendar day as YYYY-MM-DD. */
export type Day = string

export interface Range {
  from: Day
  /** Exclusive. */
  to: Day
}

function parseDay(d: Day): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d)
  if (!m) throw new Error(`not a day: ${d}`)
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
}

function fmtUtc(ms: number): Day {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

export function addDays(d: Day, n: number): Day {
  return fmtUtc(parseDay(d) + n * DAY_MS)
}

export function daysBetween(from: Day, to: Day): number {
  return Math.round((parseDay(to) - parseDay(from)) / DAY_MS)
}

/** Today in China (UTC+8, no daylight saving), whatever the browser's zone. */
export function chinaToday(nowMs: number): Day {
  return fmtUtc(nowMs + 8 * 3_600_000)
}

/** A day picked in the browser (its local calendar fields). */
export function localDay(d: Date): Day {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** The browser-local Date of a day (for the date picker). */
export function dayToDate(d: Day): Date {
  const x = new Date(parseDay(d))
  return new Date(x.getUTCFullYear(), x.getUTCMonth(), x.getUTCDate())
}

function monthStart(d: Day): Day {
  return d.slice(0, 8) + '01'
}

function addMonths(d: Day, n: number): Day {
  const ms = parseDay(d)
  const x = new Date(ms)
  return fmtUtc(Date.UTC(x.getUTCFullYear(), x.getUTCMonth() + n, x.getUTCDate()))
}

export type PeriodKind = 'month' | 'last_month' | 'week' | 'custom'
export const PERIOD_KINDS: PeriodKind[] = ['month', 'last_month', 'week', 'custom']

/**
 * The range of a period picked on the dashboard. 本月 and 本周 (weeks start on Monday) run to
 * their end, so the figures fill in as the days go by; `custom` takes inclusive picked days.
 */
export function periodRange(kind: PeriodKind, nowMs: number, custom?: { from: Day; toInclusive: Day } | null): Range {
  const today = chinaToday(nowMs)
  switch (kind) {
    case 'month': {
      const from = monthStart(today)
      return { from, to: addMonths(from, 1) }
    }
    case 'last_month': {
      const to = monthStart(today)
      return { from: addMonths(to, -1), to }
    }
    case 'week': {
      const dow = (new Date(parseDay(today)).getUTCDay() + 6) % 7 // Monday 0 … Sunday 6
      const from = addDays(today, -dow)
      return { from, to: addDays(from, 7) }
    }
    case 'custom': {
      if (!custom) return periodRange('month', nowMs)
      const [a, b] = custom.from <= custom.toInclusive ? [custom.from, custom.toInclusive] : [custom.toInclusive, custom.from]
      return { from: a, to: addDays(b, 1) }
    }
  }
}

/** The period in a route query (the big screen opens on the dashboard's period). */
export function periodToQuery(kind: PeriodKind, custom: { from: Day; toInclusive: Day } | null): Record<string, string> {
  if (kind === 'custom' && custom) return { period: kind, from: custom.from, to: custom.toInclusive }
  return { period: kind === 'custom' ? 'month' : kind }
}

export function periodFromQuery(q: Record<string, unknown>): { kind: PeriodKind; custom: { from: Day; toInclusive: Day } | null } {
  const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '')
  const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && fmtUtc(parseDay(v)) === v
  const kind = str(q.period) as PeriodKind
  if (kind === 'custom') {
    const from = str(q.from)
    const to = str(q.to)
    if (isDay(from) && isDay(to)) return { kind, custom: from <= to ? { from, toInclusive: to } : { from: to, toInclusive: from } }
    return { kind: 'month', custom: null }
  }
  return { kind: PERIOD_KINDS.includes(kind) ? kind : 'month', custom: null }
}

/** The part of a range that has happened: it stops after today. Empty (from = to) if all future. */
export function elapsed(range: Range, today: Day): Range {
  const end = addDays(today, 1)
  const to = range.to < end ? range.to : end
  return { from: range.from, to: to < range.from ? range.from : to }
}

/**
 * The period to compare with, like for like and as long as the part of `range` that has
 * happened: a month's first N days against the previous month's first N days (clamped to that
 * month); any other range against the range just before it (a week against the week before),
 * cut to the same N days.
 */
export function previousRange(range: Range, today: Day): Range {
  const cur = elapsed(range, today)
  const n = Math.max(1, daysBetween(cur.from, cur.to))
  const fullMonth = range.from === monthStart(range.from) && range.to === addMonths(range.from, 1)
  if (fullMonth) {
    const from = addMonths(range.from, -1)
    const to = addDays(from, n)
    return { from, to: to < range.from ? to : range.from }
  }
  const from = addDays(range.from, -Math.max(1, daysBetween(range.from, range.to)))
  return { from, to: addDays(from, n) }
}

/** The grouping of the trend chart: days for up to two months, then weeks, then months. */
export function trendBucket(range: Range): Extract<MetricsBy, 'day' | 'week' | 'month'> {
  const n = daysBetween(range.from, range.to)
  if (n <= 62) return 'day'
  if (n <= 200) return 'week'
  return 'month'
}

/** YYYY-MM of a day (for the monthly rankings). */
export function monthOf(d: Day): string {
  return d.slice(0, 7)
}

/** "2026-11-01 至 2026-11-30" — the inclusive end, as people read a period. */
export function rangeLabel(range: Range, sep = ' 至 '): string {
  const last = addDays(range.to, -1)
  return last <= range.from ? range.from : `${range.from}${sep}${last}`
}

// --- Figures ------------------------------------------------------------------------------------

export const DASH = '—'

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** 0.9312 → "93.1%"; null → "—". */
export function formatPercent(v: number | null | undefined, digits = 1): string {
  return isNum(v) ? `${(v * 100).toFixed(digits)}%` : DASH
}

export function formatHours(v: number | null | undefined, unit = 'h'): string {
  return isNum(v) ? `${v.toFixed(1)} ${unit}` : DASH
}

/** 12345 → "12,345"; null/undefined → "—". */
export function formatCount(v: number | null | undefined): string {
  return isNum(v) ? Math.round(v).toLocaleString('en-US') : DASH
}

export function formatValue(v: number | null | undefined, format: MetricDefinition['format'] | 'count', hoursUnit = 'h'): string {
  if (format === 'percent') return formatPercent(v)
  if (format === 'hours') return formatHours(v, hoursUnit)
  return formatCount(v)
}

export function formatScore(v: number | null | undefined): string {
  return isNum(v) ? v.toFixed(1) : DASH
}

export function definition(defs: MetricDefinition[], id: string): MetricDefinition | undefined {
  return defs.find((d) => d.id === id)
}

export function metricName(def: MetricDefinition | undefined, lang: 'zh' | 'en', fallback: string): string {
  if (!def) return fallback
  if (lang === 'en' && def.name_en) return def.name_en.charAt(0).toUpperCase() + def.name_en.slice(1)
  return def.name_zh || def.name_en || fallback
}

/** A count of a row; null when the server did not send it (not the same as 0). */
export function count(row: MetricRow | null | undefined, key: string): number | null {
  const v = row?.counts?.[key]
  return isNum(v) ? v : null
}

export function value(row: MetricRow | null | undefined, id: string): number | null {
  const v = row?.values?.[id]
  return isNum(v) ? v : null
}

// --- KPI cards ----------------------------------------------------------------------------------

export interface KpiSpec {
  id: string
  kind: 'count' | 'metric'
  /** i18n key of the name when the server's definitions do not name it (counts always). */
  nameKey: string
  /** i18n key of the formula of a count (metrics take the server's formula). */
  formulaKey?: string
}

/** 受理量, 办结量, 响应率, 解决率, 满意率, 按时办结率 */
export const KPI_SPECS: KpiSpec[] = [
  { id: 'received', kind: 'count', nameKey: 'dash.kpi.received', formulaKey: 'dash.kpi.receivedFormula' },
  { id: 'closed', kind: 'count', nameKey: 'dash.kpi.closed', formulaKey: 'dash.kpi.closedFormula' },
  { id: 'response_rate', kind: 'metric', nameKey: 'dash.kpi.response_rate' },
  { id: 'resolution_rate', kind: 'metric', nameKey: 'dash.kpi.resolution_rate' },
  { id: 'satisfaction_rate', kind: 'metric', nameKey: 'dash.kpi.satisfaction_rate' },
  { id: 'on_time_rate', kind: 'metric', nameKey: 'dash.kpi.on_time_rate' },
]

export interface Kpi {
  id: string
  name: string
  text: string
  /** The formula shown next to the figure. */
  formula: string
  /** No denominator (or no data yet). */
  empty: boolean
}

/** The KPI cards from the total row. `tr` translates i18n keys (t of lib/i18n). */
export function kpis(table: MetricsTable | null, lang: 'zh' | 'en', tr: (key: string) => string): Kpi[] {
  return KPI_SPECS.map((s) => {
    if (s.kind === 'count') {
      const v = table ? count(table.total, s.id) : null
      return { id: s.id, name: tr(s.nameKey), text: formatCount(v), formula: s.formulaKey ? tr(s.formulaKey) : '', empty: v === null }
    }
    const def = table ? definition(table.definitions, s.id) : undefined
    const v = table ? value(table.total, s.id) : null
    return {
      id: s.id,
      name: metricName(def, lang, tr(s.nameKey)),
      text: formatValue(v, def?.format ?? 'percent'),
      formula: def?.formula_zh ?? '',
      empty: v === null,
    }
  })
}

// --- Trend --------------------------------------------------------------------------------------

export interface TrendSeries {
  /** Period starts, in order. */
  keys: Day[]
  received: number[]
  closed: number[]
  /** Satisfaction per period; null where nobody was rated (a gap, not a 0). */
  satisfaction: (number | null)[]
}

/**
 * The trend from by=day (or week/month) rows. Days of the range that have happened and have no
 * row count 0 cases (nothing was received that day); days still to come are left out.
 */
export function trendSeries(rows: MetricRow[], range: Range, bucket: 'day' | 'week' | 'month', today: Day): TrendSeries {
  const byKey = new Map(rows.map((r) => [r.key, r]))
  let keys: Day[]
  if (bucket === 'day') {
    const until = elapsed(range, today)
    keys = []
    for (let d = until.from; d < until.to; d = addDays(d, 1)) keys.push(d)
    // Rows the server has beyond today (the clocks disagree) are still shown.
    const later = rows.map((r) => r.key).filter((k) => k >= until.to && k < range.to)
    keys = [...new Set([...keys, ...later])].sort()
  } else {
    keys = rows.map((r) => r.key)
  }
  return {
    keys,
    received: keys.map((k) => count(byKey.get(k), 'received') ?? 0),
    closed: keys.map((k) => count(byKey.get(k), 'closed') ?? 0),
    satisfaction: keys.map((k) => value(byKey.get(k), 'satisfaction_rate')),
  }
}

// --- Top lists ----------------------------------------------------------------------------------

export interface NamedValue {
  key: string
  name: string
  value: number
}

/** Rows by received volume, largest first, without empty ones; at most `n`. */
export function topByReceived(rows: MetricRow[], n = Infinity, label: (r: MetricRow) => string = (r) => r.label): NamedValue[] {
  return rows
    .map((r) => ({ key: r.key, name: label(r) || r.key, value: count(r, 'received') ?? 0 }))
    .filter((x) => x.value > 0)
    .sort((a, b) => b.value - a.value || a.name.localeCompare(b.name, 'zh'))
    .slice(0, n)
}

// --- Districts on the map -----------------------------------------------------------------------

/** Names compared loosely: no spaces, no city prefix ("海口市龙华区" = "龙华区"). */
export function normalizeDistrict(name: string): string {
  return name.replace(/\s+/g, '').replace(/^(海南省)?海口市/, '')
}

export interface DistrictValue {
  /** The map's feature name. */
  name: string
  /** Received volume; null when no row matched the feature (no data, drawn grey). */
  value: number | null
  row: MetricRow | null
}

export interface DistrictMatch {
  regions: DistrictValue[]
  /** District rows that match no feature of the map. */
  unmatched: MetricRow[]
  max: number
}

/**
 * Matches by=unit_tree rows (each unit with everything below it) of level `district` to the
 * map's feature names by label: exactly, then
 * ignoring spaces and a 海口市 prefix, then "龙华" ↔ "龙华区". Several rows of one district add up.
 */
export function matchDistricts(rows: MetricRow[], featureNames: string[]): DistrictMatch {
  const districts = rows.filter((r) => r.level === 'district')
  const exact = new Map(featureNames.map((n) => [n, n]))
  const loose = new Map(featureNames.map((n) => [normalizeDistrict(n), n]))
  const stem = new Map(featureNames.map((n) => [normalizeDistrict(n).replace(/[区县市]$/, ''), n]))
  const found = new Map<string, MetricRow[]>()
  const unmatched: MetricRow[] = []
  for (const r of districts) {
    const l = normalizeDistrict(r.label ?? '')
    const name = exact.get(r.label) ?? loose.get(l) ?? stem.get(l.replace(/[区县市]$/, ''))
    if (!name) {
      unmatched.push(r)
      continue
    }
    found.set(name, [...(found.get(name) ?? []), r])
  }
  const regions = featureNames.map((name) => {
    const rs = found.get(name)
    if (!rs) return { name, value: null, row: null }
    const v = rs.reduce((s, r) => s + (count(r, 'received') ?? 0), 0)
    return { name, value: v, row: rs[0] }
  })
  const max = Math.max(0, ...regions.map((r) => r.value ?? 0))
  return { regions, unmatched, max }
}

/** The feature names of a GeoJSON FeatureCollection. */
export function featureNames(geo: { features?: { properties?: { name?: unknown } | null }[] }): string[] {
  return (geo.features ?? []).map((f) => f.properties?.name).filter((n): n is string => typeof n === 'string' && n !== '')
}

// --- Rankings per level -------------------------------------------------------------------------

export const LEVEL_ORDER = ['city', 'centre', 'district', 'street', 'community', 'department', 'company']

export interface LevelGroup {
  level: string
  label: string
  rows: MetricRow[]
}

/**
 * by=unit rows grouped by level (in LEVEL_ORDER, unknown levels last), each ranked: by rank, the
 * unranked after the ranked (by score, then volume), so the table reads top to bottom. Rows
 * without a level (未派单: cases no unit leads yet) are no unit and are left out.
 */
export function groupByLevel(rows: MetricRow[]): LevelGroup[] {
  const groups = new Map<string, LevelGroup>()
  for (const r of rows) {
    if (!r.level) continue
    const level = r.level
    let g = groups.get(level)
    if (!g) groups.set(level, (g = { level, label: r.level_label ?? level, rows: [] }))
    g.rows.push(r)
  }
  const order = (l: string) => {
    const i = LEVEL_ORDER.indexOf(l)
    return i < 0 ? LEVEL_ORDER.length : i
  }
  const out = [...groups.values()].sort((a, b) => order(a.level) - order(b.level) || a.level.localeCompare(b.level))
  for (const g of out) g.rows.sort(compareRanked)
  return out
}

export function compareRanked(a: MetricRow, b: MetricRow): number {
  const ra = isNum(a.rank) ? a.rank : Infinity
  const rb = isNum(b.rank) ? b.rank : Infinity
  if (ra !== rb) return ra - rb
  const sa = isNum(a.score?.score) ? a.score.score : -Infinity
  const sb = isNum(b.score?.score) ? b.score.score : -Infinity
  if (sa !== sb) return sb - sa
  return (count(b, 'received') ?? 0) - (count(a, 'received') ?? 0) || a.label.localeCompare(b.label, 'zh')
}

/** The level a dashboard opens on: districts if there are any, else the first. */
export function defaultLevel(groups: LevelGroup[]): string {
  return groups.find((g) => g.level === 'district')?.level ?? groups[0]?.level ?? ''
}

// --- Hotspots: the fastest-growing categories ---------------------------------------------------

/**
 * The categories whose reports grew most against the previous period: by the increase in
 * reports, then by the growth rate (new categories, with none before, first among equals). Only
 * categories that grew are listed.
 */
export function growthHotspots(current: MetricRow[], previous: MetricRow[], n = 5): HotspotItem[] {
  const prev = new Map(previous.map((r) => [r.key, count(r, 'received') ?? 0]))
  return current
    .map((r) => {
      const cur = count(r, 'received') ?? 0
      const before = prev.get(r.key) ?? 0
      return { key: r.key, label: r.label || r.key, current: cur, previous: before, delta: cur - before, growth: before > 0 ? (cur - before) / before : null }
    })
    .filter((x) => x.delta > 0)
    .sort((a, b) => b.delta - a.delta || compareGrowth(a.growth, b.growth) || a.label.localeCompare(b.label, 'zh'))
    .slice(0, n)
}

/** Higher growth first; new (null) before any finite growth. */
function compareGrowth(a: number | null, b: number | null): number {
  if (a === b) return 0
  if (a === null) return -1
  if (b === null) return 1
  return b - a
}

/** "+35%", "新增" for categories with no reports before. */
export function formatGrowth(item: HotspotItem, newLabel: string): string {
  if (item.growth === null) return newLabel
  return `+${Math.round(item.growth * 100)}%`
}

// --- Clock --------------------------------------------------------------------------------------

/** "2026-11-22 10:26:05" and the weekday index (0 = Sunday), in China time. */
export function chinaClock(nowMs: number): { date: Day; time: string; weekday: number } {
  const d = new Date(nowMs + 8 * 3_600_000)
  return {
    date: fmtUtc(d.getTime()),
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    weekday: d.getUTCDay(),
  }
}
