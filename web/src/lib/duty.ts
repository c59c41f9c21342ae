// The duty roster (值班表) as a week grid, and the days and weeks of China time it is laid out in.
// Days are YYYY-MM-DD strings; arithmetic goes through UTC dates so no local zone leaks in.

import type { DutyRecord } from '../api/oversight'
import type { Role, Unit, User } from '../api/types'

const pad = (n: number) => String(n).padStart(2, '0')

function parse(day: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  if (!m) throw new Error(`not a day: ${day}`)
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
}

function fmt(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

export function isDay(s: unknown): s is string {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && fmt(parse(s)) === s
}

/** Today in China (UTC+8, no daylight saving). */
export function chinaToday(nowMs: number = Date.now()): string {
  return fmt(new Date(nowMs + 8 * 3600 * 1000))
}

export function addDays(day: string, n: number): string {
  const d = parse(day)
  d.setUTCDate(d.getUTCDate() + n)
  return fmt(d)
}

/** The Monday on or before the day. */
export function weekStart(day: string): string {
  const dow = parse(day).getUTCDay() // 0 = Sunday
  return addDays(day, -((dow + 6) % 7))
}

/** The seven days of the week starting on `monday`. */
export function weekDays(monday: string): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i))
}

/** A Date picked in the browser (local calendar day) as YYYY-MM-DD. */
export function dayOfDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayIndex(day: string): number {
  return (parse(day).getUTCDay() + 6) % 7
}

export interface RosterRow {
  unit_id: number
  /** day → user ids on duty, in the order given. */
  cells: Record<string, number[]>
}

/**
 * The grid: one row per unit (the units given, then any other unit the records name), one cell
 * per day. Records outside the days are left out.
 */
export function rosterGrid(records: readonly DutyRecord[], days: readonly string[], unitIds: readonly number[] = []): RosterRow[] {
  const order: number[] = [...new Set(unitIds)]
  const rows = new Map<number, RosterRow>()
  const row = (id: number) => {
    let r = rows.get(id)
    if (!r) {
      r = { unit_id: id, cells: Object.fromEntries(days.map((d) => [d, [] as number[]])) }
      rows.set(id, r)
      if (!order.includes(id)) order.push(id)
    }
    return r
  }
  for (const id of order) row(id)
  const inRange = new Set(days)
  for (const rec of records) {
    if (!inRange.has(rec.day)) continue
    const cell = row(rec.unit_id).cells[rec.day]
    if (!cell.includes(rec.user_id)) cell.push(rec.user_id)
  }
  return order.map((id) => rows.get(id)!)
}

const LEADER_ROLES: Role[] = ['unit_leader', 'leader']

/** Who may be put on duty for a unit: its active leaders (领导 or 单位领导). */
export function dutyCandidates(users: readonly User[], unitId: number): User[] {
  return users.filter((u) => u.active && u.unit_id === unitId && LEADER_ROLES.includes(u.role))
}

/** The units that have someone who may be on duty, ordered by their place in the tree. */
export function dutyUnitIds(users: readonly User[], units: readonly Unit[]): number[] {
  const withLeaders = new Set(users.filter((u) => u.active && u.unit_id !== null && LEADER_ROLES.includes(u.role)).map((u) => u.unit_id as number))
  return units
    .filter((u) => withLeaders.has(u.id))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id - b.id))
    .map((u) => u.id)
}

/** Whether this user may edit the roster of a unit (the server checks it too). */
export function canEditDuty(role: Role | null | undefined, ownUnitId: number | null | undefined, unitId: number): boolean {
  if (role === 'admin' || role === 'supervisor' || role === 'leader') return true
  return role === 'unit_leader' && ownUnitId === unitId
}
