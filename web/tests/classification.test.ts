import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  MIN_PREVIEW_CHARS,
  PREVIEW_DELAY_MS,
  blankSearch,
  classificationView,
  confidenceType,
  createLatest,
  dispatchBody,
  dispatchKind,
  draftOf,
  eachLimited,
  leafName,
  markOnly,
  metricNum,
  metricPct,
  nextDay,
  percent,
  previewOfCase,
  previewRequest,
  proposalsOf,
  reviewStatus,
  searchFromQuery,
  searchParams,
  searchToQuery,
  settingsProblems,
  shortcutIndex,
  suggestedItem,
  tally,
  trainingOutcome,
  willAutoDispatch,
} from '../src/lib/classification'
import type { Classification } from '../src/api/classify'
import type { CaseRecord, NewCase } from '../src/api/types'

afterEach(() => {
  vi.useRealTimers()
})

describe('markOnly: the search snippet sanitizer', () => {
  it('keeps <mark> and </mark> and the server\'s escapes', () => {
    expect(markOnly('海秀东路<mark>路灯</mark>不亮 &lt;b&gt; &amp; &quot;')).toBe('海秀东路<mark>路灯</mark>不亮 &lt;b&gt; &amp; &quot;')
  })

  it('escapes every other tag, attributes included', () => {
    expect(markOnly('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(markOnly('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;')
    expect(markOnly('<mark onclick="x()">a</mark>')).toBe('&lt;mark onclick=&quot;x()&quot;&gt;a')
    expect(markOnly('<b><mark>a</mark></b>')).toBe('&lt;b&gt;<mark>a</mark>&lt;/b&gt;')
    expect(markOnly('<MARK>大写</MARK>')).toBe('<mark>大写</mark>')
  })

  it('escapes a bare ampersand but keeps simple entities', () => {
    expect(markOnly('A&B &#39; &#x27; &lt;')).toBe('A&amp;B &#39; &#x27; &lt;')
    expect(markOnly('&nbsp;&copy;')).toBe('&amp;nbsp;&amp;copy;')
  })

  it('balances the marks: closes an open one, drops nested and stray ones', () => {
    expect(markOnly('<mark>a')).toBe('<mark>a</mark>')
    expect(markOnly('a</mark>b')).toBe('ab')
    expect(markOnly('<mark>a<mark>b</mark>c</mark>')).toBe('<mark>ab</mark>c')
  })

  it('takes empty and missing input', () => {
    expect(markOnly('')).toBe('')
    expect(markOnly(null)).toBe('')
    expect(markOnly(undefined)).toBe('')
  })
})

describe('proposals', () => {
  it('formats confidence as a percentage', () => {
    expect(percent(0.874)).toBe('87%')
    expect(percent(0.874, 1)).toBe('87.4%')
    expect(percent(0.004)).toBe('<1%')
    expect(percent(0)).toBe('0%')
    expect(percent(null)).toBe('—')
    expect(percent(Number.NaN)).toBe('—')
  })

  it('colours by the threshold', () => {
    expect(confidenceType(0.92, 0.9)).toBe('success')
    expect(confidenceType(0.6, 0.9)).toBe('warning')
    expect(confidenceType(0.2, 0.9)).toBe('info')
    expect(confidenceType(0.95, null)).toBe('warning')
  })

  it('reads proposals defensively and keeps three', () => {
    const p = (n: number) => ({ item: `i${n}`, name: `a / b / 项${n}`, confidence: 0.1 * n })
    expect(proposalsOf({ proposals: [p(1), p(2), p(3), p(4)] }).map((x) => x.item)).toEqual(['i1', 'i2', 'i3'])
    expect(proposalsOf({ classification: { proposals: [p(5)], model_version: 1, catalogue_version: 1, auto: false, threshold: 0.9 } })).toHaveLength(1)
    expect(proposalsOf({ proposals: null })).toEqual([])
    expect(proposalsOf({})).toEqual([])
    expect(proposalsOf(null)).toEqual([])
  })

  it('names the leaf of an item path', () => {
    expect(leafName('城乡建设 / 城市建设和市政管理 / 路灯')).toBe('路灯')
    expect(leafName('路灯')).toBe('路灯')
    expect(leafName('')).toBe('')
    expect(leafName(null)).toBe('')
  })

  it('never auto-dispatches a consultation', () => {
    const c: Classification = { proposals: [], model_version: 1, catalogue_version: 1, auto: true, threshold: 0.9 }
    expect(willAutoDispatch(c, 'complaint')).toBe(true)
    expect(willAutoDispatch(c, 'consultation')).toBe(false)
    expect(willAutoDispatch({ ...c, auto: false }, 'complaint')).toBe(false)
    expect(willAutoDispatch(null, 'complaint')).toBe(false)
  })
})

describe('Alt+1/2/3 and Alt+0', () => {
  const key = (code: string, key: string, mods: Partial<KeyboardEvent> = {}) =>
    ({ altKey: true, ctrlKey: false, metaKey: false, shiftKey: false, code, key, ...mods }) as KeyboardEvent

  it('picks a proposal by its number, clears with 0', () => {
    expect(shortcutIndex(key('Digit1', '1'))).toBe(0)
    expect(shortcutIndex(key('Digit3', '3'))).toBe(2)
    expect(shortcutIndex(key('Numpad2', '2'))).toBe(1)
    expect(shortcutIndex(key('Digit0', '0'))).toBe(-1)
  })

  it('reads the key code even when Alt types another character (macOS)', () => {
    expect(shortcutIndex(key('Digit1', '¡'))).toBe(0)
  })

  it('ignores other keys and other modifiers', () => {
    expect(shortcutIndex(key('Digit4', '4'))).toBeNull()
    expect(shortcutIndex(key('KeyA', 'a'))).toBeNull()
    expect(shortcutIndex(key('Digit1', '1', { altKey: false }))).toBeNull()
    expect(shortcutIndex(key('Digit1', '1', { ctrlKey: true }))).toBeNull()
    expect(shortcutIndex(key('Digit1', '!', { shiftKey: true }))).toBeNull()
  })
})

const newCase = (over: Partial<NewCase> = {}): NewCase => ({
  channel: 'phone',
  case_type: 'complaint',
  title: '路灯不亮',
  text: '海秀东路的路灯晚上一直不亮',
  urgency: 'normal',
  citizen: { name: '张先生', phone: '1380013', caller_number: '13800138000', confidential: false, anonymous: false },
  place: { address: ' 海秀东路 88 号 ', division_unit_id: 17 },
  after: 'forward',
  ...over,
})

describe('the preview request of the operator\'s draft', () => {
  it('sends the intake without the citizen\'s name or numbers', () => {
    const r = previewRequest(draftOf(newCase()))!
    expect(r).toEqual({
      channel: 'phone',
      case_type: 'complaint',
      urgency: 'normal',
      title: '路灯不亮',
      text: '海秀东路的路灯晚上一直不亮',
      citizen: { confidential: false, anonymous: false },
      place: { address: '海秀东路 88 号', division_unit_id: 17 },
      after: 'forward',
    })
    expect(JSON.stringify(r)).not.toContain('1380013')
    expect(JSON.stringify(r)).not.toContain('张先生')
  })

  it('asks nothing while the draft is too short', () => {
    expect(previewRequest(draftOf(newCase({ title: '', text: '路灯' })))).toBeNull()
    expect(previewRequest(draftOf(newCase({ title: '  ', text: 'x'.repeat(MIN_PREVIEW_CHARS - 1) })))).toBeNull()
    expect(previewRequest(draftOf(newCase({ title: '', text: 'x'.repeat(MIN_PREVIEW_CHARS) })))).not.toBeNull()
  })

  it('lets the title and the text stand in for each other (the API needs both)', () => {
    const onlyText = previewRequest(draftOf(newCase({ title: '', text: '小区门口\n路灯坏了很久了' })))!
    expect(onlyText.title).toBe('小区门口 路灯坏了很久了')
    expect(onlyText.text).toBe('小区门口\n路灯坏了很久了')
    const onlyTitle = previewRequest(draftOf(newCase({ title: '小区路灯坏了很久', text: '' })))!
    expect(onlyTitle.text).toBe('小区路灯坏了很久')
    const long = previewRequest(draftOf(newCase({ title: '', text: '长'.repeat(300) })))!
    expect([...long.title]).toHaveLength(100)
  })

  it('asks for the routing of a chosen item', () => {
    expect(previewRequest(draftOf(newCase()), '0101')!.catalogue_item).toBe('0101')
    expect(previewRequest(draftOf(newCase()), null)!.catalogue_item).toBeUndefined()
    expect(previewRequest(draftOf(newCase({ place: {} })))!.place).toEqual({ address: undefined, division_unit_id: undefined })
  })

  it('re-routes an existing case by another item', () => {
    const c = {
      intake: {
        case_type: 'complaint',
        channel: 'web',
        title: 't',
        text: 'x',
        urgency: 'urgent',
        catalogue_item: null,
        external_id: null,
        tags: [],
        place: { address: null, division_unit_id: 5, latitude: null, longitude: null },
      },
    } as unknown as CaseRecord
    expect(previewOfCase(c, '0203')).toEqual({
      channel: 'web',
      case_type: 'complaint',
      urgency: 'urgent',
      title: 't',
      text: 'x',
      place: { address: undefined, division_unit_id: 5 },
      after: 'forward',
      catalogue_item: '0203',
    })
  })
})

/** A createLatest on fake timers whose fetch answers when the test says so. */
function harness() {
  vi.useFakeTimers()
  const asked: string[] = []
  const pending: { key: string; resolve: (v: string) => void; reject: (e: unknown) => void }[] = []
  const results: string[] = []
  const errors: unknown[] = []
  const busy: boolean[] = []
  const l = createLatest<string, string>({
    fetch: (key) =>
      new Promise((resolve, reject) => {
        asked.push(key)
        pending.push({ key, resolve, reject })
      }),
    onResult: (v) => results.push(v),
    onError: (e) => errors.push(e),
    onBusy: (b) => busy.push(b),
  })
  return { l, asked, pending, results, errors, busy }
}

describe('createLatest: the debounced, latest-only preview', () => {
  it('waits for the pause and asks once for the last key', () => {
    const h = harness()
    h.l.update('a')
    vi.advanceTimersByTime(100)
    h.l.update('ab')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS - 1)
    expect(h.asked).toEqual([])
    vi.advanceTimersByTime(1)
    expect(h.asked).toEqual(['ab'])
  })

  it('does not ask again for the same key', async () => {
    const h = harness()
    h.l.update('k')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    h.pending[0].resolve('v1')
    await vi.runAllTimersAsync()
    h.l.update('k')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    expect(h.asked).toEqual(['k'])
    expect(h.results).toEqual(['v1'])
    h.l.refresh()
    expect(h.asked).toEqual(['k', 'k'])
  })

  it('drops an answer that arrives after a newer question', async () => {
    const h = harness()
    h.l.update('old')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    h.l.update('new')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    h.pending[1].resolve('for new')
    h.pending[0].resolve('for old')
    await vi.runAllTimersAsync()
    expect(h.results).toEqual(['for new'])
  })

  it('clears on null: late answers are dropped and busy ends', async () => {
    const h = harness()
    h.l.update('k')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    h.l.update(null)
    h.pending[0].resolve('late')
    await vi.runAllTimersAsync()
    expect(h.results).toEqual([])
    expect(h.busy[h.busy.length - 1]).toBe(false)
  })

  it('reports errors and lets the same key be asked again', async () => {
    const h = harness()
    h.l.update('k')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    h.pending[0].reject(new Error('boom'))
    await vi.runAllTimersAsync()
    expect(h.errors).toHaveLength(1)
    h.l.update('k')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    expect(h.asked).toEqual(['k', 'k'])
  })

  it('stops after dispose', async () => {
    const h = harness()
    h.l.update('k')
    h.l.dispose()
    vi.advanceTimersByTime(PREVIEW_DELAY_MS * 2)
    expect(h.asked).toEqual([])
  })
})

const P = [
  { item: '0101', name: '城乡建设 / 市政 / 路灯', confidence: 0.62 },
  { item: '0102', name: '城乡建设 / 市政 / 井盖', confidence: 0.2 },
]

describe('the review queue', () => {
  it('offers the case\'s item, else the top proposal', () => {
    expect(suggestedItem({ id: 1, catalogue_item: '0909', proposals: P })).toBe('0909')
    expect(suggestedItem({ id: 1, catalogue_item: null, proposals: P })).toBe('0101')
    expect(suggestedItem({ id: 1 })).toBeNull()
  })

  it('tells a correction from an accepted proposal and a manual classification', () => {
    expect(dispatchKind(null, P, '0101')).toBe('accepted')
    expect(dispatchKind(null, P, '0102')).toBe('corrected')
    expect(dispatchKind('0102', P, '0102')).toBe('accepted')
    expect(dispatchKind('0102', P, '0101')).toBe('corrected')
    expect(dispatchKind(null, [], '0101')).toBe('manual')
    expect(dispatchKind(null, [], null)).toBe('unclassified')
    expect(dispatchKind('0101', P, null)).toBe('accepted')
  })

  it('sends the item only when it changes the case\'s', () => {
    expect(dispatchBody({ version: 3, caseItem: null, item: '0101', leadUnitId: 7, assistingUnitIds: [8, 7] })).toEqual({
      version: 3,
      lead_unit_id: 7,
      assisting_unit_ids: [8],
      catalogue_item: '0101',
    })
    expect(dispatchBody({ version: 3, caseItem: '0101', item: '0101', leadUnitId: 7 })).toEqual({ version: 3, lead_unit_id: 7, assisting_unit_ids: [] })
    expect(dispatchBody({ version: 3, caseItem: '0101', item: null, leadUnitId: 7 })).not.toHaveProperty('catalogue_item')
    expect(() => dispatchBody({ version: 3, caseItem: null, item: null, leadUnitId: null })).toThrow()
  })

  it('counts what this session dispatched', () => {
    expect(tally(['accepted', 'corrected', 'corrected', 'manual', 'unclassified'])).toEqual({ dispatched: 5, accepted: 1, corrected: 2, manual: 1 })
    expect(tally([])).toEqual({ dispatched: 0, accepted: 0, corrected: 0, manual: 0 })
  })

  it('loads at most N at a time and survives failures', async () => {
    let running = 0
    let peak = 0
    const done: number[] = []
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++
      peak = Math.max(peak, running)
      await new Promise((r) => setTimeout(r, 1))
      running--
      if (n === 4) throw new Error('one fails')
      done.push(n)
    })
    expect(peak).toBe(3)
    expect(done.sort()).toEqual([1, 2, 3, 5, 6, 7])
    await eachLimited([], 3, async () => {})
  })
})

describe('the case\'s classification', () => {
  const base = { intake: { catalogue_item: '0101' } } as unknown as CaseRecord
  const cls: Classification = { proposals: P, model_version: 4, catalogue_version: 2, auto: false, threshold: 0.9 }

  it('reads the new fields, absent on older servers', () => {
    expect(classificationView(base)).toEqual({ item: '0101', itemSource: null, classification: null, routing: null, recurrences: [] })
    const v = classificationView({ ...base, classification: cls, item_source: 'dispatcher', recurrences: [{ id: 9, number: 'HK1' }] } as unknown as CaseRecord)
    expect(v.itemSource).toBe('dispatcher')
    expect(v.recurrences).toEqual([{ id: 9, number: 'HK1' }])
  })

  it('says how the item was settled', () => {
    expect(reviewStatus({ item: '0101', itemSource: 'classifier', classification: { ...cls, auto: true } })).toBe('auto')
    expect(reviewStatus({ item: '0101', itemSource: 'dispatcher', classification: cls })).toBe('confirmed')
    expect(reviewStatus({ item: '0102', itemSource: 'dispatcher', classification: cls })).toBe('corrected')
    expect(reviewStatus({ item: '0102', itemSource: 'dispatcher', classification: null })).toBe('manual')
    expect(reviewStatus({ item: '0102', itemSource: 'dispatcher', classification: { ...cls, proposals: [] } })).toBe('manual')
    expect(reviewStatus({ item: '0101', itemSource: 'operator', classification: null })).toBe('operator')
    expect(reviewStatus({ item: null, itemSource: null, classification: cls })).toBe('pending')
    expect(reviewStatus({ item: null, itemSource: null, classification: null })).toBe('none')
  })
})

describe('classifier settings and models', () => {
  const ok = { enabled: true, auto_dispatch_threshold: 0.9, min_examples_per_item: 5, include_base: true }

  it('accepts the server\'s ranges and names what is out of them', () => {
    expect(settingsProblems(ok)).toEqual([])
    expect(settingsProblems({ ...ok, auto_dispatch_threshold: 0.5 })).toEqual([])
    expect(settingsProblems({ ...ok, auto_dispatch_threshold: 1 })).toEqual([])
    expect(settingsProblems({ ...ok, auto_dispatch_threshold: 0.49 })).toEqual(['cls.err.threshold'])
    expect(settingsProblems({ ...ok, auto_dispatch_threshold: 1.01 })).toEqual(['cls.err.threshold'])
    expect(settingsProblems({ ...ok, auto_dispatch_threshold: Number.NaN })).toEqual(['cls.err.threshold'])
    expect(settingsProblems({ ...ok, min_examples_per_item: 0 })).toEqual(['cls.err.minExamples'])
    expect(settingsProblems({ ...ok, min_examples_per_item: 1001 })).toEqual(['cls.err.minExamples'])
    expect(settingsProblems({ ...ok, min_examples_per_item: 2.5 })).toEqual(['cls.err.minExamples'])
    expect(settingsProblems({ ...ok, auto_dispatch_threshold: 2, min_examples_per_item: 0 })).toHaveLength(2)
  })

  it('formats the evaluation', () => {
    expect(metricPct(0.8234)).toBe('82.3%')
    expect(metricPct(null)).toBe('—')
    expect(metricPct(undefined)).toBe('—')
    expect(metricNum(0.04567)).toBe('0.046')
    expect(metricNum('x')).toBe('—')
  })

  it('follows a training run to its end', () => {
    const s = { running: true, started_at: '2026-01-01T00:00:00+08:00', finished_at: null, last_version: 2, last_error: null }
    expect(trainingOutcome(s)).toBe('running')
    expect(trainingOutcome({ ...s, running: false, last_version: 3 })).toBe('done')
    expect(trainingOutcome({ ...s, running: false, last_error: '训练数据不足' })).toBe('failed')
  })
})

describe('the search page\'s address', () => {
  it('round-trips the form through the query', () => {
    const f = { ...blankSearch(), q: ' 路灯 ', state: ['closed', 'handling'], type: ['complaint'], item: '0101', from: '2026-01-01', to: '2026-01-31', page: 3 }
    const q = searchToQuery(f)
    expect(q).toEqual({ q: '路灯', state: 'closed,handling', type: 'complaint', item: '0101', from: '2026-01-01', to: '2026-01-31', page: '3' })
    expect(searchFromQuery(q)).toEqual({ ...f, q: '路灯', channel: [] })
    expect(searchToQuery(blankSearch())).toEqual({})
  })

  it('ignores what does not parse', () => {
    expect(searchFromQuery({ q: ['a', 'b'], page: '-2', from: '2026/01/01', state: 5 })).toEqual({ ...blankSearch(), q: 'a' })
    expect(searchFromQuery({ q: 'x'.repeat(300) }).q).toHaveLength(200)
    expect(searchFromQuery({ page: '2.5' }).page).toBe(1)
  })

  it('turns dates into China midnights with an exclusive end, and pages into offsets', () => {
    const p = searchParams({ ...blankSearch(), q: '路灯', from: '2026-01-01', to: '2026-01-31', page: 2 }, 20)
    expect(p).toMatchObject({ q: '路灯', from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00', offset: 20, limit: 20, item: undefined })
    expect(searchParams(blankSearch())).toMatchObject({ q: '', from: undefined, to: undefined, offset: 0 })
    expect(nextDay('2024-02-28')).toBe('2024-02-29')
    expect(nextDay('2026-12-31')).toBe('2027-01-01')
  })
})
