// Channels (issue 5), the pure parts: the report form's checks and request bodies, the upload
// queue, coordinates, field errors of a 400, the caller's history summary, notice templates.

import { ApiError } from '../api/http'
import type { AttachmentRef, CitizenHistory, PublicReport } from '../api/channels'
import type { CaseSummary, NewCase } from '../api/types'
import { normalizePhone } from './format'

// --- The report form (手机上报 / 网格上报) ------------------------------------------------------------

/** At most this many files with one report or addition (the server's limit too). */
export const MAX_FILES = 9
/** What the file picker offers. */
export const ACCEPT = 'image/*,application/pdf,audio/*'

export interface Coords {
  latitude: number
  longitude: number
  /** What the device reported: browsers give WGS-84. */
  system: 'wgs84' | 'gcj02'
  accuracy?: number
}

export interface ReportForm {
  case_type: string
  title: string
  text: string
  name: string
  phone: string
  anonymous: boolean
  confidential: boolean
  address: string
  coords: Coords | null
}

export function blankReport(): ReportForm {
  return { case_type: 'complaint', title: '', text: '', name: '', phone: '', anonymous: false, confidential: false, address: '', coords: null }
}

/** Field → i18n key of what is wrong. A grid worker's report needs no phone (the worker is known). */
export function validateReport(f: ReportForm, mode: 'public' | 'grid'): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!f.case_type) errors.case_type = 'report.err.type'
  const text = f.text.trim()
  if (!text) errors.text = 'report.err.text'
  else if ([...text].length > 5000) errors.text = 'report.err.textLong'
  if ([...f.title.trim()].length > 100) errors.title = 'report.err.titleLong'
  if (mode === 'public') {
    if (!f.phone.trim()) errors.phone = 'report.err.phone'
    else if (!normalizePhone(f.phone)) errors.phone = 'report.err.phoneFormat'
  } else if (f.phone.trim() && !normalizePhone(f.phone)) errors.phone = 'report.err.phoneFormat'
  if ([...f.address.trim()].length > 200) errors.address = 'report.err.addressLong'
  return errors
}

/** A title from the start of the text when none was given (the staff API needs one). */
export function titleFromText(text: string, max = 30): string {
  const one = text.trim().replace(/\s+/g, ' ')
  const first = one.split(/[。！？!?\n]/)[0] || one
  const chars = [...first]
  return chars.length > max ? chars.slice(0, max).join('') + '…' : first
}

/** The body of POST /api/public/cases. Coordinates go as the device gave them (WGS-84). */
export function publicReportBody(f: ReportForm, attachments: string[], channel?: 'mobile' | 'web'): PublicReport {
  const body: PublicReport = {
    case_type: f.case_type,
    text: f.text.trim(),
    phone: normalizePhone(f.phone) ?? f.phone.trim(),
    anonymous: f.anonymous,
    confidential: f.confidential,
    attachments,
  }
  if (f.title.trim()) body.title = f.title.trim()
  if (f.name.trim() && !f.anonymous) body.name = f.name.trim()
  if (f.address.trim()) body.address = f.address.trim()
  if (f.coords) {
    body.latitude = f.coords.latitude
    body.longitude = f.coords.longitude
    body.coord_system = f.coords.system
  }
  if (channel) body.channel = channel
  return body
}

/**
 * The body of POST /api/cases for a grid worker (渠道 grid_worker: the server sets it). The staff
 * API keeps coordinates in GCJ-02, as the grids and district polygons are (crates/app/src/place.rs)
 * and takes no coordinate system, so the device's WGS-84 is converted here.
 */
export function gridCaseBody(f: ReportForm, attachments: string[]): NewCase {
  const text = f.text.trim()
  const phone = normalizePhone(f.phone) ?? undefined
  const place: NewCase['place'] = {}
  if (f.address.trim()) place.address = f.address.trim()
  if (f.coords) {
    const [lon, lat] = f.coords.system === 'wgs84' ? wgs84ToGcj02(f.coords.longitude, f.coords.latitude) : [f.coords.longitude, f.coords.latitude]
    place.latitude = round6(lat)
    place.longitude = round6(lon)
  }
  return {
    channel: 'grid_worker',
    case_type: f.case_type,
    title: f.title.trim() || titleFromText(text),
    text,
    urgency: 'normal',
    citizen: {
      name: f.anonymous || !f.name.trim() ? undefined : f.name.trim(),
      phone,
      confidential: f.confidential,
      anonymous: f.anonymous,
    },
    place,
    attachments,
    after: 'forward',
  }
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6

// --- Coordinates (the same formula as crates/place/src/coord.rs) --------------------------------

const KRASOVSKY_A = 6378245.0
const KRASOVSKY_EE = 0.006693421622965943

export function outOfChina(lon: number, lat: number): boolean {
  return !(lon >= 72.004 && lon <= 137.8347) || !(lat >= 0.8293 && lat <= 55.8271)
}

function transformLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0
  return r
}

function transformLon(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0
  return r
}

/** WGS-84 → GCJ-02 as [lon, lat]; points outside China are returned unchanged. */
export function wgs84ToGcj02(lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat]
  const x = lon - 105.0
  const y = lat - 35.0
  const dlatM = transformLat(x, y)
  const dlonM = transformLon(x, y)
  const radLat = (lat / 180.0) * Math.PI
  const magic = 1 - KRASOVSKY_EE * Math.sin(radLat) ** 2
  const sqrtMagic = Math.sqrt(magic)
  const dlat = (dlatM * 180.0) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI)
  const dlon = (dlonM * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(radLat) * Math.PI)
  return [lon + dlon, lat + dlat]
}

/** "20.04407, 110.19989" for the form. */
export function formatCoords(c: Pick<Coords, 'latitude' | 'longitude'>): string {
  return `${c.latitude.toFixed(5)}, ${c.longitude.toFixed(5)}`
}

// --- Errors of a request ------------------------------------------------------------------------

/**
 * Which field a 400 is about: `details.field` (the domain's checks), else the first of `fields`
 * named in serde's `details.reason` ("phone: …").
 */
export function errorField(err: unknown, fields: readonly string[]): string | null {
  if (!(err instanceof ApiError) || err.status !== 400) return null
  const d = (err.details ?? {}) as { field?: unknown; reason?: unknown }
  if (typeof d.field === 'string') {
    const f = d.field.split('.').pop() ?? d.field
    return fields.includes(f) ? f : fields.includes(d.field) ? d.field : null
  }
  if (typeof d.reason === 'string') {
    for (const f of fields) if (new RegExp(`(^|[^\\w])${f}\\b`).test(d.reason)) return f
  }
  return null
}

/** What kind of failure a submission met: the page words each differently. */
export function failureKind(err: unknown): 'rate_limited' | 'too_large' | 'invalid' | 'other' {
  if (!(err instanceof ApiError)) return 'other'
  if (err.status === 429 || err.code === 'rate_limited') return 'rate_limited'
  if (err.status === 413 || err.code === 'payload_too_large') return 'too_large'
  if (err.status === 400) return 'invalid'
  return 'other'
}

// --- The upload queue -------------------------------------------------------------------------

export type UploadState = 'uploading' | 'done' | 'failed'

export interface UploadItem {
  key: number
  name: string
  size: number
  type: string
  /** A local object URL for the thumbnail (images only), revoked on removal. */
  preview: string | null
  progress: number
  state: UploadState
  error: string
  ref: AttachmentRef | null
}

export type Uploader = (file: File, onProgress: (f: number) => void) => Promise<AttachmentRef>

export interface QueueDeps {
  upload: Uploader
  /** URL.createObjectURL (absent in tests). */
  objectUrl?: (f: File) => string | null
  revoke?: (url: string) => void
  /** The message of a failed upload. */
  message?: (err: unknown) => string
  limit?: number
}

/**
 * Files picked for a report: each uploads at once; the report names the ids of those done.
 * Make it reactive (`reactive(new UploadQueue(…))`): its methods then change the proxy.
 */
export class UploadQueue {
  items: UploadItem[] = []
  private next = 1
  private readonly deps: QueueDeps
  private readonly files = new Map<number, File>()

  constructor(deps: QueueDeps) {
    this.deps = deps
  }

  get limit(): number {
    return this.deps.limit ?? MAX_FILES
  }

  /** Adds files up to the limit and starts their uploads; returns how many were left out. */
  add(files: Iterable<File>): { added: number; skipped: number } {
    let added = 0
    let skipped = 0
    for (const file of files) {
      if (this.items.length >= this.limit) {
        skipped++
        continue
      }
      const key = this.next++
      const isImage = file.type.startsWith('image/')
      this.items.push({
        key,
        name: file.name,
        size: file.size,
        type: file.type,
        preview: isImage ? (this.deps.objectUrl?.(file) ?? null) : null,
        progress: 0,
        state: 'uploading',
        error: '',
        ref: null,
      })
      this.files.set(key, file)
      void this.start(key)
      added++
    }
    return { added, skipped }
  }

  private find(key: number): UploadItem | undefined {
    return this.items.find((i) => i.key === key)
  }

  private async start(key: number): Promise<void> {
    const file = this.files.get(key)
    const item = this.find(key)
    if (!file || !item) return
    item.state = 'uploading'
    item.progress = 0
    item.error = ''
    try {
      const ref = await this.deps.upload(file, (f) => {
        const it = this.find(key)
        if (it && it.state === 'uploading') it.progress = Math.max(it.progress, Math.min(1, f))
      })
      const it = this.find(key)
      if (!it) return // removed while uploading
      it.ref = ref
      it.progress = 1
      it.state = 'done'
    } catch (e) {
      const it = this.find(key)
      if (!it) return
      it.state = 'failed'
      it.error = this.deps.message ? this.deps.message(e) : String(e)
    }
  }

  /** Tries a failed upload again. */
  retry(key: number): Promise<void> {
    const it = this.find(key)
    if (!it || it.state !== 'failed') return Promise.resolve()
    return this.start(key)
  }

  remove(key: number): void {
    const i = this.items.findIndex((x) => x.key === key)
    if (i < 0) return
    const [it] = this.items.splice(i, 1)
    if (it.preview) this.deps.revoke?.(it.preview)
    this.files.delete(key)
  }

  clear(): void {
    for (const it of [...this.items]) this.remove(it.key)
  }

  /** The ids to send, in the order picked. */
  get ids(): string[] {
    return this.items.filter((i) => i.state === 'done' && i.ref).map((i) => i.ref!.id)
  }

  get busy(): boolean {
    return this.items.some((i) => i.state === 'uploading')
  }

  get failed(): number {
    return this.items.filter((i) => i.state === 'failed').length
  }

  get full(): boolean {
    return this.items.length >= this.limit
  }
}

/** "1.2 MB" */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

// --- Attachments of a case ----------------------------------------------------------------------

export type AttachmentShow = 'photo' | 'audio' | 'video' | 'file'

export function attachmentShow(a: Pick<AttachmentRef, 'kind' | 'content_type'>): AttachmentShow {
  if (a.kind === 'photo' || a.content_type.startsWith('image/')) return 'photo'
  if (a.kind === 'audio' || a.content_type.startsWith('audio/')) return 'audio'
  if (a.kind === 'video' || a.content_type.startsWith('video/')) return 'video'
  return 'file'
}

/** The file names a timeline entry carries (`data.attachments`: references or ids). */
export function entryAttachmentNames(data: Record<string, unknown> | null | undefined): string[] {
  const list = data?.attachments
  if (!Array.isArray(list)) return []
  return list
    .map((a) => (typeof a === 'string' ? a : a && typeof a === 'object' && typeof (a as { name?: unknown }).name === 'string' ? (a as { name: string }).name : ''))
    .filter((s) => s !== '')
}

// --- The caller's history (来电弹屏) ------------------------------------------------------------

const CLOSED = ['closed', 'archived', 'merged', 'voided', 'withdrawn']

export interface HistorySummary {
  phoneMasked: string | null
  total: number
  open: number
  unsatisfied: number
  /** The channels used, most first (ties by code). */
  channels: { code: string; count: number }[]
  flag: { reason: string } | null
  cases: CaseSummary[]
}

function sortedChannels(m: Record<string, number>): { code: string; count: number }[] {
  return Object.entries(m)
    .filter(([, n]) => n > 0)
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
}

/** From GET /api/citizens/{phone}. */
export function summaryFromCitizen(c: CitizenHistory): HistorySummary {
  return {
    phoneMasked: c.phone_masked || null,
    total: c.total,
    open: c.open,
    unsatisfied: c.unsatisfied,
    channels: sortedChannels(c.channels ?? {}),
    flag: c.flag && c.flag.active ? { reason: c.flag.reason } : null,
    cases: c.cases ?? [],
  }
}

/** From the case list filtered by phone (servers without /api/citizens): counts of that page. */
export function summaryFromCases(cases: CaseSummary[]): HistorySummary {
  const channels: Record<string, number> = {}
  for (const c of cases) channels[c.channel] = (channels[c.channel] ?? 0) + 1
  return {
    phoneMasked: null,
    total: cases.length,
    open: cases.filter((c) => !CLOSED.includes(c.state)).length,
    unsatisfied: cases.filter((c) => c.state === 'unsatisfied').length,
    channels: sortedChannels(channels),
    flag: null,
    cases,
  }
}

// --- Notice templates (通知模板) -----------------------------------------------------------------

export const SAMPLE_VALUES: Record<string, string> = {
  number: 'HK20261122000123',
  title: '夜间施工噪音扰民',
  link: 'https://12345.example.gov.cn/#/track?number=HK20261122000123',
  reply: '已责令施工单位停止夜间施工，并安排夜间巡查。',
  unit: '龙华区',
  received: '2026-11-22 10:26',
}

/** Fills `{placeholder}`s; unknown ones stay as they are (the server refuses them on save). */
export function renderTemplate(text: string, values: Record<string, string> = SAMPLE_VALUES): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? values[k] : m))
}

/** The placeholders a text uses that are not allowed. */
export function unknownPlaceholders(text: string, allowed: readonly string[]): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/\{([^{}]*)\}/g)) if (!allowed.includes(m[1]) && !out.includes(m[1])) out.push(m[1])
  return out
}

export interface TemplateGroup {
  channel: string
  keys: string[]
}

const CHANNEL_ORDER = ['sms', 'email', 'wechat']
const TEMPLATE_ORDER = ['acknowledged', 'replied', 'redo']

function templateRank(key: string): [number, number, number] {
  const [, tpl = '', sub = ''] = key.split('.')
  const t = TEMPLATE_ORDER.indexOf(tpl)
  return [t < 0 ? TEMPLATE_ORDER.length : t, sub === 'subject' ? 0 : 1, 0]
}

/** Keys grouped by channel (the part before the first dot): sms, email, wechat, then others. */
export function groupTemplates(keys: Iterable<string>): TemplateGroup[] {
  const by = new Map<string, string[]>()
  for (const k of keys) {
    const ch = k.split('.')[0]
    if (!by.has(ch)) by.set(ch, [])
    by.get(ch)!.push(k)
  }
  const rank = (c: string) => (CHANNEL_ORDER.includes(c) ? CHANNEL_ORDER.indexOf(c) : CHANNEL_ORDER.length)
  return [...by.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([channel, list]) => ({
      channel,
      keys: list.sort((a, b) => {
        const ra = templateRank(a)
        const rb = templateRank(b)
        return ra[0] - rb[0] || ra[1] - rb[1] || a.localeCompare(b)
      }),
    }))
}

/** Only the templates whose text differs from what the server holds. */
export function changedTemplates(edited: Record<string, string>, saved: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(edited)) if (saved[k] !== v) out[k] = v
  return out
}

// --- The delivery log (通知记录) ----------------------------------------------------------------

/** Channels that reach the citizen (the rest reach staff). */
export const CITIZEN_CHANNELS = ['sms', 'email', 'wechat']

export function isCitizenNotice(n: { channel: string }): boolean {
  return CITIZEN_CHANNELS.includes(n.channel)
}

/** i18n key of a notice's template: the citizen's ones, else `fallback` (lib/notifications). */
export function citizenTemplateKey(template: string, fallback: (t: string) => string): string {
  return ['acknowledged', 'replied', 'redo'].includes(template) ? `notice.template.${template}` : fallback(template)
}

/** The recipient as shown: a staff user by number (#12), a citizen's address as the server gave it. */
export function recipientLabel(n: { channel: string; recipient?: string | null }): string {
  if (n.recipient === undefined || n.recipient === null || n.recipient === '') return ''
  return isCitizenNotice(n) ? String(n.recipient) : `#${n.recipient}`
}
