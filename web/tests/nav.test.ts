import { describe, expect, it } from 'vitest'
import { canOpen, homeFor, menuFor, todoTabsFor } from '../src/lib/nav'

const pages = (role: Parameters<typeof menuFor>[0]) => menuFor(role).map((m) => m.page)

describe('menus by role', () => {
  it('gives the workbench to intake roles only', () => {
    expect(pages('operator')).toEqual(['workbench', 'todo', 'cases', 'dashboard'])
    expect(pages('unit_handler')).not.toContain('workbench')
    expect(pages('unit_leader')).not.toContain('workbench')
    expect(pages('supervisor')).not.toContain('workbench')
  })

  it('gives administration to the administrator only', () => {
    expect(pages('admin')).toContain('admin')
    for (const r of ['operator', 'dispatcher', 'supervisor', 'leader', 'unit_handler', 'unit_leader', 'grid_worker'] as const) {
      expect(pages(r)).not.toContain('admin')
      expect(canOpen(r, 'admin')).toBe(false)
    }
  })

  it('gives the dashboard to the centre roles and unit leaders only', () => {
    for (const r of ['operator', 'dispatcher', 'supervisor', 'leader', 'admin', 'unit_leader'] as const) {
      expect(pages(r)).toContain('dashboard')
      expect(canOpen(r, 'dashboard')).toBe(true)
    }
    for (const r of ['unit_handler', 'grid_worker', 'citizen', 'system'] as const) {
      expect(pages(r)).not.toContain('dashboard')
      expect(canOpen(r, 'dashboard')).toBe(false)
    }
    expect(menuFor('supervisor').find((m) => m.page === 'dashboard')).toMatchObject({ path: '/dashboard', label: 'nav.dashboard' })
  })

  it('keeps landing pages: the dashboard is never where a role lands', () => {
    expect(homeFor('supervisor')).toBe('/todo')
    expect(homeFor('leader')).toBe('/todo')
    expect(homeFor('unit_leader')).toBe('/todo')
    expect(homeFor('admin')).toBe('/admin')
  })

  it('gives nothing without a role', () => {
    expect(menuFor(null)).toEqual([])
    expect(canOpen(undefined, 'cases')).toBe(false)
  })

  it('lands each role on its main page', () => {
    expect(homeFor('operator')).toBe('/workbench')
    expect(homeFor('unit_handler')).toBe('/todo')
    expect(homeFor('admin')).toBe('/admin')
    expect(homeFor('grid_worker')).toBe('/cases')
  })
})

describe('task tabs', () => {
  const keys = (role: Parameters<typeof todoTabsFor>[0]) => todoTabsFor(role).map((t) => t.key)

  it('dispatcher: to dispatch and returns to review', () => {
    expect(keys('dispatcher').slice(0, 2)).toEqual(['awaiting_dispatch', 'return_requested'])
  })

  it('supervisor: callbacks and unsatisfied', () => {
    expect(keys('supervisor').slice(0, 2)).toEqual(['awaiting_callback', 'unsatisfied'])
  })

  it('unit users read their inbox, starting with orders to sign', () => {
    const tabs = todoTabsFor('unit_handler')
    expect(tabs[0]).toEqual({ key: 'dispatched', states: ['dispatched'], view: 'inbox' })
    expect(tabs.every((t) => t.view === 'inbox')).toBe(true)
    expect(keys('unit_leader')).toContain('awaiting_callback')
  })
})
