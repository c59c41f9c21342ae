// The dashboard's data, shared by the dashboard and the big screen: one period, the tables the
// charts need (by day, channel, category, unit, and category for the previous period), refreshed
// every `refreshMs` while the page is visible ("live").

import { computed, onBeforeUnmount, onMounted, ref, shallowRef, watch } from 'vue'
import { metricsApi, type HotspotItem, type HotspotSource, type MetricsBy, type MetricsTable } from '../api/metrics'
import {
  chinaToday,
  growthHotspots,
  periodRange,
  previousRange,
  trendBucket,
  type Day,
  type PeriodKind,
  type Range,
} from '../lib/dashboard'
import { errorMessage } from '../lib/conflict'
import { i18n } from '../lib/i18n'

/** Today's hotspot source: the categories growing fastest against the previous period. */
export const categoryGrowthSource: HotspotSource = {
  titleKey: 'dash.hotspots.growthTitle',
  async load(range, hint) {
    const prev = previousRange(range, chinaToday(Date.now()))
    const [cur, before] = await Promise.all([
      hint?.categoryRows ?? metricsApi.table({ ...range, by: 'category' }).then((t) => t.rows),
      metricsApi.table({ ...prev, by: 'category' }).then((t) => t.rows),
    ])
    return growthHotspots(cur, before, 8)
  },
}

export interface DashboardState {
  trend: MetricsTable | null
  channel: MetricsTable | null
  category: MetricsTable | null
  /** Each unit's own cases (as lead): the assessment and its ranking. */
  unit: MetricsTable | null
  /** Each unit with everything below it: a district's volume for the map. */
  unitTree: MetricsTable | null
}

export function useDashboard(opts: { refreshMs: number; hotspots?: HotspotSource; initial?: { kind: PeriodKind; custom?: { from: Day; toInclusive: Day } | null } }) {
  const kind = ref<PeriodKind>(opts.initial?.kind ?? 'month')
  const custom = ref<{ from: Day; toInclusive: Day } | null>(opts.initial?.custom ?? null)
  const now = ref(Date.now())
  const range = computed<Range>(() => periodRange(kind.value, now.value, custom.value))
  const comparison = computed<Range>(() => previousRange(range.value, chinaToday(now.value)))
  const bucket = computed(() => trendBucket(range.value))
  const hotspotSource = opts.hotspots ?? categoryGrowthSource

  const data = shallowRef<DashboardState>({ trend: null, channel: null, category: null, unit: null, unitTree: null })
  const hotspots = shallowRef<HotspotItem[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const errors = ref<string[]>([])
  const updatedAt = ref<number | null>(null)
  const auto = ref(true)

  let seq = 0
  async function load() {
    const mine = ++seq
    now.value = Date.now() // 本月/本周 roll over at midnight
    const r = range.value
    loading.value = true
    const get = (by: MetricsBy) => metricsApi.table({ ...r, by })
    const categoryReq = get('category')
    const [trend, channel, category, unit, unitTree, hot] = await Promise.allSettled([
      get(bucket.value),
      get('channel'),
      categoryReq,
      get('unit'),
      get('unit_tree'),
      // Started with the rest, not after the categories: the previous period is fetched meanwhile.
      hotspotSource.load(r, { categoryRows: categoryReq.then((c) => c.rows) }),
    ])
    if (mine !== seq) return // a newer load (another period) started meanwhile
    const val = <T>(x: PromiseSettledResult<T>, old: T): T => (x.status === 'fulfilled' ? x.value : old)
    const old = data.value
    data.value = {
      trend: val(trend, old.trend),
      channel: val(channel, old.channel),
      category: val(category, old.category),
      unit: val(unit, old.unit),
      unitTree: val(unitTree, old.unitTree),
    }
    hotspots.value = val(hot, hotspots.value)
    const all = [trend, channel, category, unit, unitTree, hot]
    const failed = all.filter((x): x is PromiseRejectedResult => x.status === 'rejected')
    errors.value = [...new Set(failed.map((f) => errorMessage(f.reason, i18n.lang)))]
    loading.value = false
    loaded.value = true
    if (failed.length < all.length) updatedAt.value = Date.now()
  }

  // A new period drops what was shown, so no chart shows one period's data under another's name.
  watch([kind, custom], () => {
    data.value = { trend: null, channel: null, category: null, unit: null, unitTree: null }
    hotspots.value = []
    load()
  })

  let timer: ReturnType<typeof setInterval> | null = null
  function tick() {
    if (!auto.value || loading.value) return
    if (typeof document !== 'undefined' && document.hidden) return
    load()
  }
  function onVisible() {
    if (!document.hidden && auto.value && updatedAt.value && Date.now() - updatedAt.value > opts.refreshMs) load()
  }
  onMounted(() => {
    load()
    timer = setInterval(tick, opts.refreshMs)
    document.addEventListener('visibilitychange', onVisible)
  })
  onBeforeUnmount(() => {
    if (timer) clearInterval(timer)
    document.removeEventListener('visibilitychange', onVisible)
    seq++
  })

  return { kind, custom, range, comparison, bucket, data, hotspots, hotspotSource, loading, loaded, errors, updatedAt, auto, load, now }
}
