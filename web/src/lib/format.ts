// Display helpers.

const pad = (n: number) => String(n).padStart(2, '0')

/** "2026-11-22 10:26" in China time, from milliseconds or an RFC 3339 string. */
export function formatTime(v: number | string | null | undefined, seconds = false): string {
  if (v === null || v === undefined || v === '') return ''
  const ms = typeof v === 'number' ? v : Date.parse(v)
  if (!Number.isFinite(ms)) return String(v)
  // China Standard Time has no daylight saving: shift by +8 h and read the UTC fields.
  const d = new Date(ms + 8 * 3600 * 1000)
  const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  return seconds ? `${s}:${pad(d.getUTCSeconds())}` : s
}

/** The API's phone check: an 11-digit mobile or a landline with area code (spaces, dashes, +86 allowed). */
export function normalizePhone(raw: string): string | null {
  let s = raw.trim().replace(/[\s-]/g, '')
  if (s.startsWith('+86')) s = s.slice(3)
  else if (s.startsWith('0086')) s = s.slice(4)
  if (!/^\d+$/.test(s)) return null
  const mobile = s.length === 11 && s[0] === '1' && s[1] >= '3' && s[1] <= '9'
  const landline = s[0] === '0' && s.length >= 10 && s.length <= 12 && s[1] !== '0'
  return mobile || landline ? s : null
}

export function stateTagType(state: string): 'primary' | 'success' | 'warning' | 'danger' | 'info' {
  switch (state) {
    case 'awaiting_dispatch':
    case 'dispatched':
    case 'return_requested':
    case 'replied':
    case 'awaiting_callback':
      return 'warning'
    case 'unsatisfied':
      return 'danger'
    case 'handling':
    case 'received':
      return 'primary'
    case 'closed':
    case 'archived':
      return 'success'
    default:
      return 'info'
  }
}

export function urgencyTagType(u: string): 'info' | 'warning' | 'danger' {
  return u === 'very_urgent' ? 'danger' : u === 'urgent' ? 'warning' : 'info'
}

/** RFC 3339 with +08:00 for a day picked in the browser: its start, or (end) the next day's start. */
export function toRfc3339China(d: Date | null | undefined, end = false): string | undefined {
  if (!d) return undefined
  const x = end ? new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1) : d
  return `${x.getFullYear()}-${pad(x.getMonth() + 1)}-${pad(x.getDate())}T00:00:00+08:00`
}
