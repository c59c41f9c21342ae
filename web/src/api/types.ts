// Shapes of the minsheng HTTP API (crates/api/src/routes, crates/app/src/service.rs).

export type Role =
  | 'citizen'
  | 'operator'
  | 'dispatcher'
  | 'unit_handler'
  | 'unit_leader'
  | 'grid_worker'
  | 'supervisor'
  | 'leader'
  | 'admin'
  | 'system'

export interface Me {
  user_id: number | null
  name: string
  role: Role
  role_label: string
  unit_id: number | null
  unit_name: string | null
}

export interface CodeLabel {
  code: string
  label: string
}

export interface MetaAction {
  code: string
  label: string
  roles: string[]
  states: string[]
  note_required: boolean
}

export interface Meta {
  states: CodeLabel[]
  case_types: CodeLabel[]
  channels: CodeLabel[]
  urgencies: CodeLabel[]
  solved: CodeLabel[]
  callback_outcomes: CodeLabel[]
  return_reasons: CodeLabel[]
  void_reasons: CodeLabel[]
  supervision: CodeLabel[]
  contact_methods: CodeLabel[]
  roles: CodeLabel[]
  unit_kinds: string[]
  actions: MetaAction[]
  errors: { code: string; http_status: number }[]
}

/** The enumerations of /api/meta that are lists of {code, label}. */
export type MetaEnum =
  | 'states'
  | 'case_types'
  | 'channels'
  | 'urgencies'
  | 'solved'
  | 'callback_outcomes'
  | 'return_reasons'
  | 'void_reasons'
  | 'supervision'
  | 'contact_methods'
  | 'roles'

export type UnitKind = 'city' | 'centre' | 'district' | 'street' | 'community' | 'department' | 'company'

export interface Unit {
  id: number
  code: string
  name: string
  kind: UnitKind
  parent_id: number | null
  path: string
  division_code: string | null
  department_type: string | null
  active: boolean
}

export interface UnitRef {
  id: number
  kind: UnitKind
  name: string
  parent_id: number | null
  path: string
}

export interface User {
  id: number
  login: string
  name: string
  role: Role
  unit_id: number | null
  phone: string | null
  active: boolean
  created_at: number
}

export interface CaseSummary {
  id: number
  number: string
  state: string
  state_label: string
  case_type: string
  channel: string
  urgency: string
  title: string
  address: string | null
  lead_unit: string | null
  handling_unit: string | null
  supervision: string
  received_at: string
  updated_at: string
  version: number
  /** The case's catalogue item, if any (older servers leave it out). */
  catalogue_item?: string | null
  /** The classifier's top proposals at intake, best first (may be empty or absent). */
  proposals?: { item: string; name: string; confidence: number }[]
}

export interface CaseList {
  items: CaseSummary[]
  next_cursor: string | null
}

export interface CitizenView {
  name: string | null
  phone: string | null
  caller_number: string | null
  confidential: boolean
  anonymous: boolean
  identity_hidden: boolean
  phone_masked: boolean
  /** 恶意重复标记 of this citizen's phone, when the server includes it. */
  flag?: { active: boolean; reason: string } | null
}

export interface ActorStamp {
  user_id: number | null
  name: string
  role: Role
  unit_id: number | null
  unit_name: string | null
}

export interface TimelineEntry {
  seq: number
  at: string
  kind: string
  label: string
  actor: ActorStamp
  note: string | null
  internal: boolean
  data: Record<string, unknown>
}

/** The case as the API serialises it (`case` of CaseDetail); times are milliseconds. */
export interface CaseRecord {
  id: number
  number: string
  state: string
  version: number
  intake: {
    case_type: string
    channel: string
    title: string
    text: string
    urgency: string
    catalogue_item: string | null
    external_id: string | null
    tags: string[]
    place: {
      address: string | null
      division_unit_id: number | null
      latitude: number | null
      longitude: number | null
    }
  }
  received_at: number
  received_by: number | null
  updated_at: number
  dispatched_at: number | null
  signed_at: number | null
  contacted_at: number | null
  closed_at: number | null
  archived_at: number | null
  lead_unit: UnitRef | null
  handling_unit: UnitRef | null
  assisting: { unit: UnitRef; replied: boolean }[]
  involved_units: UnitRef[]
  reply: { at: number; solved: string; text: string; unit_id: number | null } | null
  solved: string | null
  rating: string | null
  rating_comment: string | null
  supervision: string
  answered_on_spot: boolean
  final_reply: boolean
  redo_count: number
  reassign_count: number
  urge_count: number
  callback_attempts: number
  extension_days: number
  extensions_approved: number
  returns_approved: number
  returns_refused: number
  info_added: number
  reporters: number
  pending_extension: { days: number; at: number } | null
  pending_return: { reason: string; unit_id: number; from_state: string; at: number } | null
  suspended_from: string | null
  merged_into: { id: number; number: string } | null
  merged_from: { id: number; number: string }[]
  escalated_to: { user_id: number; name: string } | null
  /** The joint meeting (会商) that last settled the lead and assisting units. */
  joint_meeting?: JointMeeting | null
  [key: string]: unknown
}

export interface JointMeeting {
  at: number
  lead: UnitRef
  assisting: UnitRef[]
  by: number | null
}

export type Light = 'green' | 'yellow' | 'red'

/** A running clock with its traffic light now (时限红绿灯). */
export interface ClockView {
  step: string
  label: string
  limit: string
  started_at: string
  /** Absent while the case is suspended. */
  due_at: string | null
  yellow_at: string | null
  light: Light
}

export interface CaseDetail {
  case: CaseRecord
  citizen: CitizenView
  timeline: TimelineEntry[]
  actions: string[]
  /** The running clocks (older servers leave it out). */
  clocks?: ClockView[]
}

export interface PublicStep {
  at: string
  step: string
  text: string | null
}

export interface PublicCase {
  number: string
  state: string
  title: string
  case_type: string
  received_at: string
  timeline: PublicStep[]
}

export interface ApiErrorBody {
  error: {
    code: string
    message_zh: string
    message_en: string
    details: unknown
  }
}

export interface NewCase {
  channel: string
  case_type: string
  title: string
  text: string
  urgency: string
  citizen: {
    name?: string
    phone?: string
    caller_number?: string
    confidential: boolean
    anonymous: boolean
  }
  place: {
    address?: string
    division_unit_id?: number
    /** GCJ-02, as the server keeps them (a phone's WGS-84 is converted: lib/channels.ts). */
    latitude?: number
    longitude?: number
  }
  /** A catalogue item the operator chose; without one the classifier proposes (智能分类). */
  catalogue_item?: string
  /** Ids of files uploaded before (POST /api/attachments). */
  attachments?: string[]
  after: 'forward' | 'stay'
}
