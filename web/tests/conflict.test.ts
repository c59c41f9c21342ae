import { describe, expect, it, vi } from 'vitest'
import { ApiError, toApiError } from '../src/api/http'
import { errorMessage, performAction } from '../src/lib/conflict'

const conflict = () =>
  toApiError(
    409,
    JSON.stringify({
      error: { code: 'version_conflict', message_zh: '工单已被他人修改，请刷新后重试', message_en: 'changed', details: { expected_version: 2, current_version: 3 } },
    }),
  )

describe('performAction', () => {
  it('returns the new case when the action succeeds, without reloading', async () => {
    const reload = vi.fn(async () => {})
    const out = await performAction(async () => ({ version: 4 }), reload)
    expect(out).toEqual({ kind: 'ok', value: { version: 4 } })
    expect(reload).not.toHaveBeenCalled()
  })

  it('on version_conflict reloads the case and says someone else changed it', async () => {
    const reload = vi.fn(async () => {})
    const out = await performAction(async () => Promise.reject(conflict()), reload)
    expect(reload).toHaveBeenCalledTimes(1)
    expect(out.kind).toBe('conflict')
    expect(out.kind === 'conflict' && out.message).toContain('工单已被他人修改')
  })

  it('says it in English too', async () => {
    const out = await performAction(async () => Promise.reject(conflict()), async () => {}, 'en')
    expect(out.kind === 'conflict' && out.message).toMatch(/someone else changed/i)
  })

  it('still reports the conflict when the reload itself fails', async () => {
    const out = await performAction(async () => Promise.reject(conflict()), async () => Promise.reject(new Error('offline')))
    expect(out.kind).toBe('conflict')
  })

  it('reports other errors with the server message and does not reload', async () => {
    const reload = vi.fn(async () => {})
    const refused = new ApiError(409, 'invalid_state', '工单状态为「已办结」，不能签收', 'case is closed')
    const out = await performAction(async () => Promise.reject(refused), reload)
    expect(reload).not.toHaveBeenCalled()
    expect(out).toMatchObject({ kind: 'error', message: '工单状态为「已办结」，不能签收' })
  })
})

describe('errorMessage', () => {
  it('handles ApiError, Error and anything else', () => {
    expect(errorMessage(new ApiError(400, 'x', '中文', 'english'), 'en')).toBe('english')
    expect(errorMessage(new Error('boom'))).toBe('boom')
    expect(errorMessage('plain')).toBe('plain')
  })
})
