// What each role sees: the side menu, the landing page, and the tabs of "my tasks".

import type { Role } from '../api/types'

export type Page = 'workbench' | 'todo' | 'cases' | 'dashboard' | 'admin'

export interface NavItem {
  page: Page
  path: string
  label: string // i18n key
  icon: 'EditPen' | 'Bell' | 'Tickets' | 'DataAnalysis' | 'Setting'
}

const ITEMS: Record<Page, NavItem> = {
  workbench: { page: 'workbench', path: '/workbench', label: 'nav.workbench', icon: 'EditPen' },
  todo: { page: 'todo', path: '/todo', label: 'nav.todo', icon: 'Bell' },
  cases: { page: 'cases', path: '/cases', label: 'nav.cases', icon: 'Tickets' },
  dashboard: { page: 'dashboard', path: '/dashboard', label: 'nav.dashboard', icon: 'DataAnalysis' },
  admin: { page: 'admin', path: '/admin', label: 'nav.admin', icon: 'Setting' },
}

// The dashboard (and its big screen): the centre's roles and unit leaders (the server gives a
// unit leader the figures of their own subtree); not unit handlers or grid workers.
const PAGES: Record<Role, Page[]> = {
  operator: ['workbench', 'todo', 'cases', 'dashboard'],
  dispatcher: ['workbench', 'todo', 'cases', 'dashboard'],
  supervisor: ['todo', 'cases', 'dashboard'],
  leader: ['todo', 'cases', 'dashboard'],
  unit_handler: ['todo', 'cases'],
  unit_leader: ['todo', 'cases', 'dashboard'],
  grid_worker: ['cases'],
  admin: ['cases', 'dashboard', 'admin'],
  citizen: [],
  system: ['cases'],
}

export function pagesFor(role: Role | null | undefined): Page[] {
  return role ? (PAGES[role] ?? []) : []
}

export function menuFor(role: Role | null | undefined): NavItem[] {
  return pagesFor(role).map((p) => ITEMS[p])
}

export function canOpen(role: Role | null | undefined, page: Page): boolean {
  return pagesFor(role).includes(page)
}

/** Where a role lands after signing in. */
export function homeFor(role: Role | null | undefined): string {
  const pages = pagesFor(role)
  if (pages.includes('workbench')) return '/workbench'
  if (pages.includes('todo')) return '/todo'
  if (pages.includes('admin')) return '/admin'
  return '/cases'
}

export interface TodoTab {
  key: string // i18n key tab.<key>
  states: string[]
  view: 'visible' | 'inbox'
}

const OPEN_STATES = ['dispatched', 'handling', 'return_requested', 'replied', 'awaiting_callback', 'unsatisfied', 'suspended']

function tab(key: string, view: 'visible' | 'inbox' = 'visible', states: string[] = [key]): TodoTab {
  return { key, states, view }
}

/** The queues of "my tasks": unit users read their inbox (cases their unit holds now). */
export function todoTabsFor(role: Role | null | undefined): TodoTab[] {
  switch (role) {
    case 'operator':
      return [tab('received'), tab('awaiting_callback')]
    case 'dispatcher':
      return [tab('awaiting_dispatch'), tab('return_requested'), tab('replied'), tab('unsatisfied')]
    case 'supervisor':
      return [tab('awaiting_callback'), tab('unsatisfied'), tab('replied'), tab('suspended')]
    case 'leader':
      return [tab('return_requested'), tab('unsatisfied'), tab('awaiting_dispatch')]
    case 'unit_handler':
      return [tab('dispatched', 'inbox'), tab('handling', 'inbox'), tab('return_requested', 'inbox'), tab('replied', 'inbox'), tab('open', 'inbox', OPEN_STATES)]
    case 'unit_leader':
      return [
        tab('dispatched', 'inbox'),
        tab('handling', 'inbox'),
        tab('awaiting_callback', 'inbox'),
        tab('return_requested', 'inbox'),
        tab('replied', 'inbox'),
        tab('open', 'inbox', OPEN_STATES),
      ]
    default:
      return []
  }
}

/** The list's default "view": unit users list their subtree, everyone else everything. */
export function isUnitRole(role: Role | null | undefined): boolean {
  return role === 'unit_handler' || role === 'unit_leader'
}
