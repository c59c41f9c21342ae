// The channels' components and views rendered to HTML (tests/render.ts): the report form in both
// modes, the uploader, the timeline's file names, the citizen flag, the delivery log's citizen rows.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { reactive } from 'vue'
import { render, text, fakeApi } from './render'
import ReportView from '../src/views/ReportView.vue'
import CitizenFlagsView from '../src/views/CitizenFlagsView.vue'
import NoticeTemplatesView from '../src/views/NoticeTemplatesView.vue'
import AttachmentUploader from '../src/components/AttachmentUploader.vue'
import CaseTimeline from '../src/components/CaseTimeline.vue'
import CitizenFlagButton from '../src/components/CitizenFlagButton.vue'
import { UploadQueue } from '../src/lib/channels'
import { useSession } from '../src/stores/session'
import type { TimelineEntry } from '../src/api/types'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('the report page', () => {
  it('public: the fields, the phone required, the file input as the brief asks, no login', async () => {
    fakeApi({})
    const { html, warnings } = await render(ReportView, { mode: 'public' })
    expect(warnings).toEqual([])
    const s = text(html)
    for (const label of ['手机上报', '诉求类型', '诉求内容', '标题（选填）', '姓名（选填）', '联系电话', '匿名反映', '要求保密', '事发地址', '获取当前位置', '照片与附件', '提交诉求'])
      expect(s, label).toContain(label)
    expect(html).toMatch(/<input[^>]*type="file"[^>]*accept="image\/\*,application\/pdf,audio\/\*"[^>]*capture[^>]*multiple/)
    expect(html).toContain('data-mode="public"')
  })

  it('grid: inside the app, the phone optional, 上报', async () => {
    fakeApi({})
    const { html, warnings } = await render(ReportView, { mode: 'grid' })
    expect(warnings).toEqual([])
    const s = text(html)
    expect(s).toContain('网格上报')
    expect(s).toContain('诉求人电话（选填）')
    expect(s).not.toContain('12345 ·') // no public header/footer
  })
})

describe('the uploader', () => {
  it('lists the files with their state and hides the add buttons when full', async () => {
    const q = reactive(new UploadQueue({ upload: () => new Promise(() => {}), limit: 2 })) as UploadQueue
    q.add([new File(['x'], '现场.png', { type: 'image/png' }), new File(['y'], '录音.mp3', { type: 'audio/mpeg' })])
    const { html, warnings } = await render(AttachmentUploader, { queue: q, testid: 'up' })
    expect(warnings).toEqual([])
    expect(text(html)).toContain('现场.png')
    expect((html.match(/data-testid="up-item"/g) ?? []).length).toBe(2)
    expect(html).toContain('data-state="uploading"')
    expect(html).not.toContain('data-testid="up-add"')
    expect(html).toContain('data-busy="true"')
  })
})

describe('the timeline', () => {
  it('names the files of an addition', async () => {
    const e: TimelineEntry = {
      seq: 3,
      at: '2026-03-01T02:00:00Z',
      kind: 'info_added',
      label: '市民补充诉求',
      actor: { user_id: null, name: '市民', role: 'citizen', unit_id: null, unit_name: null },
      note: '又坏了',
      internal: false,
      data: { attachments: [{ id: 'a', name: '路灯.jpg', content_type: 'image/jpeg', kind: 'photo', size: 1, sha256: '', thumbnail: true }] },
    }
    const { html } = await render(CaseTimeline, { entries: [e] })
    expect(text(html)).toContain('附件：路灯.jpg')
  })
})

describe('the citizen flag', () => {
  it('shows the red tag to everyone and the button to supervisors only', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    useSession().me = { user_id: 1, name: '督办', role: 'supervisor', role_label: '督办员', unit_id: null, unit_name: null }
    const flagged = await render(CitizenFlagButton, { caseKey: 'HK1', flag: { active: true, reason: '反复来电' } }, { pinia })
    expect(text(flagged.html)).toContain('恶意重复诉求：反复来电')
    expect(text(flagged.html)).toContain('取消标记')

    const p2 = createPinia()
    setActivePinia(p2)
    useSession().me = { user_id: 2, name: '坐席', role: 'operator', role_label: '话务员', unit_id: null, unit_name: null }
    const op = await render(CitizenFlagButton, { caseKey: 'HK1', flag: null }, { pinia: p2 })
    expect(op.html).not.toContain('citizen-flag-btn')
    expect(text(op.html)).not.toContain('恶意重复诉求')
  })
})

describe('the admin pages render their frame', () => {
  it('恶意重复名单', async () => {
    fakeApi({ '/api/citizen-flags': [] })
    const { html, warnings } = await render(CitizenFlagsView)
    expect(warnings).toEqual([])
    expect(text(html)).toContain('恶意重复名单')
    expect(html).toContain('data-testid="flags-table"')
  })

  it('通知模板', async () => {
    fakeApi({})
    const { html, warnings } = await render(NoticeTemplatesView)
    expect(warnings).toEqual([])
    expect(text(html)).toContain('通知模板')
    expect(html).toContain('data-testid="tpl-save"')
  })
})
