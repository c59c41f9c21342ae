import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { useSession } from './stores/session'
import { canOpen, homeFor, type Page } from './lib/nav'

// Hash history: the server only needs to serve index.html and the assets; `/#/track` is public.
const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/track', name: 'track', component: () => import('./views/TrackView.vue'), meta: { public: true } },
  // 手机上报: a citizen's report from a phone, without login (the same form serves 网格上报 below).
  { path: '/report', name: 'report', component: () => import('./views/ReportView.vue'), props: { mode: 'public' }, meta: { public: true } },
  { path: '/stats', name: 'public-stats', component: () => import('./views/PublicStatsView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./layouts/AdminLayout.vue'),
    children: [
      // Not a `redirect`: redirects resolve before the guard below has loaded the session.
      { path: '', name: 'home', component: { render: () => null }, beforeEnter: () => homeFor(useSession().me?.role) },
      { path: 'workbench', name: 'workbench', component: () => import('./views/WorkbenchView.vue'), meta: { page: 'workbench' } },
      { path: 'todo', name: 'todo', component: () => import('./views/CaseListView.vue'), props: { mode: 'todo' }, meta: { page: 'todo' } },
      { path: 'supervision', name: 'supervision', component: () => import('./views/CaseListView.vue'), props: { mode: 'supervision' }, meta: { page: 'supervision' } },
      { path: 'cases', name: 'cases', component: () => import('./views/CaseListView.vue'), props: { mode: 'cases' }, meta: { page: 'cases' } },
      { path: 'cases/:number', name: 'case', component: () => import('./views/CaseDetailView.vue'), props: true },
      { path: 'admin', name: 'admin', component: () => import('./views/AdminView.vue'), meta: { page: 'admin' } },
      { path: 'catalogue', name: 'catalogue', component: () => import('./views/CatalogueView.vue'), meta: { page: 'catalogue' } },
      { path: 'settings/metrics', name: 'metrics-settings', component: () => import('./views/MetricSettingsView.vue'), meta: { page: 'metrics' } },
      { path: 'duty', name: 'duty', component: () => import('./views/DutyView.vue'), meta: { page: 'duty' } },
      { path: 'digest', name: 'digest', component: () => import('./views/DigestView.vue'), meta: { page: 'digest' } },
      { path: 'knowledge', name: 'knowledge', component: () => import('./views/KnowledgeView.vue'), meta: { page: 'knowledge' } },
      { path: 'people', name: 'people', component: () => import('./views/PeopleView.vue'), meta: { page: 'people' } },
      { path: 'review', name: 'review', component: () => import('./views/ReviewQueueView.vue'), meta: { page: 'review' } },
      { path: 'classifier', name: 'classifier', component: () => import('./views/ClassifierView.vue'), meta: { page: 'classifier' } },
      { path: 'search', name: 'search', component: () => import('./views/SearchView.vue'), meta: { page: 'search' } },
      { path: 'grid/report', name: 'grid-report', component: () => import('./views/ReportView.vue'), props: { mode: 'grid' }, meta: { page: 'gridReport' } },
      { path: 'admin/citizen-flags', name: 'citizen-flags', component: () => import('./views/CitizenFlagsView.vue'), meta: { page: 'citizenFlags' } },
      { path: 'admin/templates', name: 'templates', component: () => import('./views/NoticeTemplatesView.vue'), meta: { page: 'templates' } },
      // Lazy, like every page: ECharts (and the map) load only with the dashboard or the screen.
      { path: 'dashboard', name: 'dashboard', component: () => import('./views/DashboardView.vue'), meta: { page: 'dashboard' } },
    ],
  },
  // The big screen (大屏): full window, outside the menu layout; same access as the dashboard.
  { path: '/screen', name: 'screen', component: () => import('./views/BigScreenView.vue'), meta: { page: 'dashboard' } },
  { path: '/:rest(.*)*', name: 'notfound', component: () => import('./views/NotFoundView.vue'), meta: { public: true } },
]

export const router = createRouter({
  history: createWebHashHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  const session = useSession()
  if (!session.checked) await session.loadMe()
  if (!session.me) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  const page = to.meta.page as Page | undefined
  if (page && !canOpen(session.me.role, page)) return homeFor(session.me.role)
  return true
})
