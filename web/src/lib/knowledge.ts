// 知识库 in the browser: the debounced suggester behind the operator's form, safe rendering of the
// server's highlighted excerpts, and the article editor's form ⇄ request mapping.

import type { Article, ArticleAction, ArticleInput, ReviewState } from '../api/registry'

/** Suggestions start once the text has this many characters (fewer says too little). */
export const MIN_SUGGEST_CHARS = 8
/** Typing pauses this long before the server is asked. */
export const SUGGEST_DELAY_MS = 300

export interface SuggesterOptions<T> {
  fetch: (text: string) => Promise<T[]>
  onResult: (items: T[], text: string) => void
  onError?: (err: unknown) => void
  onBusy?: (busy: boolean) => void
  delay?: number
  minChars?: number
  /** Timers, for tests. */
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export interface Suggester {
  /** The text changed: ask again after the pause (or clear the list when it is too short). */
  update(text: string): void
  /** Stops: nothing pending runs and late answers are dropped. */
  dispose(): void
}

/**
 * Debounces the text, asks only for new text of at least `minChars` characters, and drops answers
 * that arrive after a newer question (so a slow answer never replaces a fresher one).
 */
export function createSuggester<T>(opts: SuggesterOptions<T>): Suggester {
  const delay = opts.delay ?? SUGGEST_DELAY_MS
  const minChars = opts.minChars ?? MIN_SUGGEST_CHARS
  const setTimer = opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms))
  const clearTimer = opts.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>))
  let timer: unknown = null
  let seq = 0
  let lastAsked = ''
  let disposed = false

  const cancel = () => {
    if (timer !== null) clearTimer(timer)
    timer = null
  }

  return {
    update(raw: string) {
      if (disposed) return
      const text = raw.trim()
      cancel()
      if ([...text].length < minChars) {
        seq++ // an answer still on its way is now stale
        lastAsked = ''
        opts.onBusy?.(false)
        opts.onResult([], text)
        return
      }
      if (text === lastAsked) return
      timer = setTimer(async () => {
        timer = null
        const mine = ++seq
        lastAsked = text
        opts.onBusy?.(true)
        try {
          const items = await opts.fetch(text)
          if (mine === seq && !disposed) opts.onResult(items, text)
        } catch (e) {
          if (mine === seq && !disposed) {
            lastAsked = '' // let the same text be tried again
            opts.onError?.(e)
          }
        } finally {
          if (mine === seq && !disposed) opts.onBusy?.(false)
        }
      }, delay)
    },
    dispose() {
      disposed = true
      cancel()
    },
  }
}

/**
 * The server sends excerpts HTML-escaped with matches in <mark>. Rendered with v-html, anything
 * but <mark> and </mark> is escaped again, so a server bug cannot inject markup.
 */
export function safeSnippet(html: string): string {
  return html
    .replace(/&(?!(amp|lt|gt|quot|#39|#x27);)/g, '&amp;')
    .replace(/<(?!\/?mark>)/g, '&lt;')
    .replace(/(?<!<\/?mark)>/g, '&gt;')
}

export function reviewStateTagType(s: ReviewState): 'success' | 'warning' | 'info' | 'danger' | 'primary' {
  switch (s) {
    case 'published':
      return 'success'
    case 'pending_review':
      return 'warning'
    case 'retired':
      return 'info'
    default:
      return 'primary'
  }
}

export function reviewActionType(a: ArticleAction): 'primary' | 'success' | 'warning' | 'danger' {
  switch (a) {
    case 'publish':
      return 'success'
    case 'reject':
      return 'warning'
    case 'retire':
      return 'danger'
    default:
      return 'primary'
  }
}

/** The editor's form: keywords as one line, dates as YYYY-MM-DD strings ('' = open). */
export interface ArticleForm {
  title: string
  body: string
  category: string
  unit_id: number | null
  keywords: string
  valid_from: string
  valid_to: string
  source: string
}

export function blankArticleForm(): ArticleForm {
  return { title: '', body: '', category: '', unit_id: null, keywords: '', valid_from: '', valid_to: '', source: '' }
}

export function formFromArticle(a: Article): ArticleForm {
  return {
    title: a.title,
    body: a.body,
    category: a.category ?? '',
    unit_id: a.unit_id,
    keywords: a.keywords.join('，'),
    valid_from: a.valid_from ?? '',
    valid_to: a.valid_to ?? '',
    source: a.source ?? '',
  }
}

/** Splits a line of keywords or tags at commas, semicolons, 、 and spaces; drops empties and repeats. */
export function splitTags(text: string): string[] {
  const out: string[] = []
  for (const part of text.split(/[,，;；、|\s]+/)) {
    const p = part.trim()
    if (p && !out.includes(p)) out.push(p)
  }
  return out
}

export function articleInputFrom(f: ArticleForm): ArticleInput {
  const opt = (s: string) => (s.trim() ? s.trim() : null)
  return {
    title: f.title.trim(),
    body: f.body.trim(),
    category: opt(f.category),
    unit_id: f.unit_id,
    keywords: splitTags(f.keywords),
    valid_from: opt(f.valid_from),
    valid_to: opt(f.valid_to),
    source: opt(f.source),
  }
}

/** What the editor can say before asking the server (the server checks everything again). */
export function articleFormProblems(f: ArticleForm): string[] {
  const out: string[] = []
  if (!f.title.trim()) out.push('title')
  if (!f.body.trim()) out.push('body')
  if (f.valid_from && f.valid_to && f.valid_to < f.valid_from) out.push('valid_to')
  return out
}
