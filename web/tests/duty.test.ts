import { describe, expect, it } from 'vitest'
import type { Unit, User } from '../src/api/types'
import { addDays, canEditDuty, chinaToday, dayOfDate, dutyCandidates, dutyUnitIds, isDay, rosterGrid, weekDays, weekStart, weekdayIndex } from '../src/lib/duty'

describe('days and weeks (China time)', () => {
  it('finds the Monday of a week, across months and years', () => {
    expect(weekStart('2026-11-22')).toBe('2026-11-16') // a Sunday
    expect(weekStart('2026-11-16')).toBe('2026-11-16') // a Monday
    expect(weekStart('2026-11-18')).toBe('2026-11-16')
    expect(weekStart('2027-01-01')).toBe('2026-12-28')
    expect(weekStart('2024-03-01')).toBe('2024-02-26')
  })

  it('adds days and lists a week', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
    expect(weekDays('2026-11-16')).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'])
    expect(weekDays('2026-11-16').map(weekdayIndex)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('reads today in China, not in the browser zone', () => {
    expect(chinaToday(Date.UTC(2026, 10, 21, 15, 59))).toBe('2026-11-21') // 23:59 in China
    expect(chinaToday(Date.UTC(2026, 10, 21, 16, 0))).toBe('2026-11-22') // midnight in China
    expect(dayOfDate(new Date(2026, 0, 5))).toBe('2026-01-05')
  })

  it('checks day strings', () => {
    expect(isDay('2026-02-28')).toBe(true)
    expect(isDay('2026-02-30')).toBe(false)
    expect(isDay('2026-2-3')).toBe(false)
    expect(() => addDays('soon', 1)).toThrow()
  })
})

describe('rosterGrid', () => {
  const days = weekDays('2026-11-16')

  it('makes a row per unit and a cell per day, units given first', () => {
    const grid = rosterGrid(
      [
        { day: '2026-11-16', unit_id: 4, user_id: 9 },
        { day: '2026-11-16', unit_id: 2, user_id: 5 },
        { day: '2026-11-17', unit_id: 4, user_id: 9 },
        { day: '2026-11-17', unit_id: 4, user_id: 19 },
        { day: '2026-11-17', unit_id: 4, user_id: 9 }, // twice: once
        { day: '2026-11-23', unit_id: 4, user_id: 9 }, // next week: left out
      ],
      days,
      [2, 17],
    )
    expect(grid.map((r) => r.unit_id)).toEqual([2, 17, 4])
    expect(Object.keys(grid[0].cells)).toEqual(days)
    expect(grid[0].cells['2026-11-16']).toEqual([5])
    expect(grid[1].cells['2026-11-16']).toEqual([])
    expect(grid[2].cells['2026-11-17']).toEqual([9, 19])
    expect(grid[2].cells['2026-11-22']).toEqual([])
  })

  it('is empty without units or records', () => {
    expect(rosterGrid([], days)).toEqual([])
  })
})

describe('who may be on duty', () => {
  const user = (id: number, role: User['role'], unit_id: number | null, active = true): User => ({ id, login: `u${id}`, name: `U${id}`, role, unit_id, phone: null, active, created_at: 0 })
  const unit = (id: number, path: string): Unit => ({ id, code: `c${id}`, name: `N${id}`, kind: 'district', parent_id: null, path, division_code: null, department_type: null, active: true })
  const users = [user(5, 'leader', 2), user(9, 'unit_leader', 4), user(8, 'unit_handler', 4), user(11, 'unit_leader', 17, false), user(12, 'unit_leader', 17), user(1, 'admin', 2)]

  it("offers a unit's active leaders only", () => {
    expect(dutyCandidates(users, 4).map((u) => u.id)).toEqual([9])
    expect(dutyCandidates(users, 17).map((u) => u.id)).toEqual([12])
    expect(dutyCandidates(users, 2).map((u) => u.id)).toEqual([5])
  })

  it('lists the units that have leaders, in tree order', () => {
    expect(dutyUnitIds(users, [unit(17, '/1/4/17/'), unit(4, '/1/4/'), unit(2, '/1/2/'), unit(6, '/1/6/')])).toEqual([2, 4, 17])
  })

  it('lets the centre arrange any unit and a unit leader their own', () => {
    for (const r of ['admin', 'supervisor', 'leader'] as const) expect(canEditDuty(r, 2, 4)).toBe(true)
    expect(canEditDuty('unit_leader', 4, 4)).toBe(true)
    expect(canEditDuty('unit_leader', 4, 17)).toBe(false)
    expect(canEditDuty('unit_handler', 4, 4)).toBe(false)
    expect(canEditDuty(null, null, 4)).toBe(false)
  })
})
