import { describe, expect, it } from 'vitest'
import { enumLabel, i18n, interpolate, setLang, t, translate } from '../src/lib/i18n'
import { messages } from '../src/lib/messages'

const dicts = {
  zh: { hello: '你好，{name}', onlyZh: '仅中文', 'enum.states.closed': '已办结(词典)' },
  en: { hello: 'Hello, {name}', 'enum.states.closed': 'Closed' },
}

describe('translate', () => {
  it('uses the language asked for', () => {
    expect(translate('zh', 'hello', { name: '张三' }, dicts)).toBe('你好，张三')
    expect(translate('en', 'hello', { name: 'Li' }, dicts)).toBe('Hello, Li')
  })

  it('falls back to Chinese, then to the key', () => {
    expect(translate('en', 'onlyZh', undefined, dicts)).toBe('仅中文')
    expect(translate('en', 'missing.key', undefined, dicts)).toBe('missing.key')
    expect(translate('zh', 'missing.key', undefined, dicts)).toBe('missing.key')
  })

  it('leaves unknown placeholders alone', () => {
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}')
    expect(interpolate('no params')).toBe('no params')
  })
})

describe('enumLabel', () => {
  it('prefers the server label in Chinese and the dictionary in English', () => {
    expect(enumLabel('zh', 'states', 'closed', '已办结', dicts)).toBe('已办结')
    expect(enumLabel('en', 'states', 'closed', '已办结', dicts)).toBe('Closed')
  })

  it('falls back: English to the server label, Chinese to the dictionary, then the code', () => {
    expect(enumLabel('en', 'states', 'archived', '已归档', dicts)).toBe('已归档')
    expect(enumLabel('zh', 'states', 'closed', undefined, dicts)).toBe('已办结(词典)')
    expect(enumLabel('en', 'states', 'new_state', undefined, dicts)).toBe('new_state')
    expect(enumLabel('zh', 'states', null, undefined, dicts)).toBe('')
  })
})

describe('the current language', () => {
  it('defaults to Chinese and switches', () => {
    expect(i18n.lang).toBe('zh')
    expect(t('nav.workbench')).toBe('工作台')
    setLang('en')
    expect(t('nav.workbench')).toBe('Workbench')
    expect(t('no.such.key')).toBe('no.such.key')
    setLang('zh')
    expect(t('nav.workbench')).toBe('工作台')
  })
})

describe('the dictionaries', () => {
  it('have an English string for every Chinese one (enum labels aside, which come from the server)', () => {
    const missing = Object.keys(messages.zh).filter((k) => !(k in messages.en))
    expect(missing).toEqual([])
  })

  it('have no English-only keys that Chinese would miss (other than enum labels)', () => {
    const extra = Object.keys(messages.en).filter((k) => !(k in messages.zh) && !k.startsWith('enum.'))
    expect(extra).toEqual([])
  })

  it('use the same placeholders in both languages', () => {
    const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',')
    const differ = Object.keys(messages.zh).filter((k) => k in messages.en && ph(messages.zh[k]) !== ph(messages.en[k]))
    expect(differ).toEqual([])
  })

  it('require the version-conflict wording of the brief', () => {
    expect(messages.zh['detail.conflict']).toContain('工单已被他人修改')
  })
})
