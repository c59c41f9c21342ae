// Channels (issue 5): the report form's checks and bodies, coordinates, 400 fields, the upload
// queue, the caller's history summary, notice templates and the delivery log's labels.

import { describe, expect, it, vi } from 'vitest'
import { reactive } from 'vue'
import { ApiError } from '../src/api/http'
import { uploadPath, type AttachmentRef, type CitizenHistory } from '../src/api/channels'
import type { CaseSummary } from '../src/api/types'
import {
  attachmentShow,
  blankReport,
  changedTemplates,
  citizenTemplateKey,
  entryAttachmentNames,
  errorField,
  failureKind,
  formatSize,
  gridCaseBody,
  groupTemplates,
  MAX_FILES,
  publicReportBody,
  recipientLabel,
  renderTemplate,
  SAMPLE_VALUES,
  summaryFromCases,
  summaryFromCitizen,
  titleFromText,
  unknownPlaceholders,
  UploadQueue,
  validateReport,
  wgs84ToGcj02,
  type ReportForm,
} from '../src/lib/channels'
import { canOpen, menuFor } from '../src/lib/nav'
import { messages } from '../src/lib/messages'

const form = (over: Partial<ReportForm> = {}): ReportForm => ({ ...blankReport(), text: '路灯不亮', phone: '13812345678', ...over })

describe('the report form', () => {
  it('needs text and, on the public page, a valid phone', () => {
    expect(validateReport(form(), 'public')).toEqual({})
    expect(validateReport(form({ text: '   ' }), 'public')).toEqual({ text: 'report.err.text' })
    expect(validateReport(form({ phone: '' }), 'public')).toEqual({ phone: 'report.err.phone' })
    expect(validateReport(form({ phone: '1381234567' }), 'public')).toEqual({ phone: 'report.err.phoneFormat' })
    expect(validateReport(form({ phone: '12812345678' }), 'public').phone).toBe('report.err.phoneFormat')
    // Landlines with an area code and +86 mobiles pass, like the server's PhoneNumber.
    expect(validateReport(form({ phone: '0898-66123456' }), 'public')).toEqual({})
    expect(validateReport(form({ phone: '+86 138 1234 5678' }), 'public')).toEqual({})
  })

  it('lets a grid worker leave the phone out, but not give a wrong one', () => {
    expect(validateReport(form({ phone: '' }), 'grid')).toEqual({})
    expect(validateReport(form({ phone: '123' }), 'grid')).toEqual({ phone: 'report.err.phoneFormat' })
  })

  it('counts characters, not UTF-16 units, against the limits', () => {
    expect(validateReport(form({ title: '路'.repeat(100) }), 'public')).toEqual({})
    expect(validateReport(form({ title: '路'.repeat(101) }), 'public')).toEqual({ title: 'report.err.titleLong' })
    expect(validateReport(form({ text: '𠀀'.repeat(5000) }), 'public')).toEqual({})
    expect(validateReport(form({ text: '𠀀'.repeat(5001) }), 'public')).toEqual({ text: 'report.err.textLong' })
    expect(validateReport(form({ address: 'x'.repeat(201) }), 'public')).toEqual({ address: 'report.err.addressLong' })
  })

  it('builds the public body: trimmed, optional fields left out, WGS-84 marked', () => {
    const b = publicReportBody(form({ text: ' 路灯不亮 ', phone: '138-1234-5678' }), [])
    expect(b).toEqual({ case_type: 'complaint', text: '路灯不亮', phone: '13812345678', anonymous: false, confidential: false, attachments: [] })
    const c = publicReportBody(
      form({ title: ' 标题 ', name: '张三', anonymous: true, confidential: true, address: ' 海秀东路 ', coords: { latitude: 20.03, longitude: 110.33, system: 'wgs84' } }),
      ['a1', 'a2'],
    )
    expect(c).toMatchObject({ title: '标题', address: '海秀东路', latitude: 20.03, longitude: 110.33, coord_system: 'wgs84', attachments: ['a1', 'a2'], anonymous: true, confidential: true })
    expect(c).not.toHaveProperty('name') // anonymous: no name is sent
    expect(c).not.toHaveProperty('channel')
    expect(publicReportBody(form(), [], 'mobile').channel).toBe('mobile')
  })

  it('builds the grid worker body: a title from the text, GCJ-02 coordinates, the files', () => {
    const b = gridCaseBody(form({ text: '井盖缺失，存在安全隐患。请尽快处理', phone: '', coords: { latitude: 39.915, longitude: 116.404, system: 'wgs84' } }), ['x'])
    expect(b.channel).toBe('grid_worker')
    expect(b.title).toBe('井盖缺失，存在安全隐患')
    expect(b.citizen.phone).toBeUndefined()
    expect(b.attachments).toEqual(['x'])
    // The reference value of the formula (crates/place/src/coord.rs), rounded to 6 places.
    expect(b.place).toEqual({ latitude: 39.916404, longitude: 116.410244 })
    expect(b).not.toHaveProperty('place.coord_system')
    const g = gridCaseBody(form({ title: '自定', coords: { latitude: 20, longitude: 110, system: 'gcj02' } }), [])
    expect(g.title).toBe('自定')
    expect(g.place).toEqual({ latitude: 20, longitude: 110 })
  })

  it('makes titles of at most 30 characters', () => {
    expect(titleFromText('  一二三  ')).toBe('一二三')
    expect([...titleFromText('路'.repeat(50))].length).toBe(31) // 30 and the ellipsis
    expect(titleFromText('第一句！第二句')).toBe('第一句')
  })
})

describe('coordinates', () => {
  it('converts WGS-84 to GCJ-02 like the server', () => {
    const [lon, lat] = wgs84ToGcj02(116.404, 39.915)
    expect(lon).toBeCloseTo(116.41024449916938, 10)
    expect(lat).toBeCloseTo(39.91640428150164, 10)
    // 海口: a few hundred metres east and south.
    const [hl, ha] = wgs84ToGcj02(110.33, 20.03)
    expect(hl - 110.33).toBeGreaterThan(0.004)
    expect(hl - 110.33).toBeLessThan(0.0047)
    expect(ha - 20.03).toBeLessThan(-0.0018)
    expect(ha - 20.03).toBeGreaterThan(-0.0023)
  })

  it('leaves points outside China alone', () => {
    expect(wgs84ToGcj02(2.35, 48.85)).toEqual([2.35, 48.85])
  })
})

describe('errors of a submission', () => {
  const e400 = (details: unknown) => new ApiError(400, 'invalid_input', '字段 phone：格式不正确', 'field phone: bad', details)
  const FIELDS = ['text', 'phone', 'title', 'latitude']

  it('finds the field a 400 is about', () => {
    expect(errorField(e400({ field: 'phone' }), FIELDS)).toBe('phone')
    expect(errorField(e400({ field: 'citizen.phone' }), FIELDS)).toBe('phone')
    expect(errorField(e400({ reason: 'latitude: invalid type: string "x", expected f64 at line 1 column 9' }), FIELDS)).toBe('latitude')
    expect(errorField(e400({ field: 'catalogue_item' }), FIELDS)).toBeNull()
    expect(errorField(e400(null), FIELDS)).toBeNull()
    expect(errorField(new ApiError(429, 'rate_limited', '太频繁', 'slow down', { field: 'phone' }), FIELDS)).toBeNull()
    expect(errorField(new Error('x'), FIELDS)).toBeNull()
  })

  it('tells rate limits and sizes apart', () => {
    expect(failureKind(new ApiError(429, 'rate_limited', '', ''))).toBe('rate_limited')
    expect(failureKind(new ApiError(413, 'payload_too_large', '', ''))).toBe('too_large')
    expect(failureKind(e400({}))).toBe('invalid')
    expect(failureKind(new ApiError(500, 'internal', '', ''))).toBe('other')
    expect(failureKind('boom')).toBe('other')
  })
})

// --- The upload queue ----------------------------------------------------------------------------

function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const file = (name: string, type = 'image/png') => new File([new Uint8Array([1, 2, 3])], name, { type })
const ref = (id: string, name = `${id}.png`): AttachmentRef => ({ id, name, content_type: 'image/png', kind: 'photo', size: 3, sha256: 'x', thumbnail: true })
const flush = () => new Promise((r) => setTimeout(r, 0))

describe('the upload queue', () => {
  function setup(limit?: number) {
    const pending = new Map<string, { d: ReturnType<typeof deferred<AttachmentRef>>; progress: (f: number) => void }>()
    const upload = vi.fn((f: File, onProgress: (x: number) => void) => {
      const d = deferred<AttachmentRef>()
      pending.set(f.name, { d, progress: onProgress })
      return d.promise
    })
    const revoke = vi.fn()
    let n = 0
    const q = reactive(
      new UploadQueue({ upload, objectUrl: () => `blob:${++n}`, revoke, message: (e) => `failed: ${(e as Error).message}`, limit }),
    ) as UploadQueue
    return { q, upload, revoke, pending }
  }

  it('starts each upload at once, shows progress and gives the ids in the order picked', async () => {
    const { q, upload, pending } = setup()
    expect(q.add([file('a.png'), file('b.pdf', 'application/pdf')])).toEqual({ added: 2, skipped: 0 })
    expect(upload).toHaveBeenCalledTimes(2)
    expect(q.items.map((i) => [i.name, i.state, i.preview])).toEqual([
      ['a.png', 'uploading', 'blob:1'],
      ['b.pdf', 'uploading', null], // no local thumbnail of a PDF
    ])
    expect(q.busy).toBe(true)
    pending.get('a.png')!.progress(0.5)
    pending.get('a.png')!.progress(0.3) // progress never goes back
    expect(q.items[0].progress).toBe(0.5)
    pending.get('b.pdf')!.d.resolve(ref('B'))
    await flush()
    expect(q.ids).toEqual(['B'])
    pending.get('a.png')!.d.resolve(ref('A'))
    await flush()
    expect(q.ids).toEqual(['A', 'B'])
    expect(q.busy).toBe(false)
    expect(q.items[0].progress).toBe(1)
  })

  it(`takes at most ${MAX_FILES} files`, () => {
    const { q, upload } = setup()
    const files = Array.from({ length: 11 }, (_, i) => file(`f${i}.png`))
    expect(q.add(files)).toEqual({ added: 9, skipped: 2 })
    expect(q.full).toBe(true)
    expect(q.add([file('late.png')])).toEqual({ added: 0, skipped: 1 })
    expect(upload).toHaveBeenCalledTimes(9)
  })

  it('keeps a failed upload out of the ids until a retry succeeds', async () => {
    const { q, upload, pending } = setup()
    q.add([file('a.png')])
    pending.get('a.png')!.d.reject(new Error('413'))
    await flush()
    expect(q.items[0]).toMatchObject({ state: 'failed', error: 'failed: 413' })
    expect(q.failed).toBe(1)
    expect(q.ids).toEqual([])
    const again = q.retry(q.items[0].key)
    expect(upload).toHaveBeenCalledTimes(2)
    expect(q.items[0].state).toBe('uploading')
    pending.get('a.png')!.d.resolve(ref('A'))
    await again
    expect(q.ids).toEqual(['A'])
    expect(q.failed).toBe(0)
  })

  it('forgets a file removed while uploading and revokes its preview', async () => {
    const { q, revoke, pending } = setup()
    q.add([file('a.png'), file('b.png')])
    q.remove(q.items[0].key)
    expect(revoke).toHaveBeenCalledWith('blob:1')
    pending.get('a.png')!.d.resolve(ref('A'))
    pending.get('b.png')!.d.resolve(ref('B'))
    await flush()
    expect(q.ids).toEqual(['B'])
    expect(q.full).toBe(false)
    q.clear()
    expect(q.items).toEqual([])
    expect(revoke).toHaveBeenCalledWith('blob:2')
  })

  it('uploads to the public or the staff endpoint with the name in the query', () => {
    expect(uploadPath('public', '现场 1.jpg')).toBe('/api/public/attachments?name=%E7%8E%B0%E5%9C%BA%201.jpg')
    expect(uploadPath('staff', 'a&b.png')).toBe('/api/attachments?name=a%26b.png')
  })

  it('formats sizes', () => {
    expect(formatSize(512)).toBe('512 B')
    expect(formatSize(2048)).toBe('2.0 KB')
    expect(formatSize(300 * 1024)).toBe('300 KB')
    expect(formatSize(5 * 1024 * 1024)).toBe('5.0 MB')
  })
})

describe('attachments of a case', () => {
  it('shows photos, recordings and other files each their way', () => {
    expect(attachmentShow({ kind: 'photo', content_type: 'image/jpeg' })).toBe('photo')
    expect(attachmentShow({ kind: 'document', content_type: 'image/png' })).toBe('photo')
    expect(attachmentShow({ kind: 'audio', content_type: 'audio/mpeg' })).toBe('audio')
    expect(attachmentShow({ kind: 'document', content_type: 'application/pdf' })).toBe('file')
  })

  it('names the files of a timeline entry', () => {
    expect(entryAttachmentNames({ attachments: [ref('1', '现场.jpg'), { id: '2' }, 'id-3'] })).toEqual(['现场.jpg', 'id-3'])
    expect(entryAttachmentNames({})).toEqual([])
    expect(entryAttachmentNames(null)).toEqual([])
    expect(entryAttachmentNames({ attachments: 'x' })).toEqual([])
  })
})

// --- 来电弹屏 ----------------------------------------------------------------------------------------

const cs = (state: string, channel: string): CaseSummary =>
  ({ id: 1, number: 'HK1', state, state_label: '', case_type: 'complaint', channel, urgency: 'normal', title: '', address: null, lead_unit: null, handling_unit: null, supervision: 'none', received_at: '', updated_at: '', version: 1 }) as CaseSummary

describe('the caller history summary', () => {
  it('takes the server counts, sorts the channels and shows only an active flag', () => {
    const h: CitizenHistory = {
      phone_masked: '138****5678',
      flag: { phone_masked: '138****5678', active: true, reason: '反复来电', set_by_name: '督办员', set_at: '2026-01-01T00:00:00Z' },
      total: 7,
      open: 2,
      unsatisfied: 1,
      channels: { web: 2, phone: 4, wechat: 0, email: 2 },
      cases: [cs('closed', 'phone')],
    }
    const s = summaryFromCitizen(h)
    expect(s.total).toBe(7)
    expect(s.channels).toEqual([
      { code: 'phone', count: 4 },
      { code: 'email', count: 2 },
      { code: 'web', count: 2 },
    ])
    expect(s.flag).toEqual({ reason: '反复来电' })
    expect(summaryFromCitizen({ ...h, flag: { ...h.flag!, active: false } }).flag).toBeNull()
    expect(summaryFromCitizen({ ...h, flag: null }).flag).toBeNull()
  })

  it('counts the case list itself when the server has no /api/citizens', () => {
    const s = summaryFromCases([cs('closed', 'phone'), cs('handling', 'web'), cs('unsatisfied', 'phone'), cs('withdrawn', 'phone')])
    expect(s).toMatchObject({ total: 4, open: 2, unsatisfied: 1, flag: null, phoneMasked: null })
    expect(s.channels).toEqual([
      { code: 'phone', count: 3 },
      { code: 'web', count: 1 },
    ])
  })
})

// --- 通知模板 ----------------------------------------------------------------------------------------

describe('notice templates', () => {
  it('previews with the sample values and keeps unknown placeholders visible', () => {
    expect(renderTemplate('工单{number}：{title}')).toBe(`工单${SAMPLE_VALUES.number}：${SAMPLE_VALUES.title}`)
    expect(renderTemplate('{number}{number}', { number: '1' })).toBe('11')
    expect(renderTemplate('{nope} {unit}', { unit: '龙华区' })).toBe('{nope} 龙华区')
  })

  it('finds placeholders the server would refuse', () => {
    const allowed = ['number', 'title', 'link', 'reply', 'unit', 'received']
    expect(unknownPlaceholders('【12345】{number} {link}', allowed)).toEqual([])
    expect(unknownPlaceholders('{numbr} {x} {x} {}', allowed)).toEqual(['numbr', 'x', ''])
  })

  it('groups by channel: SMS, e-mail, WeChat; the subject before its body', () => {
    const g = groupTemplates(['wechat.redo', 'email.replied', 'sms.redo', 'email.acknowledged', 'sms.acknowledged', 'email.acknowledged.subject', 'fax.x'])
    expect(g.map((x) => x.channel)).toEqual(['sms', 'email', 'wechat', 'fax'])
    expect(g[0].keys).toEqual(['sms.acknowledged', 'sms.redo'])
    expect(g[1].keys).toEqual(['email.acknowledged.subject', 'email.acknowledged', 'email.replied'])
  })

  it('saves only what changed', () => {
    expect(changedTemplates({ a: '1', b: '2x', c: '3' }, { a: '1', b: '2', c: '3' })).toEqual({ b: '2x' })
    expect(changedTemplates({ a: '1' }, { a: '1' })).toEqual({})
  })
})

describe('the delivery log', () => {
  it('shows a citizen recipient as given and a staff one by number', () => {
    expect(recipientLabel({ channel: 'sms', recipient: '138****5678' })).toBe('138****5678')
    expect(recipientLabel({ channel: 'email', recipient: 'a@b.cn' })).toBe('a@b.cn')
    expect(recipientLabel({ channel: 'inapp', recipient: '12' })).toBe('#12')
    expect(recipientLabel({ channel: 'sms', recipient: null })).toBe('')
  })

  it('labels the citizen templates', () => {
    const fallback = (t: string) => `fb.${t}`
    expect(citizenTemplateKey('acknowledged', fallback)).toBe('notice.template.acknowledged')
    expect(citizenTemplateKey('urge', fallback)).toBe('fb.urge')
    for (const k of ['acknowledged', 'replied', 'redo']) {
      expect(messages.zh[`notice.template.${k}`]).toBeTruthy()
      expect(messages.en[`notice.template.${k}`]).toBeTruthy()
    }
  })
})

describe('menus', () => {
  it('gives 网格上报 to grid workers, 恶意重复名单 to supervisors, leaders and the administrator, 通知模板 to the administrator', () => {
    expect(menuFor('grid_worker')[0]).toMatchObject({ page: 'gridReport', path: '/grid/report' })
    for (const r of ['supervisor', 'leader', 'admin'] as const) expect(canOpen(r, 'citizenFlags')).toBe(true)
    for (const r of ['operator', 'dispatcher', 'unit_handler', 'unit_leader', 'grid_worker'] as const) expect(canOpen(r, 'citizenFlags')).toBe(false)
    expect(canOpen('admin', 'templates')).toBe(true)
    for (const r of ['operator', 'dispatcher', 'supervisor', 'leader', 'unit_handler', 'unit_leader', 'grid_worker'] as const) {
      expect(canOpen(r, 'templates')).toBe(false)
      if (r !== 'grid_worker') expect(canOpen(r, 'gridReport')).toBe(false)
    }
  })
})
