import { describe, expect, it } from 'vitest'
import type { CatalogueItem } from '../src/api/oversight'
import { ancestorCodes, buildCatalogueTree, compareCodes, countByLevel, importProblems, limitRows, limitText, pathName } from '../src/lib/catalogue'
import sample from './fixtures/catalogue_sample.json'

const items = sample.items as CatalogueItem[]
const item = (code: string, parent: string | null, name = code, extra: Partial<CatalogueItem> = {}): CatalogueItem => ({
  code,
  name,
  parent,
  keywords: [],
  examples: [],
  department_type: null,
  handling_level: 'district',
  territorial: false,
  default_urgency: 'normal',
  limits: null,
  co_handling: [],
  active: true,
  ...extra,
})

describe('compareCodes', () => {
  it('orders numeric parts as numbers and parents before children', () => {
    expect(['01.10', '01.2', '01', 'ZS', '01.2.001'].sort(compareCodes)).toEqual(['01', '01.2', '01.2.001', '01.10', 'ZS'])
  })
})

describe('buildCatalogueTree', () => {
  it('nests the flat list of the API into three levels, siblings by code', () => {
    const tree = buildCatalogueTree(items)
    expect(tree.map((n) => n.id)).toEqual(['01', 'ZS'])
    const zs = tree[1]
    expect(zs.label).toBe('噪声污染')
    expect(zs.level).toBe(1)
    expect(zs.children?.map((n) => n.id)).toEqual(['ZS.01', 'ZS.02', 'ZS.03', 'ZS.04'])
    const dance = zs.children![1].children!.find((n) => n.id === 'ZS.02.001')!
    expect(dance).toEqual({ id: 'ZS.02.001', label: '广场舞噪声', level: 3, active: true })
    expect(countByLevel(tree)).toEqual([2, 5, 27])
    expect(countByLevel(tree).reduce((a, b) => a + b)).toBe(items.length)
  })

  it('does not depend on the input order', () => {
    const shuffled = [...items].reverse()
    expect(buildCatalogueTree(shuffled)).toEqual(buildCatalogueTree(items))
  })

  it('keeps items whose parent is missing as roots, and survives cycles and duplicates', () => {
    const tree = buildCatalogueTree([item('A', null), item('B.1', 'B'), item('A.1', 'A'), item('A.1', 'A'), item('X', 'Y'), item('Y', 'X')])
    expect(tree.map((n) => n.id)).toEqual(['A', 'B.1', 'X'])
    expect(tree[0].children?.map((n) => n.id)).toEqual(['A.1'])
    expect(tree[2].children?.map((n) => n.id)).toEqual(['Y'])
    expect(countByLevel(tree)).toEqual([3, 2])
  })

  it('gives leaves no children array (the tree shows no expander for them)', () => {
    const [root] = buildCatalogueTree([item('A', null), item('A.1', 'A')])
    expect(root.children![0]).not.toHaveProperty('children')
  })

  it('builds the full 600+ item catalogue quickly', () => {
    const big: CatalogueItem[] = []
    for (let a = 1; a <= 20; a++) {
      const ca = String(a).padStart(2, '0')
      big.push(item(ca, null))
      for (let b = 1; b <= 8; b++) {
        const cb = `${ca}.${String(b).padStart(2, '0')}`
        big.push(item(cb, ca))
        for (let c = 1; c <= 5; c++) big.push(item(`${cb}.${String(c).padStart(3, '0')}`, cb))
      }
    }
    const t0 = performance.now()
    const tree = buildCatalogueTree(big)
    expect(performance.now() - t0).toBeLessThan(200)
    expect(countByLevel(tree)).toEqual([20, 160, 800])
  })
})

describe('paths', () => {
  const byCode = new Map(items.map((i) => [i.code, i]))
  it('lists the ancestors to expand, root first', () => {
    expect(ancestorCodes('ZS.02.001', byCode)).toEqual(['ZS', 'ZS.02'])
    expect(ancestorCodes('ZS', byCode)).toEqual([])
    expect(ancestorCodes('nope', byCode)).toEqual([])
  })
  it('names the path as the search API does', () => {
    expect(pathName('ZS.02.001', byCode)).toBe('噪声污染 / 社会生活噪声 / 广场舞噪声')
  })
})

describe('limits', () => {
  it('reads each kind of limit', () => {
    expect(limitText({ kind: 'working_days', days: 15 })).toBe('15 个工作日')
    expect(limitText({ kind: 'working_hours', hours: 4 })).toBe('4 个工作小时')
    expect(limitText({ kind: 'wall_clock', minutes: 120 })).toBe('2 小时')
    expect(limitText({ kind: 'wall_clock', minutes: 30 })).toBe('30 分钟')
    expect(limitText({ kind: 'working_days', days: 15 }, 'en')).toBe('15 working days')
    expect(limitText(null)).toBe('')
  })

  it('lists only the urgencies an item sets limits for', () => {
    const demolition = items.find((i) => i.code === '01.06.001')!
    expect(limitRows(demolition.limits)).toEqual([{ urgency: 'normal', sign: '', contact: '', reply: '15 个工作日' }])
    expect(limitRows(items.find((i) => i.code === 'ZS.02.001')!.limits)).toEqual([])
    expect(limitRows(null)).toEqual([])
  })
})

describe('importProblems', () => {
  it('reads the problems of a refused import', () => {
    const details = { field: 'catalogue', problems: [{ code: 'duplicate_code', message_zh: '编码重复：01', message_en: 'duplicate code: 01' }, { code: 'x' }] }
    expect(importProblems(details)).toEqual([
      { code: 'duplicate_code', message_zh: '编码重复：01', message_en: 'duplicate code: 01' },
      { code: 'x', message_zh: '', message_en: undefined },
    ])
    expect(importProblems(null)).toEqual([])
    expect(importProblems({ problems: 'no' })).toEqual([])
  })
})
