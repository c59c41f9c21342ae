// What each case action asks for, from the API's ActionRequest (crates/app/src/service.rs):
// the action's own fields, with enumerations filled from /api/meta, and the note, required
// where meta says `note_required`. Pure: the dialog renders an ActionForm and posts actionBody().

import type { Meta, MetaEnum } from '../api/types'
import { enumLabel, translate, type Lang } from './i18n'

export type FieldKind = 'textarea' | 'text' | 'select' | 'radio' | 'unit' | 'units' | 'number' | 'leader' | 'catalogue'

/** Which units a picker offers: any unit that can be dispatched to, or the actor's own subtree. */
export type UnitScope = 'dispatch' | 'below'

export interface FieldSpec {
  key: string
  /** i18n key of the label. */
  label: string
  kind: FieldKind
  required?: boolean
  /** Options from a meta enumeration (minus some codes) ... */
  enumOf?: MetaEnum
  exclude?: string[]
  /** ... or fixed options (values may be booleans), labels as i18n keys. */
  fixed?: { value: string | boolean; label: string }[]
  /** Shown (and sent) only when another field has this value. */
  when?: { key: string; equals: unknown }
  default?: unknown
  min?: number
  max?: number
  scope?: UnitScope
}

export const ACTION_FIELDS: Record<string, FieldSpec[]> = {
  answer_on_spot: [{ key: 'answer', label: 'action.answer', kind: 'textarea', required: true }],
  forward: [],
  dispatch: [
    { key: 'lead_unit_id', label: 'action.leadUnit', kind: 'unit', required: true, scope: 'dispatch' },
    { key: 'assisting_unit_ids', label: 'action.assistingUnits', kind: 'units', scope: 'dispatch', default: [] },
  ],
  sign: [],
  return: [{ key: 'reason', label: 'action.reason', kind: 'select', enumOf: 'return_reasons', required: true }],
  review_return: [
    {
      key: 'decision',
      label: 'action.decision',
      kind: 'radio',
      required: true,
      default: 'reassign',
      fixed: [
        { value: 'reassign', label: 'action.decision.reassign' },
        { value: 'to_pool', label: 'action.decision.to_pool' },
        { value: 'refuse', label: 'action.decision.refuse' },
      ],
    },
    { key: 'lead_unit_id', label: 'action.leadUnit', kind: 'unit', required: true, scope: 'dispatch', when: { key: 'decision', equals: 'reassign' } },
    { key: 'assisting_unit_ids', label: 'action.assistingUnits', kind: 'units', scope: 'dispatch', default: [], when: { key: 'decision', equals: 'reassign' } },
  ],
  reassign: [
    { key: 'lead_unit_id', label: 'action.leadUnit', kind: 'unit', required: true, scope: 'dispatch' },
    { key: 'assisting_unit_ids', label: 'action.assistingUnits', kind: 'units', scope: 'dispatch', default: [] },
  ],
  pass_down: [{ key: 'to_unit_id', label: 'action.toUnit', kind: 'unit', required: true, scope: 'below' }],
  contact: [{ key: 'method', label: 'action.method', kind: 'select', enumOf: 'contact_methods', required: true, default: 'phone' }],
  handle: [],
  assist_reply: [],
  reply: [
    { key: 'text', label: 'action.replyText', kind: 'textarea', required: true },
    { key: 'solved', label: 'action.solved', kind: 'select', enumOf: 'solved', required: true, default: 'solved' },
  ],
  review_reply: [
    {
      key: 'pass',
      label: 'action.pass',
      kind: 'radio',
      required: true,
      default: true,
      fixed: [
        { value: true, label: 'action.pass.true' },
        { value: false, label: 'action.pass.false' },
      ],
    },
  ],
  callback: [
    { key: 'outcome', label: 'action.outcome', kind: 'select', enumOf: 'callback_outcomes', required: true },
    { key: 'solved', label: 'action.citizenSolved', kind: 'select', enumOf: 'solved' },
    { key: 'comment', label: 'action.comment', kind: 'textarea' },
  ],
  redo: [],
  close: [],
  archive: [],
  request_extension: [{ key: 'days', label: 'action.days', kind: 'number', required: true, min: 1, max: 180, default: 3 }],
  review_extension: [
    {
      key: 'approve',
      label: 'action.approve',
      kind: 'radio',
      required: true,
      default: true,
      fixed: [
        { value: true, label: 'action.approve.true' },
        { value: false, label: 'action.approve.false' },
      ],
    },
    { key: 'days', label: 'action.approvedDays', kind: 'number', min: 1, max: 180, when: { key: 'approve', equals: true } },
  ],
  suspend: [],
  resume: [],
  urge: [],
  supervise: [{ key: 'level', label: 'action.level', kind: 'select', enumOf: 'supervision', exclude: ['none'], required: true, default: 'yellow' }],
  escalate: [{ key: 'leader_user_id', label: 'action.leader', kind: 'leader', required: true }],
  // 会商: the meeting names the lead and the assisting units.
  joint_meeting: [
    { key: 'lead_unit_id', label: 'action.leadUnit', kind: 'unit', required: true, scope: 'dispatch' },
    { key: 'assisting_unit_ids', label: 'action.assistingUnits', kind: 'units', scope: 'dispatch', default: [] },
  ],
  merge: [{ key: 'into', label: 'action.into', kind: 'text', required: true }],
  void: [{ key: 'reason', label: 'action.voidReason', kind: 'select', enumOf: 'void_reasons', required: true }],
  add_info: [],
  withdraw: [],
  // 改分类: a catalogue item code, searched in the catalogue.
  reclassify: [{ key: 'item', label: 'action.item', kind: 'catalogue', required: true }],
}

export interface Option {
  value: string | boolean
  label: string
}

export interface FormField extends FieldSpec {
  labelText: string
  options: Option[]
}

export interface ActionForm {
  code: string
  label: string
  noteRequired: boolean
  fields: FormField[]
}

/** The label of an action in the interface language (meta gives Chinese). */
export function actionLabel(meta: Meta | null, code: string, lang: Lang): string {
  const m = meta?.actions.find((a) => a.code === code)
  return enumLabel(lang, 'actions', code, m?.label)
}

/** The dialog for one action: its fields with options resolved, and whether a note is required. */
export function actionForm(code: string, meta: Meta | null, lang: Lang = 'zh'): ActionForm {
  const specs = ACTION_FIELDS[code] ?? []
  const metaAction = meta?.actions.find((a) => a.code === code)
  const fields = specs.map((f): FormField => {
    let options: Option[] = []
    if (f.enumOf) {
      const list = meta?.[f.enumOf] ?? []
      options = list
        .filter((o) => !(f.exclude ?? []).includes(o.code))
        .map((o) => ({ value: o.code, label: enumLabel(lang, f.enumOf!, o.code, o.label) }))
    } else if (f.fixed) {
      options = f.fixed.map((o) => ({ value: o.value, label: translate(lang, o.label) }))
    }
    return { ...f, labelText: translate(lang, f.label), options }
  })
  return { code, label: actionLabel(meta, code, lang), noteRequired: metaAction?.note_required ?? false, fields }
}

export function initialValues(form: ActionForm): Record<string, unknown> {
  const v: Record<string, unknown> = {}
  for (const f of form.fields) {
    if (f.default !== undefined) v[f.key] = Array.isArray(f.default) ? [...f.default] : f.default
    else v[f.key] = f.kind === 'units' ? [] : f.kind === 'number' ? undefined : ''
  }
  return v
}

export function isVisible(field: FieldSpec, values: Record<string, unknown>): boolean {
  return !field.when || values[field.when.key] === field.when.equals
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0)
}

/** Problems with the values, as messages in the interface language; empty when all is well. */
export function validateAction(form: ActionForm, values: Record<string, unknown>, note: string, lang: Lang = 'zh'): string[] {
  const errors: string[] = []
  for (const f of form.fields) {
    if (!isVisible(f, values)) continue
    const v = values[f.key]
    if (f.required && isEmpty(v)) {
      errors.push(translate(lang, 'action.fieldRequired', { field: f.labelText }))
      continue
    }
    if (f.kind === 'number' && !isEmpty(v)) {
      const n = Number(v)
      if (!Number.isInteger(n) || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
        errors.push(`${f.labelText}: ${f.min ?? ''}–${f.max ?? ''}`)
      }
    }
  }
  if (form.noteRequired && note.trim() === '') errors.push(translate(lang, 'action.noteRequired'))
  return errors
}

/** The JSON body of POST /api/cases/{id}/actions/{code}: version, note, the visible fields. */
export function actionBody(form: ActionForm, values: Record<string, unknown>, note: string, version: number): Record<string, unknown> {
  const body: Record<string, unknown> = { version }
  if (note.trim() !== '') body.note = note.trim()
  for (const f of form.fields) {
    if (!isVisible(f, values)) continue
    let v = values[f.key]
    if (isEmpty(v)) {
      // Optional lists go as []: the API defaults them anyway, and it keeps the shape explicit.
      if (f.kind === 'units') body[f.key] = []
      continue
    }
    switch (f.kind) {
      case 'number':
      case 'unit':
      case 'leader':
        v = Number(v)
        break
      case 'units':
        v = (v as unknown[]).map(Number)
        break
      case 'text':
      case 'textarea':
        v = String(v).trim()
        break
    }
    body[f.key] = v
  }
  return body
}

/** Button style by action: the forward path is primary, destructive ones are red. */
export function actionButtonType(code: string): 'primary' | 'success' | 'warning' | 'danger' | 'info' | 'default' {
  if (['dispatch', 'sign', 'reply', 'review_reply', 'callback', 'review_return', 'answer_on_spot', 'review_extension', 'forward'].includes(code)) return 'primary'
  if (['void', 'withdraw'].includes(code)) return 'danger'
  if (['return', 'redo', 'supervise', 'escalate', 'urge'].includes(code)) return 'warning'
  if (['close', 'archive'].includes(code)) return 'success'
  return 'default'
}
