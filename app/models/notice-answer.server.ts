/**
 * A provider's answer to a notice, given through its signed link (no
 * account) or through the API (its key): acknowledged; removed from all or
 * some of the notice's web addresses; not found; declined, with a reason; or
 * "not ours", with a suggested contact. One schema validates both.
 *
 * Each answer is one transaction: the notice's state and times, the outcome
 * of each web address, the web addresses the survivor sees on their status
 * page (`case_location.state`), a `notice_event` on the caseworker's timeline
 * (actor `provider`) and an audit entry. An answer that ends the notice
 * (see FINAL below) spends the notice's links and takes it out of the
 * reminder and overdue runs, which only look at `sent` and `acknowledged`.
 *
 * The rules, so a retry never does harm and a contradiction is never
 * recorded silently:
 * - acknowledge: before a final answer only; again is a no-op.
 * - removed / not found: from any open state, and after a partial removal
 *   for the addresses still unanswered. Every address answered makes the
 *   notice `removed` (or `not_found` when none was removed); some removed
 *   makes it `partially_removed`; some not found and nothing removed leaves
 *   it open (acknowledged), waiting for the rest. Saying again what is
 *   already recorded is a no-op.
 * - declined / not ours: from an open state; the same answer again is a no-op.
 * - anything that contradicts what is recorded is a NoticeAnswerConflict (409).
 *
 * No email goes out for an answer: the provider sees the confirmation on
 * screen (or in the API's answer), and caseworkers see it on the timeline.
 * The survivor is never emailed from here.
 */
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { Database, NoticeState, Regime } from '../../db/schema'
import { noticeLinkEmail } from '../../emails/notice-link'
import { sha256Hex } from '../lib/crypto.server'
import { DomainError, NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { issueNoticeLink, spendNoticeLinks } from '../lib/notice-link.server'
import { enqueueEmail } from '../lib/outbox.server'
import { hitRateLimit, type RateLimit } from '../lib/rate-limit.server'
import { appendAudit } from './audit.server'

type DB = Kysely<Database>
type Trx = Transaction<Database>

export const MAX_DECLINE_REASON = 2000
export const MAX_SUGGESTED_CONTACT = 500
const MAX_LOCATION_IDS = 200

// ---------------------------------------------------------------------------
// The answer and its schema

export type NoticeAnswer =
  | { kind: 'acknowledge' }
  | { kind: 'removed'; locationIds?: string[] }
  | { kind: 'not_found'; locationIds?: string[] }
  | { kind: 'declined'; reason: string }
  | { kind: 'not_ours'; suggestedContact?: string }

export type NoticeAnswerKind = NoticeAnswer['kind']
export const NOTICE_ANSWER_KINDS: readonly NoticeAnswerKind[] = ['acknowledge', 'removed', 'not_found', 'declined', 'not_ours']

export const DECLINE_REASON_REQUIRED = 'Say why you decline to remove the material.'
export const SUGGESTED_CONTACT_INVALID = 'Enter an email address (name@example.org) or a web address starting with https://.'

const EMAIL = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\]+$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/** Control, line-separating, zero-width and direction-changing characters: they cannot be stored (NUL) or would disguise the address shown to staff. */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/

function isContact(value: string): boolean {
  if (HIDDEN.test(value)) return false
  // RFC 5321 allows at most 64 characters before the @.
  if (EMAIL.test(value)) return value.indexOf('@') <= 64
  try {
    const url = new URL(value)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.includes('.') && !url.username && !url.password && !/\s/.test(value)
  } catch {
    return false
  }
}

const LocationIdsSchema = z
  .array(
    z
      .string({ error: 'Each web address is chosen by its id, as text.' })
      .min(1)
      .max(64)
      // Ids are letters, digits and hyphens; a NUL would fail the lookup on PostgreSQL.
      .regex(/^[\w-]+$/, 'Each web address is chosen by its id, as text.'),
    { error: 'Choose the web addresses as a list of their ids.' },
  )
  .min(1, 'Choose at least one web address.')
  .max(MAX_LOCATION_IDS, `Choose at most ${MAX_LOCATION_IDS} web addresses at a time.`)

const DeclineReasonSchema = z
  .string({ error: DECLINE_REASON_REQUIRED })
  .trim()
  .min(1, DECLINE_REASON_REQUIRED)
  .max(MAX_DECLINE_REASON, `The reason can be at most ${MAX_DECLINE_REASON.toLocaleString('en')} characters.`)
  .refine((s) => !CONTROL.test(s), 'The reason contains characters that cannot be stored; retype it.')

const SuggestedContactSchema = z
  .string({ error: SUGGESTED_CONTACT_INVALID })
  .trim()
  .max(MAX_SUGGESTED_CONTACT, `The suggested contact can be at most ${MAX_SUGGESTED_CONTACT} characters.`)
  .refine(isContact, SUGGESTED_CONTACT_INVALID)

/**
 * Shared by the answer page's forms and the API. Objects are strict: a
 * misspelt `locationIds` must not silently mean "every address".
 */
export const noticeAnswerSchema: z.ZodType<NoticeAnswer> = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('acknowledge') }),
    z.strictObject({ kind: z.literal('removed'), locationIds: LocationIdsSchema.optional() }),
    z.strictObject({ kind: z.literal('not_found'), locationIds: LocationIdsSchema.optional() }),
    z.strictObject({ kind: z.literal('declined'), reason: DeclineReasonSchema }),
    z.strictObject({ kind: z.literal('not_ours'), suggestedContact: SuggestedContactSchema.optional() }),
  ],
  { error: 'Choose an answer: kind must be one of acknowledge, removed, not_found, declined, not_ours.' },
)

// ---------------------------------------------------------------------------
// States

/** Sent and still waiting for a final answer. */
const OPEN: NoticeState[] = ['queued', 'sent', 'acknowledged', 'overdue', 'escalated']
/** Answers that end the notice: nothing more can be answered, and its links are spent. */
const FINAL: NoticeState[] = ['removed', 'not_found', 'declined', 'not_ours', 'closed']
/** Answered, but some web addresses are still unanswered. */
const RESOLVED: NoticeState[] = ['removed', 'partially_removed', 'not_found', 'declined', 'not_ours']

/** What contradicts the notice as recorded (HTTP 409). */
export class NoticeAnswerConflict extends DomainError {
  constructor(
    message: string,
    readonly state: NoticeState,
  ) {
    super(message, 409)
  }
}

const STATE_WORDS: Record<NoticeState, string> = {
  draft: 'not sent',
  queued: 'sent',
  sent: 'sent',
  acknowledged: 'acknowledged',
  removed: 'removed',
  partially_removed: 'partly removed',
  not_found: 'not found',
  declined: 'declined',
  not_ours: 'not yours',
  overdue: 'overdue',
  escalated: 'escalated',
  closed: 'closed',
}

function alreadyAnswered(state: NoticeState): NoticeAnswerConflict {
  if (state === 'closed') return new NoticeAnswerConflict('This notice was closed, so it can no longer be answered.', state)
  return new NoticeAnswerConflict(`This notice already has its answer (${STATE_WORDS[state]}), and this answer contradicts it. Write to us if the answer must change.`, state)
}

// ---------------------------------------------------------------------------
// Reading a notice as the provider sees it

export interface ProviderNoticeUrl {
  locationId: string
  url: string
  outcome: 'removed' | 'not_found' | 'kept' | null
}

export interface ProviderNotice {
  id: string
  providerId: string
  providerName: string
  regime: Regime
  state: NoticeState
  sentAt: number
  deadlineAt: number | null
  acknowledgedAt: number | null
  resolvedAt: number | null
  createdAt: number
  urls: ProviderNoticeUrl[]
  /** Which answers make sense now (the page shows only these). */
  canAcknowledge: boolean
  /** Addresses still without an outcome, when removed/not found can still be said of them. */
  openLocationIds: string[]
  canDeclineOrDisown: boolean
}

type NoticeRow = {
  id: string
  case_id: string
  provider_id: string
  provider_name: string
  regime: Regime
  state: NoticeState
  sent_at: number | null
  deadline_at: number | null
  acknowledged_at: number | null
  resolved_at: number | null
  created_at: number
}

function noticeQuery(db: DB) {
  return db
    .selectFrom('notice')
    .innerJoin('provider', 'provider.id', 'notice.provider_id')
    .select([
      'notice.id',
      'notice.case_id',
      'notice.provider_id',
      'provider.name as provider_name',
      'notice.regime',
      'notice.state',
      'notice.sent_at',
      'notice.deadline_at',
      'notice.acknowledged_at',
      'notice.resolved_at',
      'notice.created_at',
    ])
    // A draft was never sent: no provider knows of it.
    .where('notice.sent_at', 'is not', null)
}

/** The web addresses of notices, in the order the notice lists them; withdrawn ones are left out, as in the emails. */
async function urlsOf(db: DB, noticeIds: readonly string[]): Promise<Map<string, ProviderNoticeUrl[]>> {
  const out = new Map<string, ProviderNoticeUrl[]>(noticeIds.map((id) => [id, []]))
  if (noticeIds.length === 0) return out
  const rows = await db
    .selectFrom('notice_location')
    .innerJoin('case_location', 'case_location.id', 'notice_location.location_id')
    .select(['notice_location.notice_id', 'notice_location.location_id', 'notice_location.outcome', 'case_location.url'])
    .where('notice_location.notice_id', 'in', [...noticeIds])
    .where('case_location.state', '!=', 'withdrawn')
    .orderBy('case_location.created_at')
    .orderBy('case_location.id')
    .execute()
  for (const r of rows) out.get(r.notice_id)?.push({ locationId: r.location_id, url: r.url, outcome: r.outcome })
  return out
}

function toView(row: NoticeRow, urls: ProviderNoticeUrl[]): ProviderNotice {
  const open = OPEN.includes(row.state)
  const openLocationIds = open || row.state === 'partially_removed' ? urls.filter((u) => u.outcome === null).map((u) => u.locationId) : []
  return {
    id: row.id,
    providerId: row.provider_id,
    providerName: row.provider_name,
    regime: row.regime,
    state: row.state,
    sentAt: row.sent_at!,
    deadlineAt: row.deadline_at,
    acknowledgedAt: row.acknowledged_at,
    resolvedAt: row.resolved_at,
    createdAt: row.created_at,
    urls,
    canAcknowledge: open && row.acknowledged_at === null,
    openLocationIds,
    canDeclineOrDisown: open,
  }
}

/**
 * A sent notice as its provider sees it. With `providerId`, a notice of any
 * other provider is not found, exactly like one that does not exist.
 */
export async function findProviderNotice(db: DB, noticeId: string, providerId?: string): Promise<ProviderNotice | null> {
  let q = noticeQuery(db).where('notice.id', '=', noticeId)
  if (providerId !== undefined) q = q.where('notice.provider_id', '=', providerId)
  const row = await q.executeTakeFirst()
  if (!row) return null
  return toView(row as NoticeRow, (await urlsOf(db, [row.id])).get(row.id)!)
}

export interface NoticeListFilter {
  state?: NoticeState[]
  /** Only notices sent at or after this time (epoch ms). */
  since?: number
  limit: number
  /** From a previous page: the (created_at, id) of its last notice. */
  after?: { createdAt: number; id: string }
}

/** A provider's own sent notices, oldest first, paged by (created_at, id): stable while new notices arrive. */
export async function listProviderNotices(db: DB, providerId: string, filter: NoticeListFilter): Promise<{ notices: ProviderNotice[]; next: { createdAt: number; id: string } | null }> {
  let q = noticeQuery(db).where('notice.provider_id', '=', providerId)
  if (filter.state?.length) q = q.where('notice.state', 'in', filter.state)
  if (filter.since !== undefined) q = q.where('notice.sent_at', '>=', filter.since)
  const after = filter.after
  if (after) {
    q = q.where((eb) => eb.or([eb('notice.created_at', '>', after.createdAt), eb.and([eb('notice.created_at', '=', after.createdAt), eb('notice.id', '>', after.id)])]))
  }
  const rows = (await q.orderBy('notice.created_at').orderBy('notice.id').limit(filter.limit + 1).execute()) as NoticeRow[]
  const page = rows.slice(0, filter.limit)
  const urls = await urlsOf(db, page.map((r) => r.id))
  const last = page[page.length - 1]
  return {
    notices: page.map((r) => toView(r, urls.get(r.id)!)),
    next: rows.length > filter.limit && last ? { createdAt: last.created_at, id: last.id } : null,
  }
}

// ---------------------------------------------------------------------------
// Answering

/** The notice's state after the answer; `changed` is false for an answer already recorded (nothing was written). */
export interface AnswerResult {
  state: NoticeState
  changed: boolean
}

export interface AnswerActor {
  providerId: string
  via: 'link' | 'api'
}

function inTransaction<T>(db: DB, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Trx) : db.transaction().execute(fn)
}

function parseAnswer(answer: unknown): NoticeAnswer {
  const parsed = noticeAnswerSchema.safeParse(answer)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new ValidationError(String(issue?.path[0] ?? 'kind'), issue?.message ?? 'This answer is not right.')
}

const EVENT_KIND: Record<NoticeAnswerKind, string> = {
  acknowledge: 'acknowledged',
  removed: 'removed',
  not_found: 'not_found',
  declined: 'declined',
  not_ours: 'not_ours',
}

/**
 * Record `answer` to notice `noticeId` from `actor.providerId`. A notice of
 * another provider, or one never sent, is a NotFoundError; bad input a
 * ValidationError; a contradiction a NoticeAnswerConflict. Returns the
 * notice's state afterwards, and whether anything changed (a repeated answer changes nothing).
 */
export async function answerNotice(db: DB, noticeId: string, answer: NoticeAnswer, actor: AnswerActor, now = Date.now()): Promise<AnswerResult> {
  const parsed = parseAnswer(answer)
  // Read outside the transaction when we can, so its first statement is a
  // write (see deadline.server.ts remindNotice on SQLite's busy snapshots).
  const target = await db.selectFrom('notice').select(['case_id', 'provider_id', 'sent_at']).where('id', '=', noticeId).executeTakeFirst()
  if (!target || target.provider_id !== actor.providerId || target.sent_at === null) throw new NotFoundError('This notice does not exist.')

  return inTransaction(db, async (trx) => {
    // The case row first, then the notice: the order deleteCase and sendNotice
    // lock them in. The update changes nothing; it is there for its row lock,
    // which also queues two answers to the same notice one behind the other.
    await trx
      .updateTable('survivor_case')
      .set((eb) => ({ state: eb.ref('state') }))
      .where('id', '=', target.case_id)
      .execute()
    const row = (await noticeQuery(trx).where('notice.id', '=', noticeId).where('notice.provider_id', '=', actor.providerId).executeTakeFirst()) as NoticeRow | undefined
    if (!row) throw new NotFoundError('This notice does not exist.')
    const urls = (await urlsOf(trx, [noticeId])).get(noticeId)!
    return applyAnswer(trx, row, urls, parsed, actor, now)
  })
}

async function applyAnswer(trx: Trx, row: NoticeRow, urls: ProviderNoticeUrl[], answer: NoticeAnswer, actor: AnswerActor, now: number): Promise<AnswerResult> {
  const from = row.state
  const unchanged = { state: from, changed: false }
  let to: NoticeState = from
  let outcome: ProviderNoticeUrl['outcome'] = null
  let answered: ProviderNoticeUrl[] = []
  const detail: Record<string, unknown> = { via: actor.via, from }

  switch (answer.kind) {
    case 'acknowledge': {
      if (!OPEN.includes(from)) throw alreadyAnswered(from)
      if (row.acknowledged_at !== null) return unchanged
      // Overdue and escalated stay so: acknowledging late does not make a notice on time.
      to = from === 'queued' || from === 'sent' ? 'acknowledged' : from
      break
    }
    case 'removed':
    case 'not_found': {
      outcome = answer.kind
      let targets: ProviderNoticeUrl[]
      if (answer.locationIds) {
        const byId = new Map(urls.map((u) => [u.locationId, u]))
        const chosen = [...new Set(answer.locationIds)]
        if (chosen.some((id) => !byId.has(id))) {
          throw new ValidationError('locationIds', 'A chosen web address is not part of this notice. Reload the page and choose again.')
        }
        targets = chosen.map((id) => byId.get(id)!)
      } else {
        targets = urls.filter((u) => u.outcome === null || u.outcome === outcome)
      }
      const clash = targets.find((u) => u.outcome !== null && u.outcome !== outcome)
      if (clash) {
        const word = clash.outcome === 'kept' ? 'kept up (declined)' : clash.outcome === 'removed' ? 'removed' : 'not found'
        throw new NoticeAnswerConflict(`${clash.url} is already recorded as ${word}. Write to us if that must change.`, from)
      }
      answered = targets.filter((u) => u.outcome === null)
      if (answered.length === 0) {
        if (targets.length > 0) return unchanged
        throw alreadyAnswered(from)
      }
      if (!OPEN.includes(from) && from !== 'partially_removed') throw alreadyAnswered(from)
      const after = urls.map((u) => (answered.includes(u) ? outcome : u.outcome))
      if (after.every((o) => o !== null)) to = after.includes('removed') ? 'removed' : 'not_found'
      else if (after.includes('removed')) to = 'partially_removed'
      else to = from === 'queued' || from === 'sent' ? 'acknowledged' : from
      detail.locations = answered.length
      detail.remaining = after.filter((o) => o === null).length
      break
    }
    case 'declined':
    case 'not_ours': {
      const state: NoticeState = answer.kind
      if (from === state) return unchanged
      if (!OPEN.includes(from)) throw alreadyAnswered(from)
      to = state
      if (answer.kind === 'declined') {
        outcome = 'kept'
        answered = urls.filter((u) => u.outcome === null)
        // The provider's words, for the caseworker; they hold nothing of the survivor's.
        detail.reason = answer.reason
      } else if (answer.suggestedContact) {
        detail.suggestedContact = answer.suggestedContact
      }
      break
    }
  }
  detail.to = to

  const resolved = RESOLVED.includes(to) && to !== from
  // Conditional on the state read above: the deadline run does not lock the case, and may have marked it overdue since.
  const updated = await trx
    .updateTable('notice')
    .set({
      state: to,
      acknowledged_at: row.acknowledged_at ?? now,
      resolved_at: resolved ? now : row.resolved_at,
      updated_at: now,
    })
    .where('id', '=', row.id)
    .where('state', '=', from)
    .executeTakeFirst()
  if (updated.numUpdatedRows === 0n) throw new NoticeAnswerConflict('This notice changed while you answered. Reload the page and answer again.', from)

  if (answered.length > 0 && outcome !== null) {
    const ids = answered.map((u) => u.locationId)
    await trx.updateTable('notice_location').set({ outcome }).where('notice_id', '=', row.id).where('location_id', 'in', ids).execute()
    if (outcome !== 'kept') {
      // What the survivor sees per address; one they withdrew stays withdrawn.
      await trx.updateTable('case_location').set({ state: outcome, updated_at: now }).where('id', 'in', ids).where('state', '=', 'reported').execute()
    }
  }
  if (FINAL.includes(to)) await spendNoticeLinks(trx, row.id, now)

  await trx
    .insertInto('notice_event')
    .values({
      id: newId(),
      notice_id: row.id,
      case_id: row.case_id,
      kind: EVENT_KIND[answer.kind],
      actor_type: 'provider',
      actor_id: actor.providerId,
      detail: JSON.stringify(detail),
      created_at: now,
    })
    .execute()
  // The audit entry holds states and counts only, not the provider's free text.
  await appendAudit(
    trx,
    {
      actorType: 'provider',
      actorId: actor.providerId,
      action: `notice.answer.${answer.kind}`,
      objectType: 'notice',
      objectId: row.id,
      detail: { caseId: row.case_id, via: actor.via, from, to, locations: answered.length },
    },
    now,
  )
  return { state: to, changed: true }
}

// ---------------------------------------------------------------------------
// The API's answer, replayed for a retry with the same Idempotency-Key

export interface ApiAnswerResult {
  status: number
  body: unknown
  replayed: boolean
}

/** The client's Idempotency-Key: printable ASCII, 1 to 255 characters. */
export const IdempotencyKeySchema = z
  .string()
  .min(1, 'The Idempotency-Key header is empty.')
  .max(255, 'The Idempotency-Key header can be at most 255 characters.')
  .regex(/^[\x21-\x7e]+$/, 'The Idempotency-Key header can hold only printable ASCII characters without spaces.')

export class IdempotencyKeyReused extends DomainError {
  constructor() {
    super('This Idempotency-Key was already used for a different request. Use a new key for a new answer.', 422)
  }
}

class KeyTaken extends Error {}

type Stored = { fingerprint: string; status: number; body: unknown }

/**
 * answerNotice for the API, with an optional Idempotency-Key: the first
 * successful answer under a key is stored (per provider) and a retry with
 * the same key and the same request gets it back unchanged, without acting
 * again. A refused answer stores nothing, so its retry is judged afresh.
 * `view` makes the answer's body from the notice after the change.
 */
export async function answerNoticeForApi(
  db: DB,
  noticeId: string,
  answer: NoticeAnswer,
  providerId: string,
  idempotencyKey: string | null,
  view: (notice: ProviderNotice) => unknown,
  now = Date.now(),
): Promise<ApiAnswerResult> {
  const actor: AnswerActor = { providerId, via: 'api' }
  const run = async (trx: DB) => {
    await answerNotice(trx, noticeId, answer, actor, now)
    const notice = await findProviderNotice(trx, noticeId, providerId)
    if (!notice) throw new NotFoundError('This notice does not exist.')
    return { status: 200, body: view(notice) }
  }
  if (idempotencyKey === null) return { ...(await run(db)), replayed: false }

  const scope = `notice-answer:${providerId}`
  const key = sha256Hex(`${scope}:${idempotencyKey}`)
  const fingerprint = sha256Hex(JSON.stringify({ noticeId, answer }))
  const replay = async (): Promise<ApiAnswerResult | null> => {
    const row = await db.selectFrom('idempotency_key').select(['response', 'scope']).where('key', '=', key).executeTakeFirst()
    if (!row?.response || row.scope !== scope) return null
    const stored = JSON.parse(row.response) as Stored
    if (stored.fingerprint !== fingerprint) throw new IdempotencyKeyReused()
    return { status: stored.status, body: stored.body, replayed: true }
  }
  const earlier = await replay()
  if (earlier) return earlier
  try {
    return await db.transaction().execute(async (trx) => {
      // Claim the key first (a write first, and a concurrent retry waits here for our commit).
      const claimed = await trx
        .insertInto('idempotency_key')
        .values({ key, scope, response: null, created_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst()
      if (!claimed) throw new KeyTaken()
      const result = await run(trx)
      // States, ids and web addresses the provider already has: nothing personal, so stored as is.
      const stored: Stored = { fingerprint, ...result }
      await trx.updateTable('idempotency_key').set({ response: JSON.stringify(stored) }).where('key', '=', key).execute()
      return { ...result, replayed: false }
    })
  } catch (error) {
    if (!(error instanceof KeyTaken)) throw error
    const stored = await replay()
    if (!stored) throw new NoticeAnswerConflict('An answer with this Idempotency-Key is still being recorded. Try again in a moment.', 'sent')
    return stored
  }
}

// ---------------------------------------------------------------------------
// A fresh link, for a spent or expired one

/** Per source address: enough for a person retrying, not for a mail flood. */
export const FRESH_LINK_LIMIT_PER_SOURCE: RateLimit = { limit: 5, windowMs: 60 * 60 * 1000 }
/** Per notice, whoever asks: its provider's inbox gets at most this many a day. */
export const FRESH_LINK_LIMIT_PER_NOTICE: RateLimit = { limit: 3, windowMs: 24 * 60 * 60 * 1000 }

const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\]+$/
const AddressListSchema = z.array(z.string())

function noticeAddresses(json: string): string[] {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return []
  }
  const parsed = AddressListSchema.safeParse(value)
  if (!parsed.success) return []
  const seen = new Set<string>()
  return parsed.data
    .map((a) => a.trim())
    .filter((a) => SINGLE_ADDRESS.test(a) && !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()))
}

/**
 * Email a fresh link for notice `noticeId` to its provider's registered
 * notice addresses, when the notice can still be answered, its case is open
 * and neither limit is reached. The caller answers the same whatever this
 * did, so the page says nothing about notices, addresses or limits; the
 * result is for tests and logs only.
 */
export async function requestFreshNoticeLink(db: DB, noticeId: string, source: string, now = Date.now()): Promise<{ sent: number }> {
  const bySource = await hitRateLimit(db, `notice-link:source:${source}`, FRESH_LINK_LIMIT_PER_SOURCE, now)
  if (!bySource.allowed) return { sent: 0 }
  const byNotice = await hitRateLimit(db, `notice-link:notice:${noticeId}`, FRESH_LINK_LIMIT_PER_NOTICE, now)
  if (!byNotice.allowed) return { sent: 0 }

  const row = await db
    .selectFrom('notice')
    .innerJoin('provider', 'provider.id', 'notice.provider_id')
    .innerJoin('survivor_case', 'survivor_case.id', 'notice.case_id')
    .select(['notice.id', 'notice.case_id', 'notice.state', 'notice.sent_at', 'provider.id as provider_id', 'provider.name', 'provider.notice_emails', 'provider.is_placeholder', 'provider.disabled_at', 'survivor_case.state as case_state'])
    .where('notice.id', '=', noticeId)
    .executeTakeFirst()
  if (!row || row.sent_at === null || row.case_state !== 'open' || row.is_placeholder === 1 || row.disabled_at !== null) return { sent: 0 }
  if (!OPEN.includes(row.state) && row.state !== 'partially_removed') return { sent: 0 }
  const addresses = noticeAddresses(row.notice_emails)
  if (addresses.length === 0) return { sent: 0 }
  const sentAt = row.sent_at

  await db.transaction().execute(async (trx) => {
    const link = await issueNoticeLink(trx, noticeId, now)
    const message = noticeLinkEmail({ reference: noticeId, providerName: row.name, sentAt, url: link.url, expiresAt: link.expiresAt })
    for (const to of addresses) await enqueueEmail(trx, { kind: 'notice.link', to, ...message, noticeId }, now)
    await trx
      .insertInto('notice_event')
      .values({
        id: newId(),
        notice_id: noticeId,
        case_id: row.case_id,
        kind: 'link_requested',
        actor_type: 'provider',
        actor_id: null,
        detail: JSON.stringify({ recipients: addresses.length }),
        created_at: now,
      })
      .execute()
    await appendAudit(
      trx,
      { actorType: 'provider', actorId: null, action: 'notice.link_requested', objectType: 'notice', objectId: noticeId, detail: { caseId: row.case_id, recipients: addresses.length } },
      now,
    )
  })
  return { sent: addresses.length }
}

// ---------------------------------------------------------------------------
// The API's view of a notice, and its paging cursor

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** A notice as the API returns it: times in ISO 8601 (UTC), web addresses with the ids an answer names them by. */
export function noticeForApi(n: ProviderNotice) {
  return {
    id: n.id,
    regime: n.regime,
    state: n.state,
    sentAt: iso(n.sentAt),
    deadlineAt: iso(n.deadlineAt),
    acknowledgedAt: iso(n.acknowledgedAt),
    resolvedAt: iso(n.resolvedAt),
    urls: n.urls.map((u) => ({ locationId: u.locationId, url: u.url, outcome: u.outcome })),
  }
}

const CursorSchema = z.tuple([z.number().int().min(0), z.string().min(1).max(64)])

/** An opaque cursor over (created_at, id): base64url of JSON. It only says where the previous page ended. */
export function encodeNoticeCursor(after: { createdAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([after.createdAt, after.id]), 'utf8').toString('base64url')
}

/** The position a cursor names, or null when it is not one of ours. */
export function decodeNoticeCursor(cursor: string): { createdAt: number; id: string } | null {
  try {
    const parsed = CursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
    return parsed.success ? { createdAt: parsed.data[0], id: parsed.data[1] } : null
  } catch {
    return null
  }
}
