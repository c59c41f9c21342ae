// The unit tree from GET /api/units (a flat list ordered by path, parents first), shaped for
// Element Plus cascaders and tree selects: {value, label, children}.

import type { Unit, UnitKind } from '../api/types'

// A type alias (not an interface) so it fits Element Plus's index-signature option types.
export type UnitNode = {
  value: number
  label: string
  kind: UnitKind
  children?: UnitNode[]
}

export interface TreeOptions {
  /** Keep only these kinds (a kept unit hangs under its nearest kept ancestor). */
  kinds?: UnitKind[]
  /** Keep only the subtree of this unit. */
  rootId?: number | null
  /** With rootId: whether the root itself is a node (default false: its descendants only). */
  includeRoot?: boolean
  /** Drop inactive units (default true). */
  activeOnly?: boolean
  /** Order siblings by kind (territorial first, then departments, then companies), then code (default true). */
  sort?: boolean
}

const KIND_RANK: Record<UnitKind, number> = { city: 0, centre: 1, district: 2, street: 3, community: 4, department: 5, company: 6 }

/** The ids on a unit's path, root first, from `path` ("/1/4/17/"), falling back to parent links. */
export function ancestorIds(unit: Unit, byId?: Map<number, Unit>): number[] {
  const fromPath = unit.path
    .split('/')
    .filter((s) => s !== '')
    .map(Number)
    .filter((n) => Number.isFinite(n))
  if (fromPath.length > 0 && fromPath[fromPath.length - 1] === unit.id) return fromPath.slice(0, -1)
  // No usable path: walk the parent links (guarding against cycles).
  const out: number[] = []
  const seen = new Set<number>([unit.id])
  let p = unit.parent_id
  while (p !== null && byId && !seen.has(p)) {
    out.unshift(p)
    seen.add(p)
    p = byId.get(p)?.parent_id ?? null
  }
  return out
}

export function buildUnitTree(units: Unit[], opts: TreeOptions = {}): UnitNode[] {
  const byId = new Map(units.map((u) => [u.id, u]))
  const activeOnly = opts.activeOnly ?? true
  const rootId = opts.rootId ?? null
  const kept = units.filter((u) => {
    if (activeOnly && !u.active) return false
    if (opts.kinds && !opts.kinds.includes(u.kind)) return false
    if (rootId !== null) {
      if (u.id === rootId) return opts.includeRoot === true
      if (!ancestorIds(u, byId).includes(rootId)) return false
    }
    return true
  })
  if (opts.sort ?? true) {
    kept.sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.code.localeCompare(b.code) || a.id - b.id)
  }
  const keptIds = new Set(kept.map((u) => u.id))
  const nodes = new Map<number, UnitNode>()
  for (const u of kept) nodes.set(u.id, { value: u.id, label: u.name, kind: u.kind })
  const roots: UnitNode[] = []
  for (const u of kept) {
    const node = nodes.get(u.id)!
    const ancestors = ancestorIds(u, byId)
    let parent: UnitNode | undefined
    for (let i = ancestors.length - 1; i >= 0; i--) {
      if (keptIds.has(ancestors[i])) {
        parent = nodes.get(ancestors[i])
        break
      }
    }
    if (parent) (parent.children ??= []).push(node)
    else roots.push(node)
  }
  return roots
}

/** The territorial cascader of the intake form: district → street → community. */
export function divisionTree(units: Unit[]): UnitNode[] {
  return buildUnitTree(units, { kinds: ['district', 'street', 'community'] })
}

/** Units a case may be dispatched to: everything but the city government and the hotline centre. */
export function dispatchTree(units: Unit[]): UnitNode[] {
  return buildUnitTree(units, { kinds: ['district', 'street', 'community', 'department', 'company'] })
}

/** The ids from the cascader's root down to `id` (the cascader's value for a chosen unit). */
export function cascaderPath(tree: UnitNode[], id: number): number[] {
  const walk = (nodes: UnitNode[], trail: number[]): number[] | null => {
    for (const n of nodes) {
      const here = [...trail, n.value]
      if (n.value === id) return here
      if (n.children) {
        const found = walk(n.children, here)
        if (found) return found
      }
    }
    return null
  }
  return walk(tree, []) ?? []
}

/** The chosen unit of a cascader value (its last element), or undefined. */
export function chosenUnit(path: readonly number[] | null | undefined): number | undefined {
  return path && path.length > 0 ? path[path.length - 1] : undefined
}

/** "龙华区 / 金贸街道 / 玉沙社区" for a unit, for display. */
export function unitPathLabel(units: Unit[] | Map<number, Unit>, id: number | null | undefined, from: UnitKind[] = ['district', 'street', 'community']): string {
  if (id === null || id === undefined) return ''
  const byId = units instanceof Map ? units : new Map(units.map((u) => [u.id, u]))
  const u = byId.get(id)
  if (!u) return `#${id}`
  const chain = [...ancestorIds(u, byId), u.id]
    .map((i) => byId.get(i))
    .filter((x): x is Unit => !!x && from.includes(x.kind))
  return (chain.length ? chain : [u]).map((x) => x.name).join(' / ')
}

export function countNodes(nodes: UnitNode[]): number {
  return nodes.reduce((n, x) => n + 1 + countNodes(x.children ?? []), 0)
}
