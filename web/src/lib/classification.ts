// 智能分类 and 工单检索 in the browser, the pure parts: the <mark>-only snippet sanitizer, the
// live proposals behind the operator's form (draft → preview request, debounced and latest-only),
// the Alt+1/2/3 shortcuts, the dispatcher's review queue (which item, which unit, what was a
// correction), the classifier settings' checks, and the search page's address ⇄ form mapping.

import type { CaseRecord, CaseSummary, NewCase } from '../api/types'
import type { Classification, ClassifierSettings, ItemProposal, ItemSource, PreviewRequest, RoutingDecision, SearchParams, TrainingStatus } from '../api/classify'

// --- Snippets -----------------------------------------------------------------------------------

/**
 * The server sends search snippets HTML-escaped with the matches in <mark>…</mark>. Before v-html
 * everything but a bare <mark> or </mark> is escaped again (attributes included: `<mark onclick>`
 * is text), stray `&` become `&amp;` unless they start a simple entity, and unbalanced marks are
 * closed or dropped, so a server bug can never inject markup.
 */
export function markOnly(html: string | null | undefined): string {
  if (!html) return ''
  const out: string[] = []
  let open = false
  const re = /<\/?mark>/gi
  let last = 0
  const text = (s: string) =>
    s
      .replace(/&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-f]{1,6});)/gi, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  for (let m = re.exec(html); m; m = re.exec(html)) {
    out.push(text(html.slice(last, m.index)))
    last = m.index + m[0].length
    const closing = m[0][1] === '/'
    if (!closing && !open) {
      out.push('<mark>')
      open = true
    } else if (closing && open) {
      out.push('</mark>')
      open = false
    }
    // A nested <mark> or a stray </mark> is dropped.
  }
  out.push(text(html.slice(last)))
  if (open) out.push('</mark>')
  return out.join('')
}

// --- Proposals ----------------------------------------------------------------------------------

/** "87%" (whole percent; "<1%" for tiny non-zero values). */
export function percent(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—'
  const p = x * 100
  if (p > 0 && p < 1 && digits === 0) return '<1%'
  return `${p.toFixed(digits)}%`
}

/** The bar's colour: at/above the threshold green, from 50 % amber, below grey. */
export function confidenceType(confidence: number, threshold: number | null | undefined): 'success' | 'warning' | 'info' {
  if (threshold !== null && threshold !== undefined && confidence >= threshold) return 'success'
  return confidence >= 0.5 ? 'warning' : 'info'
}

/** The proposals of a case or a case-list line, defensively (older servers send none). */
export function proposalsOf(x: { proposals?: ItemProposal[] | null; classification?: Classification | null } | null | undefined): ItemProposal[] {
  if (!x) return []
  const list = x.proposals ?? x.classification?.proposals ?? []
  return Array.isArray(list) ? list.slice(0, 3) : []
}

/** The last segment of an item path ("城乡建设 / 市政 / 路灯" → "路灯"). */
export function leafName(path: string | null | undefined): string {
  if (!path) return ''
  const parts = path.split('/').map((s) => s.trim()).filter(Boolean)
  return parts.length ? parts[parts.length - 1] : path
}

/** The case's classification fields as the API adds them (absent on older servers). */
export interface CaseClassificationView {
  item: string | null
  itemSource: ItemSource | null
  classification: Classification | null
  routing: RoutingDecision | null
  recurrences: { id: number; number: string }[]
}

export function classificationView(c: CaseRecord): CaseClassificationView {
  const x = c as CaseRecord & {
    classification?: Classification | null
    item_source?: ItemSource | null
    routing?: RoutingDecision | null
    recurrences?: { id: number; number: string }[]
  }
  return {
    item: c.intake?.catalogue_item ?? null,
    itemSource: x.item_source ?? null,
    classification: x.classification ?? null,
    routing: x.routing ?? null,
    recurrences: Array.isArray(x.recurrences) ? x.recurrences : [],
  }
}

/** How the item was settled, as an i18n key suffix: automatic, reviewed by a dispatcher, the operator's, or open. */
export function reviewStatus(
  v: Pick<CaseClassificationView, 'item' | 'itemSource' | 'classification'>,
): 'auto' | 'corrected' | 'confirmed' | 'manual' | 'operator' | 'pending' | 'none' {
  if (v.classification?.auto) return 'auto'
  if (v.itemSource === 'operator') return 'operator'
  if (v.itemSource === 'dispatcher') {
    const top = v.classification?.proposals?.[0]?.item
    if (!top) return 'manual' // nothing was proposed: the dispatcher classified it
    return top === v.item ? 'confirmed' : 'corrected'
  }
  if (v.itemSource === 'classifier') return 'auto'
  if (!v.item && v.classification) return 'pending'
  return 'none'
}

// --- The live preview of the operator's draft ---------------------------------------------------

/** Fewer characters of title + text than this say too little to classify. */
export const MIN_PREVIEW_CHARS = 6
export const PREVIEW_DELAY_MS = 400

export interface DraftFields {
  channel: string
  case_type: string
  urgency: string
  title: string
  text: string
  address?: string
  division_unit_id?: number
  confidential?: boolean
  anonymous?: boolean
}

/**
 * The preview request for a draft, or null while it is too short. The API needs both a title and
 * a text: either stands in for the other while the operator has typed only one. The citizen's
 * name and numbers are not sent (the preview does not need them, and an unfinished number would
 * be refused). `item` asks for the routing of a chosen item instead of the proposals.
 */
export function previewRequest(d: DraftFields, item?: string | null): PreviewRequest | null {
  const title = d.title.trim().replace(/\s+/g, ' ')
  const text = d.text.trim()
  if ([...title].length + [...text].length < MIN_PREVIEW_CHARS) return null
  const req: PreviewRequest = {
    channel: d.channel,
    case_type: d.case_type,
    urgency: d.urgency,
    title: [...(title || text.replace(/\s+/g, ' '))].slice(0, 100).join(''),
    text: [...(text || title)].slice(0, 5000).join(''),
    citizen: { confidential: !!d.confidential, anonymous: !!d.anonymous },
    place: {
      address: d.address?.trim() ? [...d.address.trim()].slice(0, 200).join('') : undefined,
      division_unit_id: d.division_unit_id,
    },
    after: 'forward',
  }
  if (item) req.catalogue_item = item
  return req
}

/** The request for re-routing an existing case by another item (the review queue). */
export function previewOfCase(c: CaseRecord, item: string | null): PreviewRequest {
  const i = c.intake
  const req: PreviewRequest = {
    channel: i.channel,
    case_type: i.case_type,
    urgency: i.urgency,
    title: i.title,
    text: i.text,
    place: {
      address: i.place.address ?? undefined,
      division_unit_id: i.place.division_unit_id ?? undefined,
    },
    after: 'forward',
  }
  if (item) req.catalogue_item = item
  return req
}

/** Whether a draft would be dispatched without review: the server's `auto`, but never a consultation (answered by the centre). */
export function willAutoDispatch(c: Classification | null | undefined, caseType: string): boolean {
  return !!c?.auto && caseType !== 'consultation'
}

export interface LatestOptions<K, T> {
  fetch: (key: K) => Promise<T>
  onResult: (value: T, key: K) => void
  onError?: (err: unknown, key: K) => void
  onBusy?: (busy: boolean) => void
  delay?: number
  /** Identity of a key (default JSON): the same key twice in a row is asked once. */
  same?: (a: K, b: K) => boolean
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (h: unknown) => void
}

export interface Latest<K> {
  /** A new key: ask after the pause (null clears: nothing is asked and late answers are dropped). */
  update(key: K | null): void
  /** Ask again now, even for the same key. */
  refresh(): void
  dispose(): void
}

/** Debounced and latest-only: an answer to an older question never replaces a newer one. */
export function createLatest<K, T>(opts: LatestOptions<K, T>): Latest<K> {
  const delay = opts.delay ?? PREVIEW_DELAY_MS
  const same = opts.same ?? ((a: K, b: K) => JSON.stringify(a) === JSON.stringify(b))
  const setTimer = opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms))
  const clearTimer = opts.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>))
  let timer: unknown = null
  let seq = 0
  let current: K | null = null
  let asked: K | null = null
  let disposed = false
  const cancel = () => {
    if (timer !== null) clearTimer(timer)
    timer = null
  }
  const ask = async (k: K) => {
    const mine = ++seq
    asked = k
    opts.onBusy?.(true)
    try {
      const v = await opts.fetch(k)
      if (mine === seq && !disposed) opts.onResult(v, k)
    } catch (e) {
      if (mine === seq && !disposed) {
        asked = null
        opts.onError?.(e, k)
      }
    } finally {
      if (mine === seq && !disposed) opts.onBusy?.(false)
    }
  }
  return {
    update(k) {
      if (disposed) return
      cancel()
      current = k
      if (k === null) {
        seq++
        asked = null
        opts.onBusy?.(false)
        return
      }
      if (asked !== null && same(asked, k)) return
      timer = setTimer(() => {
        timer = null
        void ask(k)
      }, delay)
    },
    refresh() {
      if (disposed || current === null) return
      cancel()
      void ask(current)
    },
    dispose() {
      disposed = true
      cancel()
    },
  }
}

/** Alt+1/2/3 → 0/1/2 (pick that proposal), Alt+0 → -1 (clear the item); anything else null. */
export function shortcutIndex(e: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'key' | 'code'>): number | null {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return null
  // `code` first: on some layouts Alt+digit types another character into `key`.
  const m = /^(?:Digit|Numpad)([0-3])$/.exec(e.code ?? '') ?? /^([0-3])$/.exec(e.key ?? '')
  if (!m) return null
  const n = Number(m[1])
  return n === 0 ? -1 : n - 1
}

// --- The review queue ---------------------------------------------------------------------------

/** What the queue offers first for a case: the item it has, else the classifier's top proposal. */
export function suggestedItem(s: Pick<CaseSummary, 'id'> & { catalogue_item?: string | null; proposals?: ItemProposal[] | null }): string | null {
  return s.catalogue_item ?? proposalsOf(s)[0]?.item ?? null
}

/**
 * Whether the dispatcher's item corrects the system: it differs from the item the case had, or
 * (none yet) from the top proposal. Choosing an item where there was no proposal is not a
 * correction but a manual classification.
 */
export function dispatchKind(original: string | null | undefined, proposals: ItemProposal[], chosen: string | null | undefined): 'accepted' | 'corrected' | 'manual' | 'unclassified' {
  if (!chosen) return original ? 'accepted' : 'unclassified'
  const suggested = original ?? proposals[0]?.item ?? null
  if (!suggested) return 'manual'
  return suggested === chosen ? 'accepted' : 'corrected'
}

export interface DispatchChoice {
  version: number
  caseItem: string | null | undefined
  item: string | null | undefined
  leadUnitId: number | null | undefined
  assistingUnitIds?: number[]
}

/** The dispatch body: the item only when it changes the case's (the server records 改分类 first). */
export function dispatchBody(c: DispatchChoice): { version: number; lead_unit_id: number; assisting_unit_ids: number[]; catalogue_item?: string } {
  if (!c.leadUnitId) throw new Error('lead unit required')
  const body: { version: number; lead_unit_id: number; assisting_unit_ids: number[]; catalogue_item?: string } = {
    version: c.version,
    lead_unit_id: c.leadUnitId,
    assisting_unit_ids: (c.assistingUnitIds ?? []).filter((id) => id !== c.leadUnitId),
  }
  if (c.item && c.item !== (c.caseItem ?? null)) body.catalogue_item = c.item
  return body
}

export interface ReviewTally {
  dispatched: number
  accepted: number
  corrected: number
  manual: number
}

export function tally(kinds: ReturnType<typeof dispatchKind>[]): ReviewTally {
  const t: ReviewTally = { dispatched: kinds.length, accepted: 0, corrected: 0, manual: 0 }
  for (const k of kinds) {
    if (k === 'accepted') t.accepted++
    else if (k === 'corrected') t.corrected++
    else if (k === 'manual') t.manual++
  }
  return t
}

/** Runs `work` over `items` with at most `limit` at a time (the queue loads its cases' details). */
export async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const run = async () => {
    while (next < items.length) {
      const i = next++
      try {
        await work(items[i])
      } catch {
        /* each item reports its own failure */
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run))
}

// --- Classifier administration ------------------------------------------------------------------

/** The settings' limits, as the server checks them (crates/app/src/classifier.rs). */
export const THRESHOLD_MIN = 0.5
export const THRESHOLD_MAX = 1
export const MIN_EXAMPLES_MIN = 1
export const MIN_EXAMPLES_MAX = 1000
export const NOTE_MAX = 200

/** Problems as i18n keys; empty when the server will take it. */
export function settingsProblems(s: ClassifierSettings): string[] {
  const out: string[] = []
  const th = Number(s.auto_dispatch_threshold)
  if (!Number.isFinite(th) || th < THRESHOLD_MIN || th > THRESHOLD_MAX) out.push('cls.err.threshold')
  const n = Number(s.min_examples_per_item)
  if (!Number.isInteger(n) || n < MIN_EXAMPLES_MIN || n > MIN_EXAMPLES_MAX) out.push('cls.err.minExamples')
  return out
}

/** A metric of a model's evaluation: a fraction as a percentage with one decimal, else "—". */
export function metricPct(x: unknown): string {
  return typeof x === 'number' && Number.isFinite(x) ? percent(x, 1) : '—'
}

/** ECE as a plain number with three decimals (lower is better), else "—". */
export function metricNum(x: unknown, digits = 3): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—'
}

/**
 * How a retraining run stands. The status is kept per node: `last_error` is cleared by a
 * successful run and replaced by a failed one, so once nothing runs it speaks of the last run.
 */
export function trainingOutcome(now: TrainingStatus): 'running' | 'done' | 'failed' {
  if (now.running) return 'running'
  return now.last_error ? 'failed' : 'done'
}

// --- Search -------------------------------------------------------------------------------------

export const SEARCH_MAX_CHARS = 200
export const SEARCH_PAGE = 20

export interface SearchForm {
  q: string
  state: string[]
  type: string[]
  channel: string[]
  item: string
  /** YYYY-MM-DD (China dates), inclusive; '' = open. */
  from: string
  to: string
  page: number
}

export function blankSearch(): SearchForm {
  return { q: '', state: [], type: [], channel: [], item: '', from: '', to: '', page: 1 }
}

const list = (v: unknown): string[] => {
  const s = Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : ''
  return s.split(',').map((x) => x.trim()).filter(Boolean)
}
const str = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : typeof v === 'string' ? v : '')
const DATE = /^\d{4}-\d{2}-\d{2}$/

/** The form from the page's address (`#/search?q=…&state=a,b&page=2`). */
export function searchFromQuery(q: Record<string, unknown>): SearchForm {
  const page = Number(str(q.page))
  return {
    q: str(q.q).slice(0, SEARCH_MAX_CHARS),
    state: list(q.state),
    type: list(q.type),
    channel: list(q.channel),
    item: str(q.item),
    from: DATE.test(str(q.from)) ? str(q.from) : '',
    to: DATE.test(str(q.to)) ? str(q.to) : '',
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  }
}

/** The address for a form: only what is set, so a plain search has a plain address. */
export function searchToQuery(f: SearchForm): Record<string, string> {
  const out: Record<string, string> = {}
  if (f.q.trim()) out.q = f.q.trim()
  if (f.state.length) out.state = f.state.join(',')
  if (f.type.length) out.type = f.type.join(',')
  if (f.channel.length) out.channel = f.channel.join(',')
  if (f.item) out.item = f.item
  if (f.from) out.from = f.from
  if (f.to) out.to = f.to
  if (f.page > 1) out.page = String(f.page)
  return out
}

/** The day after a YYYY-MM-DD date (the search's `to` is exclusive). */
export function nextDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number)
  const x = new Date(Date.UTC(y, m - 1, d + 1))
  return x.toISOString().slice(0, 10)
}

/** The API parameters for a form: dates as China midnights (RFC 3339), `to` the next day's start. */
export function searchParams(f: SearchForm, pageSize = SEARCH_PAGE): SearchParams {
  return {
    q: f.q.trim(),
    state: f.state,
    type: f.type,
    channel: f.channel,
    item: f.item || undefined,
    from: f.from ? `${f.from}T00:00:00+08:00` : undefined,
    to: f.to ? `${nextDay(f.to)}T00:00:00+08:00` : undefined,
    offset: (Math.max(1, f.page) - 1) * pageSize,
    limit: pageSize,
  }
}

/** Fields of the intake form the live proposals need, from the workbench's own form. */
export function draftOf(p: NewCase): DraftFields {
  return {
    channel: p.channel,
    case_type: p.case_type,
    urgency: p.urgency,
    title: p.title,
    text: p.text,
    address: p.place.address,
    division_unit_id: p.place.division_unit_id,
    confidential: p.citizen.confidential,
    anonymous: p.citizen.anonymous,
  }
}
