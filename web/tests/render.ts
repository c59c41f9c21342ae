// Renders a component to HTML in Node (vue/server-renderer): no DOM is needed, Element Plus
// renders on the server, and what setup does synchronously (props, immediate watchers, the
// first requests) can be checked. Used by the component tests; not a test file itself.

import { createSSRApp, h, type Component } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { vi } from 'vitest'
import { ID_INJECTION_KEY, ZINDEX_INJECTION_KEY } from 'element-plus'

export interface Rendered {
  html: string
  /** Vue's warnings during the render (bad props, missing components…). */
  warnings: string[]
}

export async function render(component: Component, props: Record<string, unknown> = {}, opts: { pinia?: Pinia; path?: string } = {}): Promise<Rendered> {
  const pinia = opts.pinia ?? createPinia()
  setActivePinia(pinia)
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:rest(.*)*', name: 'search', component: { render: () => null } }] })
  await router.push(opts.path ?? '/')
  await router.isReady()
  const app = createSSRApp({ render: () => h(component, props) })
  app.use(pinia)
  app.use(router)
  // What Element Plus asks of a server render (stable ids, the popper z-index counter).
  app.provide(ID_INJECTION_KEY, { prefix: 1024, current: 0 })
  app.provide(ZINDEX_INJECTION_KEY, { current: 0 })
  const warnings: string[] = []
  app.config.warnHandler = (msg) => warnings.push(msg)
  const html = await renderToString(app)
  return { html, warnings }
}

/** The text of the HTML (tags and comments dropped, whitespace collapsed). */
export function text(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<svg[\s\S]*?<\/svg>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** A fetch that answers by path (JSON), recording each request. */
export function fakeApi(routes: Record<string, unknown | ((body: unknown, url: string) => unknown)>) {
  const calls: { method: string; url: string; body: unknown }[] = []
  const f = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ method, url, body })
    const path = url.split('?')[0]
    const key = `${method} ${path}`
    const hit = key in routes ? routes[key] : routes[path]
    if (hit === undefined) return new Response(JSON.stringify({ error: { code: 'not_found', message_zh: '不存在', message_en: 'not found' } }), { status: 404 })
    const value = typeof hit === 'function' ? (hit as (b: unknown, u: string) => unknown)(body, url) : hit
    return new Response(JSON.stringify(value), { status: 200, headers: { 'Content-Type': 'application/json' } })
  })
  vi.stubGlobal('fetch', f)
  return { fetch: f, calls }
}
