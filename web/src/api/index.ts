// The endpoints the browser application uses.

import { HttpClient, query } from './http'
import type { CaseDetail, CaseList, Me, Meta, NewCase, PublicCase, Role, Unit, User } from './types'

export const http = new HttpClient()

/** One month (or the twelve together) of the public figures; rates are 0–1, `null` without a denominator. */
export interface PublicMonth {
  month: string
  received: number
  closed: number
  response_rate: number | null
  resolution_rate: number | null
  satisfaction_rate: number | null
  on_time_rate: number | null
}

/** GET /api/public/stats: city-wide figures anyone may see. */
export interface PublicStats {
  months: PublicMonth[]
  total: PublicMonth
  categories: { name: string; received: number }[]
  generated_at: string
}

export interface ListParams {
  view?: 'visible' | 'inbox'
  state?: string[]
  type?: string[]
  channel?: string[]
  urgency?: string[]
  from?: string
  to?: string
  q?: string
  phone?: string
  unit?: number
  /** yellow: a running clock past its yellow line or overdue (预警); red: overdue (超时). */
  warning?: 'yellow' | 'red'
  /** yellow: under any supervision (督办); red: red card (红牌督办). */
  supervision?: 'yellow' | 'red'
  cursor?: string | null
  limit?: number
}

export const api = {
  login: (login: string, password: string) =>
    http.post<{ token: string; user: Me }>('/api/auth/login', { login, password }, { quiet401: true }),
  logout: () => http.post<void>('/api/auth/logout', {}, { quiet401: true }),
  me: () => http.get<Me>('/api/me', { quiet401: true }),
  meta: () => http.get<Meta>('/api/meta'),
  units: () => http.get<Unit[]>('/api/units'),
  users: () => http.get<User[]>('/api/users'),
  addUser: (u: { login: string; name: string; role: Role; unit_id: number | null; password: string }) =>
    http.post<User>('/api/users', u),
  cases: (p: ListParams) => http.get<CaseList>('/api/cases' + query({ ...p })),
  caseDetail: (key: string | number) => http.get<CaseDetail>(`/api/cases/${encodeURIComponent(String(key))}`),
  createCase: (c: NewCase) => http.post<CaseDetail>('/api/cases', c),
  act: (key: string | number, action: string, body: Record<string, unknown>) =>
    http.post<CaseDetail>(`/api/cases/${encodeURIComponent(String(key))}/actions/${encodeURIComponent(action)}`, body),
  track: (number: string, phone4: string) =>
    http.get<PublicCase>(`/api/track/${encodeURIComponent(number)}` + query({ phone4 }), { quiet401: true }),
  publicStats: () => http.get<PublicStats>('/api/public/stats', { quiet401: true }),
  trackAct: (number: string, action: 'add_info' | 'withdraw', phone4: string, note: string) =>
    http.post<PublicCase>(`/api/track/${encodeURIComponent(number)}/actions/${action}`, { phone4, note }, { quiet401: true }),
}
