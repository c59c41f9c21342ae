// ECharts, only the parts the dashboard uses (tree-shaken), and the Haikou district map.
// Imported by the dashboard and big-screen views only, which are loaded lazily, so the
// workbench's first load does not pay for it.

import * as echarts from 'echarts/core'
import { BarChart, LineChart, MapChart, PieChart } from 'echarts/charts'
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
// The four district polygons of 海口市, shipped with the app (no online tiles): see web/README.md.
import geoUrl from '../assets/haikou_districts.geojson?url'
import { featureNames } from './dashboard'

echarts.use([LineChart, BarChart, PieChart, MapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent, CanvasRenderer])

export { echarts }

export const MAP_NAME = 'haikou'

let mapLoading: Promise<string[]> | null = null

/** Loads the GeoJSON (once) and registers it as the map `haikou`; resolves to its feature names. */
export function ensureHaikouMap(): Promise<string[]> {
  mapLoading ??= fetch(geoUrl)
    .then((r) => {
      if (!r.ok) throw new Error(`map: HTTP ${r.status}`)
      return r.json()
    })
    .then((geo) => {
      echarts.registerMap(MAP_NAME, withoutCentres(geo))
      return featureNames(geo)
    })
    .catch((e) => {
      mapLoading = null
      throw e
    })
  return mapLoading
}

/**
 * The file's `cp` points are the district seats, all near the northern coast, where ECharts would
 * pile the four labels up; without them it labels each district at its polygon's centre.
 */
function withoutCentres(geo: { features?: { properties?: Record<string, unknown> | null }[] }): Parameters<typeof echarts.registerMap>[1] {
  const features = (geo.features ?? []).map((f) => {
    const { cp: _cp, ...properties } = f.properties ?? {}
    return { ...f, properties }
  })
  return { ...geo, features } as unknown as Parameters<typeof echarts.registerMap>[1]
}
