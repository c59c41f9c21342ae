// Issue-6 performance figures of the browser application, measured in a real browser (headless
// Debian chromium through npm `playwright-core`, as web/e2e/flow.mjs). A measurement script, not a
// test: it is not part of scripts/test.sh and it starts nothing — the server must be running with
// the built application (`minsheng serve … --web web/dist`).
//
//   node web/e2e/perf.mjs --url http://127.0.0.1:18090 --runs 5 --out results.jsonl [--label 1m]
//                         [--figures load,typing,dashboard] [--operator operator] [--viewer supervisor]
//
// Figures (each run prints a line and appends one JSON line to --out, with os.loadavg() before/after):
//
//   load       The operator's workbench, first load after login. The session cookie is obtained by
//              POST /api/auth/login outside the page (not counted); then /#/workbench is opened in
//              a new browser context (empty cache: "cold"), and once more in the same context after
//              about:blank ("warm"). Bytes: every response of that page load until the network is
//              idle (500 ms without requests), from the Resource and Navigation Timing entries:
//              encodedBodySize (what came over the wire, body only), decodedBodySize (uncompressed)
//              and transferSize (with headers; 0 when served from the cache), split by type
//              (document, js, css, font, api, other). Time to interactive (TTI): milliseconds from
//              navigation start (performance.now() = 0) to the first DOM mutation in which a key
//              pressed into the form's 诉求内容 textarea ([data-testid=wb-text]) has been applied by
//              the application: its word counter shows "1 / 5000". The key is pressed by the driver
//              as soon as the textarea is present, visible and enabled; `field_ready_ms` (first
//              seen enabled) and `keydown_ms` (the keydown reaching the page) are recorded beside it.
//   typing     The operator types a realistic complaint (title, then text; 40 ms between keys) into
//              the workbench (warm page). From the last `input` event (the last keystroke) to the
//              DOM mutation in which the proposals panel ([data-testid=cls-proposals]) turns from
//              data-state="busy" to "ready" with [data-testid=cls-proposal-1] shown, for a request
//              made after that keystroke; `painted_ms` is two animation frames later. The panel
//              waits PREVIEW_DELAY_MS (400 ms, web/src/lib/classification.ts) after the last
//              keystroke before it asks POST /api/cases/preview: reported as `debounce_ms` (the
//              constant) and `debounce_measured_ms` (last keystroke → request start), and the total
//              minus the debounce. Also the request's server time (requestStart → responseStart,
//              loopback) and the render after the response. Needs an active classifier model (a
//              database started with MINSHENG_CLASSIFIER_BOOTSTRAP=0 and --demo has none: skip it there
//              with --figures load,dashboard).
//   dashboard  The dashboard (/#/dashboard) as `--viewer` (default supervisor: the centre's view of
//              every unit). Per run: (a) opening the route in a warm context (assets cached) until
//              everything is drawn, and (b) a click on 刷新 ([data-testid=dash-refresh], which calls
//              the same load() as the 60 s timer) until everything is drawn. "Drawn": the refresh
//              button no longer loading, the four charts (trend, channels, map, categories) given
//              their data (data-ready="true"), the KPI cards filled, then two animation frames (the
//              charts paint in the next frame; ECharts' own entry animation afterwards is not
//              counted). The API calls of the refresh with their browser timings, and the server's
//              own time from its Prometheus summary (GET /metrics, _sum/_count per route, diffed).
//              After the runs each dashboard call is also repeated alone, one at a time (`isolated`).
//
// Every JSON line carries `date` (when this invocation started), `url`, `label`, `commit` and `chromium`.
//
// One uncounted pass at the end fetches every distinct asset of the workbench load again and
// reports what gzip (level 6) and brotli (quality 11) would make of it (the server sends no
// Content-Encoding today).

import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'

// --- Arguments ----------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { url: process.env.MINSHENG_URL ?? '', runs: 5, out: '', label: '', figures: 'load,typing,dashboard', operator: 'operator', viewer: 'supervisor' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const v = () => {
      const x = argv[++i]
      if (x === undefined) throw new Error(`${a} needs a value`)
      return x
    }
    if (a === '--url') o.url = v()
    else if (a === '--runs') o.runs = Number(v())
    else if (a === '--out') o.out = v()
    else if (a === '--label') o.label = v()
    else if (a === '--figures') o.figures = v()
    else if (a === '--operator') o.operator = v()
    else if (a === '--viewer') o.viewer = v()
    else if (a === '-h' || a === '--help') {
      console.log('node web/e2e/perf.mjs --url URL [--runs 5] [--out FILE.jsonl] [--label NAME] [--figures load,typing,dashboard] [--operator LOGIN] [--viewer LOGIN]')
      process.exit(0)
    } else throw new Error(`unknown argument ${a}`)
  }
  if (!o.url) throw new Error('--url is required (e.g. --url http://127.0.0.1:18090)')
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs must be a positive integer')
  o.url = o.url.replace(/\/+$/, '')
  o.figures = new Set(o.figures.split(',').map((s) => s.trim()).filter(Boolean))
  return o
}

let opts
try {
  opts = parseArgs(process.argv.slice(2))
} catch (e) {
  console.error(`error: ${e.message}`)
  process.exit(2)
}
const BASE = opts.url
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const PASSWORD = process.env.MINSHENG_DEMO_PASSWORD ?? 'minsheng123'
const TIMEOUT = 60_000
// The panel's debounce: read from the source when run from a checkout (web/src/lib/classification.ts).
const PREVIEW_DELAY_MS = (() => {
  try {
    const src = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'lib', 'classification.ts'), 'utf8')
    return Number(/PREVIEW_DELAY_MS\s*=\s*(\d+)/.exec(src)?.[1] ?? 400)
  } catch {
    return 400
  }
})()
const HERE = dirname(fileURLToPath(import.meta.url))

if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM}. Install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH.`)
  process.exit(2)
}
try {
  const r = await fetch(`${BASE}/healthz`)
  if (!r.ok) throw new Error(`HTTP ${r.status}`)
} catch (e) {
  console.error(`The server at ${BASE} does not answer /healthz (${e?.message ?? e}); start it first (minsheng serve … --web web/dist).`)
  process.exit(2)
}

// --- Small helpers ------------------------------------------------------------------------------

const la = () => loadavg().map((x) => Math.round(x * 100) / 100)
const r1 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10)
function median(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined && Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}
const spread = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x))
  return v.length ? [Math.min(...v), Math.max(...v)] : [null, null]
}
const kb = (b) => (b === null || b === undefined ? '—' : `${(b / 1024).toFixed(1)} KiB`)
const ms = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)} ms`)

function gitCommit() {
  try {
    return execFileSync('git', ['-C', HERE, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

if (opts.out) mkdirSync(dirname(resolve(opts.out)), { recursive: true })
const common = { date: new Date().toISOString(), url: BASE, label: opts.label || null, commit: gitCommit() }
function record(obj) {
  const line = JSON.stringify({ ...common, ...obj })
  if (opts.out) appendFileSync(opts.out, line + '\n')
}

/** The server's Prometheus summary per route: { "GET /api/metrics": { sum, count } }. */
async function serverTimes() {
  const r = await fetch(`${BASE}/metrics`)
  if (!r.ok) return null
  const text = await r.text()
  const out = {}
  const re = /^minsheng_http_request_duration_seconds_(sum|count)\{method="([A-Z]+)",path="([^"]*)"\} ([0-9.eE+-]+)$/gm
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const key = `${m[2]} ${m[3]}`
    out[key] ??= { sum: 0, count: 0 }
    out[key][m[1]] = Number(m[4])
  }
  return out
}
function diffServer(before, after) {
  if (!before || !after) return null
  const out = {}
  for (const [k, a] of Object.entries(after)) {
    const b = before[k] ?? { sum: 0, count: 0 }
    const n = a.count - b.count
    if (n > 0) out[k] = { calls: n, total_ms: r1((a.sum - b.sum) * 1000), mean_ms: r1(((a.sum - b.sum) * 1000) / n) }
  }
  return out
}

function typeOf(url, initiator) {
  if (initiator === 'navigation') return 'document'
  const p = new URL(url).pathname
  if (p.startsWith('/api/')) return 'api'
  if (/\.m?js$/.test(p)) return 'js'
  if (/\.css$/.test(p)) return 'css'
  if (/\.(woff2?|ttf|otf|eot)$/.test(p)) return 'font'
  if (p === '/' || /\.html$/.test(p)) return 'document'
  return 'other'
}
const TYPES = ['document', 'js', 'css', 'font', 'api', 'other']

/** The navigation entry and every resource entry of the page, as plain objects. */
async function entries(page) {
  return page.evaluate(() => {
    const pick = (e) => ({
      name: e.name,
      initiator: e.initiatorType ?? e.entryType,
      start: e.startTime,
      requestStart: e.requestStart,
      responseStart: e.responseStart,
      responseEnd: e.responseEnd,
      encoded: e.encodedBodySize,
      decoded: e.decodedBodySize,
      transfer: e.transferSize,
    })
    const nav = performance.getEntriesByType('navigation')[0]
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]))
    return {
      nav: nav ? { ...pick(nav), initiator: 'navigation', dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd } : null,
      resources: performance.getEntriesByType('resource').map(pick),
      fcp: paint['first-contentful-paint'] ?? null,
    }
  })
}

function sizes(list) {
  const z = () => Object.fromEntries([...TYPES, 'total'].map((t) => [t, 0]))
  const s = { encoded: z(), decoded: z(), transfer: z(), requests: z(), from_cache: 0 }
  for (const e of list) {
    const t = typeOf(e.name, e.initiator)
    for (const k of ['encoded', 'decoded', 'transfer']) {
      s[k][t] += e[k] ?? 0
      s[k].total += e[k] ?? 0
    }
    s.requests[t]++
    s.requests.total++
    if (e.transfer === 0 && e.decoded > 0) s.from_cache++
  }
  return s
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
})
common.chromium = browser.version()

async function newContext(login) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
  const r = await context.request.post(`${BASE}/api/auth/login`, { data: { login, password: PASSWORD } })
  if (!r.ok()) throw new Error(`login ${login}: HTTP ${r.status()} ${await r.text()}`)
  const page = await context.newPage()
  page.setDefaultTimeout(TIMEOUT)
  page.on('pageerror', (e) => console.error(`  page error: ${e?.message ?? e}`))
  return { context, page }
}

// --- Probes installed in every document (before the application's scripts) ----------------------

const PROBES = () => {
  const now = () => performance.now()
  // TTI of the workbench form.
  const p = (window.__perf = { fieldReady: null, keydown: null, reflected: null, count: 0, countAt: null })
  // The dashboard: fully drawn after navigation, and after a click on 刷新.
  const d = (window.__dash = { openDone: null, clickAt: null, sawLoading: false, dataAt: null, drawnAt: null })
  // The classification panel while typing.
  const c = (window.__typ = { lastInput: null, busyAt: null, readyAt: null, paintedAt: null })
  const textarea = () => document.querySelector('textarea[data-testid="wb-text"]') // el-input puts the attribute on the textarea
  const frames2 = (fn) => requestAnimationFrame(() => requestAnimationFrame(() => fn(now())))
  const dashDrawn = () => {
    const btn = document.querySelector('[data-testid="dash-refresh"]')
    if (!btn || btn.classList.contains('is-loading')) return false
    const charts = ['trend', 'channels', 'map', 'categories'].map((k) => document.querySelector(`[data-testid="chart-${k}"]`))
    if (charts.some((el) => !el || el.getAttribute('data-ready') !== 'true')) return false
    const kpis = [...document.querySelectorAll('[data-testid="kpi-value"]')]
    return kpis.length > 0 && kpis.every((k) => k.textContent.trim() !== '…')
  }
  let openPending = false
  const check = () => {
    const t = now()
    // Workbench TTI.
    const ta = textarea()
    if (ta) {
      if (!ta.disabled && p.fieldReady === null) p.fieldReady = t
      // The word counter, which the application renders from its model ("1 / 5000").
      const n = Number(/^\s*(\d+)/.exec(ta.parentElement?.querySelector('.el-input__count')?.textContent ?? '')?.[1] ?? 0)
      if (n !== p.count) {
        p.count = n
        p.countAt = t
        if (n > 0 && p.keydown !== null && p.reflected === null) p.reflected = t
      }
    }
    // Classification panel.
    const panel = document.querySelector('[data-testid="cls-proposals"]')
    if (panel && c.lastInput !== null && c.readyAt === null) {
      const state = panel.getAttribute('data-state')
      if (state === 'busy' && c.busyAt === null) c.busyAt = t
      // Ready with proposals, from a preview asked after the last keystroke (a response to an
      // earlier draft that lands in between does not count).
      else if (
        state === 'ready' &&
        panel.querySelector('[data-testid="cls-proposal-1"]') &&
        performance.getEntriesByType('resource').some((e) => e.name.includes('/api/cases/preview') && e.startTime > c.lastInput)
      ) {
        c.readyAt = t
        frames2((x) => (c.paintedAt = x))
      }
    }
    // Dashboard.
    if (document.querySelector('[data-testid="dashboard"]')) {
      if (d.openDone === null && !openPending && dashDrawn()) {
        openPending = true
        frames2((x) => (d.openDone = x))
      }
      if (d.clickAt !== null && d.drawnAt === null) {
        const btn = document.querySelector('[data-testid="dash-refresh"]')
        if (btn?.classList.contains('is-loading')) d.sawLoading = true
        else if (d.sawLoading && d.dataAt === null && dashDrawn()) {
          d.dataAt = t
          frames2((x) => (d.drawnAt = x))
        }
      }
    }
  }
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true })
  document.addEventListener(
    'keydown',
    (e) => {
      if (p.keydown === null && e.target?.closest?.('[data-testid="wb-text"]')) p.keydown = now()
    },
    true,
  )
  document.addEventListener(
    'input',
    (e) => {
      if (e.target?.closest?.('[data-testid="wb-title"], [data-testid="wb-text"]') && window.__typ.lastInput !== null) {
        // Only what follows the last keystroke counts.
        window.__typ.lastInput = now()
        window.__typ.busyAt = null
        window.__typ.readyAt = null
        window.__typ.paintedAt = null
      }
    },
    true,
  )
  document.addEventListener(
    'click',
    (e) => {
      if (e.target?.closest?.('[data-testid="dash-refresh"]')) {
        d.clickAt = now()
        d.sawLoading = false
        d.dataAt = null
        d.drawnAt = null
      }
    },
    true,
  )
}

// --- Figure 1: the workbench's first load --------------------------------------------------------

async function workbenchLoad(page, mode) {
  await page.goto('about:blank')
  const before = la()
  await page.goto(`${BASE}/#/workbench`, { waitUntil: 'commit' })
  const ta = page.locator('textarea[data-testid="wb-text"]:not([disabled])')
  await ta.waitFor({ state: 'visible' })
  await ta.press('a')
  await page.waitForFunction(() => window.__perf.reflected !== null, null, { polling: 10 })
  await page.waitForLoadState('networkidle')
  const perf = await page.evaluate(() => ({ ...window.__perf }))
  const e = await entries(page)
  // The same key on the settled page: what the driver and the application need for one key when
  // nothing else is going on (the part of the TTI above that is not loading).
  const t0 = await page.evaluate(() => performance.now())
  await ta.press('b')
  await page.waitForFunction(() => window.__perf.count >= 2, null, { polling: 10 })
  const idleKey = (await page.evaluate(() => window.__perf.countAt)) - t0
  const list = [e.nav, ...e.resources].filter(Boolean)
  const s = sizes(list)
  const rec = {
    figure: 'workbench_load',
    mode,
    loadavg_before: before,
    loadavg_after: la(),
    tti_ms: r1(perf.reflected),
    field_ready_ms: r1(perf.fieldReady),
    keydown_ms: r1(perf.keydown),
    idle_key_ms: r1(idleKey),
    fcp_ms: r1(e.fcp),
    dom_content_loaded_ms: r1(e.nav?.dcl),
    load_event_ms: r1(e.nav?.load),
    bytes: { encoded: s.encoded, decoded: s.decoded, transfer: s.transfer },
    requests: s.requests,
    from_cache: s.from_cache,
    resources: list.map((x) => ({
      url: x.name.replace(BASE, ''),
      type: typeOf(x.name, x.initiator),
      encoded: x.encoded,
      decoded: x.decoded,
      transfer: x.transfer,
      start_ms: r1(x.start),
      ttfb_ms: x.requestStart > 0 ? r1(x.responseStart - x.requestStart) : null,
      end_ms: r1(x.responseEnd),
    })),
  }
  return rec
}

async function figureLoad() {
  console.log(`\n== workbench first load (${opts.operator}), ${opts.runs} runs: cold = new context, warm = second load in it`)
  const rows = []
  for (let run = 1; run <= opts.runs; run++) {
    const { context, page } = await newContext(opts.operator)
    await context.addInitScript(PROBES)
    for (const mode of ['cold', 'warm']) {
      const rec = await workbenchLoad(page, mode)
      rec.run = run
      rows.push(rec)
      record(rec)
      console.log(
        `  run ${run} ${mode}: TTI ${ms(rec.tti_ms)} (field ${ms(rec.field_ready_ms)}, key ${ms(rec.keydown_ms)}; a key on the settled page ${ms(rec.idle_key_ms)}), FCP ${ms(rec.fcp_ms)}, ` +
          `${rec.requests.total} requests, encoded ${kb(rec.bytes.encoded.total)} (js ${kb(rec.bytes.encoded.js)}, css ${kb(rec.bytes.encoded.css)}, api ${kb(rec.bytes.encoded.api)}), ` +
          `transfer ${kb(rec.bytes.transfer.total)}, load ${rec.loadavg_before[0]}→${rec.loadavg_after[0]}`,
      )
    }
    await context.close()
  }
  for (const mode of ['cold', 'warm']) {
    const rs = rows.filter((r) => r.mode === mode)
    const m = (f) => median(rs.map(f))
    console.log(
      `  median ${mode}: TTI ${ms(m((r) => r.tti_ms))} [${spread(rs.map((r) => r.tti_ms)).map(ms).join('–')}], field ready ${ms(m((r) => r.field_ready_ms))} [${spread(rs.map((r) => r.field_ready_ms)).map(ms).join('–')}], settled key ${ms(m((r) => r.idle_key_ms))}, FCP ${ms(m((r) => r.fcp_ms))}; ` +
        `encoded ${kb(m((r) => r.bytes.encoded.total))}, decoded ${kb(m((r) => r.bytes.decoded.total))}, transfer ${kb(m((r) => r.bytes.transfer.total))}`,
    )
    for (const t of TYPES) {
      const enc = m((r) => r.bytes.encoded[t])
      if (enc || m((r) => r.requests[t])) console.log(`      ${t.padEnd(8)} ${String(m((r) => r.requests[t])).padStart(3)} req  encoded ${kb(enc)}  decoded ${kb(m((r) => r.bytes.decoded[t]))}  transfer ${kb(m((r) => r.bytes.transfer[t]))}`)
    }
  }
  const cold = rows.find((r) => r.mode === 'cold')
  if (cold) {
    const big = [...cold.resources].sort((a, b) => b.decoded - a.decoded).slice(0, 6)
    console.log('  largest responses (run 1, cold):')
    for (const x of big) console.log(`      ${kb(x.decoded).padStart(10)}  ${x.url}`)
    const api = cold.resources.filter((x) => x.type === 'api')
    console.log('  API calls (run 1, cold): ' + api.map((x) => `${x.url.split('?')[0]} ttfb ${ms(x.ttfb_ms)}`).join('; '))
  }
  return rows
}

/** Uncounted: what gzip and brotli would make of each distinct response of the workbench load. */
async function compressionEstimate(rows) {
  const cold = rows.find((r) => r.mode === 'cold')
  if (!cold) return
  const { context } = await newContext(opts.operator)
  const byType = {}
  for (const x of cold.resources) {
    const r = await context.request.get(BASE + x.url)
    const body = await r.body()
    const gz = gzipSync(body, { level: 6 }).length
    const br = brotliCompressSync(body, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: body.length } }).length
    byType[x.type] ??= { raw: 0, gzip6: 0, brotli11: 0 }
    byType[x.type].raw += body.length
    byType[x.type].gzip6 += gz
    byType[x.type].brotli11 += br
  }
  const total = { raw: 0, gzip6: 0, brotli11: 0 }
  for (const v of Object.values(byType)) for (const k of Object.keys(total)) total[k] += v[k]
  await context.close()
  record({ figure: 'workbench_compression_estimate', by_type: byType, total, loadavg_before: la(), loadavg_after: la() })
  console.log(`  if compressed (uncounted pass): raw ${kb(total.raw)} → gzip-6 ${kb(total.gzip6)}, brotli-11 ${kb(total.brotli11)}`)
  for (const [t, v] of Object.entries(byType)) console.log(`      ${t.padEnd(8)} raw ${kb(v.raw)} → gzip ${kb(v.gzip6)}, brotli ${kb(v.brotli11)}`)
}

// --- Figure 2: typing → classification proposals ------------------------------------------------

// Realistic requests as an operator would take them down (invented, no real people).
const COMPLAINTS = [
  ['夜间施工噪音扰民', '龙华区金贸街道玉沙社区附近有一处工地，连续多日晚上十一点以后仍在施工，打桩机和搅拌车的噪音很大，严重影响周边居民休息，请相关部门尽快查处。'],
  ['路灯损坏无人维修', '美兰区海甸岛人民大道与和平大道交叉口往北约两百米的一排路灯已经坏了一个多星期，晚上路面漆黑，行人和电动车通行很不安全，希望尽快维修。'],
  ['小区突然停水', '琼山区府城一小区从昨天下午开始停水，事先没有任何通知，家里有老人和小孩，生活非常不便，请水务部门核实原因并尽快恢复供水。'],
  ['流动摊贩占道经营', '秀英区海秀西路农贸市场门口流动摊贩长期占用人行道和机动车道经营，早晚高峰造成交通拥堵，垃圾随地乱扔，请城管部门进行整治。'],
  ['公司拖欠工资', '本人在龙华区一家装修公司工作，公司已经拖欠我和其他十几名工人三个月的工资，共计约八万元，多次讨要无果，请求劳动监察部门帮助追讨。'],
]

async function figureTyping() {
  console.log(`\n== typing → classification proposals (${opts.operator}, warm workbench), ${opts.runs} runs`)
  const { context, page } = await newContext(opts.operator)
  await context.addInitScript(PROBES)
  await page.goto(`${BASE}/#/workbench`)
  await page.getByTestId('wb-text').waitFor()
  await page.waitForLoadState('networkidle')
  let lastBody = null
  page.on('request', (r) => {
    if (r.url().includes('/api/cases/preview') && r.method() === 'POST') lastBody = r.postData()
  })
  const rows = []
  const bodies = []
  for (let run = 1; run <= opts.runs; run++) {
    const [title, text] = COMPLAINTS[(run - 1) % COMPLAINTS.length]
    await page.getByTestId('wb-reset').click()
    await page.waitForFunction(() => document.querySelector('[data-testid="cls-proposals"]')?.getAttribute('data-state') !== 'busy')
    await page.waitForTimeout(600)
    await page.evaluate(() => {
      performance.clearResourceTimings()
      Object.assign(window.__typ, { lastInput: -1, busyAt: null, readyAt: null, paintedAt: null })
    })
    const before = la()
    const started = Date.now()
    await page.getByTestId('wb-title').pressSequentially(title, { delay: 40 })
    await page.getByTestId('wb-text').pressSequentially(text, { delay: 40 })
    const typingS = (Date.now() - started) / 1000
    await page.waitForFunction(() => window.__typ.paintedAt !== null, null, { polling: 20 })
    await page.waitForTimeout(300) // the knowledge suggestion may still be under way: let it finish for the record
    const typ = await page.evaluate(() => ({ ...window.__typ }))
    const e = await entries(page)
    const after = e.resources.filter((x) => x.start >= typ.lastInput)
    const preview = after.filter((x) => x.name.includes('/api/cases/preview')).at(-1)
    const suggest = after.filter((x) => x.name.includes('/api/knowledge/suggest')).at(-1)
    const top = await page.getByTestId('cls-proposal-1').innerText().catch(() => '')
    const total = typ.readyAt - typ.lastInput
    const rec = {
      figure: 'typing_to_proposals',
      run,
      loadavg_before: before,
      loadavg_after: la(),
      title,
      chars: [...title].length + [...text].length,
      typing_s: r1(typingS),
      total_ms: r1(total),
      painted_ms: r1(typ.paintedAt - typ.lastInput),
      debounce_ms: PREVIEW_DELAY_MS,
      total_minus_debounce_ms: r1(total - PREVIEW_DELAY_MS),
      debounce_measured_ms: preview ? r1(preview.start - typ.lastInput) : null,
      preview_request_ms: preview ? r1(preview.responseEnd - preview.start) : null,
      preview_server_ms: preview ? r1(preview.responseStart - preview.requestStart) : null,
      preview_bytes: preview?.encoded ?? null,
      render_after_response_ms: preview ? r1(typ.readyAt - preview.responseEnd) : null,
      suggest_request_ms: suggest ? r1(suggest.responseEnd - suggest.start) : null,
      suggest_server_ms: suggest ? r1(suggest.responseStart - suggest.requestStart) : null,
      previews_after_last_key: after.filter((x) => x.name.includes('/api/cases/preview')).length,
      top_proposal: top.replace(/\s+/g, ' ').trim(),
    }
    rows.push(rec)
    record(rec)
    if (lastBody) bodies.push({ title, body: lastBody })
    console.log(
      `  run ${run} "${title}" (${rec.chars} chars): total ${ms(rec.total_ms)} = debounce ${ms(rec.debounce_measured_ms)} + preview ${ms(rec.preview_request_ms)} (server ${ms(rec.preview_server_ms)}) + render ${ms(rec.render_after_response_ms)}; knowledge suggest ${ms(rec.suggest_request_ms)}; ` +
        `painted ${ms(rec.painted_ms)}; top: ${rec.top_proposal.slice(0, 40)}; load ${before[0]}→${rec.loadavg_after[0]}`,
    )
  }
  // Each run's final preview again, alone and one after another (no typing, no other request):
  // the server's own time, from its Prometheus summary.
  const isolated = []
  for (const { title, body } of bodies) {
    const server = []
    const client = []
    for (let i = 0; i < opts.runs; i++) {
      const a = await serverTimes()
      const t = performance.now()
      const r = await context.request.post(`${BASE}/api/cases/preview`, { data: body, headers: { 'content-type': 'application/json' } })
      await r.body()
      client.push(performance.now() - t)
      const dd = diffServer(a, await serverTimes())
      server.push(dd?.['POST /api/cases/preview']?.total_ms ?? null)
    }
    isolated.push({ title, server_ms: r1(median(server)), server_spread: spread(server).map(r1), client_ms: r1(median(client)) })
  }
  record({ figure: 'preview_isolated', loadavg_before: la(), loadavg_after: la(), calls: isolated })
  await context.close()
  const m = (f) => median(rows.map(f))
  for (const c of isolated) console.log(`      alone: preview "${c.title}" server ${ms(c.server_ms)} (${c.server_spread.map(ms).join('–')}), client ${ms(c.client_ms)}`)
  console.log(
    `  median: total ${ms(m((r) => r.total_ms))} [${spread(rows.map((r) => r.total_ms)).map(ms).join('–')}], minus the ${PREVIEW_DELAY_MS} ms debounce ${ms(m((r) => r.total_minus_debounce_ms))}; ` +
      `preview request ${ms(m((r) => r.preview_request_ms))} (server ${ms(m((r) => r.preview_server_ms))}), render ${ms(m((r) => r.render_after_response_ms))}, painted ${ms(m((r) => r.painted_ms))}`,
  )
  return rows
}

// --- Figure 3: the dashboard ---------------------------------------------------------------------

function byOf(url) {
  const u = new URL(url, BASE)
  return `${u.searchParams.get('by') ?? '?'} ${u.searchParams.get('from') ?? ''}..${u.searchParams.get('to') ?? ''}`
}

async function figureDashboard() {
  console.log(`\n== dashboard (${opts.viewer}), ${opts.runs} runs: open the route (warm), then 刷新`)
  const { context, page } = await newContext(opts.viewer)
  await context.addInitScript(PROBES)
  // Warm the cache (echarts chunk, map) once, uncounted.
  await page.goto(`${BASE}/#/dashboard`)
  await page.waitForFunction(() => window.__dash.openDone !== null, null, { polling: 50 })
  await page.waitForLoadState('networkidle')
  const rows = []
  let lastCalls = []
  for (let run = 1; run <= opts.runs; run++) {
    await page.goto('about:blank')
    const before = la()
    const s0 = await serverTimes()
    await page.goto(`${BASE}/#/dashboard`, { waitUntil: 'commit' })
    await page.waitForFunction(() => window.__dash.openDone !== null, null, { polling: 20 })
    const openMs = await page.evaluate(() => window.__dash.openDone)
    await page.waitForLoadState('networkidle')
    const s1 = await serverTimes()
    const eOpen = await entries(page)
    await page.waitForTimeout(1000)
    await page.evaluate(() => performance.clearResourceTimings())
    const s2 = await serverTimes()
    await page.getByTestId('dash-refresh').click()
    await page.waitForFunction(() => window.__dash.drawnAt !== null, null, { polling: 20 })
    const d = await page.evaluate(() => ({ ...window.__dash }))
    await page.waitForLoadState('networkidle')
    const s3 = await serverTimes()
    const e = await entries(page)
    const calls = e.resources
      .filter((x) => x.name.includes('/api/'))
      .map((x) => ({
        url: x.name.replace(BASE, ''),
        by: byOf(x.name),
        start_ms: r1(x.start - d.clickAt),
        ttfb_ms: r1(x.responseStart - x.requestStart),
        queued_ms: r1(x.requestStart - x.start),
        total_ms: r1(x.responseEnd - x.start),
        encoded: x.encoded,
      }))
    lastCalls = calls
    const openCalls = eOpen.resources.filter((x) => x.name.includes('/api/'))
    const rowsShown = await page.locator('[data-testid="rank-table"] .el-table__row').count()
    const kpis = (await page.getByTestId('kpi-value').allInnerTexts()).map((s) => s.trim())
    const rec = {
      figure: 'dashboard',
      run,
      loadavg_before: before,
      loadavg_after: la(),
      open_ms: r1(openMs),
      open_api_calls: openCalls.length,
      open_api_bytes: openCalls.reduce((a, x) => a + x.encoded, 0),
      open_server: diffServer(s0, s1),
      refresh_ms: r1(d.drawnAt - d.clickAt),
      refresh_data_ms: r1(d.dataAt - d.clickAt),
      // click → the last API response; → its data in the DOM; → two frames later (drawn).
      refresh_network_ms: calls.length ? r1(Math.max(...calls.map((c) => c.start_ms + c.total_ms))) : null,
      refresh_api_calls: calls.length,
      refresh_api_bytes: calls.reduce((a, x) => a + x.encoded, 0),
      refresh_slowest_call: calls.reduce((a, x) => (a && a.total_ms >= x.total_ms ? a : x), null)?.by ?? null,
      refresh_server: diffServer(s2, s3),
      calls,
      kpis,
      ranking_rows: rowsShown,
    }
    rows.push(rec)
    record(rec)
    const srv = rec.refresh_server?.['GET /api/metrics']
    console.log(
      `  run ${run}: open ${ms(rec.open_ms)} (${rec.open_api_calls} API calls), refresh ${ms(rec.refresh_ms)} (last response ${ms(rec.refresh_network_ms)}, data in the DOM ${ms(rec.refresh_data_ms)}), ${calls.length} calls, ${kb(rec.refresh_api_bytes)}, ` +
        `server /api/metrics ${srv ? `${srv.calls}× mean ${ms(srv.mean_ms)} sum ${ms(srv.total_ms)}` : '—'}; slowest ${rec.refresh_slowest_call}; load ${before[0]}→${rec.loadavg_after[0]}`,
    )
  }
  // Each call of the last refresh again, alone and one after another: the server's time without
  // the other five beside it.
  const isolated = []
  for (const c of lastCalls) {
    const times = []
    const server = []
    for (let i = 0; i < opts.runs; i++) {
      const a = await serverTimes()
      const t = performance.now()
      const r = await context.request.get(BASE + c.url)
      await r.body()
      times.push(performance.now() - t)
      const b = await serverTimes()
      const dd = diffServer(a, b)
      const k = Object.keys(dd ?? {}).find((x) => x.includes('/api/'))
      server.push(k ? dd[k].total_ms : null)
    }
    isolated.push({ url: c.url, by: c.by, client_ms: r1(median(times)), server_ms: r1(median(server)), server_spread: spread(server).map(r1), bytes: c.encoded })
  }
  record({ figure: 'dashboard_calls_isolated', loadavg_before: la(), loadavg_after: la(), calls: isolated })
  await context.close()

  const m = (f) => median(rows.map(f))
  console.log(
    `  median: open ${ms(m((r) => r.open_ms))} [${spread(rows.map((r) => r.open_ms)).map(ms).join('–')}], refresh ${ms(m((r) => r.refresh_ms))} [${spread(rows.map((r) => r.refresh_ms)).map(ms).join('–')}] (last response ${ms(m((r) => r.refresh_network_ms))}, data in the DOM ${ms(m((r) => r.refresh_data_ms))})`,
  )
  const byCall = {}
  for (const r of rows) for (const c of r.calls) (byCall[c.by] ??= []).push(c)
  for (const [by, cs] of Object.entries(byCall)) {
    console.log(`      ${by.padEnd(28)} ×${cs.length}  in the refresh: starts at ${ms(median(cs.map((c) => c.start_ms)))}, total ${ms(median(cs.map((c) => c.total_ms)))}, ttfb ${ms(median(cs.map((c) => c.ttfb_ms)))}, ${kb(median(cs.map((c) => c.encoded)))}`)
  }
  for (const c of isolated) console.log(`      alone: ${c.by.padEnd(28)} server ${ms(c.server_ms)} (${c.server_spread.map(ms).join('–')}), client ${ms(c.client_ms)}`)
  return rows
}

// --- Main ---------------------------------------------------------------------------------------

console.log(`perf: ${BASE} (${opts.label || 'no label'}), chromium ${common.chromium}, commit ${common.commit ?? '?'}, loadavg ${la().join(' ')}`)
let failed = false
try {
  if (opts.figures.has('load')) {
    const rows = await figureLoad()
    await compressionEstimate(rows)
  }
  if (opts.figures.has('typing')) await figureTyping()
  if (opts.figures.has('dashboard')) await figureDashboard()
} catch (e) {
  failed = true
  console.error(`error: ${e?.stack ?? e}`)
} finally {
  await browser.close()
}
if (opts.out) console.log(`\nJSON lines appended to ${opts.out}`)
process.exit(failed ? 1 : 0)
