// The 智能分类 and 工单检索 components and views, rendered to HTML (tests/render.ts) with fetch mocked.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { render, text, fakeApi } from './render'
import ClassificationCard from '../src/components/ClassificationCard.vue'
import ClassificationProposals from '../src/components/ClassificationProposals.vue'
import CatalogueItemPicker from '../src/components/CatalogueItemPicker.vue'
import ReviewQueueView from '../src/views/ReviewQueueView.vue'
import ClassifierView from '../src/views/ClassifierView.vue'
import SearchView from '../src/views/SearchView.vue'
import { PREVIEW_DELAY_MS } from '../src/lib/classification'
import { actionBody, actionForm, initialValues } from '../src/lib/actions'
import type { CaseDetail, NewCase } from '../src/api/types'

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

const PROPOSALS = [
  { item: '010203', name: '城乡建设 / 城市建设和市政管理 / 路灯', confidence: 0.874 },
  { item: '010204', name: '城乡建设 / 城市建设和市政管理 / 井盖', confidence: 0.08 },
  { item: '0301', name: '交通运输 / 道路 / 道路破损', confidence: 0.02 },
]

function detail(over: Record<string, unknown> = {}, actions: string[] = []): CaseDetail {
  return {
    case: {
      id: 11,
      number: 'HK20260301000011',
      state: 'dispatched',
      version: 5,
      intake: {
        case_type: 'complaint',
        channel: 'phone',
        title: '路灯不亮',
        text: '海秀东路路灯不亮',
        urgency: 'normal',
        catalogue_item: '010204',
        external_id: null,
        tags: [],
        place: { address: null, division_unit_id: null, latitude: null, longitude: null },
      },
      classification: { proposals: PROPOSALS, model_version: 4, catalogue_version: 2, auto: false, threshold: 0.9 },
      item_source: 'dispatcher',
      recurrences: [],
      routing: { lead: null, assisting: [], rule: 'territorial', item_code: '010204', item_path: '城乡建设 / 城市建设和市政管理 / 井盖', catalogue_version: 2, place: null, reasons_zh: [] },
      ...over,
    },
    citizen: {} as CaseDetail['citizen'],
    timeline: [],
    actions,
  } as unknown as CaseDetail
}

describe('ClassificationCard (case page)', () => {
  it('shows the item, who chose it, the proposals with confidence and the review status', async () => {
    const { html, warnings } = await render(ClassificationCard, { detail: detail(), reload: async () => {} })
    const s = text(html)
    expect(warnings).toEqual([])
    expect(s).toContain('当前事项 井盖 010204')
    expect(s).toContain('城乡建设 / 城市建设和市政管理 / 井盖')
    expect(s).toContain('分类来源 派单员确认/更正')
    expect(s).toContain('派单员已更正分类') // the top proposal was 路灯
    expect(s).toContain('v4 · 自动派单阈值 90%')
    expect(s).toContain('1. 路灯')
    expect(s).toContain('87%')
    expect(html).not.toContain('cls-use-') // no reclassify action offered
    expect(html).not.toContain('cls-recurrences')
  })

  it('offers 改为此项 on the other proposals to those who may reclassify', async () => {
    const { html } = await render(ClassificationCard, { detail: detail({}, ['reclassify']), reload: async () => {} })
    expect(html).toContain('data-testid="cls-use-1"')
    expect(html).not.toContain('data-testid="cls-use-2"') // 井盖 is the item already
    expect(html).toContain('data-testid="cls-use-3"')
    expect(text(html)).toContain('改为此项')
  })

  it('links the recurrences (回潮)', async () => {
    const { html } = await render(ClassificationCard, { detail: detail({ recurrences: [{ id: 3, number: 'HK20260228000003' }] }), reload: async () => {} })
    expect(html).toContain('data-testid="cls-recurrences"')
    expect(html).toContain('href="/cases/HK20260228000003"')
    expect(text(html)).toContain('回潮工单')
  })

  it('says when a case went out automatically', async () => {
    const auto = detail({ classification: { proposals: PROPOSALS, model_version: 4, catalogue_version: 2, auto: true, threshold: 0.8 }, item_source: 'classifier' })
    expect(text((await render(ClassificationCard, { detail: auto, reload: async () => {} })).html)).toContain('自动派单（置信度达到阈值）')
  })

  it('renders a case from an older server (no classification fields)', async () => {
    const old = detail({ classification: undefined, item_source: undefined, recurrences: undefined, routing: undefined })
    ;(old.case.intake as { catalogue_item: string | null }).catalogue_item = null
    const { html, warnings } = await render(ClassificationCard, { detail: old, reload: async () => {} })
    expect(warnings).toEqual([])
    expect(text(html)).toContain('未分类')
    expect(text(html)).toContain('受理时未进行智能分类')
  })
})

const draft = (over: Partial<NewCase> = {}): NewCase => ({
  channel: 'phone',
  case_type: 'complaint',
  title: '海秀东路路灯不亮',
  text: '海秀东路 88 号门口的路灯一周都不亮了',
  urgency: 'normal',
  citizen: { phone: '13800138000', caller_number: '13800138000', name: '张先生', confidential: false, anonymous: false },
  place: { division_unit_id: 17 },
  after: 'forward',
  ...over,
})

const PREVIEW = {
  classification: { proposals: PROPOSALS, model_version: 4, catalogue_version: 2, auto: false, threshold: 0.9 },
  routing: { lead: { id: 4, name: '龙华区', kind: 'district', parent_id: 1, path: '/1/4/' }, assisting: [], rule: 'territorial', item_code: '010203', item_path: PROPOSALS[0].name, catalogue_version: 2, place: null, reasons_zh: [] },
  similar: [],
}

describe('ClassificationProposals (workbench)', () => {
  it('asks for nothing and says what to do while the draft is short', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const api = fakeApi({ '/api/cases/preview': PREVIEW })
    const { html, warnings } = await render(ClassificationProposals, { draft: draft({ title: '', text: '路灯' }), modelValue: '' })
    expect(warnings).toEqual([])
    expect(text(html)).toContain('输入标题或诉求内容后，系统将给出分类建议')
    expect(text(html)).toContain('Alt+1/2/3 选择')
    expect(html).toContain('data-testid="wb-item"')
    vi.advanceTimersByTime(PREVIEW_DELAY_MS * 2)
    expect(api.calls).toEqual([])
  })

  it('previews the draft after the pause, without the citizen\'s details', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const api = fakeApi({ '/api/cases/preview': PREVIEW })
    await render(ClassificationProposals, { draft: draft(), modelValue: '' })
    expect(api.calls).toEqual([])
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    expect(api.calls).toHaveLength(1)
    expect(api.calls[0]).toMatchObject({ method: 'POST', url: '/api/cases/preview' })
    const body = api.calls[0].body as Record<string, unknown>
    expect(body).toMatchObject({ title: '海秀东路路灯不亮', case_type: 'complaint', place: { division_unit_id: 17 } })
    expect(body).not.toHaveProperty('catalogue_item')
    expect(JSON.stringify(body)).not.toContain('13800138000')
  })

  it('with an item chosen, routes by it and still asks the classifier for the proposals', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const api = fakeApi({ '/api/cases/preview': PREVIEW, '/api/classify': PREVIEW.classification })
    await render(ClassificationProposals, { draft: draft(), modelValue: '0301' })
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    expect(api.calls.map((c) => c.url).sort()).toEqual(['/api/cases/preview', '/api/classify'])
    expect(api.calls.find((c) => c.url === '/api/cases/preview')!.body).toMatchObject({ catalogue_item: '0301' })
    expect(api.calls.find((c) => c.url === '/api/classify')!.body).toEqual({ title: '海秀东路路灯不亮', text: '海秀东路 88 号门口的路灯一周都不亮了' })
  })
})

describe('CatalogueItemPicker', () => {
  it('renders a searchable select with its test id and placeholder', async () => {
    const { html, warnings } = await render(CatalogueItemPicker, { modelValue: null, testid: 'af-item', placeholder: '输入关键词搜索职责清单事项' })
    expect(warnings).toEqual([])
    expect(html).toContain('data-testid="af-item"')
    expect(html).toContain('输入关键词搜索职责清单事项')
  })
})

describe('the 改分类 action dialog', () => {
  it('asks for a catalogue item and sends it with the version', () => {
    const f = actionForm('reclassify', null)
    expect(f.fields.map((x) => [x.key, x.kind, !!x.required, x.labelText])).toEqual([['item', 'catalogue', true, '事项']])
    const v = initialValues(f)
    expect(v).toEqual({ item: '' })
    expect(actionBody(f, { item: '010203' }, '', 7)).toEqual({ version: 7, item: '010203' })
  })
})

describe('the views render their frame', () => {
  it('分类审核: title, the explanation and the list', async () => {
    fakeApi({})
    const { html, warnings } = await render(ReviewQueueView)
    expect(warnings).toEqual([])
    const s = text(html)
    expect(s).toContain('分类审核')
    expect(s).toContain('待派单工单即审核队列')
    expect(html).toContain('data-testid="review-list"')
  })

  it('智能分类: the settings form with its limits, the retrain button and the models table', async () => {
    fakeApi({})
    const { html, warnings } = await render(ClassifierView)
    expect(warnings).toEqual([])
    const s = text(html)
    // (el-table draws its columns once mounted: not in a server render.)
    for (const label of ['启用智能分类', '自动派单阈值', '事项最少样本数', '使用内置训练数据', '保存设置', '重新训练', '模型版本'])
      expect(s, label).toContain(label)
    expect(s).toContain('0.5 ≤ 自动派单阈值 ≤ 1')
    expect(s).toContain('尚未训练任何模型')
    expect(html).toContain('data-testid="cls-settings"')
  })

  it('工单检索: the search box and the filters', async () => {
    fakeApi({})
    const { html, warnings } = await render(SearchView)
    expect(warnings).toEqual([])
    const s = text(html)
    for (const label of ['工单检索', '检索', '状态', '诉求类型', '受理渠道', '受理日期', '事项']) expect(s, label).toContain(label)
    expect(html).toContain('data-testid="search-q"')
    expect(html).toContain('maxlength="200"')
  })
})
