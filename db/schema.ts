/**
 * The Database interface: one description of every table, shared by SQLite
 * and PostgreSQL. Types only; the tables themselves are made by the
 * migrations in ./migrations.
 *
 * Storage choices, made once so that one set of queries runs on both engines:
 * - Ids are text: UUIDv7 made by the application. They need no sequence, are
 *   the same on both engines, and sort by creation time, which keeps b-tree
 *   inserts at the right-hand edge. Public identifiers (case numbers) are a
 *   separate column and carry no time.
 * - Timestamps are integers: milliseconds since the Unix epoch, UTC (`bigint`
 *   on PostgreSQL, read back as a JS number; SQLite's INTEGER). Arithmetic on
 *   deadlines is plain subtraction, and comparisons never depend on a
 *   engine's date functions or time zone.
 * - Booleans are integers 0 or 1 (CHECK-constrained). PostgreSQL's boolean
 *   and SQLite's lack of one would otherwise give two code paths.
 * - JSON is text holding JSON, parsed and validated by the model that owns it.
 * - Enumerations are text with a CHECK constraint listing the allowed values.
 * - Secrets are never stored: passwords and case secrets as argon2id, tokens
 *   and API keys as SHA-256 (they are long random strings, so a fast hash is
 *   safe and lets us look them up). Personal data that must be read back
 *   (contact email, typed signature, TOTP secret, mail recipients) is stored
 *   as AES-256-GCM ciphertext.
 * - Nullable columns are `T | null`, never optional.
 */
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely'

/** Epoch milliseconds. */
export type Millis = number
/** 0 or 1. */
export type Bool = 0 | 1
/** A column the database fills in when the insert leaves it out. */
type Defaulted<T> = ColumnType<T, T | undefined, T>

export type CaseState = 'open' | 'closed' | 'withdrawn' | 'deleted'
export type Requester = 'self_minor' | 'self_adult' | 'helper'
export type CaseSource = 'web' | 'assisted' | 'import'
export type HashKind = 'pdq' | 'md5' | 'sha256' | 'vpdq'
export type MediaKind = 'image' | 'video'
export type HashStatus = 'active' | 'withdrawn' | 'disabled'
export type HashReview = 'none' | 'pending' | 'kept' | 'disabled'
export type LocationState = 'reported' | 'removed' | 'not_found' | 'withdrawn'
export type Regime = 'takeitdown' | 'dmca' | 'dsa' | 'generic'
export type NoticeState =
  | 'draft'
  | 'queued'
  | 'sent'
  | 'acknowledged'
  | 'removed'
  | 'partially_removed'
  | 'not_found'
  | 'declined'
  | 'not_ours'
  | 'overdue'
  | 'escalated'
  | 'closed'
export type ActorType = 'staff' | 'provider' | 'survivor' | 'system'
export type StaffRole = 'caseworker' | 'admin'
export type SessionKind = 'staff' | 'survivor'
/** The StopNCII feedback values a provider may send about a hash. */
export type FeedbackValue =
  | 'Unknown'
  | 'None'
  | 'QualityUnknown'
  | 'PendingReview'
  | 'Blocked'
  | 'NotBlocked'
  | 'Withdrawn'
  | 'Deleted'

export interface SurvivorCaseTable {
  id: string
  /** Public, shown to the survivor; random, so it says nothing about order or time. */
  case_number: string
  /** argon2id of the survivor's secret; null once the case is deleted. */
  secret_hash: string | null
  secret_updated_at: Millis | null
  /** AES-256-GCM of the optional contact email. */
  contact_ciphertext: string | null
  contact_updated_at: Millis | null
  language: string
  requester: Requester
  /** Consent to share the hashes with participating providers. */
  share_hashes: Defaulted<Bool>
  /** Consent for caseworkers to send removal notices on the survivor's behalf. */
  notices_consent: Defaulted<Bool>
  /** AES-256-GCM of the typed full name used as an electronic signature. */
  signature_ciphertext: string | null
  state: Defaulted<CaseState>
  source: Defaulted<CaseSource>
  /** When a caseworker first looked at the case; null means "new" in the queue. */
  reviewed_at: Millis | null
  assigned_to: string | null
  created_at: Millis
  updated_at: Millis
  closed_at: Millis | null
  withdrawn_at: Millis | null
  deleted_at: Millis | null
}

export interface CaseHashTable {
  id: string
  case_id: string
  /** Which of the case's files this hash belongs to (1, 2, ...), never its name. */
  item: number
  media: MediaKind
  kind: HashKind
  /** Lowercase hex. For `vpdq`, one row per sampled frame holding that frame's PDQ. */
  value: string
  quality: number | null
  frame_number: number | null
  frame_ms: number | null
  status: Defaulted<HashStatus>
  review_state: Defaulted<HashReview>
  created_at: Millis
  /** Drives the provider feed: every change that a provider must see bumps it. */
  updated_at: Millis
  withdrawn_at: Millis | null
  disabled_at: Millis | null
  /** When a caseworker last decided its review (disable or keep); null before any decision. */
  review_at: Defaulted<Millis | null>
}

export interface CaseLocationTable {
  id: string
  case_id: string
  url: string
  host: string
  registrable_domain: string
  provider_id: string | null
  added_by: 'survivor' | 'staff'
  state: Defaulted<LocationState>
  created_at: Millis
  updated_at: Millis
}

export interface CaseNoteTable {
  id: string
  case_id: string
  staff_id: string
  body: string
  created_at: Millis
}

export interface CaseRecoveryTable {
  id: string
  case_id: string
  token_hash: string
  expires_at: Millis
  used_at: Millis | null
  created_at: Millis
}

export interface ProviderTable {
  id: string
  name: string
  /** JSON array of email addresses that receive notices. */
  notice_emails: string
  regime: Regime
  hash_list: Defaulted<Bool>
  /** 1 for seed entries whose contacts are placeholders to be replaced. */
  is_placeholder: Defaulted<Bool>
  feed_checkpoint: Millis | null
  feed_last_fetch_at: Millis | null
  created_at: Millis
  updated_at: Millis
  disabled_at: Millis | null
}

export interface ProviderDomainTable {
  /** Registrable domain, lowercase, e.g. `example.co.uk`. */
  domain: string
  provider_id: string
}

export interface ProviderApiKeyTable {
  id: string
  provider_id: string
  key_hash: string
  /** First characters of the key, so a provider can tell its keys apart. */
  prefix: string
  created_at: Millis
  revoked_at: Millis | null
  last_used_at: Millis | null
}

export interface NoticeTable {
  id: string
  case_id: string
  provider_id: string
  regime: Regime
  state: Defaulted<NoticeState>
  explanation: string | null
  message_id: string | null
  created_by: string | null
  sent_at: Millis | null
  delivered_at: Millis | null
  acknowledged_at: Millis | null
  resolved_at: Millis | null
  deadline_at: Millis | null
  reminder_due_at: Millis | null
  reminded_at: Millis | null
  overdue_at: Millis | null
  created_at: Millis
  updated_at: Millis
}

export interface NoticeLocationTable {
  notice_id: string
  location_id: string
  outcome: 'removed' | 'not_found' | 'kept' | null
}

export interface NoticeEventTable {
  id: string
  notice_id: string | null
  case_id: string
  kind: string
  actor_type: ActorType
  actor_id: string | null
  /** JSON object with the event's details. */
  detail: string | null
  created_at: Millis
}

export interface NoticeLinkTable {
  /** The token's id (its `jti`); the token itself is signed, not stored. */
  id: string
  notice_id: string
  expires_at: Millis
  used_at: Millis | null
  created_at: Millis
}

export interface OutboxTable {
  id: string
  kind: string
  notice_id: string | null
  /** AES-256-GCM of the recipient address. */
  recipient: string
  subject: string
  text_body: string
  html_body: string | null
  /** JSON object of extra headers. */
  headers: string | null
  message_id: string
  attempts: Defaulted<number>
  next_attempt_at: Millis
  claimed_at: Millis | null
  claimed_by: string | null
  sent_at: Millis | null
  dead_at: Millis | null
  last_error: string | null
  created_at: Millis
  updated_at: Millis
}

export interface StaffUserTable {
  id: string
  /** Lowercase. */
  email: string
  role: StaffRole
  password_hash: string
  /** AES-256-GCM of the TOTP secret; null until enrolled. */
  totp_secret: string | null
  /** Last TOTP time step accepted, so a code is used once. */
  totp_last_step: number | null
  disabled_at: Millis | null
  last_sign_in_at: Millis | null
  created_at: Millis
  updated_at: Millis
}

export interface StaffInviteTable {
  id: string
  /** Null for the first administrator's setup link, which names no address. */
  email: string | null
  role: StaffRole
  token_hash: string
  created_by: string | null
  expires_at: Millis
  used_at: Millis | null
  created_at: Millis
}

export interface SessionTable {
  /** SHA-256 of the cookie's token: a copy of the table opens no session. */
  id: string
  kind: SessionKind
  staff_id: string | null
  case_id: string | null
  /** JSON object, e.g. a staff session waiting for its second factor. */
  data: string | null
  created_at: Millis
  last_seen_at: Millis
  expires_at: Millis
}

export interface HashFeedbackTable {
  id: string
  hash_id: string
  provider_id: string
  value: FeedbackValue
  /** JSON array of strings. */
  tags: string | null
  created_at: Millis
  updated_at: Millis
}

export interface RateLimitTable {
  key: string
  count: number
  reset_at: Millis
}

export interface IdempotencyKeyTable {
  /** SHA-256 of scope and the client's key. */
  key: string
  scope: string
  /** JSON of the first response, replayed for a retry. */
  response: string | null
  created_at: Millis
}

export interface AuditLogTable {
  /** Position in the chain: 1, 2, 3, ... */
  seq: number
  /** entry_hash of the previous entry (64 zeros for the first); unique, so the chain cannot fork. */
  prev_hash: string
  /** SHA-256 over prev_hash and this entry's fields. */
  entry_hash: string
  actor_type: ActorType
  actor_id: string | null
  action: string
  object_type: string | null
  object_id: string | null
  detail: string | null
  created_at: Millis
}

export interface AuditHeadTable {
  /** Always 1: a single row. */
  id: number
  seq: number
  entry_hash: string
}

export interface Database {
  survivor_case: SurvivorCaseTable
  case_hash: CaseHashTable
  case_location: CaseLocationTable
  case_note: CaseNoteTable
  case_recovery: CaseRecoveryTable
  provider: ProviderTable
  provider_domain: ProviderDomainTable
  provider_api_key: ProviderApiKeyTable
  notice: NoticeTable
  notice_location: NoticeLocationTable
  notice_event: NoticeEventTable
  notice_link: NoticeLinkTable
  outbox: OutboxTable
  staff_user: StaffUserTable
  staff_invite: StaffInviteTable
  session: SessionTable
  hash_feedback: HashFeedbackTable
  rate_limit: RateLimitTable
  idempotency_key: IdempotencyKeyTable
  audit_log: AuditLogTable
  audit_head: AuditHeadTable
}

export type SurvivorCase = Selectable<SurvivorCaseTable>
export type NewSurvivorCase = Insertable<SurvivorCaseTable>
export type CaseHash = Selectable<CaseHashTable>
export type NewCaseHash = Insertable<CaseHashTable>
export type Provider = Selectable<ProviderTable>
export type Notice = Selectable<NoticeTable>
export type NoticeUpdate = Updateable<NoticeTable>
export type StaffUser = Selectable<StaffUserTable>
export type Session = Selectable<SessionTable>
export type Outbox = Selectable<OutboxTable>
export type AuditLogEntry = Selectable<AuditLogTable>
