import { describe, expect, it } from 'vitest'
import type { Meta } from '../src/api/types'
import { ACTION_FIELDS, actionBody, actionForm, actionLabel, initialValues, isVisible, validateAction } from '../src/lib/actions'
import metaJson from './fixtures/meta.json'

// A copy of GET /api/meta from the demo server.
const meta = metaJson as unknown as Meta

describe('the action table', () => {
  it('covers every action /api/meta lists', () => {
    const missing = meta.actions.map((a) => a.code).filter((c) => !(c in ACTION_FIELDS))
    expect(missing).toEqual([])
  })

  it('refers only to enumerations that /api/meta has', () => {
    for (const specs of Object.values(ACTION_FIELDS)) {
      for (const f of specs) {
        if (f.enumOf) expect(Array.isArray(meta[f.enumOf]), f.enumOf).toBe(true)
      }
    }
  })
})

describe('actionForm', () => {
  it('dispatch: a required lead unit and optional assisting units', () => {
    const f = actionForm('dispatch', meta)
    expect(f.label).toBe('派单')
    expect(f.noteRequired).toBe(false)
    expect(f.fields.map((x) => [x.key, x.kind, !!x.required])).toEqual([
      ['lead_unit_id', 'unit', true],
      ['assisting_unit_ids', 'units', false],
    ])
  })

  it('return: reasons from meta with Chinese labels, and the note required as meta says', () => {
    const f = actionForm('return', meta)
    expect(f.noteRequired).toBe(true)
    expect(f.fields[0].options).toEqual([
      { value: 'not_ours', label: '非本单位职责' },
      { value: 'wrong_place', label: '不属本辖区' },
      { value: 'duplicate', label: '重复工单' },
      { value: 'insufficient_info', label: '信息不全' },
    ])
  })

  it('callback: outcomes from meta; English labels in English', () => {
    expect(actionForm('callback', meta).fields[0].options.map((o) => o.label)).toEqual(['满意', '基本满意', '不满意', '未接通', '拒评'])
    const en = actionForm('callback', meta, 'en')
    expect(en.label).toBe('Callback')
    expect(en.fields[0].labelText).toBe('Callback outcome')
    expect(en.fields[0].options[0].label).toBe('Satisfied')
  })

  it('supervise leaves out "none"', () => {
    expect(actionForm('supervise', meta).fields[0].options.map((o) => o.value)).toEqual(['yellow', 'red'])
  })

  it('pass_down picks among the units below the actor', () => {
    expect(actionForm('pass_down', meta).fields[0]).toMatchObject({ key: 'to_unit_id', kind: 'unit', scope: 'below' })
  })

  it('an action unknown to the table still gets a note, required per meta', () => {
    const m: Meta = { ...meta, actions: [...meta.actions, { code: 'future_action', label: '将来', roles: [], states: [], note_required: true }] }
    const f = actionForm('future_action', m)
    expect(f.fields).toEqual([])
    expect(f.noteRequired).toBe(true)
    expect(f.label).toBe('将来')
  })

  it('without meta, labels fall back to the dictionary, then the code', () => {
    expect(actionLabel(null, 'sign', 'en')).toBe('Sign')
    expect(actionLabel(null, 'sign', 'zh')).toBe('Sign') // no Chinese label without meta: the English one beats the code
    expect(actionLabel(null, 'not_an_action', 'zh')).toBe('not_an_action')
  })
})

describe('validateAction and actionBody', () => {
  it('require the note where meta says so', () => {
    const f = actionForm('handle', meta)
    expect(validateAction(f, initialValues(f), '  ')).toEqual(['此操作须填写理由'])
    expect(validateAction(f, initialValues(f), '已到现场查看')).toEqual([])
  })

  it('require the required fields', () => {
    const f = actionForm('reply', meta)
    const v = initialValues(f)
    expect(v).toEqual({ text: '', solved: 'solved' })
    expect(validateAction(f, v, '')).toEqual(['请填写「反馈内容」'])
    v.text = '已处理'
    expect(validateAction(f, v, '')).toEqual([])
  })

  it('dispatch body: version, numeric unit ids, assisting list, note only when given', () => {
    const f = actionForm('dispatch', meta)
    const v = initialValues(f)
    v.lead_unit_id = '4'
    expect(actionBody(f, v, '', 2)).toEqual({ version: 2, lead_unit_id: 4, assisting_unit_ids: [] })
    v.assisting_unit_ids = [548, '520']
    expect(actionBody(f, v, ' 请加快 ', 2)).toEqual({ version: 2, note: '请加快', lead_unit_id: 4, assisting_unit_ids: [548, 520] })
  })

  it('review_return: the unit pickers only when reassigning', () => {
    const f = actionForm('review_return', meta)
    const v = initialValues(f)
    expect(v.decision).toBe('reassign')
    expect(validateAction(f, v, '')).toEqual(['请填写「主办单位」'])
    v.decision = 'to_pool'
    expect(isVisible(f.fields[1], v)).toBe(false)
    expect(validateAction(f, v, '')).toEqual([])
    expect(actionBody(f, v, '', 7)).toEqual({ version: 7, decision: 'to_pool' })
    v.decision = 'reassign'
    v.lead_unit_id = 548
    expect(actionBody(f, v, '', 7)).toEqual({ version: 7, decision: 'reassign', lead_unit_id: 548, assisting_unit_ids: [] })
  })

  it('review_reply and review_extension send booleans', () => {
    const rr = actionForm('review_reply', meta)
    expect(actionBody(rr, initialValues(rr), '', 5)).toEqual({ version: 5, pass: true })
    const re = actionForm('review_extension', meta)
    const v = initialValues(re)
    v.approve = false
    v.days = 3
    expect(actionBody(re, v, '', 9)).toEqual({ version: 9, approve: false }) // days only when approving
    v.approve = true
    expect(actionBody(re, v, '', 9)).toEqual({ version: 9, approve: true, days: 3 })
  })

  it('callback: optional solved and comment are left out when empty', () => {
    const f = actionForm('callback', meta)
    const v = initialValues(f)
    v.outcome = 'satisfied'
    expect(actionBody(f, v, '', 6)).toEqual({ version: 6, outcome: 'satisfied' })
    v.solved = 'solved'
    v.comment = ' 很及时 '
    expect(actionBody(f, v, '', 6)).toEqual({ version: 6, outcome: 'satisfied', solved: 'solved', comment: '很及时' })
  })

  it('request_extension checks the number of days', () => {
    const f = actionForm('request_extension', meta)
    const v = initialValues(f)
    expect(v.days).toBe(3)
    v.days = 0
    expect(validateAction(f, v, '材料待补')).toHaveLength(1)
    v.days = 5
    expect(validateAction(f, v, '材料待补')).toEqual([])
    expect(actionBody(f, v, '材料待补', 4)).toEqual({ version: 4, note: '材料待补', days: 5 })
  })

  it('escalate and merge send the leader id as a number and the case number as text', () => {
    const e = actionForm('escalate', meta)
    expect(actionBody(e, { leader_user_id: '5' }, '两次不满意', 3)).toEqual({ version: 3, note: '两次不满意', leader_user_id: 5 })
    const m = actionForm('merge', meta)
    expect(actionBody(m, { into: ' HK20261122000001 ' }, '', 3)).toEqual({ version: 3, into: 'HK20261122000001' })
  })
})
