// 人员库 in the browser: load bars, areas between the unit picker (ids) and the API (unit paths),
// the editor's form ⇄ request mapping and an import's problems as rows.

import type { Person, PersonInput, PersonKind } from '../api/registry'
import type { Unit } from '../api/types'
import { ApiError } from '../api/http'
import { splitTags } from './knowledge'
import { cascaderPath, type UnitNode } from './units'

/** How full a person is, 0–100 (a bar), and its colour. */
export function loadPercent(load: number, capacity: number): number {
  if (capacity <= 0) return 100
  return Math.min(100, Math.round((load / capacity) * 100))
}

export function loadStatus(load: number, capacity: number): 'success' | 'warning' | 'exception' {
  const p = loadPercent(load, capacity)
  return p >= 100 ? 'exception' : p >= 75 ? 'warning' : 'success'
}

export function kindTagType(k: PersonKind): 'primary' | 'success' | 'warning' | 'info' {
  switch (k) {
    case 'mediator':
      return 'primary'
    case 'legal_aid':
      return 'success'
    case 'expert':
      return 'warning'
    default:
      return 'info'
  }
}

/** The API's areas are unit paths; the picker holds unit ids (the last of each cascader path). */
export function pathsFromUnitIds(ids: number[], byId: Map<number, Unit>): string[] {
  const out: string[] = []
  for (const id of ids) {
    const p = byId.get(id)?.path
    if (p && !out.includes(p)) out.push(p)
  }
  return out
}

/** The cascader value (the ids from the tree's root down to the unit) of each area. */
export function cascaderValuesFromPaths(paths: string[], units: Unit[], tree: UnitNode[]): number[][] {
  const byPath = new Map(units.map((u) => [u.path, u]))
  const out: number[][] = []
  for (const p of paths) {
    const u = byPath.get(p)
    const value = u ? cascaderPath(tree, u.id) : []
    if (value.length) out.push(value)
  }
  return out
}

export interface PersonForm {
  name: string
  kind: PersonKind
  organisation: string
  phone: string
  specialties: string
  /** Cascader values: each a path of unit ids. */
  areas: number[][]
  capacity: number
  active: boolean
  note: string
}

export function blankPersonForm(): PersonForm {
  return { name: '', kind: 'mediator', organisation: '', phone: '', specialties: '', areas: [], capacity: 10, active: true, note: '' }
}

export function formFromPerson(p: Person, units: Unit[], tree: UnitNode[]): PersonForm {
  return {
    name: p.name,
    kind: p.kind,
    organisation: p.organisation,
    phone: p.phone ?? '',
    specialties: p.specialties.join('，'),
    areas: cascaderValuesFromPaths(p.areas, units, tree),
    capacity: p.capacity,
    active: p.active,
    note: p.note ?? '',
  }
}

export function personInputFrom(f: PersonForm, byId: Map<number, Unit>): PersonInput {
  const last = f.areas.map((path) => path[path.length - 1]).filter((id): id is number => typeof id === 'number')
  return {
    name: f.name.trim(),
    kind: f.kind,
    organisation: f.organisation.trim(),
    phone: f.phone.trim() || null,
    specialties: splitTags(f.specialties),
    areas: pathsFromUnitIds(last, byId),
    capacity: Math.round(f.capacity),
    active: f.active,
    note: f.note.trim() || null,
  }
}

export interface ImportProblem {
  line: number | null
  field: string
  message: string
}

/** The per-row problems of a refused import (details.errors), in the interface language. */
export function importErrors(err: unknown, lang: 'zh' | 'en'): ImportProblem[] {
  if (!(err instanceof ApiError)) return []
  const details = err.details as { errors?: unknown } | null
  if (!details || !Array.isArray(details.errors)) return []
  return details.errors.map((e: Record<string, unknown>) => ({
    line: typeof e.line === 'number' ? e.line : null,
    field: typeof e.field === 'string' ? e.field : '',
    message: String((lang === 'en' ? e.message_en : e.message_zh) ?? e.message_zh ?? e.message_en ?? ''),
  }))
}

/** A proposal's score as a percentage for people. */
export function scorePercent(score: number): number {
  return Math.max(0, Math.min(100, Math.round(score * 100)))
}
