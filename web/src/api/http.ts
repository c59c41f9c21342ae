// A thin fetch wrapper: JSON in, JSON out, the API's error body turned into ApiError.
// Same-origin requests carry the HttpOnly session cookie automatically.

import type { ApiErrorBody } from './types'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly messageZh: string
  readonly messageEn: string
  readonly details: unknown

  constructor(status: number, code: string, messageZh: string, messageEn: string, details: unknown = null) {
    super(messageEn || messageZh || code)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.messageZh = messageZh
    this.messageEn = messageEn
    this.details = details
  }

  /** Someone else changed the case since we loaded it (409 version_conflict). */
  get isVersionConflict(): boolean {
    return this.code === 'version_conflict'
  }

  get isUnauthenticated(): boolean {
    return this.code === 'unauthenticated' || this.status === 401
  }

  get isNotFound(): boolean {
    return this.code === 'not_found' || this.status === 404
  }

  /** The message in the interface language, falling back to the other one, then the code. */
  localized(lang: 'zh' | 'en'): string {
    const first = lang === 'en' ? this.messageEn : this.messageZh
    const second = lang === 'en' ? this.messageZh : this.messageEn
    return first || second || this.code
  }
}

function isErrorBody(v: unknown): v is ApiErrorBody {
  if (typeof v !== 'object' || v === null) return false
  const e = (v as { error?: unknown }).error
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
}

/** Generic errors for answers that carry no API error body (a proxy page, a crash, a timeout). */
const GENERIC: Record<number, [string, string, string]> = {
  401: ['unauthenticated', '请先登录', 'sign in first'],
  403: ['forbidden', '无权执行此操作', 'forbidden'],
  404: ['not_found', '请求的内容不存在', 'not found'],
  408: ['timeout', '请求超时，请重试', 'the request timed out'],
  413: ['payload_too_large', '提交的内容过大', 'the request is too large'],
  429: ['rate_limited', '操作过于频繁，请稍后再试', 'too many requests'],
}

/** Turns a non-2xx answer into an ApiError. `text` is the raw body (it may not be JSON). */
export function toApiError(status: number, text: string): ApiError {
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = null
  }
  if (isErrorBody(parsed)) {
    const e = parsed.error
    return new ApiError(status, e.code, e.message_zh ?? '', e.message_en ?? '', e.details ?? null)
  }
  const g = GENERIC[status]
  if (g) return new ApiError(status, g[0], g[1], g[2])
  if (status >= 500) return new ApiError(status, 'internal', `服务器内部错误（${status}）`, `server error (${status})`)
  return new ApiError(status, 'http_error', `请求失败（${status}）`, `request failed (${status})`)
}

/** The error for a request that never got an answer. */
export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new ApiError(0, 'network', '无法连接服务器，请检查网络', 'cannot reach the server', { reason: detail })
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

export interface RequestOptions {
  quiet401?: boolean
  /** Send this text as the body instead of JSON. */
  rawBody?: string
  contentType?: string
}

export interface ClientOptions {
  /** Prefix of every path (default ''; the API lives under /api on the same origin). */
  base?: string
  fetch?: FetchLike
  /** Called when the server says the session is gone (not for the login request itself). */
  onUnauthenticated?: (err: ApiError) => void
}

export class HttpClient {
  private readonly base: string
  private readonly fetchImpl: FetchLike
  onUnauthenticated?: (err: ApiError) => void

  constructor(opts: ClientOptions = {}) {
    this.base = opts.base ?? ''
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.onUnauthenticated = opts.onUnauthenticated
  }

  async request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const init: RequestInit = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } }
    if (opts.rawBody !== undefined) {
      // A body sent as it is (a CSV file for an import), not as JSON.
      init.body = opts.rawBody
      init.headers = { ...init.headers, 'Content-Type': opts.contentType ?? 'text/plain; charset=utf-8' }
    } else if (body !== undefined) {
      init.body = JSON.stringify(body)
      init.headers = { ...init.headers, 'Content-Type': 'application/json' }
    }
    let res: Response
    try {
      res = await this.fetchImpl(this.base + path, init)
    } catch (cause) {
      throw networkError(cause)
    }
    const text = await res.text()
    if (!res.ok) {
      const err = toApiError(res.status, text)
      if (err.isUnauthenticated && !opts.quiet401) this.onUnauthenticated?.(err)
      throw err
    }
    if (!text) return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ApiError(res.status, 'bad_response', '服务器返回了无法识别的内容', 'the server sent something unreadable')
    }
  }

  get<T>(path: string, opts?: { quiet401?: boolean }): Promise<T> {
    return this.request<T>('GET', path, undefined, opts)
  }

  post<T>(path: string, body?: unknown, opts?: { quiet401?: boolean }): Promise<T> {
    return this.request<T>('POST', path, body ?? {}, opts)
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body)
  }

  /** POSTs `text` as the raw body (e.g. a CSV file), with this content type. */
  postText<T>(path: string, text: string, contentType = 'text/csv; charset=utf-8'): Promise<T> {
    return this.request<T>('POST', path, undefined, { rawBody: text, contentType })
  }
}

/** Builds a query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null | string[]>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue
    const s = Array.isArray(v) ? v.join(',') : String(v)
    if (s.trim() === '') continue
    q.set(k, s)
  }
  const out = q.toString()
  return out ? `?${out}` : ''
}
