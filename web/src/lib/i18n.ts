// A tiny i18n: two dictionaries, Chinese the default and the fallback. Enum labels come from
// /api/meta in Chinese; English labels for them live in the dictionary under `enum.<name>.<code>`.

import { reactive } from 'vue'
import { messages, type Dict } from './messages'

export type Lang = 'zh' | 'en'
export const LANGS: Lang[] = ['zh', 'en']

const STORAGE_KEY = 'minsheng.lang'

function storedLang(): Lang {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY)
    return v === 'en' ? 'en' : 'zh'
  } catch {
    return 'zh'
  }
}

export const i18n = reactive({ lang: storedLang() as Lang })

export function setLang(lang: Lang): void {
  i18n.lang = lang
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang)
  } catch {
    /* private mode: keep it in memory */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
}

/** Replaces `{name}` with params.name. */
export function interpolate(s: string, params?: Record<string, string | number>): string {
  if (!params) return s
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m))
}

/** Looks a key up in `lang`, then in Chinese, then gives the key itself. */
export function translate(
  lang: Lang,
  key: string,
  params?: Record<string, string | number>,
  dicts: Record<Lang, Dict> = messages,
): string {
  const s = dicts[lang]?.[key] ?? dicts.zh[key] ?? key
  return interpolate(s, params)
}

/** Translates in the current language (reactive: templates re-render on a switch). */
export function t(key: string, params?: Record<string, string | number>): string {
  return translate(i18n.lang, key, params)
}

/**
 * The label of an enum value: in Chinese the server's label (meta), in English the dictionary's;
 * each falls back to the other, then to the code.
 */
export function enumLabel(
  lang: Lang,
  name: string,
  code: string | null | undefined,
  metaLabel?: string,
  dicts: Record<Lang, Dict> = messages,
): string {
  if (code === null || code === undefined || code === '') return ''
  const key = `enum.${name}.${code}`
  if (lang === 'en') return dicts.en[key] ?? metaLabel ?? dicts.zh[key] ?? code
  return metaLabel ?? dicts.zh[key] ?? dicts.en[key] ?? code
}
