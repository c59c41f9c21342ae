import { describe, expect, it } from 'vitest'
import type { MetricsTable } from '../src/api/metrics'
import { barOption, mapOption, mapTooltip, palette, pieOption, trendOption } from '../src/lib/charts'
import { matchDistricts, topByReceived, trendSeries } from '../src/lib/dashboard'
import unitJson from './fixtures/metrics_unit.json'
import dayJson from './fixtures/metrics_day.json'
import channelJson from './fixtures/metrics_channel.json'
import categoryJson from './fixtures/metrics_category.json'

const unit = unitJson as unknown as MetricsTable
const day = dayJson as unknown as MetricsTable
const FEATURES = ['美兰区', '琼山区', '秀英区', '龙华区']

// The options are plain objects; read them loosely.
type Loose = any

describe('trend chart', () => {
  const s = trendSeries(day.rows, { from: '2026-11-01', to: '2026-12-01' }, 'day', '2026-11-05')
  const o = trendOption(s, { received: '受理量', closed: '办结量', satisfaction: '满意率' }) as Loose

  it('has one point per day on the x axis (MM-DD)', () => {
    expect(o.xAxis.data).toEqual(['11-01', '11-02', '11-03', '11-04', '11-05'])
    expect(o.series.map((x: Loose) => x.name)).toEqual(['受理量', '办结量', '满意率'])
    expect(o.series[0].data).toEqual([10, 14, 0, 20, 0])
  })

  it('draws a gap ("-") where nobody was rated, on the percent axis', () => {
    expect(o.series[2].data).toEqual([0.9, '-', '-', 0.85, '-'])
    expect(o.series[2].yAxisIndex).toBe(1)
    expect(o.series[2].connectNulls).toBe(false)
    expect(o.yAxis[1].axisLabel.formatter(0.5)).toBe('50%')
    expect(o.series[2].tooltip.valueFormatter(0.853)).toBe('85.3%')
    expect(o.series[2].tooltip.valueFormatter('-')).toBe('—')
  })
})

describe('channels and categories', () => {
  it('pie: one slice per channel with cases', () => {
    const o = pieOption(topByReceived((channelJson as unknown as MetricsTable).rows), '受理量') as Loose
    expect(o.series[0].type).toBe('pie')
    expect(o.series[0].data).toEqual([
      { name: '电话', value: 300 },
      { name: '微信', value: 70 },
      { name: '网站', value: 42 },
    ])
  })

  it('bar: top 10, the largest at the top (the category axis runs upwards)', () => {
    const o = barOption(topByReceived((categoryJson as unknown as MetricsTable).rows, 10), '受理量') as Loose
    expect(o.yAxis.data).toHaveLength(10)
    expect(o.yAxis.data[9]).toBe('噪声污染')
    expect(o.series[0].data[9]).toBe(60)
    expect(o.series[0].data[0]).toBe(5)
  })

  it('dark theme for the big screen scales its text', () => {
    expect(palette('dark', 1.5).font).toBe(18)
    const o = barOption([], 'x', 'dark', 1.5) as Loose
    expect(o.yAxis.axisLabel.fontSize).toBe(18)
    expect(o.yAxis.axisLabel.color).toBe(palette('dark').text)
  })
})

describe('district map', () => {
  const labels = { received: '受理量', satisfaction: '满意率', noData: '暂无数据' }

  it('colours districts by received volume, offline map "haikou"', () => {
    const o = mapOption(matchDistricts(unit.rows, FEATURES), labels) as Loose
    expect(o.series[0].type).toBe('map')
    expect(o.series[0].map).toBe('haikou')
    expect(o.series[0].data.map((d: Loose) => [d.name, d.value])).toEqual([
      ['美兰区', 90],
      ['琼山区', 30],
      ['秀英区', 40],
      ['龙华区', 120],
    ])
    // White names on the darkest districts of the light map.
    expect(o.series[0].data.filter((d: Loose) => d.label?.color === '#ffffff').map((d: Loose) => d.name)).toEqual(['美兰区', '龙华区'])
    expect(o.visualMap.min).toBe(0)
    expect(o.visualMap.max).toBe(120)
    expect(o.series[0].label.formatter({ name: '龙华区' })).toBe('龙华区\n120')
  })

  it('leaves districts without data out of the colour scale (grey), and says so', () => {
    const m = matchDistricts(unit.rows.filter((r) => r.label !== '秀英区'), FEATURES)
    const o = mapOption(m, labels) as Loose
    expect(o.series[0].data.map((d: Loose) => d.name)).not.toContain('秀英区')
    expect(o.series[0].label.formatter({ name: '秀英区' })).toBe('秀英区')
    const byName = new Map(m.regions.map((r) => [r.name, r]))
    expect(mapTooltip({ name: '秀英区' }, byName, labels)).toBe('秀英区<br/>暂无数据')
    expect(mapTooltip({ name: '龙华区' }, byName, labels)).toBe('龙华区<br/>受理量: 120<br/>满意率: 90.0%')
  })

  it('shows "—" for a district whose satisfaction has no denominator', () => {
    const m = matchDistricts(unit.rows, FEATURES)
    const byName = new Map(m.regions.map((r) => [r.name, r]))
    expect(mapTooltip({ name: '秀英区' }, byName, labels)).toBe('秀英区<br/>受理量: 40<br/>满意率: —')
  })

  it('keeps a scale when every district is empty', () => {
    const o = mapOption(matchDistricts([], FEATURES), labels) as Loose
    expect(o.visualMap.max).toBe(1)
    expect(o.series[0].data).toEqual([])
  })
})
