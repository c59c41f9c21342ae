// The upload queue of a form as a reactive object (lib/channels.ts holds the logic), wired to the
// API and to object URLs, which are revoked when the form goes away.

import { onBeforeUnmount, reactive } from 'vue'
import { uploadFile, type UploadTarget } from '../api/channels'
import { UploadQueue } from './channels'
import { errorMessage } from './conflict'
import { i18n } from './i18n'

export function useUploads(target: UploadTarget): UploadQueue {
  const queue = reactive(
    new UploadQueue({
      upload: (file, onProgress) => uploadFile(target, file, onProgress),
      objectUrl: (f) => (typeof URL !== 'undefined' && URL.createObjectURL ? URL.createObjectURL(f) : null),
      revoke: (u) => URL.revokeObjectURL?.(u),
      message: (e) => errorMessage(e, i18n.lang),
    }),
  ) as UploadQueue
  onBeforeUnmount(() => queue.clear())
  return queue
}
