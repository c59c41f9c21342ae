// 人员库 (the registry of mediators, legal aid and experts) and 知识库 (the knowledge base).
// Shapes follow crates/api/src/routes/registry.rs and crates/app/src/{people,knowledge}.rs.

import { http } from './index'
import { query } from './http'
import type { CaseDetail } from './types'

// --- People -------------------------------------------------------------------------------------

export type PersonKind = 'mediator' | 'legal_aid' | 'expert' | 'judicial_officer'
export const PERSON_KINDS: PersonKind[] = ['mediator', 'legal_aid', 'expert', 'judicial_officer']

export interface PersonInput {
  name: string
  kind: PersonKind
  organisation: string
  phone?: string | null
  /** Free tags (婚姻家庭, 劳动争议…) and catalogue codes. */
  specialties: string[]
  /** Unit paths (`/1/4/`) of the districts, streets or communities served; empty = the whole city. */
  areas: string[]
  capacity: number
  active: boolean
  note?: string | null
}

export interface Person extends PersonInput {
  id: number
  updated_at: number
  kind_label: string
  /** Open cases now. */
  load: number
  area_names: string[]
}

export interface PersonRef {
  id: number
  name: string
  kind: PersonKind
  organisation: string
}

export interface PersonMatch {
  person: PersonRef
  /** 0–1; only comparable within one list. */
  score: number
  reasons: string[]
  load: number
  capacity: number
  phone: string | null
}

export interface CasePeople {
  assigned: { person: PersonRef; assigned_at: number; assigned_by: number | null; phone: string | null }[]
  proposals: PersonMatch[]
  need: 'dispute' | 'legal' | 'specialist' | null
  need_label: string | null
}

export interface PeopleParams {
  kind?: string
  specialty?: string
  /** A unit path: people serving at or below it. */
  area?: string
  active?: boolean
}

// --- Knowledge ----------------------------------------------------------------------------------

export type ReviewState = 'draft' | 'pending_review' | 'published' | 'retired'
export type ArticleAction = 'submit' | 'publish' | 'reject' | 'retire'

export interface ArticleInput {
  title: string
  body: string
  category?: string | null
  unit_id?: number | null
  keywords: string[]
  /** YYYY-MM-DD (China dates, inclusive). */
  valid_from?: string | null
  valid_to?: string | null
  source?: string | null
}

export interface Article {
  id: number
  title: string
  body: string
  category: string | null
  unit_id: number | null
  keywords: string[]
  valid_from: string | null
  valid_to: string | null
  state: ReviewState
  source: string | null
  version: number
  created_by: number | null
  created_at: number
  updated_by: number | null
  updated_at: number
  review_note: string | null
  state_label: string
  unit_name: string | null
  category_name: string | null
  valid_now: boolean
  actions: ArticleAction[]
  editable: boolean
  /** With a search: relevance and an excerpt (HTML, matches in <mark>). */
  score?: number
  snippet?: string
}

export interface ArticleDetail extends Article {
  history: { version: number; action: string; at: number; by: number | null; note: string | null; state: ReviewState }[]
}

export interface ArticleSuggestion {
  id: number
  title: string
  /** HTML: escaped by the server, matches in <mark>. */
  snippet: string
  score: number
  body: string
  category: string | null
  category_name: string | null
  unit_name: string | null
}

export interface KnowledgeParams {
  q?: string
  category?: string
  state?: ReviewState | ''
  valid?: boolean
  unit_id?: number
  limit?: number
}

const bool = (v: boolean | undefined) => (v === undefined ? undefined : String(v))

export const registryApi = {
  people: (p: PeopleParams = {}) => http.get<Person[]>('/api/people' + query({ kind: p.kind, specialty: p.specialty, area: p.area, active: bool(p.active) })),
  person: (id: number) => http.get<Person>(`/api/people/${id}`),
  addPerson: (input: PersonInput) => http.post<Person>('/api/people', input),
  editPerson: (id: number, input: PersonInput) => http.put<Person>(`/api/people/${id}`, input),
  importPeople: (csv: string) => http.postText<{ created: number; updated: number }>('/api/people/import', csv),
  casePeople: (key: string | number) => http.get<CasePeople>(`/api/cases/${encodeURIComponent(String(key))}/people`),
  assignPerson: (key: string | number, version: number, personId: number) =>
    http.post<CaseDetail>(`/api/cases/${encodeURIComponent(String(key))}/actions/assign_person`, { version, person_id: personId }),

  articles: (p: KnowledgeParams = {}) =>
    http.get<Article[]>(
      '/api/knowledge' + query({ q: p.q, category: p.category, state: p.state, valid: bool(p.valid), unit_id: p.unit_id, limit: p.limit }),
    ),
  article: (id: number) => http.get<ArticleDetail>(`/api/knowledge/${id}`),
  createArticle: (input: ArticleInput) => http.post<Article>('/api/knowledge', input),
  editArticle: (id: number, version: number, input: ArticleInput) => http.put<Article>(`/api/knowledge/${id}`, { version, ...input }),
  reviewArticle: (id: number, action: ArticleAction, version: number, note?: string) =>
    http.post<Article>(`/api/knowledge/${id}/actions/${action}`, { version, note: note || undefined }),
  suggest: (text: string) => http.post<ArticleSuggestion[]>('/api/knowledge/suggest', { text }),
}
