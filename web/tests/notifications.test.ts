import { describe, expect, it } from 'vitest'
import type { Notice } from '../src/api/oversight'
import { badgeText, deliveryTagType, isUnread, markReadLocal, mergeNotices, noticeLink, sortNewest, templateKey, templateTagType, unreadCount } from '../src/lib/notifications'

const notice = (id: number, created_at: number, read_at: number | null = null, extra: Partial<Notice> = {}): Notice => ({
  id,
  case_id: 1,
  channel: 'inapp',
  template: 'urge',
  body: `【催办】${id}`,
  created_at,
  state: 'pending',
  read_at,
  ...extra,
})

describe('unread', () => {
  it('counts notices without read_at', () => {
    const list = [notice(1, 10), notice(2, 20, 25), notice(3, 30)]
    expect(unreadCount(list)).toBe(2)
    expect(unreadCount([])).toBe(0)
    expect(isUnread({ read_at: undefined as unknown as null })).toBe(true)
  })

  it('shows a badge only when there is something, capped at 99+', () => {
    expect(badgeText(0)).toBe('')
    expect(badgeText(-1)).toBe('')
    expect(badgeText(NaN)).toBe('')
    expect(badgeText(7)).toBe('7')
    expect(badgeText(99)).toBe('99')
    expect(badgeText(100)).toBe('99+')
  })

  it('marks one read locally, leaving the others and already read ones alone', () => {
    const list = [notice(1, 10), notice(2, 20, 25)]
    const after = markReadLocal(list, 1, 99)
    expect(after[0].read_at).toBe(99)
    expect(after[1]).toBe(list[1])
    expect(unreadCount(after)).toBe(0)
    expect(markReadLocal(list, 2, 99)[1].read_at).toBe(25)
    expect(list[0].read_at).toBeNull() // not mutated
  })
})

describe('the list', () => {
  it('sorts newest first, then by id', () => {
    expect(sortNewest([notice(1, 10), notice(3, 30), notice(2, 30)]).map((n) => n.id)).toEqual([3, 2, 1])
  })

  it('merges the recent page with older unread ones, each once', () => {
    const recent = [notice(5, 50), notice(4, 40, 45)]
    const unread = [notice(5, 50), notice(1, 10)]
    expect(mergeNotices(recent, unread).map((n) => n.id)).toEqual([5, 4, 1])
    expect(unreadCount(mergeNotices(recent, unread))).toBe(2)
  })
})

describe('links and labels', () => {
  it('links to the case by number when the payload has it, else by id, else nowhere', () => {
    expect(noticeLink(notice(1, 1, null, { payload: { case_number: 'HK20261122000001' } }))).toBe('/cases/HK20261122000001')
    expect(noticeLink(notice(1, 1, null, { case_id: 42 }))).toBe('/cases/42')
    expect(noticeLink(notice(1, 1, null, { case_id: null, template: 'unsatisfied_digest' }))).toBeNull()
  })

  it('labels the templates it knows and tags delivery states', () => {
    expect(templateKey('urge')).toBe('notice.template.urge')
    expect(templateKey('escalated')).toBe('notice.template.escalated')
    expect(templateKey('unsatisfied_digest')).toBe('notice.template.unsatisfied_digest')
    expect(templateKey('new_kind')).toBe('notice.template.other')
    expect(templateTagType('escalated')).toBe('danger')
    expect(deliveryTagType('sent')).toBe('success')
    expect(deliveryTagType('failed')).toBe('danger')
    expect(deliveryTagType('pending')).toBe('warning')
  })
})
