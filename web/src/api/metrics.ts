// The metrics API (考核指标, the dashboard and the big screen): GET /api/metrics and
// GET /api/metrics/rankings. The server enforces who sees what (unit leaders get their subtree).

import { http } from './index'
import { query } from './http'
import type { UnitKind } from './types'

/** How the rows are grouped. */
export type MetricsBy = 'unit' | 'unit_tree' | 'level' | 'category' | 'channel' | 'case_type' | 'day' | 'week' | 'month'

/** Percent values are shares in 0..1; hours are hours. */
export type MetricFormat = 'percent' | 'hours'

/** The figure ids the default definitions give (cities may configure more). */
export type MetricId =
  | 'response_rate'
  | 'resolution_rate'
  | 'satisfaction_rate'
  | 'on_time_rate'
  | 'instant_rate'
  | 'return_rate'
  | 'redo_rate'
  | 'sign_rate'
  | 'avg_handling_hours'
  | 'p90_handling_hours'

export interface MetricDefinition {
  id: MetricId | string
  name_zh: string
  name_en: string
  format: MetricFormat
  /** The formula as people read it, e.g. "按时响应量 ÷ 派单量 × 100%". */
  formula_zh: string
}

/** A unit's assessment score and how it was made. */
export interface MetricScore {
  score: number
  base: number
  deduction: number
  /** Ranked only with enough cases. */
  ranked: boolean
}

/** The summed counters of a group (received, dispatched, rated, closed, overdue, callbacks_made, …). */
export type MetricCounts = Partial<Record<string, number>>

/** A figure is null when its denominator is 0: shown as "—", never as 0. */
export type MetricValues = Partial<Record<string, number | null>>

export interface MetricRow {
  /** The unit id, the enum code, or for day/week/month the period start YYYY-MM-DD. */
  key: string
  /** The unit name, or for channel/case_type/category the Chinese name. */
  label: string
  /** by=unit: the unit's kind. */
  level?: UnitKind | string | null
  level_label?: string | null
  counts: MetricCounts
  values: MetricValues
  score?: MetricScore | null
  /** by=unit: the rank within its level (null if unranked). */
  rank?: number | null
}

export interface MetricsTable {
  from: string
  /** Exclusive. */
  to: string
  by: MetricsBy
  definitions: MetricDefinition[]
  score_formula_zh?: string
  rows: MetricRow[]
  total: MetricRow
}

export interface RankingLevel {
  level: UnitKind | string
  level_label: string
  rows: MetricRow[]
}

export interface Rankings {
  /** YYYY-MM */
  month: string
  score_formula_zh?: string
  levels: RankingLevel[]
}

export interface MetricsParams {
  /** YYYY-MM-DD, inclusive. */
  from: string
  /** YYYY-MM-DD, exclusive. */
  to: string
  by: MetricsBy
  /** Only this unit's subtree. */
  unit?: number | null
}

export type ExportFormat = 'csv' | 'xlsx'

function metricsQuery(p: MetricsParams, format?: ExportFormat): string {
  return query({ from: p.from, to: p.to, by: p.by, unit: p.unit ?? undefined, format })
}

export const metricsApi = {
  table: (p: MetricsParams) => http.get<MetricsTable>('/api/metrics' + metricsQuery(p)),
  rankings: (month: string) => http.get<Rankings>('/api/metrics/rankings' + query({ month })),
  /** The same table as a download (a plain link: the session cookie goes along). */
  exportUrl: (p: MetricsParams, format: ExportFormat) => '/api/metrics' + metricsQuery(p, format),
}

// --- Hotspots -----------------------------------------------------------------------------------
// There is no /api/hotspots yet. The panel reads a HotspotSource; today's source ranks the
// categories growing fastest against the previous period (lib/dashboard.ts, growthHotspots), and
// says so in its title. When the API lands, add a source that maps its answer to HotspotItem and
// pass it to the panel instead.

/** One line of the hotspot panel. */
export interface HotspotItem {
  key: string
  label: string
  /** Reports in the current period. */
  current: number
  /** Reports in the comparison period. */
  previous: number
  /** current − previous */
  delta: number
  /** delta ÷ previous; null when there were none before (new). */
  growth: number | null
  /** A place, when the source knows one (the future hotspot API). */
  place?: string | null
}

export interface HotspotSource {
  /** i18n key of the panel's title: says honestly what the list is. */
  titleKey: string
  /** `hint` carries what the dashboard is already loading for the period, to save a request (a promise,
   *  so a source can start its own requests at once instead of waiting for it). */
  load: (range: { from: string; to: string }, hint?: { categoryRows?: MetricRow[] | Promise<MetricRow[]> }) => Promise<HotspotItem[]>
}

/** The expected shape of a future GET /api/hotspots?from&to (not implemented by the server yet). */
export interface HotspotsResponse {
  from: string
  to: string
  items: HotspotItem[]
}
