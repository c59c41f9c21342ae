// Channels (issue 5): attachments (附件), the public report page (手机上报), the caller's history
// by phone (来电弹屏), citizen flags (恶意重复标记) and the citizen notice templates (通知模板).
// Same-origin requests carry the session cookie; files are fetched as blobs (an <img src> would
// bypass the error handling) and shown through object URLs the caller revokes.

import { http } from './index'
import { toApiError, networkError, ApiError } from './http'
import type { CaseSummary } from './types'

/** A stored file: what was sniffed from its bytes (never from its name). */
export interface AttachmentRef {
  id: string
  name: string
  content_type: string
  kind: 'photo' | 'document' | 'audio' | 'video' | string
  size: number
  sha256: string
  thumbnail: boolean
}

/** POST /api/public/cases: a citizen's report from the mobile page. */
export interface PublicReport {
  case_type: string
  title?: string
  text: string
  name?: string
  phone: string
  anonymous: boolean
  confidential: boolean
  address?: string
  latitude?: number
  longitude?: number
  coord_system?: 'wgs84' | 'gcj02'
  /** `mobile` (a phone) or `web`; the server takes `web` without it. */
  channel?: 'mobile' | 'web'
  attachments: string[]
}

export interface PublicReportResult {
  number: string
  track_url: string
}

/** GET /api/citizens/{phone}: the caller's history across channels. */
export interface CitizenHistory {
  phone_masked: string
  flag: CitizenFlag | null
  /** Whether the history stops at the server's limit. */
  truncated?: boolean
  total: number
  open: number
  unsatisfied: number
  channels: Record<string, number>
  cases: CaseSummary[]
}

/** A flag as staff see it (GET /api/citizen-flags, the history, the answer of a PUT). */
export interface CitizenFlag {
  phone_masked: string
  active: boolean
  reason: string
  set_by_name: string | null
  set_at: string | number
}

export interface NoticeTemplates {
  templates: Record<string, string>
  defaults: Record<string, string>
  placeholders: string[]
}

/** Where a file goes: the public endpoint (no login) or the staff one. */
export type UploadTarget = 'public' | 'staff'

export function uploadPath(target: UploadTarget, name: string): string {
  const base = target === 'public' ? '/api/public/attachments' : '/api/attachments'
  return `${base}?name=${encodeURIComponent(name)}`
}

/**
 * Uploads one file as the raw body; `onProgress` gets 0–1. XMLHttpRequest, not fetch: only it
 * reports upload progress. Errors are the API's (ApiError), like every other request.
 */
export function uploadFile(target: UploadTarget, file: Blob & { name?: string }, onProgress?: (f: number) => void, signal?: AbortSignal): Promise<AttachmentRef> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', uploadPath(target, file.name || 'file'))
    xhr.setRequestHeader('Accept', 'application/json')
    if (file.type) xhr.setRequestHeader('Content-Type', file.type)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as AttachmentRef)
        } catch {
          reject(new ApiError(xhr.status, 'bad_response', '服务器返回了无法识别的内容', 'the server sent something unreadable'))
        }
      } else {
        const err = toApiError(xhr.status, xhr.responseText)
        if (err.isUnauthenticated && target === 'staff') http.onUnauthenticated?.(err)
        reject(err)
      }
    }
    xhr.onerror = () => reject(networkError(new Error('upload failed')))
    xhr.onabort = () => reject(new ApiError(0, 'aborted', '已取消', 'cancelled'))
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(file)
  })
}

/** A file of a case (or its thumbnail) as a blob, with the session. */
export async function fetchAttachmentBlob(id: string, thumbnail = false): Promise<Blob> {
  const path = `/api/attachments/${encodeURIComponent(id)}${thumbnail ? '/thumbnail' : ''}`
  let res: Response
  try {
    res = await fetch(path, { credentials: 'same-origin' })
  } catch (cause) {
    throw networkError(cause)
  }
  if (!res.ok) throw toApiError(res.status, await res.text().catch(() => ''))
  return res.blob()
}

const enc = (s: string | number) => encodeURIComponent(String(s))

export const channelsApi = {
  publicReport: (r: PublicReport) => http.post<PublicReportResult>('/api/public/cases', r, { quiet401: true }),
  caseAttachments: (key: string | number) => http.get<AttachmentRef[]>(`/api/cases/${enc(key)}/attachments`),
  citizen: (phone: string) => http.get<CitizenHistory>(`/api/citizens/${enc(phone)}`),
  /** By the case, so that a masked number never needs unmasking. */
  setCaseCitizenFlag: (key: string | number, active: boolean, reason: string) =>
    http.put<CitizenFlag>(`/api/cases/${enc(key)}/citizen-flag`, { active, reason }),
  citizenFlags: () => http.get<CitizenFlag[]>('/api/citizen-flags'),
  noticeTemplates: () => http.get<NoticeTemplates>('/api/settings/notice-templates'),
  saveNoticeTemplates: (templates: Record<string, string>) => http.put<NoticeTemplates>('/api/settings/notice-templates', { templates }),
  /** The citizen's addition on the tracking page, with files uploaded through the public endpoint. */
  trackAddInfo: (number: string, phone4: string, note: string, attachments: string[]) =>
    http.post<import('./types').PublicCase>(
      `/api/track/${enc(number)}/actions/add_info`,
      attachments.length ? { phone4, note, attachments } : { phone4, note },
      { quiet401: true },
    ),
}
