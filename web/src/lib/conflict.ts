// Acting on a case: on 409 version_conflict the case is reloaded and the user told that someone
// else changed it; every other error is reported with the server's message.

import { ApiError } from '../api/http'
import { translate, type Lang } from './i18n'

export type ActOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'conflict'; message: string }
  | { kind: 'error'; message: string; error: unknown }

/** The user-facing message of any error. */
export function errorMessage(err: unknown, lang: Lang = 'zh'): string {
  if (err instanceof ApiError) return err.localized(lang)
  if (err instanceof Error) return err.message
  return String(err)
}

export async function performAction<T>(send: () => Promise<T>, reload: () => Promise<unknown>, lang: Lang = 'zh'): Promise<ActOutcome<T>> {
  try {
    return { kind: 'ok', value: await send() }
  } catch (err) {
    if (err instanceof ApiError && err.isVersionConflict) {
      try {
        await reload()
      } catch {
        /* the page shows its own load error */
      }
      return { kind: 'conflict', message: translate(lang, 'detail.conflict') }
    }
    return { kind: 'error', message: errorMessage(err, lang), error: err }
  }
}
