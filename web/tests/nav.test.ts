import { describe, expect, it } from 'vitest'
import { canOpen, homeFor, menuFor, supervisionTabs, tabColor, todoTabsFor } from '../src/lib/nav'

const pages = (role: Parameters<typeof menuFor>[0]) => menuFor(role).map((m) => m.page)

describe('menus by role', () => {
  it('gives the workbench to intake roles only', () => {
    expect(pages('operator')).toEqual(['workbench', 'todo', 'cases', 'search', 'dashboard', 'knowledge'])
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

describe('oversight and administration pages', () => {
  it('gives 督办 to supervisors and leaders only', () => {
    expect(pages('supervisor')).toContain('supervision')
    expect(pages('leader')).toContain('supervision')
    for (const r of ['operator', 'dispatcher', 'unit_handler', 'unit_leader', 'grid_worker', 'admin'] as const) expect(canOpen(r, 'supervision')).toBe(false)
    expect(menuFor('supervisor').find((m) => m.page === 'supervision')).toMatchObject({ path: '/supervision', label: 'nav.supervision' })
  })

  it('gives the catalogue and metric settings to the administrator (and readers at the centre), not to units', () => {
    for (const p of ['catalogue', 'metrics'] as const) {
      expect(canOpen('admin', p)).toBe(true)
      expect(canOpen('supervisor', p)).toBe(true)
      expect(canOpen('leader', p)).toBe(true)
      expect(canOpen('unit_handler', p)).toBe(false)
      expect(canOpen('unit_leader', p)).toBe(false)
      expect(canOpen('grid_worker', p)).toBe(false)
    }
    expect(canOpen('dispatcher', 'catalogue')).toBe(true)
    expect(menuFor('admin').find((m) => m.page === 'metrics')?.path).toBe('/settings/metrics')
  })

  it('gives the duty roster and the digest to supervisors, leaders, unit leaders and the administrator', () => {
    for (const p of ['duty', 'digest'] as const) {
      for (const r of ['supervisor', 'leader', 'unit_leader', 'admin'] as const) expect(canOpen(r, p)).toBe(true)
      for (const r of ['operator', 'unit_handler', 'grid_worker', 'citizen'] as const) expect(canOpen(r, p)).toBe(false)
    }
  })

  it('keeps the administrator landing on 系统管理 and everyone else where they were', () => {
    expect(homeFor('admin')).toBe('/admin')
    expect(homeFor('supervisor')).toBe('/todo')
    expect(homeFor('dispatcher')).toBe('/workbench')
  })
})

describe('warning and supervision tabs', () => {
  const keys = (tabs: ReturnType<typeof todoTabsFor>) => tabs.map((t) => t.key)

  it('unit inboxes: to sign, handling, due soon (yellow), overdue (red), returned', () => {
    for (const role of ['unit_handler', 'unit_leader'] as const) {
      const tabs = todoTabsFor(role)
      expect(keys(tabs).slice(0, 5)).toEqual(['dispatched', 'handling', 'due_soon', 'overdue', 'returned'])
      expect(tabs[2]).toEqual({ key: 'due_soon', states: [], view: 'inbox', warning: 'yellow' })
      expect(tabs[3]).toEqual({ key: 'overdue', states: [], view: 'inbox', warning: 'red' })
      expect(tabs[4]).toEqual({ key: 'returned', states: ['return_requested'], view: 'inbox' })
      expect(tabColor(tabs[2])).toBe('yellow')
      expect(tabColor(tabs[3])).toBe('red')
      expect(tabColor(tabs[0])).toBeNull()
    }
  })

  it('督办: warned, overdue, yellow and red cards across units', () => {
    const tabs = supervisionTabs('supervisor')
    expect(keys(tabs)).toEqual(['sv_warning', 'sv_overdue', 'sv_yellow', 'sv_red'])
    expect(tabs.every((t) => t.view === 'visible' && t.states.length === 0)).toBe(true)
    expect(tabs.map((t) => [t.warning ?? null, t.supervision ?? null])).toEqual([
      ['yellow', null],
      ['red', null],
      [null, 'yellow'],
      [null, 'red'],
    ])
    expect(supervisionTabs('leader')).toHaveLength(4)
    expect(supervisionTabs('unit_handler')).toEqual([])
    expect(supervisionTabs(null)).toEqual([])
  })

  it('leaves the centre queues as they were', () => {
    expect(keys(todoTabsFor('supervisor'))).toEqual(['awaiting_callback', 'unsatisfied', 'replied', 'suspended'])
    expect(keys(todoTabsFor('dispatcher'))).toEqual(['awaiting_dispatch', 'return_requested', 'replied', 'unsatisfied'])
  })
})

describe('知识库 and 人员库', () => {
  it('lets every staff role read the knowledge base', () => {
    for (const r of ['operator', 'dispatcher', 'supervisor', 'leader', 'unit_handler', 'unit_leader', 'grid_worker', 'admin'] as const) {
      expect(canOpen(r, 'knowledge')).toBe(true)
    }
    expect(canOpen('citizen', 'knowledge')).toBe(false)
    expect(menuFor('operator').find((m) => m.page === 'knowledge')).toMatchObject({ path: '/knowledge', label: 'nav.knowledge' })
  })

  it('opens the registry to administrators, dispatchers, supervisors and unit staff', () => {
    for (const r of ['admin', 'dispatcher', 'supervisor', 'unit_handler', 'unit_leader'] as const) expect(canOpen(r, 'people')).toBe(true)
    for (const r of ['operator', 'grid_worker', 'citizen', 'system'] as const) expect(canOpen(r, 'people')).toBe(false)
  })
})
