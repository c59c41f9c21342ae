import { afterEach, describe, expect, it, vi } from 'vitest'
import { classifyApi } from '../src/api/classify'
import { ApiError } from '../src/api/http'

/** Replaces fetch with one that answers `status`/`body` and records the requests. */
function mockFetch(status: number, body: unknown) {
  const f = vi.fn(async (_url: string, _init?: RequestInit) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }))
  vi.stubGlobal('fetch', f)
  return f
}
const call = (f: ReturnType<typeof mockFetch>, i = 0) => {
  const [url, init] = f.mock.calls[i] as unknown as [string, RequestInit]
  return { url, method: init.method, body: init.body ? JSON.parse(String(init.body)) : undefined }
}

afterEach(() => vi.unstubAllGlobals())

describe('the classifier and search endpoints', () => {
  it('previews a draft', async () => {
    const f = mockFetch(200, { classification: null, routing: { lead: null, assisting: [], rule: 'undecided' }, similar: [] })
    const draft = { channel: 'phone', case_type: 'complaint', title: '路灯', text: '路灯不亮了', urgency: 'normal', place: {}, after: 'forward' as const }
    const r = await classifyApi.preview(draft)
    expect(r.classification).toBeNull()
    expect(call(f)).toEqual({ url: '/api/cases/preview', method: 'POST', body: draft })
  })

  it('dispatches with the corrected item in one call', async () => {
    const f = mockFetch(200, { case: { id: 5 } })
    await classifyApi.dispatch('HK20260101000001', { version: 4, lead_unit_id: 7, assisting_unit_ids: [], catalogue_item: '0101' })
    expect(call(f)).toEqual({
      url: '/api/cases/HK20260101000001/actions/dispatch',
      method: 'POST',
      body: { version: 4, lead_unit_id: 7, assisting_unit_ids: [], catalogue_item: '0101' },
    })
  })

  it('reclassifies', async () => {
    const f = mockFetch(200, { case: { id: 5 } })
    await classifyApi.reclassify(5, 2, '0102')
    expect(call(f)).toEqual({ url: '/api/cases/5/actions/reclassify', method: 'POST', body: { version: 2, item: '0102' } })
  })

  it('reads, saves and retrains the classifier', async () => {
    let f = mockFetch(200, { settings: {}, models: [], training: { running: false } })
    await classifyApi.overview()
    expect(call(f)).toMatchObject({ url: '/api/classifier', method: 'GET' })
    const s = { enabled: true, auto_dispatch_threshold: 0.85, min_examples_per_item: 5, include_base: false }
    f = mockFetch(200, s)
    await expect(classifyApi.saveSettings(s)).resolves.toEqual(s)
    expect(call(f)).toEqual({ url: '/api/settings/classifier', method: 'PUT', body: s })
    f = mockFetch(202, { running: true })
    await expect(classifyApi.retrain({ include_base: true, activate: false, note: '三月' })).resolves.toEqual({ running: true })
    expect(call(f)).toEqual({ url: '/api/classifier/retrain', method: 'POST', body: { include_base: true, activate: false, note: '三月' } })
    f = mockFetch(200, [])
    await classifyApi.activate(3)
    expect(call(f)).toMatchObject({ url: '/api/classifier/models/3/activate', method: 'POST' })
  })

  it('brings the server\'s Chinese message on a refused setting', async () => {
    mockFetch(400, { error: { code: 'invalid_input', message_zh: '自动派单阈值应在 0.5 至 1 之间', message_en: 'threshold out of range', details: null } })
    const err = (await classifyApi.saveSettings({ enabled: true, auto_dispatch_threshold: 2, min_examples_per_item: 5, include_base: true }).catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.localized('zh')).toBe('自动派单阈值应在 0.5 至 1 之间')
  })

  it('searches the catalogue and the cases with only the filters that are set', async () => {
    let f = mockFetch(200, [])
    await classifyApi.catalogueSearch('路灯 不亮', 15)
    expect(call(f).url).toBe('/api/catalogue/search?q=%E8%B7%AF%E7%81%AF+%E4%B8%8D%E4%BA%AE&limit=15')
    f = mockFetch(200, { total: 0, took_ms: 1.5, hits: [] })
    await classifyApi.search({ q: '路灯', state: ['closed', 'handling'], type: [], channel: ['phone'], offset: 0, limit: 20 })
    const url = new URL(call(f).url, 'http://x')
    expect(url.pathname).toBe('/api/search')
    expect(Object.fromEntries(url.searchParams)).toEqual({ q: '路灯', state: 'closed,handling', channel: 'phone', offset: '0', limit: '20' })
  })

  it('asks the classifier for a text', async () => {
    const f = mockFetch(200, null)
    await expect(classifyApi.classify('标题', '内容')).resolves.toBeNull()
    expect(call(f)).toEqual({ url: '/api/classify', method: 'POST', body: { title: '标题', text: '内容' } })
  })
})
