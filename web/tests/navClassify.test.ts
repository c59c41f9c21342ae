import { describe, expect, it } from 'vitest'
import { canOpen, menuFor } from '../src/lib/nav'
import type { Role } from '../src/api/types'

const STAFF: Role[] = ['operator', 'dispatcher', 'supervisor', 'leader', 'unit_handler', 'unit_leader', 'grid_worker', 'admin']

describe('分类审核, 智能分类 and 工单检索 in the menus', () => {
  it('gives 分类审核 to dispatchers and leaders only', () => {
    for (const r of STAFF) expect(canOpen(r, 'review'), r).toBe(r === 'dispatcher' || r === 'leader')
    expect(menuFor('dispatcher').find((m) => m.page === 'review')).toMatchObject({ path: '/review', label: 'nav.review', icon: 'Finished' })
  })

  it('gives 智能分类 to the administrator only', () => {
    for (const r of STAFF) expect(canOpen(r, 'classifier'), r).toBe(r === 'admin')
    expect(menuFor('admin').find((m) => m.page === 'classifier')).toMatchObject({ path: '/classifier', label: 'nav.classifier' })
  })

  it('gives 工单检索 to every staff role, not to citizens', () => {
    for (const r of STAFF) expect(canOpen(r, 'search'), r).toBe(true)
    expect(canOpen('citizen', 'search')).toBe(false)
    expect(canOpen(null, 'search')).toBe(false)
    expect(menuFor('unit_handler').find((m) => m.page === 'search')).toMatchObject({ path: '/search', label: 'nav.search', icon: 'Search' })
  })

  it('puts the review queue next to the tasks and search next to the case list', () => {
    const pages = menuFor('dispatcher').map((m) => m.page)
    expect(pages.indexOf('review')).toBe(pages.indexOf('todo') + 1)
    expect(pages.indexOf('search')).toBe(pages.indexOf('cases') + 1)
  })
})
