// 智能分类 and 工单检索: the classifier's proposals, its administration, the intake preview and the
// full-text case search. Shapes follow crates/domain/src/case.rs (Classification, ItemProposal),
// crates/domain/src/routing.rs (RoutingDecision), crates/app/src/routing.rs (IntakePreview),
// crates/api/src/routes/classifier.rs and the search contract of issue 4.

import { http } from './index'
import { query } from './http'
import type { CaseDetail, NewCase, UnitRef } from './types'

/** One proposed catalogue item; `name` is its path ("城乡建设 / … / 路灯"). */
export interface ItemProposal {
  item: string
  name: string
  /** 0–1. */
  confidence: number
}

/** What the classifier said about a case (or a draft). */
export interface Classification {
  /** Best first; at most 3. */
  proposals: ItemProposal[]
  model_version: number | null
  catalogue_version: number | null
  /** The top proposal reached the threshold: the case goes out without review. */
  auto: boolean
  threshold: number
}

export type ItemSource = 'operator' | 'classifier' | 'dispatcher'

export type RoutingRule = 'territorial' | 'department' | 'company' | 'district_fallback' | 'undecided'

export interface RoutingDecision {
  lead: UnitRef | null
  assisting: UnitRef[]
  rule: RoutingRule
  item_code: string | null
  item_path: string | null
  catalogue_version: number | null
  place: string | null
  reasons_zh: string[]
}

export interface SimilarCase {
  id: number
  number: string
  title: string
  state: string
  state_label: string
  score: number
  reasons: string[]
}

/** POST /api/cases/preview: nothing is stored. */
export interface IntakePreview {
  classification: Classification | null
  routing: RoutingDecision
  place?: unknown
  similar?: SimilarCase[]
}

/** The draft the preview is asked about: the intake without the citizen's details. */
export type PreviewRequest = Omit<NewCase, 'citizen'> & {
  citizen?: Partial<NewCase['citizen']>
  catalogue_item?: string
}

export interface ClassifierSettings {
  enabled: boolean
  auto_dispatch_threshold: number
  min_examples_per_item: number
  include_base: boolean
}

export interface ModelEvaluation {
  examples?: number
  accuracy?: number | null
  macro_f1?: number | null
  ece?: number | null
  history_examples?: number
  base_examples?: number
  train_seconds?: number
  cv_folds?: number
  [key: string]: unknown
}

export interface ModelInfo {
  version: number
  /** Milliseconds. */
  created_at: number
  created_by: number | null
  note: string | null
  labels: number
  examples: number
  evaluation: ModelEvaluation | null
  active: boolean
}

export interface TrainingStatus {
  running: boolean
  started_at: string | null
  finished_at: string | null
  last_version: number | null
  last_error: string | null
}

export interface ClassifierOverview {
  settings: ClassifierSettings
  models: ModelInfo[]
  training: TrainingStatus
}

export interface RetrainOptions {
  include_base?: boolean
  activate?: boolean
  note?: string
}

export interface CatalogueHit {
  code: string
  name: string
  path: string
  score: number
}

export interface SearchParams {
  q: string
  state?: string[]
  type?: string[]
  channel?: string[]
  item?: string
  from?: string
  to?: string
  offset?: number
  limit?: number
}

export interface SearchHit {
  id: number
  number: string
  title: string
  /** HTML: escaped text with <mark>…</mark> around the matches. Render through markOnly(). */
  snippet: string
  score: number
  state: string
  state_label: string
  received_at: string
  lead_unit: string | null
}

export interface SearchResult {
  total: number
  took_ms: number
  hits: SearchHit[]
}

const key = (k: string | number) => encodeURIComponent(String(k))

export const classifyApi = {
  preview: (draft: PreviewRequest) => http.post<IntakePreview>('/api/cases/preview', draft),
  classify: (title: string, text: string) => http.post<Classification | null>('/api/classify', { title, text }),
  overview: () => http.get<ClassifierOverview>('/api/classifier'),
  saveSettings: (s: ClassifierSettings) => http.put<ClassifierSettings>('/api/settings/classifier', s),
  retrain: (o: RetrainOptions) => http.post<TrainingStatus>('/api/classifier/retrain', o),
  activate: (version: number) => http.post<ModelInfo[]>(`/api/classifier/models/${version}/activate`, {}),
  catalogueSearch: (q: string, limit = 10) => http.get<CatalogueHit[]>('/api/catalogue/search' + query({ q, limit })),
  /** 派单 with the item when the dispatcher changed it (the server records 改分类 first). */
  dispatch: (caseKey: string | number, body: { version: number; lead_unit_id: number; assisting_unit_ids: number[]; catalogue_item?: string }) =>
    http.post<CaseDetail>(`/api/cases/${key(caseKey)}/actions/dispatch`, body),
  reclassify: (caseKey: string | number, version: number, item: string, note?: string) =>
    http.post<CaseDetail>(`/api/cases/${key(caseKey)}/actions/reclassify`, { version, item, ...(note ? { note } : {}) }),
  search: (p: SearchParams) =>
    http.get<SearchResult>(
      '/api/search' +
        query({ q: p.q, state: p.state, type: p.type, channel: p.channel, item: p.item, from: p.from, to: p.to, offset: p.offset, limit: p.limit }),
    ),
}
