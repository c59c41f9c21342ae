// The responsibility catalogue (职责清单): the flat item list of GET /api/catalogue shaped as a
// tree for a virtualised tree view, and the item details as people read them.

import type { CatalogueItem, ItemLimits, Limit } from '../api/oversight'
import { translate, type Lang } from './i18n'

// A type alias (not an interface) so it fits Element Plus's tree data types.
export type CatalogueNode = {
  /** The item code (the tree's key). */
  id: string
  label: string
  /** 1, 2 or 3 (deeper if a catalogue ever nests further). */
  level: number
  active: boolean
  children?: CatalogueNode[]
}

/** Orders codes part by part, numerically where both parts are numbers ("01.2" < "01.10"). */
export function compareCodes(a: string, b: string): number {
  const pa = a.split('.')
  const pb = b.split('.')
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]
    const y = pb[i]
    if (x === y) continue
    const nx = /^\d+$/.test(x) ? Number(x) : NaN
    const ny = /^\d+$/.test(y) ? Number(y) : NaN
    if (!Number.isNaN(nx) && !Number.isNaN(ny) && nx !== ny) return nx - ny
    return x < y ? -1 : 1
  }
  return pa.length - pb.length
}

/**
 * The tree: each item under its parent, siblings by code. Items whose parent is missing become
 * roots (a catalogue being repaired still shows everything); cycles are cut.
 */
export function buildCatalogueTree(items: readonly CatalogueItem[]): CatalogueNode[] {
  const byCode = new Map<string, CatalogueItem>()
  for (const it of items) byCode.set(it.code, it)
  const kids = new Map<string, CatalogueItem[]>()
  const roots: CatalogueItem[] = []
  for (const it of byCode.values()) {
    const p = it.parent
    if (p && p !== it.code && byCode.has(p)) {
      const list = kids.get(p)
      if (list) list.push(it)
      else kids.set(p, [it])
    } else roots.push(it)
  }
  const seen = new Set<string>()
  const make = (it: CatalogueItem, level: number): CatalogueNode => {
    seen.add(it.code)
    const node: CatalogueNode = { id: it.code, label: it.name, level, active: it.active }
    const children = (kids.get(it.code) ?? []).filter((c) => !seen.has(c.code)).sort((a, b) => compareCodes(a.code, b.code))
    if (children.length) node.children = children.map((c) => make(c, level + 1))
    return node
  }
  const out = roots.sort((a, b) => compareCodes(a.code, b.code)).map((r) => make(r, 1))
  // Items only reachable through a cycle: show them as roots rather than lose them.
  for (const it of [...byCode.values()].sort((a, b) => compareCodes(a.code, b.code))) if (!seen.has(it.code)) out.push(make(it, 1))
  return out
}

/** How many nodes the tree has at each level (1-based index). */
export function countByLevel(nodes: readonly CatalogueNode[]): number[] {
  const counts: number[] = []
  const walk = (ns: readonly CatalogueNode[]) => {
    for (const n of ns) {
      counts[n.level - 1] = (counts[n.level - 1] ?? 0) + 1
      if (n.children) walk(n.children)
    }
  }
  walk(nodes)
  return Array.from(counts, (c) => c ?? 0)
}

/** The codes from the root down to (not including) this item: what to expand to show it. */
export function ancestorCodes(code: string, byCode: ReadonlyMap<string, Pick<CatalogueItem, 'parent'>>): string[] {
  const out: string[] = []
  const seen = new Set<string>([code])
  let p = byCode.get(code)?.parent ?? null
  while (p && !seen.has(p) && byCode.has(p)) {
    out.unshift(p)
    seen.add(p)
    p = byCode.get(p)?.parent ?? null
  }
  return out
}

/** "城乡建设 / 安全生产 / 事故处理" */
export function pathName(code: string, byCode: ReadonlyMap<string, Pick<CatalogueItem, 'parent' | 'name'>>): string {
  return [...ancestorCodes(code, byCode), code].map((c) => byCode.get(c)?.name ?? c).join(' / ')
}

/** A limit as people read it: "15 个工作日", "24 工作小时", "2 小时", "30 分钟". */
export function limitText(limit: Limit | null | undefined, lang: Lang = 'zh'): string {
  if (!limit) return ''
  switch (limit.kind) {
    case 'working_days':
      return translate(lang, 'catalogue.limit.days', { n: limit.days })
    case 'working_hours':
      return translate(lang, 'catalogue.limit.workingHours', { n: limit.hours })
    case 'wall_clock':
      return limit.minutes % 60 === 0
        ? translate(lang, 'catalogue.limit.hours', { n: limit.minutes / 60 })
        : translate(lang, 'catalogue.limit.minutes', { n: limit.minutes })
    default:
      return ''
  }
}

export const URGENCIES = ['normal', 'urgent', 'very_urgent'] as const
export const STEPS = ['sign', 'contact', 'reply'] as const

export interface LimitRow {
  urgency: (typeof URGENCIES)[number]
  sign: string
  contact: string
  reply: string
}

/** The item's own limits, one row per urgency that has any (empty: the general limits apply). */
export function limitRows(limits: Partial<ItemLimits> | null | undefined, lang: Lang = 'zh'): LimitRow[] {
  if (!limits) return []
  const rows: LimitRow[] = []
  for (const u of URGENCIES) {
    const s = limits[u]
    if (!s) continue
    const row: LimitRow = { urgency: u, sign: limitText(s.sign, lang), contact: limitText(s.contact, lang), reply: limitText(s.reply, lang) }
    if (row.sign || row.contact || row.reply) rows.push(row)
  }
  return rows
}

/** Reads a File (the import) as text; a UTF-8 BOM is kept, the server strips it. */
export function readFileText(file: Blob): Promise<string> {
  if (typeof file.text === 'function') return file.text()
  return new Promise((resolve, reject) => {
    const r = new FileReader()
    r.onload = () => resolve(String(r.result ?? ''))
    r.onerror = () => reject(r.error)
    r.readAsText(file, 'utf-8')
  })
}

/** The problems of a refused import (error.details.problems), or none. */
export function importProblems(details: unknown): { code: string; message_zh: string; message_en?: string }[] {
  if (typeof details !== 'object' || details === null) return []
  const p = (details as { problems?: unknown }).problems
  if (!Array.isArray(p)) return []
  return p
    .filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
    .map((x) => ({
      code: String(x.code ?? ''),
      message_zh: String(x.message_zh ?? x.message_en ?? ''),
      message_en: typeof x.message_en === 'string' ? x.message_en : undefined,
    }))
}
