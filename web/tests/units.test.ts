import { describe, expect, it } from 'vitest'
import type { Unit, UnitKind } from '../src/api/types'
import { ancestorIds, buildUnitTree, cascaderPath, chosenUnit, countNodes, dispatchTree, divisionTree, unitPathLabel } from '../src/lib/units'

function u(id: number, name: string, kind: UnitKind, parent: number | null, path: string, extra: Partial<Unit> = {}): Unit {
  return { id, code: `C${String(id).padStart(3, '0')}`, name, kind, parent_id: parent, path, division_code: null, department_type: null, active: true, ...extra }
}

// The demo city's shape, in the API's order (by path string, so 美兰区 comes after departments).
const UNITS: Unit[] = [
  u(1, '海口市人民政府', 'city', null, '/1/'),
  u(2, '海口市12345政府服务热线中心', 'centre', 1, '/1/2/'),
  u(4, '龙华区', 'district', 1, '/1/4/'),
  u(17, '金贸街道', 'street', 4, '/1/4/17/'),
  u(200, '玉沙社区居民委员会', 'community', 17, '/1/4/17/200/'),
  u(201, '世贸社区', 'community', 17, '/1/4/17/201/', { active: false }),
  u(548, '龙华区综合行政执法局', 'department', 4, '/1/4/548/'),
  u(520, '海口市综合行政执法局', 'department', 1, '/1/520/'),
  u(563, '海口市水务集团', 'company', 1, '/1/563/'),
  u(6, '美兰区', 'district', 1, '/1/6/'),
  u(30, '白龙街道', 'street', 6, '/1/6/30/'),
]

describe('buildUnitTree', () => {
  it('nests by path, drops inactive units, and orders territorial units first', () => {
    const tree = buildUnitTree(UNITS)
    expect(tree).toHaveLength(1)
    const city = tree[0]
    expect(city.label).toBe('海口市人民政府')
    expect(city.children!.map((n) => n.label)).toEqual(['海口市12345政府服务热线中心', '龙华区', '美兰区', '海口市综合行政执法局', '海口市水务集团'])
    const longhua = city.children!.find((n) => n.value === 4)!
    expect(longhua.children!.map((n) => n.label)).toEqual(['金贸街道', '龙华区综合行政执法局'])
    const jinmao = longhua.children![0]
    expect(jinmao.children!.map((n) => n.value)).toEqual([200]) // 世贸社区 is inactive
    expect(jinmao.children![0].children).toBeUndefined() // leaves have no children array
    expect(countNodes(tree)).toBe(10)
  })

  it('keeps inactive units when asked', () => {
    expect(countNodes(buildUnitTree(UNITS, { activeOnly: false }))).toBe(11)
  })

  it('hangs a kept unit under its nearest kept ancestor when kinds are filtered', () => {
    const tree = buildUnitTree(UNITS, { kinds: ['district', 'community'] })
    expect(tree.map((n) => n.label)).toEqual(['龙华区', '美兰区'])
    expect(tree[0].children!.map((n) => n.label)).toEqual(['玉沙社区居民委员会'])
  })

  it('gives a subtree without its root', () => {
    const tree = buildUnitTree(UNITS, { rootId: 4 })
    expect(tree.map((n) => n.label)).toEqual(['金贸街道', '龙华区综合行政执法局'])
    const withRoot = buildUnitTree(UNITS, { rootId: 4, includeRoot: true })
    expect(withRoot.map((n) => n.label)).toEqual(['龙华区'])
  })

  it('falls back to parent links when a path is missing, and survives orphans', () => {
    const units = [u(1, 'A', 'district', null, ''), u(2, 'B', 'street', 1, ''), u(3, 'C', 'community', 99, '')]
    expect(ancestorIds(units[1], new Map(units.map((x) => [x.id, x])))).toEqual([1])
    const tree = buildUnitTree(units)
    expect(tree.map((n) => n.label)).toEqual(['A', 'C'])
    expect(tree[0].children!.map((n) => n.label)).toEqual(['B'])
  })

  it('does not loop on a cycle of parent links', () => {
    const units = [u(1, 'A', 'district', 2, ''), u(2, 'B', 'street', 1, '')]
    expect(() => buildUnitTree(units)).not.toThrow()
  })
})

describe('the intake cascader', () => {
  const tree = divisionTree(UNITS)

  it('is district → street → community only', () => {
    expect(tree.map((n) => n.label)).toEqual(['龙华区', '美兰区'])
    expect(tree[0].children!.map((n) => n.label)).toEqual(['金贸街道'])
    expect(tree[0].children![0].children!.map((n) => n.kind)).toEqual(['community'])
  })

  it('maps a chosen unit to a cascader path and back', () => {
    expect(cascaderPath(tree, 200)).toEqual([4, 17, 200])
    expect(cascaderPath(tree, 6)).toEqual([6])
    expect(cascaderPath(tree, 520)).toEqual([])
    expect(chosenUnit([4, 17, 200])).toBe(200)
    expect(chosenUnit([4])).toBe(4)
    expect(chosenUnit([])).toBeUndefined()
    expect(chosenUnit(null)).toBeUndefined()
  })

  it('labels a division by its territorial path', () => {
    expect(unitPathLabel(UNITS, 200)).toBe('龙华区 / 金贸街道 / 玉沙社区居民委员会')
    expect(unitPathLabel(UNITS, 520)).toBe('海口市综合行政执法局')
    expect(unitPathLabel(UNITS, 999)).toBe('#999')
    expect(unitPathLabel(UNITS, null)).toBe('')
  })
})

describe('the dispatch picker', () => {
  it('offers districts, streets, departments and companies but not the city or the centre', () => {
    const tree = dispatchTree(UNITS)
    const labels = tree.map((n) => n.label)
    expect(labels).toEqual(['龙华区', '美兰区', '海口市综合行政执法局', '海口市水务集团'])
    expect(labels).not.toContain('海口市12345政府服务热线中心')
  })
})
