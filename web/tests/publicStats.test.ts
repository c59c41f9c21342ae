import { describe, expect, it } from 'vitest'
import { barWidth, percent } from '../src/lib/publicStats'
import { messages } from '../src/lib/messages'

describe('public statistics', () => {
  it('shows rates as percentages and a missing denominator as a dash, never as 0', () => {
    expect(percent(0.9234)).toBe('92.3%')
    expect(percent(0)).toBe('0.0%')
    expect(percent(1)).toBe('100.0%')
    expect(percent(null)).toBe('—')
    expect(percent(undefined)).toBe('—')
    expect(percent(Number.NaN)).toBe('—')
  })

  it('scales category bars against the busiest, with a visible minimum', () => {
    expect(barWidth(50, 100)).toBe(50)
    expect(barWidth(100, 100)).toBe(100)
    expect(barWidth(1, 1000)).toBe(2)
    expect(barWidth(0, 100)).toBe(0)
    expect(barWidth(5, 0)).toBe(0)
  })

  it('has every string in Chinese and English', () => {
    const zh = Object.keys(messages.zh).filter((k) => k.startsWith('pub.'))
    const en = Object.keys(messages.en).filter((k) => k.startsWith('pub.'))
    expect(zh.length).toBeGreaterThan(10)
    expect(en.sort()).toEqual(zh.sort())
  })
})
