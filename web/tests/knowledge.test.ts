import { describe, expect, it, vi } from 'vitest'
import {
  MIN_SUGGEST_CHARS,
  SUGGEST_DELAY_MS,
  articleFormProblems,
  articleInputFrom,
  blankArticleForm,
  createSuggester,
  formFromArticle,
  reviewStateTagType,
  safeSnippet,
  splitTags,
} from '../src/lib/knowledge'
import type { Article } from '../src/api/registry'

/** A suggester on fake timers whose fetch answers when the test says so. */
function harness(delay = SUGGEST_DELAY_MS) {
  vi.useFakeTimers()
  const asked: string[] = []
  const pending: { text: string; resolve: (v: string[]) => void; reject: (e: unknown) => void }[] = []
  const results: { items: string[]; text: string }[] = []
  const errors: unknown[] = []
  const busy: boolean[] = []
  const s = createSuggester<string>({
    fetch: (text) =>
      new Promise((resolve, reject) => {
        asked.push(text)
        pending.push({ text, resolve, reject })
      }),
    onResult: (items, text) => results.push({ items, text }),
    onError: (e) => errors.push(e),
    onBusy: (b) => busy.push(b),
    delay,
  })
  return { s, asked, pending, results, errors, busy }
}

const LONG = '想咨询公积金贷款买房的条件'

describe('the knowledge suggester behind the operator form', () => {
  it('waits 300 ms after the last keystroke and asks once for the latest text', async () => {
    const h = harness()
    h.s.update(LONG.slice(0, 8))
    vi.advanceTimersByTime(100)
    h.s.update(LONG.slice(0, 10))
    vi.advanceTimersByTime(100)
    h.s.update(LONG)
    vi.advanceTimersByTime(SUGGEST_DELAY_MS - 1)
    expect(h.asked).toEqual([])
    vi.advanceTimersByTime(1)
    expect(h.asked).toEqual([LONG])
    h.pending[0].resolve(['公积金贷款买房问题'])
    await vi.runAllTimersAsync()
    expect(h.results).toEqual([{ items: ['公积金贷款买房问题'], text: LONG }])
    expect(h.busy).toEqual([true, false])
    vi.useRealTimers()
  })

  it('never asks for fewer than 8 characters, and clears the list instead', () => {
    const h = harness()
    expect(MIN_SUGGEST_CHARS).toBe(8)
    h.s.update('  公积金贷款  ')
    vi.advanceTimersByTime(1000)
    expect(h.asked).toEqual([])
    expect(h.results).toEqual([{ items: [], text: '公积金贷款' }])
    h.s.update('一二三四五六七八')
    vi.advanceTimersByTime(SUGGEST_DELAY_MS)
    expect(h.asked).toEqual(['一二三四五六七八'])
    vi.useRealTimers()
  })

  it('drops a slow answer that a newer question overtook', async () => {
    const h = harness()
    h.s.update(LONG)
    vi.advanceTimersByTime(SUGGEST_DELAY_MS)
    h.s.update(LONG + '，首付几成')
    vi.advanceTimersByTime(SUGGEST_DELAY_MS)
    expect(h.asked.length).toBe(2)
    h.pending[1].resolve(['新'])
    h.pending[0].resolve(['旧'])
    await vi.runAllTimersAsync()
    expect(h.results.map((r) => r.items)).toEqual([['新']])
    vi.useRealTimers()
  })

  it('does not ask again for the same text, but does after an error', async () => {
    const h = harness()
    h.s.update(LONG)
    vi.advanceTimersByTime(SUGGEST_DELAY_MS)
    h.pending[0].reject(new Error('offline'))
    await vi.runAllTimersAsync()
    expect(h.errors.length).toBe(1)
    h.s.update(LONG + ' ')
    vi.advanceTimersByTime(SUGGEST_DELAY_MS)
    expect(h.asked).toEqual([LONG, LONG])
    h.pending[1].resolve(['x'])
    await vi.runAllTimersAsync()
    h.s.update(LONG)
    vi.advanceTimersByTime(SUGGEST_DELAY_MS)
    expect(h.asked.length).toBe(2)
    vi.useRealTimers()
  })

  it('after dispose nothing runs and late answers are ignored', async () => {
    const h = harness()
    h.s.update(LONG)
    vi.advanceTimersByTime(SUGGEST_DELAY_MS)
    h.s.update(LONG + '啊')
    h.s.dispose()
    vi.advanceTimersByTime(SUGGEST_DELAY_MS * 2)
    h.pending[0].resolve(['late'])
    await vi.runAllTimersAsync()
    expect(h.asked).toEqual([LONG])
    expect(h.results).toEqual([])
    vi.useRealTimers()
  })
})

describe('safeSnippet', () => {
  it('keeps <mark> and escapes everything else', () => {
    expect(safeSnippet('住房<mark>公积</mark><mark>积金</mark>提取')).toBe('住房<mark>公积</mark><mark>积金</mark>提取')
    expect(safeSnippet('<script>alert(1)</script><mark>x</mark>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;<mark>x</mark>')
    expect(safeSnippet('<mark onclick="x">y</mark>')).toBe('&lt;mark onclick="x"&gt;y</mark>')
    expect(safeSnippet('a &lt; b & c')).toBe('a &lt; b &amp; c')
  })
})

describe('the article editor', () => {
  const article: Article = {
    id: 7,
    title: '公积金提取',
    body: '携带身份证办理。',
    category: '01.10',
    unit_id: 12,
    keywords: ['公积金', '提取'],
    valid_from: '2026-01-01',
    valid_to: null,
    state: 'published',
    source: 'govmsg:1',
    version: 3,
    created_by: null,
    created_at: 0,
    updated_by: null,
    updated_at: 0,
    review_note: null,
    state_label: '已发布',
    unit_name: '住建局',
    category_name: '城乡建设 / 住房保障与房地产',
    valid_now: true,
    actions: ['retire'],
    editable: true,
  }

  it('round-trips an article through the form', () => {
    const f = formFromArticle(article)
    expect(f.keywords).toBe('公积金，提取')
    expect(articleInputFrom(f)).toEqual({
      title: '公积金提取',
      body: '携带身份证办理。',
      category: '01.10',
      unit_id: 12,
      keywords: ['公积金', '提取'],
      valid_from: '2026-01-01',
      valid_to: null,
      source: 'govmsg:1',
    })
  })

  it('splits keywords at any separator and drops repeats', () => {
    expect(splitTags(' 公积金，提取;贷款 、 公积金 | 首付  ')).toEqual(['公积金', '提取', '贷款', '首付'])
    expect(splitTags('')).toEqual([])
  })

  it('names what is missing before asking the server', () => {
    expect(articleFormProblems(blankArticleForm())).toEqual(['title', 'body'])
    expect(articleFormProblems({ ...blankArticleForm(), title: 'a', body: 'b', valid_from: '2026-06-01', valid_to: '2026-05-01' })).toEqual(['valid_to'])
    expect(articleFormProblems({ ...blankArticleForm(), title: 'a', body: 'b', valid_from: '2026-06-01', valid_to: '2026-06-01' })).toEqual([])
  })

  it('colours review states', () => {
    expect(reviewStateTagType('published')).toBe('success')
    expect(reviewStateTagType('pending_review')).toBe('warning')
    expect(reviewStateTagType('retired')).toBe('info')
  })
})
