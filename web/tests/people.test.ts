import { describe, expect, it } from 'vitest'
import { ApiError } from '../src/api/http'
import type { Person } from '../src/api/registry'
import type { Unit } from '../src/api/types'
import {
  blankPersonForm,
  cascaderValuesFromPaths,
  formFromPerson,
  importErrors,
  kindTagType,
  loadPercent,
  loadStatus,
  pathsFromUnitIds,
  personInputFrom,
  scorePercent,
} from '../src/lib/people'
import { divisionTree } from '../src/lib/units'

const unit = (id: number, name: string, kind: Unit['kind'], path: string, parent: number | null): Unit => ({
  id,
  code: String(id),
  name,
  kind,
  parent_id: parent,
  path,
  division_code: null,
  department_type: null,
  active: true,
})
const units: Unit[] = [
  unit(1, '海口市', 'city', '/1/', null),
  unit(3, '龙华区', 'district', '/1/3/', 1),
  unit(4, '金贸街道', 'street', '/1/3/4/', 3),
  unit(5, '玉沙社区', 'community', '/1/3/4/5/', 4),
  unit(7, '美兰区', 'district', '/1/7/', 1),
]
const byId = new Map(units.map((u) => [u.id, u]))

describe('load bars', () => {
  it('is a percentage of capacity, capped, and turns red when full', () => {
    expect(loadPercent(0, 10)).toBe(0)
    expect(loadPercent(3, 4)).toBe(75)
    expect(loadPercent(12, 10)).toBe(100)
    expect(loadPercent(1, 0)).toBe(100)
    expect([loadStatus(1, 10), loadStatus(8, 10), loadStatus(10, 10)]).toEqual(['success', 'warning', 'exception'])
  })

  it('shows scores as percentages and kinds in their colours', () => {
    expect(scorePercent(0.8234)).toBe(82)
    expect(scorePercent(1.4)).toBe(100)
    expect(kindTagType('mediator')).toBe('primary')
    expect(kindTagType('expert')).toBe('warning')
  })
})

describe('areas between the unit picker and the API', () => {
  it('turns chosen unit ids into paths without repeats', () => {
    expect(pathsFromUnitIds([5, 7, 5, 99], byId)).toEqual(['/1/3/4/5/', '/1/7/'])
  })

  it('turns paths back into cascader values of the division tree (districts are its roots)', () => {
    const tree = divisionTree(units)
    expect(cascaderValuesFromPaths(['/1/3/4/5/', '/1/7/', '/9/'], units, tree)).toEqual([[3, 4, 5], [7]])
  })

  it('round-trips a person through the editor form', () => {
    const p: Person = {
      id: 9,
      name: '符海燕',
      kind: 'mediator',
      organisation: '金贸街道人民调解委员会',
      phone: null,
      specialties: ['婚姻家庭', '邻里纠纷'],
      areas: ['/1/3/4/', '/1/3/4/5/'],
      capacity: 8,
      active: true,
      note: null,
      updated_at: 0,
      kind_label: '调解员',
      load: 2,
      area_names: ['金贸街道', '玉沙社区'],
    }
    const f = formFromPerson(p, units, divisionTree(units))
    expect(f.areas).toEqual([[3, 4], [3, 4, 5]])
    expect(personInputFrom(f, byId)).toEqual({
      name: '符海燕',
      kind: 'mediator',
      organisation: '金贸街道人民调解委员会',
      phone: null,
      specialties: ['婚姻家庭', '邻里纠纷'],
      areas: ['/1/3/4/', '/1/3/4/5/'],
      capacity: 8,
      active: true,
      note: null,
    })
    expect(personInputFrom(blankPersonForm(), byId).areas).toEqual([])
  })
})

describe('a refused import', () => {
  it('lists each problem with its line in the interface language', () => {
    const err = new ApiError(400, 'invalid_input', '人员名册有 2 处错误', '2 errors', {
      field: 'csv',
      errors: [
        { line: 3, field: 'kind', message_zh: '未知类别“律师”', message_en: 'unknown kind' },
        { line: 5, field: 'areas', message_zh: '没有代码为 9 的区', message_en: 'no such area' },
      ],
    })
    expect(importErrors(err, 'zh')).toEqual([
      { line: 3, field: 'kind', message: '未知类别“律师”' },
      { line: 5, field: 'areas', message: '没有代码为 9 的区' },
    ])
    expect(importErrors(err, 'en')[1].message).toBe('no such area')
    expect(importErrors(new ApiError(403, 'role_forbidden', '无权', 'no'), 'zh')).toEqual([])
    expect(importErrors(new Error('x'), 'zh')).toEqual([])
  })
})
