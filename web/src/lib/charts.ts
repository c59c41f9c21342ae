// ECharts options for the dashboard and the big screen, built from shaped data (lib/dashboard.ts).
// Pure (only types come from echarts), so they are unit-tested without a canvas.

import type { ComposeOption } from 'echarts/core'
import type { BarSeriesOption, LineSeriesOption, MapSeriesOption, PieSeriesOption } from 'echarts/charts'
import type {
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from 'echarts/components'
import { formatPercent, type DistrictMatch, type NamedValue, type TrendSeries } from './dashboard'

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | PieSeriesOption
  | MapSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>

export type ChartTheme = 'light' | 'dark'

export interface Palette {
  text: string
  subtext: string
  axis: string
  split: string
  series: string[]
  /** Low → high volume on the map. */
  heat: string[]
  noData: string
  border: string
  font: number
}

export function palette(theme: ChartTheme, scale = 1): Palette {
  const font = Math.round(12 * scale)
  return theme === 'dark'
    ? {
        text: '#d6ecff',
        subtext: '#8fb3d9',
        axis: '#3a5f86',
        split: 'rgba(58, 95, 134, 0.35)',
        series: ['#2fd3ff', '#3ee6a8', '#ffc53d', '#ff7a45', '#9d7bff', '#5b8ff9', '#f759ab', '#a0d911', '#36cfc9', '#ffa940'],
        heat: ['#12395e', '#1669a8', '#2fa4e7', '#ffc53d', '#ff5f45'],
        noData: '#1b2f48',
        border: '#7fc8ff',
        font,
      }
    : {
        text: '#303133',
        subtext: '#909399',
        axis: '#c0c4cc',
        split: '#ebeef5',
        series: ['#409eff', '#67c23a', '#e6a23c', '#f56c6c', '#909399', '#1f4e79', '#b37feb', '#36cfc9', '#ff9c6e', '#95de64'],
        heat: ['#e6f4ff', '#91caff', '#4096ff', '#0958d9', '#002c8c'],
        noData: '#f0f2f5',
        border: '#ffffff',
        font,
      }
}

export interface TrendLabels {
  received: string
  closed: string
  satisfaction: string
}

/** Received and closed per period (left axis), satisfaction as a dashed line (right, %), gaps for null. */
export function trendOption(s: TrendSeries, labels: TrendLabels, theme: ChartTheme = 'light', scale = 1): ChartOption {
  const p = palette(theme, scale)
  const axisLabel = { color: p.subtext, fontSize: p.font }
  return {
    color: p.series,
    textStyle: { fontSize: p.font },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, textStyle: { color: p.text, fontSize: p.font }, data: [labels.received, labels.closed, labels.satisfaction] },
    grid: { left: 8, right: 8, top: 32 * scale, bottom: 4, containLabel: true },
    xAxis: {
      type: 'category',
      boundaryGap: false,
      data: s.keys.map((k) => k.slice(5)),
      axisLine: { lineStyle: { color: p.axis } },
      axisLabel,
    },
    yAxis: [
      { type: 'value', minInterval: 1, axisLabel, splitLine: { lineStyle: { color: p.split } } },
      { type: 'value', min: 0, max: 1, axisLabel: { ...axisLabel, formatter: (v: number) => `${Math.round(v * 100)}%` }, splitLine: { show: false } },
    ],
    series: [
      { name: labels.received, type: 'line', smooth: true, showSymbol: s.keys.length <= 31, data: s.received, areaStyle: { opacity: 0.12 } },
      { name: labels.closed, type: 'line', smooth: true, showSymbol: s.keys.length <= 31, data: s.closed },
      {
        name: labels.satisfaction,
        type: 'line',
        yAxisIndex: 1,
        connectNulls: false,
        showSymbol: true,
        symbolSize: 4,
        lineStyle: { type: 'dashed', width: 1.5 },
        // null is a gap: nobody was rated that day; it is not a 0% day.
        data: s.satisfaction.map((v) => (v === null ? '-' : v)),
        tooltip: { valueFormatter: (v) => (typeof v === 'number' ? formatPercent(v) : '—') },
      },
    ],
  }
}

/** A doughnut of received volume by channel. */
export function pieOption(items: NamedValue[], seriesName: string, theme: ChartTheme = 'light', scale = 1): ChartOption {
  const p = palette(theme, scale)
  return {
    color: p.series,
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle', textStyle: { color: p.text, fontSize: p.font }, pageTextStyle: { color: p.subtext } },
    series: [
      {
        name: seriesName,
        type: 'pie',
        radius: ['42%', '70%'],
        center: ['38%', '52%'],
        avoidLabelOverlap: true,
        percentPrecision: 1,
        itemStyle: { borderColor: theme === 'dark' ? '#0b1a2e' : '#fff', borderWidth: 2 },
        label: { color: p.text, fontSize: p.font, formatter: '{d}%' },
        data: items.map((x) => ({ name: x.name, value: x.value })),
      },
    ],
  }
}

/** Horizontal bars, largest on top (top 10 categories). */
export function barOption(items: NamedValue[], seriesName: string, theme: ChartTheme = 'light', scale = 1): ChartOption {
  const p = palette(theme, scale)
  const rev = [...items].reverse() // the category axis runs bottom → top
  return {
    color: p.series,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 40 * scale, top: 8, bottom: 4, containLabel: true },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { color: p.subtext, fontSize: p.font }, splitLine: { lineStyle: { color: p.split } } },
    yAxis: {
      type: 'category',
      data: rev.map((x) => x.name),
      axisLine: { lineStyle: { color: p.axis } },
      axisLabel: { color: p.text, fontSize: p.font, width: 110 * scale, overflow: 'truncate' },
    },
    series: [
      {
        name: seriesName,
        type: 'bar',
        barMaxWidth: 18 * scale,
        data: rev.map((x) => x.value),
        label: { show: true, position: 'right', color: p.text, fontSize: p.font },
        itemStyle: { borderRadius: [0, 3, 3, 0] },
      },
    ],
  }
}

export interface MapLabels {
  received: string
  satisfaction: string
  noData: string
}

/** The district map coloured by received volume; districts without a row are grey ("no data"). */
export function mapOption(m: DistrictMatch, labels: MapLabels, mapName = 'haikou', theme: ChartTheme = 'light', scale = 1): ChartOption {
  const p = palette(theme, scale)
  const byName = new Map(m.regions.map((r) => [r.name, r]))
  return {
    tooltip: {
      trigger: 'item',
      formatter: (params: unknown) => mapTooltip(params, byName, labels),
    },
    visualMap: {
      type: 'continuous',
      min: 0,
      max: Math.max(1, m.max),
      left: 8,
      bottom: 8,
      calculable: false,
      itemHeight: 90 * scale,
      inRange: { color: p.heat },
      text: [String(Math.max(1, m.max)), '0'],
      textStyle: { color: p.subtext, fontSize: p.font },
    },
    series: [
      {
        name: labels.received,
        type: 'map',
        map: mapName,
        roam: false,
        layoutCenter: ['50%', '50%'],
        layoutSize: '95%',
        aspectScale: 0.95,
        selectedMode: false,
        // A halo keeps the names legible on the darkest and the lightest districts alike.
        label: {
          show: true,
          color: theme === 'dark' ? '#ffffff' : '#1f2d3d',
          textBorderColor: theme === 'dark' ? 'rgba(5, 13, 26, 0.85)' : 'rgba(255, 255, 255, 0.9)',
          textBorderWidth: 2,
          fontSize: p.font,
          formatter: (x: { name: string }) => labelOf(x.name, byName),
        },
        itemStyle: { areaColor: p.noData, borderColor: p.border, borderWidth: 1 },
        emphasis: { label: { color: theme === 'dark' ? '#fff' : '#000' }, itemStyle: { areaColor: theme === 'dark' ? '#2fd3ff' : '#ffd666' } },
        // Only regions with data: the rest keep the grey areaColor (visualMap would colour 0).
        data: m.regions
          .filter((r) => r.value !== null)
          .map((r) => {
            const v = r.value as number
            // Light theme: white names on the darkest blues.
            const dark = theme === 'light' && m.max > 0 && v / m.max > 0.55
            return dark ? { name: r.name, value: v, label: { color: '#ffffff', textBorderColor: 'rgba(0, 21, 64, 0.6)' } } : { name: r.name, value: v }
          }),
      },
    ],
  }
}

function labelOf(name: string, byName: Map<string, DistrictMatch['regions'][number]>): string {
  const r = byName.get(name)
  return r && r.value !== null ? `${name}\n${r.value}` : name
}

export function mapTooltip(params: unknown, byName: Map<string, DistrictMatch['regions'][number]>, labels: MapLabels): string {
  const name = String((params as { name?: unknown })?.name ?? '')
  const r = byName.get(name)
  if (!r || r.value === null || !r.row) return `${escapeHtml(name)}<br/>${escapeHtml(labels.noData)}`
  const sat = r.row.values?.satisfaction_rate
  return `${escapeHtml(name)}<br/>${escapeHtml(labels.received)}: ${r.value}<br/>${escapeHtml(labels.satisfaction)}: ${formatPercent(typeof sat === 'number' ? sat : null)}`
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}
