// The notification bell (催办, 领导领办, 不满意周报) and a case's delivery log: pure helpers.

import type { Notice } from '../api/oversight'

/** How often the bell asks for the unread count. */
export const POLL_MS = 30_000

export function isUnread(n: Pick<Notice, 'read_at'>): boolean {
  return n.read_at === null || n.read_at === undefined
}

export function unreadCount(list: readonly Pick<Notice, 'read_at'>[]): number {
  return list.reduce((k, n) => k + (isUnread(n) ? 1 : 0), 0)
}

/** The badge text: nothing for none, "99+" beyond 99. */
export function badgeText(count: number, max = 99): string {
  if (!Number.isFinite(count) || count <= 0) return ''
  return count > max ? `${max}+` : String(Math.floor(count))
}

/** Newest first (by time, then id), without changing the input. */
export function sortNewest<T extends Pick<Notice, 'id' | 'created_at'>>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => b.created_at - a.created_at || b.id - a.id)
}

/**
 * The dropdown's list: the recent notices merged with the unread ones (which may be older than the
 * recent page), each once, newest first.
 */
export function mergeNotices(recent: readonly Notice[], unread: readonly Notice[]): Notice[] {
  const byId = new Map<number, Notice>()
  for (const n of unread) byId.set(n.id, n)
  for (const n of recent) byId.set(n.id, n) // the fuller, later answer wins
  return sortNewest([...byId.values()])
}

/** The list after marking one read locally (what the server did on a 204). */
export function markReadLocal(list: readonly Notice[], id: number, at: number): Notice[] {
  return list.map((n) => (n.id === id && isUnread(n) ? { ...n, read_at: at } : n))
}

/** Where a notice leads: its case (by number when the payload gives one, else by id). */
export function noticeLink(n: Pick<Notice, 'case_id' | 'payload'>): string | null {
  const num = n.payload && typeof n.payload.case_number === 'string' ? n.payload.case_number : null
  if (num) return `/cases/${encodeURIComponent(num)}`
  if (n.case_id !== null && n.case_id !== undefined) return `/cases/${n.case_id}`
  return null
}

/** i18n key of a template's label (unknown templates fall back to a generic label). */
export function templateKey(template: string): string {
  return ['urge', 'escalated', 'unsatisfied_digest'].includes(template) ? `notice.template.${template}` : 'notice.template.other'
}

export function templateTagType(template: string): 'warning' | 'danger' | 'info' {
  if (template === 'urge') return 'warning'
  if (template === 'escalated') return 'danger'
  return 'info'
}

/** Delivery state → tag colour (the delivery log). */
export function deliveryTagType(state: string): 'success' | 'warning' | 'danger' | 'info' {
  if (state === 'sent') return 'success'
  if (state === 'failed') return 'danger'
  if (state === 'pending') return 'warning'
  return 'info'
}
