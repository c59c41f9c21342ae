// Oversight and administration endpoints: notifications and case delivery logs, the
// responsibility catalogue (职责清单), metric settings (指标与权重), the duty roster (值班表) and
// the weekly digest of unsatisfied cases (不满意周报). Shapes follow crates/api/src/routes
// (oversight.rs, catalogue.rs) and crates/store (Notice, DutyRecord, CatalogueVersion).

import { http } from './index'
import { query } from './http'
import type { MetricFormat } from './metrics'

// --- Notifications ------------------------------------------------------------------------------

export type NoticeTemplate = 'urge' | 'escalated' | 'unsatisfied_digest' | string
export type NoticeState = 'pending' | 'sent' | 'failed' | string

/** A notification (in-app) or one entry of a case's delivery log; times are milliseconds. */
export interface Notice {
  id: number
  case_id: number | null
  channel: string
  recipient?: string
  template: NoticeTemplate
  body: string
  payload?: Record<string, unknown> | null
  created_at: number
  state: NoticeState
  attempts?: number
  sent_at?: number | null
  read_at: number | null
  last_error?: string | null
}

// --- Catalogue ----------------------------------------------------------------------------------

export type HandlingLevel = 'city' | 'district' | 'street'

/** A time limit: wall-clock minutes, working hours or working days. */
export type Limit =
  | { kind: 'wall_clock'; minutes: number }
  | { kind: 'working_hours'; hours: number }
  | { kind: 'working_days'; days: number }

export interface StepLimits {
  sign: Limit | null
  contact: Limit | null
  reply: Limit | null
}

export interface ItemLimits {
  normal: StepLimits
  urgent: StepLimits
  very_urgent: StepLimits
}

export interface CatalogueItem {
  code: string
  name: string
  parent: string | null
  keywords: string[]
  examples: string[]
  department_type: string | null
  handling_level: HandlingLevel
  territorial: boolean
  default_urgency: string
  limits: Partial<ItemLimits> | null
  co_handling: string[]
  active: boolean
}

export interface Catalogue {
  version: number
  items: CatalogueItem[]
}

export interface CatalogueHit {
  code: string
  name: string
  /** "噪声污染 / 社会生活噪声 / 广场舞噪声" */
  path: string
  score: number
}

export interface CatalogueVersion {
  version: number
  created_at: number
  created_by: number | null
  note: string | null
  items: number
}

export interface CatalogueDiff {
  added: string[]
  removed: string[]
  changed: string[]
}

export interface SavedCatalogue {
  version: number
  items: number
  diff: CatalogueDiff
}

/** One reason an import was refused (error.details.problems). */
export interface CatalogueProblem {
  code: string
  message_zh: string
  message_en?: string
}

// --- Metric settings ----------------------------------------------------------------------------

export interface MetricTerm {
  counter: string
  weight: number
}

export interface MetricSetting {
  id: string
  name_zh: string
  name_en: string
  format: MetricFormat
  numerator: MetricTerm[]
  denominator: MetricTerm[]
  /** For hours: a quantile of the handling time instead of a ratio (e.g. 0.9). */
  quantile?: number | null
}

export interface ScoreRules {
  /** [metric id, weight] pairs. */
  weights: [string, number][]
  per_refused_return: number
  per_overdue: number
  per_red_supervision: number
  max_deduction: number
  min_cases: number
}

// --- Duty roster and digest ---------------------------------------------------------------------

export interface DutyRecord {
  /** YYYY-MM-DD, China time. */
  day: string
  unit_id: number
  user_id: number
}

export interface DigestCase {
  number: string
  title: string
  lead_unit: string | null
  comment: string | null
  redo_count: number
  state_label: string
}

export interface Digest {
  /** Monday of the week. */
  week: string
  total: number
  groups: { category: string; cases: DigestCase[] }[]
  /** User ids of the leaders on duty that week. */
  recipients: number[]
}

const key = (k: string | number) => encodeURIComponent(String(k))

export const oversightApi = {
  notifications: (p: { unread?: boolean; limit?: number } = {}) =>
    http.get<Notice[]>('/api/notifications' + query({ unread: p.unread ? 'true' : undefined, limit: p.limit })),
  markRead: (id: number) => http.post<void>(`/api/notifications/${key(id)}/read`, {}),
  caseNotices: (caseKey: string | number) => http.get<Notice[]>(`/api/cases/${key(caseKey)}/notices`),

  catalogue: (version?: number | null) => http.get<Catalogue>('/api/catalogue' + query({ version: version ?? undefined })),
  catalogueVersions: () => http.get<CatalogueVersion[]>('/api/catalogue/versions'),
  catalogueSearch: (q: string, limit = 20) => http.get<CatalogueHit[]>('/api/catalogue/search' + query({ q, limit })),
  /** The CSV export (a plain link: the session cookie goes along). */
  catalogueCsvUrl: (version?: number | null) => '/api/catalogue' + query({ version: version ?? undefined, format: 'csv' }),
  importCatalogue: (csv: string, note: string) => http.postText<SavedCatalogue>('/api/catalogue/import' + query({ note: note.trim() || undefined }), csv),

  metricSettings: () => http.get<MetricSetting[]>('/api/settings/metrics'),
  saveMetricSettings: (defs: MetricSetting[]) => http.put<void>('/api/settings/metrics', defs),
  scoreRules: () => http.get<ScoreRules>('/api/settings/score'),
  saveScoreRules: (rules: ScoreRules) => http.put<void>('/api/settings/score', rules),

  duty: (from: string, to: string) => http.get<DutyRecord[]>('/api/duty' + query({ from, to })),
  setDuty: (day: string, unitId: number, userIds: number[]) => http.put<void>('/api/duty', { day, unit_id: unitId, user_ids: userIds }),

  digest: (week: string) => http.get<Digest>('/api/digest/unsatisfied' + query({ week })),
  sendDigest: (week: string) => http.post<Digest>('/api/digest/unsatisfied' + query({ week }), {}),
}
