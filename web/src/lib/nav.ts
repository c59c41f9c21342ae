// What each role sees: the side menu, the landing page, and the tabs of "my tasks".

import type { Role } from '../api/types'

export type Page =
  | 'workbench'
  | 'todo'
  | 'supervision'
  | 'cases'
  | 'dashboard'
  | 'digest'
  | 'duty'
  | 'catalogue'
  | 'metrics'
  | 'admin'
  | 'knowledge'
  | 'people'
  | 'review'
  | 'classifier'
  | 'search'
  | 'gridReport'
  | 'citizenFlags'
  | 'templates'

export type NavIcon =
  | 'EditPen'
  | 'Bell'
  | 'Tickets'
  | 'DataAnalysis'
  | 'Setting'
  | 'AlarmClock'
  | 'Document'
  | 'Calendar'
  | 'Notebook'
  | 'Odometer'
  | 'Reading'
  | 'Avatar'
  | 'Finished'
  | 'MagicStick'
  | 'Search'

export interface NavItem {
  page: Page
  path: string
  label: string // i18n key
  icon: NavIcon
}

const ITEMS: Record<Page, NavItem> = {
  workbench: { page: 'workbench', path: '/workbench', label: 'nav.workbench', icon: 'EditPen' },
  todo: { page: 'todo', path: '/todo', label: 'nav.todo', icon: 'Bell' },
  supervision: { page: 'supervision', path: '/supervision', label: 'nav.supervision', icon: 'AlarmClock' },
  cases: { page: 'cases', path: '/cases', label: 'nav.cases', icon: 'Tickets' },
  dashboard: { page: 'dashboard', path: '/dashboard', label: 'nav.dashboard', icon: 'DataAnalysis' },
  digest: { page: 'digest', path: '/digest', label: 'nav.digest', icon: 'Document' },
  duty: { page: 'duty', path: '/duty', label: 'nav.duty', icon: 'Calendar' },
  catalogue: { page: 'catalogue', path: '/catalogue', label: 'nav.catalogue', icon: 'Notebook' },
  metrics: { page: 'metrics', path: '/settings/metrics', label: 'nav.metrics', icon: 'Odometer' },
  admin: { page: 'admin', path: '/admin', label: 'nav.admin', icon: 'Setting' },
  knowledge: { page: 'knowledge', path: '/knowledge', label: 'nav.knowledge', icon: 'Reading' },
  people: { page: 'people', path: '/people', label: 'nav.people', icon: 'Avatar' },
  review: { page: 'review', path: '/review', label: 'nav.review', icon: 'Finished' },
  classifier: { page: 'classifier', path: '/classifier', label: 'nav.classifier', icon: 'MagicStick' },
  search: { page: 'search', path: '/search', label: 'nav.search', icon: 'Search' },
  gridReport: { page: 'gridReport', path: '/grid/report', label: 'nav.gridReport', icon: 'EditPen' },
  citizenFlags: { page: 'citizenFlags', path: '/admin/citizen-flags', label: 'nav.citizenFlags', icon: 'Avatar' },
  templates: { page: 'templates', path: '/admin/templates', label: 'nav.templates', icon: 'Document' },
}

// The dashboard (and its big screen): the centre's roles and unit leaders (the server gives a
// unit leader the figures of their own subtree); not unit handlers or grid workers.
// 督办 (warned, overdue and supervised cases across units): supervisors and leaders.
// 不满意周报 and 值班表: supervisors, leaders, unit leaders (their own unit's roster) and the
// administrator. 职责清单: dispatchers, supervisors and leaders read it, the administrator imports it.
// 指标与权重: the administrator edits, supervisors and leaders read.
// 知识库: every staff role reads it (the owning unit's staff and administrators write, supervisors
// and administrators review). 人员库: the centre's dispatchers and supervisors, unit staff (who
// assign people to their cases) and the administrator (who keeps it).
// 分类审核 (the dispatch pool as the classifier's review queue): dispatchers and leaders. 智能分类
// (classifier settings and models): the administrator. 工单检索: every staff role (the server
// limits the hits to what each may see). 网格上报 (a report from patrol, with photos and the
// position): grid workers. 恶意重复名单 (flagged callers): supervisors, leaders, the administrator.
// 通知模板 (the citizen's SMS / e-mail / WeChat texts): the administrator.
const PAGES: Record<Role, Page[]> = {
  operator: ['workbench', 'todo', 'cases', 'search', 'dashboard', 'knowledge'],
  dispatcher: ['workbench', 'todo', 'review', 'cases', 'search', 'dashboard', 'catalogue', 'knowledge', 'people'],
  supervisor: ['todo', 'supervision', 'cases', 'search', 'dashboard', 'digest', 'duty', 'catalogue', 'metrics', 'knowledge', 'people', 'citizenFlags'],
  leader: ['todo', 'supervision', 'review', 'cases', 'search', 'dashboard', 'digest', 'duty', 'catalogue', 'metrics', 'knowledge', 'citizenFlags'],
  unit_handler: ['todo', 'cases', 'search', 'knowledge', 'people'],
  unit_leader: ['todo', 'cases', 'search', 'dashboard', 'digest', 'duty', 'knowledge', 'people'],
  grid_worker: ['gridReport', 'cases', 'search', 'knowledge'],
  admin: ['cases', 'search', 'dashboard', 'admin', 'catalogue', 'classifier', 'metrics', 'duty', 'digest', 'knowledge', 'people', 'citizenFlags', 'templates'],
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
  /** 预警 (yellow: past 75 % of a limit, or overdue) / 超时 (red: overdue). */
  warning?: 'yellow' | 'red'
  /** Under supervision (yellow: any, red: red card). */
  supervision?: 'yellow' | 'red'
}

const OPEN_STATES = ['dispatched', 'handling', 'return_requested', 'replied', 'awaiting_callback', 'unsatisfied', 'suspended']

function tab(key: string, view: 'visible' | 'inbox' = 'visible', states: string[] = [key]): TodoTab {
  return { key, states, view }
}

/** A tab of cases by their clocks' light (any state; only running clocks light up). */
function warningTab(key: string, view: 'visible' | 'inbox', warning: 'yellow' | 'red'): TodoTab {
  return { key, states: [], view, warning }
}

function supervisionTab(key: string, supervision: 'yellow' | 'red'): TodoTab {
  return { key, states: [], view: 'visible', supervision }
}

/** The unit inbox: to sign, in handling, due soon (yellow), overdue (red), returned. */
function unitInbox(): TodoTab[] {
  return [
    tab('dispatched', 'inbox'),
    tab('handling', 'inbox'),
    warningTab('due_soon', 'inbox', 'yellow'),
    warningTab('overdue', 'inbox', 'red'),
    tab('returned', 'inbox', ['return_requested']),
  ]
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
      return [...unitInbox(), tab('replied', 'inbox'), tab('open', 'inbox', OPEN_STATES)]
    case 'unit_leader':
      return [...unitInbox(), tab('awaiting_callback', 'inbox'), tab('replied', 'inbox'), tab('open', 'inbox', OPEN_STATES)]
    default:
      return []
  }
}

/** 督办: warned and overdue cases across units, and those under yellow or red supervision. */
export function supervisionTabs(role: Role | null | undefined): TodoTab[] {
  if (!canOpen(role, 'supervision')) return []
  return [
    warningTab('sv_warning', 'visible', 'yellow'),
    warningTab('sv_overdue', 'visible', 'red'),
    supervisionTab('sv_yellow', 'yellow'),
    supervisionTab('sv_red', 'red'),
  ]
}

/** The colour a tab is marked with (warning and supervision tabs). */
export function tabColor(t: TodoTab): 'yellow' | 'red' | null {
  return t.warning ?? t.supervision ?? null
}

/** The list's default "view": unit users list their subtree, everyone else everything. */
export function isUnitRole(role: Role | null | undefined): boolean {
  return role === 'unit_handler' || role === 'unit_leader'
}
