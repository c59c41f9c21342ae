import { describe, expect, it, vi } from 'vitest'
import { ApiError, HttpClient, networkError, query, toApiError } from '../src/api/http'

const body = (code: string, zh: string, en: string, details: unknown = null) =>
  JSON.stringify({ error: { code, message_zh: zh, message_en: en, details } })

function fakeFetch(status: number, text: string) {
  return vi.fn(async () => new Response(text, { status, headers: { 'Content-Type': 'application/json' } }))
}

describe('toApiError', () => {
  it('reads the API error body', () => {
    const e = toApiError(409, body('invalid_state', '工单状态为「已办结」，不能签收', 'case is closed; cannot sign', { action: 'sign' }))
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(409)
    expect(e.code).toBe('invalid_state')
    expect(e.localized('zh')).toBe('工单状态为「已办结」，不能签收')
    expect(e.localized('en')).toBe('case is closed; cannot sign')
    expect(e.details).toEqual({ action: 'sign' })
    expect(e.isVersionConflict).toBe(false)
  })

  it('recognises a version conflict and not-found', () => {
    expect(toApiError(409, body('version_conflict', '工单已被他人修改，请刷新后重试', 'changed')).isVersionConflict).toBe(true)
    expect(toApiError(404, body('not_found', '工单不存在', 'case not found')).isNotFound).toBe(true)
  })

  it('falls back to the other language, then the code', () => {
    expect(toApiError(400, body('invalid_input', '', 'bad')).localized('zh')).toBe('bad')
    expect(toApiError(400, body('invalid_input', '', '')).localized('en')).toBe('invalid_input')
  })

  it('gives generic errors for bodies that are not the API error', () => {
    expect(toApiError(502, '<html>Bad Gateway</html>').code).toBe('internal')
    expect(toApiError(502, '<html>Bad Gateway</html>').localized('zh')).toContain('502')
    expect(toApiError(401, '').isUnauthenticated).toBe(true)
    expect(toApiError(413, '').code).toBe('payload_too_large')
    expect(toApiError(418, '{"error": "teapot"}').code).toBe('http_error')
  })

  it('describes a request that got no answer', () => {
    const e = networkError(new TypeError('Failed to fetch'))
    expect(e.status).toBe(0)
    expect(e.code).toBe('network')
    expect(e.localized('zh')).toContain('无法连接')
  })
})

describe('HttpClient', () => {
  it('sends JSON and parses the answer', async () => {
    const f = fakeFetch(200, '{"ok":true}')
    const c = new HttpClient({ fetch: f })
    await expect(c.post('/api/x', { a: 1 })).resolves.toEqual({ ok: true })
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('/api/x')
    expect(init.method).toBe('POST')
    expect(init.body).toBe('{"a":1}')
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json')
    expect(init.credentials).toBe('same-origin')
  })

  it('returns undefined for an empty 204', async () => {
    const c = new HttpClient({ fetch: vi.fn(async () => new Response(null, { status: 204 })) })
    await expect(c.post('/api/auth/logout')).resolves.toBeUndefined()
  })

  it('throws ApiError with the server code', async () => {
    const c = new HttpClient({ fetch: fakeFetch(403, body('role_forbidden', '角色「承办人」不能受理工单', 'no')) })
    const err = (await c.get('/api/cases').catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('role_forbidden')
    expect(err.status).toBe(403)
  })

  it('turns a network failure into a network ApiError', async () => {
    const c = new HttpClient({ fetch: vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) })
    const err = (await c.get('/api/me').catch((e: unknown) => e)) as ApiError
    expect(err.code).toBe('network')
  })

  it('reports an ended session unless told to stay quiet', async () => {
    const onUnauth = vi.fn()
    const c = new HttpClient({ fetch: fakeFetch(401, body('unauthenticated', '请先登录', 'sign in first')), onUnauthenticated: onUnauth })
    await c.get('/api/cases').catch(() => {})
    expect(onUnauth).toHaveBeenCalledTimes(1)
    await c.post('/api/auth/login', {}, { quiet401: true }).catch(() => {})
    expect(onUnauth).toHaveBeenCalledTimes(1)
  })

  it('refuses an unreadable success body', async () => {
    const c = new HttpClient({ fetch: fakeFetch(200, 'not json') })
    await expect(c.get('/x')).rejects.toMatchObject({ code: 'bad_response' })
  })
})

describe('query', () => {
  it('keeps defined, non-empty values and joins lists', () => {
    expect(query({ view: 'inbox', state: ['dispatched', 'handling'], q: '  ', type: [], cursor: null, limit: 20, x: undefined })).toBe(
      '?view=inbox&state=dispatched%2Chandling&limit=20',
    )
    expect(query({})).toBe('')
  })
})

describe('raw bodies and PUT', () => {
  it('posts text as it is with its content type (a CSV import)', async () => {
    const f = vi.fn(async (_input: string, _init?: RequestInit) => new Response('{"version":2,"items":1,"diff":{"added":[],"removed":[],"changed":[]}}', { status: 200 }))
    const c = new HttpClient({ fetch: f })
    const r = await c.postText<{ version: number }>('/api/catalogue/import?note=x', 'code,name\n01,城乡建设\n')
    expect(r.version).toBe(2)
    const [url, init] = f.mock.calls[0]
    expect(url).toBe('/api/catalogue/import?note=x')
    expect(init?.method).toBe('POST')
    expect(init?.body).toBe('code,name\n01,城乡建设\n')
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('text/csv; charset=utf-8')
  })

  it('puts JSON and takes a 204 as nothing', async () => {
    const f = vi.fn(async (_input: string, _init?: RequestInit) => new Response(null, { status: 204 }))
    const c = new HttpClient({ fetch: f })
    await expect(c.put('/api/settings/score', { a: 1 })).resolves.toBeUndefined()
    const init = f.mock.calls[0][1]
    expect(init?.method).toBe('PUT')
    expect(init?.body).toBe('{"a":1}')
  })

  it('turns a refused import into an ApiError carrying the problems', async () => {
    const details = { field: 'catalogue', problems: [{ code: 'missing_parent', message_zh: '上级不存在：09', message_en: 'no parent 09' }] }
    const c = new HttpClient({ fetch: fakeFetch(400, body('invalid_input', '职责清单有误：上级不存在：09', 'invalid catalogue', details)) })
    const err = (await c.postText('/api/catalogue/import', 'x').catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.details).toEqual(details)
  })
})
