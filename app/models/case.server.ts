/**
 * A survivor's case: opening it with hashes and web addresses, signing in with
 * the case number and secret, what the survivor sees, the changes they can
 * make, and getting a new secret by email. Every function that changes
 * something owns its transaction and appends an audit entry with no personal
 * data in it.
 *
 * Two rules run through this file. Creation never looks at hashes already
 * stored, so its answer and its work are the same whether or not another case
 * holds the same image. And nothing about whether a case exists leaks from
 * sign-in or recovery: same answers, comparable work.
 */
import type { Kysely, Transaction } from 'kysely'
import { getDomain } from 'tldts'
import type { z } from 'zod'
import type {
  CaseSource,
  CaseState,
  Database,
  HashKind,
  HashStatus,
  LocationState,
  MediaKind,
  NewSurvivorCase,
  NoticeState,
  Requester,
  SurvivorCase,
} from '../../db/schema'
import { caseRecoveryEmail } from '../../emails/case-recovery'
import {
  formatCaseNumber,
  formatCaseSecret,
  newCaseNumber,
  newCaseSecret,
  normaliseCaseNumber,
  normaliseCaseSecret,
} from '../lib/case-codes.server'
import { constantTimeEqual, decryptPersonal, DecryptionError, encryptPersonal, sha256Hex } from '../lib/crypto.server'
import { getEnv } from '../lib/env.server'
import { GoneError, NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { log } from '../lib/log.server'
import { enqueueEmail } from '../lib/outbox.server'
import { hashPassword, verifyPassword } from '../lib/passwords.server'
import { hitRateLimit, type RateLimit } from '../lib/rate-limit.server'
import enReview from '../locales/en/review'
import esReview from '../locales/es/review'
import { createSurvivorSession, destroyCaseSessions } from '../lib/survivor-session.server'
import { randomToken, tokenHash } from '../lib/tokens.server'
import { appendAudit } from './audit.server'
import {
  AddHashesSchema,
  AddUrlsSchema,
  NewRequestSchema,
  NOTICES_CONSENT,
  PDQ_ALL_ONES,
  PDQ_ALL_ZERO,
  RecoveryRequestSchema,
  RecoveryTokenSchema,
  SetContactSchema,
  SHARE_CONSENT,
  SignInSchema,
  WithdrawHashesSchema,
  type AddHashesInput,
  type AddUrlsInput,
  type HashItem,
  type NewRequestInput,
  type RecoveryRequestInput,
  type SetContactInput,
  type SignInInput,
  type WithdrawHashesInput,
} from './case.schema'

type DB = Kysely<Database>
type Trx = Transaction<Database>

export const SIGN_IN_LIMIT_PER_SOURCE: RateLimit = { limit: 10, windowMs: 15 * 60 * 1000 }
export const SIGN_IN_LIMIT_SITE_WIDE: RateLimit = { limit: 300, windowMs: 60 * 1000 }
export const RECOVERY_LIMIT_PER_SOURCE: RateLimit = { limit: 5, windowMs: 15 * 60 * 1000 }
/** New requests (POST /request) from one source: a flood of invented cases is cut off, a shared address still has room. */
export const REQUEST_LIMIT_PER_SOURCE: RateLimit = { limit: 20, windowMs: 60 * 60 * 1000 }
export const RECOVERY_LINK_MINUTES = 30

/**
 * argon2id of a string no one knows, made with the same parameters as
 * hashPassword: sign-in verifies against it when there is no case, so an
 * unknown case number costs the same time as a wrong secret.
 */
export const DUMMY_SECRET_HASH = '$argon2id$v=19$m=19456,p=1,t=3$8T0sRBLBCyzZBDfC04tJ+w$OjeTL4MIAx90IiQbLZc1T0WzuDSn02dIznZXUbqSUnw'

const CREATE_SCOPE = 'case.create'
const INSERT_CHUNK = 500
const OPEN_NOTICE_STATES: NoticeState[] = ['draft', 'queued', 'sent', 'acknowledged', 'overdue', 'escalated']
const RECOVERY_UNUSABLE =
  'This link has already been used or is too old. Each link works once, for 30 minutes. ' +
  'Go to "I lost my secret" to ask for a new one.'

// ---------------------------------------------------------------------------
// Helpers

/** Parse with a case schema; the first problem becomes a ValidationError on its field. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  throw new ValidationError(issue?.path.join('.') || 'form', issue?.message ?? 'Something in this form is not right.')
}

function survivorAudit(caseId: string, action: string, detail: Record<string, number | string | boolean> | null = null) {
  return { actorType: 'survivor' as const, actorId: caseId, action, objectType: 'survivor_case', objectId: caseId, detail }
}

/**
 * The case, locked for this transaction (the update takes a row lock on
 * PostgreSQL, so two changes to one case queue), with updated_at moved to now.
 */
async function lockCase(trx: Trx, caseId: string, now: number): Promise<SurvivorCase> {
  const row = await trx
    .updateTable('survivor_case')
    .set({ updated_at: now })
    .where('id', '=', caseId)
    .where('state', '!=', 'deleted')
    .returningAll()
    .executeTakeFirst()
  if (!row) throw new NotFoundError('This case no longer exists.')
  return row
}

function requireOpen(c: SurvivorCase): void {
  if (c.state !== 'open') throw new GoneError('This case is closed, so nothing more can be added to it. You can start a new request.')
}

function chunks<T>(items: readonly T[], size = INSERT_CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const isFlatPdq = (value: string) => value === PDQ_ALL_ZERO || value === PDQ_ALL_ONES

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Refuse `adding` new hash values when they would pass the per-case or the
 * per-day cap (HASH_CAP_PER_CASE, HASH_CAP_PER_DAY), so a flood cannot swamp
 * the list providers check every upload against. Counted in stored rows,
 * withdrawn ones included, so adding and taking back cannot get round it.
 * The message is worded in the case's language: it carries numbers, so the
 * English-keyed `validation` map could not translate it.
 */
async function checkHashCaps(trx: Trx, caseId: string, adding: number, language: string, now: number): Promise<void> {
  if (adding === 0) return
  const { HASH_CAP_PER_CASE, HASH_CAP_PER_DAY } = getEnv()
  const es = language === 'es'
  const caps = (es ? esReview : enReview).caps
  const format = (n: number) => n.toLocaleString(es ? 'es' : 'en')
  const inCase = await trx
    .selectFrom('case_hash')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('case_id', '=', caseId)
    .executeTakeFirst()
  const have = Number(inCase?.n ?? 0)
  if (have + adding > HASH_CAP_PER_CASE) {
    log.warn({ event: 'case.hash_cap', cap: 'case', adding }, 'new hashes refused: over the per-case cap')
    const message = caps.perCase
      .replace('{{count}}', format(have))
      .replace('{{adding}}', format(adding))
      .replace('{{max}}', format(HASH_CAP_PER_CASE))
    throw new ValidationError('files', message)
  }
  const today = await trx
    .selectFrom('case_hash')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('created_at', '>', now - DAY_MS)
    .executeTakeFirst()
  if (Number(today?.n ?? 0) + adding > HASH_CAP_PER_DAY) {
    log.warn({ event: 'case.hash_cap', cap: 'day', adding }, 'new hashes refused: over the daily cap')
    throw new ValidationError('files', caps.perDay)
  }
}

/**
 * Store the hashes of `files` as items firstItem, firstItem+1, ...; returns
 * how many rows. Every way hashes come in (the web form, the status page's
 * "add files", assisted intake and the command line) passes here, so the caps
 * are checked here, before anything is stored.
 */
async function insertHashes(
  trx: Trx,
  caseId: string,
  files: readonly HashItem[],
  firstItem: number,
  now: number,
  language: string,
): Promise<number> {
  const rows = files.flatMap((file, i) => {
    const item = firstItem + i
    const row = (kind: HashKind, value: string, quality: number | null = null, frame: { number: number; ms: number } | null = null) => ({
      id: newId(),
      case_id: caseId,
      item,
      media: file.media as MediaKind,
      kind,
      value,
      quality,
      frame_number: frame?.number ?? null,
      frame_ms: frame?.ms ?? null,
      created_at: now,
      updated_at: now,
      withdrawn_at: null,
      disabled_at: null,
    })
    if (file.media === 'image') return [row('pdq', file.pdq, file.quality), row('md5', file.md5), row('sha256', file.sha256)]
    return [
      row('md5', file.md5),
      row('sha256', file.sha256),
      // A flat frame (black fade-in, title card) is common in real videos and
      // matches everything; matchers drop it anyway, so skip it rather than
      // refuse the whole video.
      ...file.vpdq
        .filter((f) => !isFlatPdq(f.pdq))
        .map((f) => row('vpdq', f.pdq, f.quality, { number: f.frame, ms: Math.round(f.timestamp * 1000) })),
    ]
  })
  await checkHashCaps(trx, caseId, rows.length, language, now)
  for (const chunk of chunks(rows)) await trx.insertInto('case_hash').values(chunk).execute()
  return rows.length
}

/** Store web addresses with their host, registrable domain and, when known, provider. */
async function insertLocations(trx: Trx, caseId: string, urls: readonly string[], now: number): Promise<void> {
  if (urls.length === 0) return
  const parsed = urls.map((url) => {
    const host = new URL(url).hostname
    // tldts knows the public suffix list; for an IP address it has no domain, so the host stands in.
    return { url, host, domain: getDomain(host) ?? host }
  })
  const providers = await trx
    .selectFrom('provider_domain')
    .select(['domain', 'provider_id'])
    .where('domain', 'in', [...new Set(parsed.map((p) => p.domain))])
    .execute()
  const providerOf = new Map(providers.map((p) => [p.domain, p.provider_id]))
  const rows = parsed.map((p) => ({
    id: newId(),
    case_id: caseId,
    url: p.url,
    host: p.host,
    registrable_domain: p.domain,
    provider_id: providerOf.get(p.domain) ?? null,
    added_by: 'survivor' as const,
    created_at: now,
    updated_at: now,
  }))
  for (const chunk of chunks(rows)) await trx.insertInto('case_location').values(chunk).execute()
}

// ---------------------------------------------------------------------------
// Opening a case

export interface CreatedCase {
  caseId: string
  /** "XXXX-XXXX" */
  caseNumber: string
  /** "XXXX-XXXX-XXXX-XXXX": shown once, stored only as argon2id. */
  secret: string
}

interface StoredResponse extends CreatedCase {
  /** SHA-256 of the request, so a different request under the same key is refused. */
  request: string
}

class AlreadySubmitted extends Error {}

async function readStoredResponse(db: DB, key: string, request: string): Promise<CreatedCase | null> {
  const row = await db.selectFrom('idempotency_key').select('response').where('key', '=', key).executeTakeFirst()
  if (!row?.response) return null
  const stored = JSON.parse(decryptPersonal(row.response)) as StoredResponse
  if (stored.request !== request) {
    throw new ValidationError('idempotencyKey', 'This form was already sent. Reload the page to start a new request.')
  }
  return { caseId: stored.caseId, caseNumber: stored.caseNumber, secret: stored.secret }
}

/** Insert the case row under a fresh random number, drawing again on the rare collision. */
async function insertCaseRow(trx: Trx, values: Omit<NewSurvivorCase, 'case_number'>): Promise<string> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const caseNumber = newCaseNumber()
    const inserted = await trx
      .insertInto('survivor_case')
      .values({ ...values, case_number: caseNumber })
      .onConflict((oc) => oc.column('case_number').doNothing())
      .returning('id')
      .executeTakeFirst()
    if (inserted) return caseNumber
  }
  throw new Error('Could not draw a free case number.')
}

/**
 * Open a case from a survivor's first submission, with no account. A retry
 * with the same idempotency key returns the first answer, secret included,
 * and creates nothing.
 */
export async function createCase(
  db: DB,
  input: NewRequestInput,
  now = Date.now(),
  /**
   * How the case came in (the survivor's own browser, a caseworker's intake,
   * or a bulk import) and who opened it, for the audit log: the survivor
   * unless a caseworker or the command line says otherwise.
   */
  options: { source?: CaseSource; actor?: { actorType: 'staff' | 'system'; actorId: string | null } } = {},
): Promise<CreatedCase> {
  const request = parseInput(NewRequestSchema, input)
  const key = sha256Hex(`${CREATE_SCOPE}:${request.idempotencyKey}`)
  const fingerprint = sha256Hex(JSON.stringify({ ...request, idempotencyKey: null }))
  const earlier = await readStoredResponse(db, key, fingerprint)
  if (earlier) return earlier

  // argon2 is slow on purpose: hash before the transaction so it holds no lock meanwhile.
  const secret = newCaseSecret()
  const secretHash = await hashPassword(secret)
  const contact = request.contactEmail ? encryptPersonal(request.contactEmail) : null
  const signature = request.signature ? encryptPersonal(request.signature) : null

  try {
    return await db.transaction().execute(async (trx) => {
      // Claim the key first. A concurrent retry's insert waits here for our
      // commit (PostgreSQL) or runs after it (SQLite), then finds the key taken.
      const claimed = await trx
        .insertInto('idempotency_key')
        .values({ key, scope: CREATE_SCOPE, response: null, created_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .returning('key')
        .executeTakeFirst()
      if (!claimed) throw new AlreadySubmitted()

      const caseId = newId()
      const caseNumber = await insertCaseRow(trx, {
        id: caseId,
        secret_hash: secretHash,
        secret_updated_at: now,
        contact_ciphertext: contact,
        contact_updated_at: contact ? now : null,
        language: request.language,
        requester: request.requester,
        share_hashes: request.shareHashes ? 1 : 0,
        notices_consent: request.noticesConsent ? 1 : 0,
        signature_ciphertext: signature,
        source: options.source ?? 'web',
        reviewed_at: null,
        assigned_to: null,
        created_at: now,
        updated_at: now,
        closed_at: null,
        withdrawn_at: null,
        deleted_at: null,
      })
      const result: CreatedCase = { caseId, caseNumber: formatCaseNumber(caseNumber), secret: formatCaseSecret(secret) }
      // The secret is stored only hashed, so the first answer is kept encrypted
      // for replays. Retention purges old idempotency keys, and the secret with them.
      const stored: StoredResponse = { ...result, request: fingerprint }
      await trx.updateTable('idempotency_key').set({ response: encryptPersonal(JSON.stringify(stored)) }).where('key', '=', key).execute()

      const hashes = await insertHashes(trx, caseId, request.files, 1, now, request.language)
      await insertLocations(trx, caseId, request.urls, now)
      const source = options.source ?? 'web'
      const entry = survivorAudit(caseId, 'case.created', { files: request.files.length, hashes, urls: request.urls.length, contact: contact !== null, source })
      await appendAudit(trx, options.actor ? { ...entry, ...options.actor } : entry, now)
      return result
    })
  } catch (error) {
    if (!(error instanceof AlreadySubmitted)) throw error
    const stored = await readStoredResponse(db, key, fingerprint)
    if (!stored) throw new Error('Idempotency key is taken but holds no response.')
    return stored
  }
}

// ---------------------------------------------------------------------------
// Signing in

export type SignInResult =
  | { ok: true; caseId: string; token: string; expiresAt: number }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterMs: number }

/**
 * Sign in with case number and secret from `source` (e.g. the client address).
 * Limited per source and site-wide, never per case, so no one can lock a
 * survivor out of their own case. Unknown case, deleted case and wrong secret
 * all answer `invalid` after the same argon2 work.
 */
export async function signIn(db: DB, input: SignInInput, source: string, now = Date.now()): Promise<SignInResult> {
  const perSource = await hitRateLimit(db, `signin:source:${source}`, SIGN_IN_LIMIT_PER_SOURCE, now)
  if (!perSource.allowed) return { ok: false, reason: 'throttled', retryAfterMs: perSource.retryAfterMs }
  // Counted only for sources within their own limit, so one source cannot use up the site's budget.
  const siteWide = await hitRateLimit(db, 'signin:site', SIGN_IN_LIMIT_SITE_WIDE, now)
  if (!siteWide.allowed) return { ok: false, reason: 'throttled', retryAfterMs: siteWide.retryAfterMs }

  const parsed = SignInSchema.safeParse(input)
  const caseNumber = parsed.success ? normaliseCaseNumber(parsed.data.caseNumber) : null
  const secret = (parsed.success ? normaliseCaseSecret(parsed.data.secret) : null) ?? 'not-a-secret'
  const row = caseNumber
    ? await db
        .selectFrom('survivor_case')
        .select(['id', 'secret_hash'])
        .where('case_number', '=', caseNumber)
        .where('state', '!=', 'deleted')
        .executeTakeFirst()
    : undefined
  const verified = await verifyPassword(row?.secret_hash ?? DUMMY_SECRET_HASH, secret)
  if (!verified || !row?.secret_hash) return { ok: false, reason: 'invalid' }

  return db.transaction().execute(async (trx) => {
    const session = await createSurvivorSession(trx, row.id, now)
    await appendAudit(trx, survivorAudit(row.id, 'case.signed_in'), now)
    return { ok: true as const, caseId: row.id, token: session.token, expiresAt: session.expiresAt }
  })
}

// ---------------------------------------------------------------------------
// What the survivor sees

export const NEXT_STEPS = [
  'case_closed',
  'add_files_to_block_copies',
  'waiting_for_providers',
  'providers_have_hashes',
  'add_urls_to_get_notices_sent',
  'notices_pending',
  'waiting_for_websites',
  'add_contact_to_recover_secret',
] as const
export type NextStep = (typeof NEXT_STEPS)[number]

export type PlainFeedback = 'reviewing' | 'removed' | 'not_removed'

export interface HashView {
  /** Pass back to withdrawHashes. For a video's frames (vpdq), one entry stands for them all. */
  id: string
  /** Which file of the case (1, 2, ...). */
  item: number
  media: MediaKind
  kind: HashKind
  /** First 8 hex characters: enough to tell hashes apart, not enough to match anything. */
  prefix: string
  /** 1, or for vpdq the number of frames. */
  frames: number
  createdAt: number
  status: HashStatus
  /** Participating providers that have fetched the feed since this hash last changed. */
  fetchedBy: number
  feedback: { provider: string; value: PlainFeedback }[]
}

export interface NoticeView {
  provider: string
  urls: string[]
  state: NoticeState
  sentAt: number | null
  /** The 48-hour deadline, for TAKE IT DOWN Act notices only. */
  deadlineAt: number | null
  acknowledgedAt: number | null
  resolvedAt: number | null
}

export interface CaseStatus {
  caseNumber: string
  state: CaseState
  requester: Requester
  language: string
  createdAt: number
  shareHashes: boolean
  noticesConsent: boolean
  /** Whether a contact address is set; the address itself is never shown back. */
  hasContact: boolean
  /** Providers that take the hash list and are not disabled. */
  participatingProviders: number
  hashes: HashView[]
  locations: { id: string; url: string; state: LocationState; createdAt: number }[]
  notices: NoticeView[]
  nextSteps: NextStep[]
}

const PLAIN_FEEDBACK: Partial<Record<string, PlainFeedback>> = {
  PendingReview: 'reviewing',
  Blocked: 'removed',
  NotBlocked: 'not_removed',
}

/** The status page of a case: its hashes, feedback, notices and addresses, in plain terms. */
export async function getCaseStatus(db: DB, caseId: string): Promise<CaseStatus> {
  const c = await db.selectFrom('survivor_case').selectAll().where('id', '=', caseId).where('state', '!=', 'deleted').executeTakeFirst()
  if (!c) throw new NotFoundError('This case no longer exists.')

  const [hashRows, providers, feedbackRows, locations, notices, noticeUrls] = await Promise.all([
    db
      .selectFrom('case_hash')
      .select(['id', 'item', 'media', 'kind', 'value', 'status', 'created_at', 'updated_at', 'frame_number'])
      .where('case_id', '=', caseId)
      .orderBy('item')
      .orderBy('kind')
      .orderBy('frame_number')
      .execute(),
    db.selectFrom('provider').select(['feed_checkpoint']).where('hash_list', '=', 1).where('disabled_at', 'is', null).execute(),
    db
      .selectFrom('hash_feedback')
      .innerJoin('case_hash', 'case_hash.id', 'hash_feedback.hash_id')
      .innerJoin('provider', 'provider.id', 'hash_feedback.provider_id')
      .select(['hash_feedback.hash_id', 'provider.name', 'hash_feedback.value', 'hash_feedback.updated_at'])
      .where('case_hash.case_id', '=', caseId)
      .orderBy('hash_feedback.updated_at')
      .execute(),
    db.selectFrom('case_location').select(['id', 'url', 'state', 'created_at']).where('case_id', '=', caseId).orderBy('created_at').orderBy('id').execute(),
    db
      .selectFrom('notice')
      .innerJoin('provider', 'provider.id', 'notice.provider_id')
      .select(['notice.id', 'provider.name', 'notice.regime', 'notice.state', 'notice.sent_at', 'notice.deadline_at', 'notice.acknowledged_at', 'notice.resolved_at'])
      .where('notice.case_id', '=', caseId)
      .orderBy('notice.created_at')
      .orderBy('notice.id')
      .execute(),
    db
      .selectFrom('notice_location')
      .innerJoin('notice', 'notice.id', 'notice_location.notice_id')
      .innerJoin('case_location', 'case_location.id', 'notice_location.location_id')
      .select(['notice_location.notice_id', 'notice_location.location_id', 'case_location.url'])
      .where('notice.case_id', '=', caseId)
      .orderBy('case_location.created_at')
      .execute(),
  ])

  const shared = c.share_hashes === 1
  const fetchedBy = (updatedAt: number) =>
    shared ? providers.filter((p) => p.feed_checkpoint !== null && p.feed_checkpoint >= updatedAt).length : 0

  const hashes = groupHashes(hashRows, feedbackRows).map(({ updatedAt, ...h }) => ({ ...h, fetchedBy: fetchedBy(updatedAt) }))
  const noticeViews: NoticeView[] = notices.map((n) => ({
    provider: n.name,
    urls: noticeUrls.filter((u) => u.notice_id === n.id).map((u) => u.url),
    state: n.state,
    sentAt: n.sent_at,
    deadlineAt: n.regime === 'takeitdown' ? n.deadline_at : null,
    acknowledgedAt: n.acknowledged_at,
    resolvedAt: n.resolved_at,
  }))
  const noticed = new Set(noticeUrls.map((u) => u.location_id))
  const status: Omit<CaseStatus, 'nextSteps'> = {
    caseNumber: formatCaseNumber(c.case_number),
    state: c.state,
    requester: c.requester,
    language: c.language,
    createdAt: c.created_at,
    shareHashes: shared,
    noticesConsent: c.notices_consent === 1,
    hasContact: c.contact_ciphertext !== null,
    participatingProviders: providers.length,
    hashes,
    locations: locations.map((l) => ({ id: l.id, url: l.url, state: l.state, createdAt: l.created_at })),
    notices: noticeViews,
  }
  const unnoticed = locations.some((l) => l.state === 'reported' && !noticed.has(l.id))
  return { ...status, nextSteps: nextSteps(status, unnoticed) }
}

type HashRow = { id: string; item: number; media: MediaKind; kind: HashKind; value: string; status: HashStatus; created_at: number; updated_at: number }
type FeedbackRow = { hash_id: string; name: string; value: string; updated_at: number }

/** One entry per hash, except a video's frames, which make one entry per video. Feedback rows come oldest first. */
function groupHashes(rows: readonly HashRow[], feedback: readonly FeedbackRow[]): (Omit<HashView, 'fetchedBy'> & { updatedAt: number })[] {
  const groups = new Map<string, HashRow[]>()
  for (const row of rows) {
    const key = row.kind === 'vpdq' ? `${row.item}:vpdq` : row.id
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  return [...groups.values()].map((members) => {
    const first = members[0]!
    const ids = new Set(members.map((m) => m.id))
    // Latest word per provider across the group.
    const byProvider = new Map<string, PlainFeedback>()
    for (const f of feedback) {
      const plain = PLAIN_FEEDBACK[f.value]
      if (ids.has(f.hash_id) && plain) byProvider.set(f.name, plain)
    }
    return {
      id: first.id,
      item: first.item,
      media: first.media,
      kind: first.kind,
      prefix: first.value.slice(0, 8),
      frames: members.length,
      createdAt: Math.min(...members.map((m) => m.created_at)),
      status: first.status,
      updatedAt: Math.max(...members.map((m) => m.updated_at)),
      feedback: [...byProvider].map(([provider, value]) => ({ provider, value })),
    }
  })
}

/** What to tell the survivor next, as stable codes the page translates. */
function nextSteps(s: Omit<CaseStatus, 'nextSteps'>, unnoticedLocations: boolean): NextStep[] {
  const steps: NextStep[] = []
  if (s.state !== 'open') steps.push('case_closed')
  const active = s.hashes.filter((h) => h.status === 'active')
  if (active.length === 0) steps.push('add_files_to_block_copies')
  else if (s.shareHashes && s.participatingProviders > 0) {
    steps.push(active.some((h) => h.fetchedBy < s.participatingProviders) ? 'waiting_for_providers' : 'providers_have_hashes')
  }
  if (!s.locations.some((l) => l.state !== 'withdrawn')) steps.push('add_urls_to_get_notices_sent')
  if (unnoticedLocations || s.notices.some((n) => n.state === 'draft' || n.state === 'queued')) steps.push('notices_pending')
  if (s.notices.some((n) => ['sent', 'acknowledged', 'overdue', 'escalated'].includes(n.state))) steps.push('waiting_for_websites')
  if (!s.hasContact) steps.push('add_contact_to_recover_secret')
  return steps
}

// ---------------------------------------------------------------------------
// What the survivor can change

/** Add more files' hashes to an open case (same checks as at creation). */
export async function addHashes(db: DB, caseId: string, input: AddHashesInput, now = Date.now()): Promise<{ files: number; hashes: number }> {
  const { files, shareHashes } = parseInput(AddHashesSchema, input)
  return db.transaction().execute(async (trx) => {
    const c = await lockCase(trx, caseId, now)
    requireOpen(c)
    if (c.share_hashes !== 1 && !shareHashes) throw new ValidationError('shareHashes', SHARE_CONSENT)
    if (c.share_hashes !== 1) await trx.updateTable('survivor_case').set({ share_hashes: 1 }).where('id', '=', caseId).execute()
    const last = await trx
      .selectFrom('case_hash')
      .select((eb) => eb.fn.max('item').as('item'))
      .where('case_id', '=', caseId)
      .executeTakeFirst()
    const hashes = await insertHashes(trx, caseId, files, Number(last?.item ?? 0) + 1, now, c.language)
    await appendAudit(trx, survivorAudit(caseId, 'case.hashes_added', { files: files.length, hashes }), now)
    return { files: files.length, hashes }
  })
}

/** Add web addresses to an open case; ones it already has are skipped. */
export async function addUrls(db: DB, caseId: string, input: AddUrlsInput, now = Date.now()): Promise<{ added: number }> {
  const { urls, noticesConsent } = parseInput(AddUrlsSchema, input)
  return db.transaction().execute(async (trx) => {
    const c = await lockCase(trx, caseId, now)
    requireOpen(c)
    if (c.notices_consent !== 1 && !noticesConsent) throw new ValidationError('noticesConsent', NOTICES_CONSENT)
    if (c.notices_consent !== 1) await trx.updateTable('survivor_case').set({ notices_consent: 1 }).where('id', '=', caseId).execute()
    const known = await trx.selectFrom('case_location').select('url').where('case_id', '=', caseId).where('url', 'in', urls).execute()
    const have = new Set(known.map((k) => k.url))
    const fresh = urls.filter((u) => !have.has(u))
    await insertLocations(trx, caseId, fresh, now)
    await appendAudit(trx, survivorAudit(caseId, 'case.urls_added', { urls: fresh.length }), now)
    return { added: fresh.length }
  })
}

/** Set the contact address, or remove it when none is given. */
export async function setContact(db: DB, caseId: string, input: SetContactInput, now = Date.now()): Promise<{ hasContact: boolean }> {
  const { email } = parseInput(SetContactSchema, input)
  const ciphertext = email ? encryptPersonal(email) : null
  return db.transaction().execute(async (trx) => {
    await lockCase(trx, caseId, now)
    await trx.updateTable('survivor_case').set({ contact_ciphertext: ciphertext, contact_updated_at: now }).where('id', '=', caseId).execute()
    await appendAudit(trx, survivorAudit(caseId, ciphertext ? 'case.contact_set' : 'case.contact_removed'), now)
    return { hasContact: ciphertext !== null }
  })
}

/**
 * Withdraw chosen hashes: they stay in the feed with status withdrawn and a new
 * updated_at, so providers delete their copies. Choosing a video's frame
 * entry withdraws all its frames. Ids of other cases are ignored; a request
 * naming none of this case's is a NotFoundError and changes nothing.
 */
export async function withdrawHashes(db: DB, caseId: string, input: WithdrawHashesInput, now = Date.now()): Promise<{ withdrawn: number }> {
  const { hashIds } = parseInput(WithdrawHashesSchema, input)
  return db.transaction().execute(async (trx) => {
    await lockCase(trx, caseId, now)
    const chosen = await trx.selectFrom('case_hash').select(['id', 'item', 'kind']).where('case_id', '=', caseId).where('id', 'in', hashIds).execute()
    // Not one id of this case: an edited form naming another case's hashes. Refused whole, so
    // the transaction (the lock, the audit entry) rolls back and nothing is written.
    if (chosen.length === 0) throw new NotFoundError('That did not work. Reload the page and try again.')
    const ids = chosen.map((h) => h.id)
    const videoItems = chosen.filter((h) => h.kind === 'vpdq').map((h) => h.item)
    let withdrawn = 0
    if (ids.length > 0) {
      const result = await trx
        .updateTable('case_hash')
        .set({ status: 'withdrawn', withdrawn_at: now, updated_at: now })
        .where('case_id', '=', caseId)
        .where('status', '!=', 'withdrawn')
        .where((eb) => (videoItems.length > 0 ? eb.or([eb('id', 'in', ids), eb.and([eb('kind', '=', 'vpdq'), eb('item', 'in', videoItems)])]) : eb('id', 'in', ids)))
        .executeTakeFirst()
      withdrawn = Number(result.numUpdatedRows)
    }
    await appendAudit(trx, survivorAudit(caseId, 'case.hashes_withdrawn', { hashes: withdrawn }), now)
    return { withdrawn }
  })
}

/**
 * Delete the case: every hash withdrawn (and re-sent in the feed), every
 * address withdrawn, open notices closed, sessions and recovery links ended,
 * and contact, signature and secret erased. The row stays as a tombstone with
 * no personal data, so providers and caseworkers can see what happened.
 */
export async function deleteCase(db: DB, caseId: string, now = Date.now()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockCase(trx, caseId, now)
    const hashes = await trx
      .updateTable('case_hash')
      .set({ status: 'withdrawn', withdrawn_at: now, updated_at: now })
      .where('case_id', '=', caseId)
      .where('status', '!=', 'withdrawn')
      .executeTakeFirst()
    const locations = await trx
      .updateTable('case_location')
      .set({ state: 'withdrawn', updated_at: now })
      .where('case_id', '=', caseId)
      .where('state', '!=', 'withdrawn')
      .executeTakeFirst()
    const open = await trx.selectFrom('notice').select(['id', 'state']).where('case_id', '=', caseId).where('state', 'in', OPEN_NOTICE_STATES).execute()
    for (const notice of open) {
      await trx.updateTable('notice').set({ state: 'closed', resolved_at: now, updated_at: now }).where('id', '=', notice.id).execute()
      await trx
        .insertInto('notice_event')
        .values({
          id: newId(),
          notice_id: notice.id,
          case_id: caseId,
          kind: 'closed',
          actor_type: 'survivor',
          actor_id: caseId,
          detail: JSON.stringify({ reason: 'case_deleted', from: notice.state }),
          created_at: now,
        })
        .execute()
    }
    await trx.deleteFrom('case_recovery').where('case_id', '=', caseId).execute()
    await destroyCaseSessions(trx, caseId)
    await trx
      .updateTable('survivor_case')
      .set({
        state: 'deleted',
        deleted_at: now,
        secret_hash: null,
        secret_updated_at: now,
        contact_ciphertext: null,
        contact_updated_at: now,
        signature_ciphertext: null,
      })
      .where('id', '=', caseId)
      .execute()
    await appendAudit(
      trx,
      survivorAudit(caseId, 'case.deleted', {
        hashes: Number(hashes.numUpdatedRows),
        locations: Number(locations.numUpdatedRows),
        notices: open.length,
      }),
      now,
    )
  })
}

// ---------------------------------------------------------------------------
// Lost secret

export type RecoveryRequestResult = { ok: true } | { ok: false; reason: 'throttled'; retryAfterMs: number }

function decryptOrEmpty(ciphertext: string): string {
  try {
    return decryptPersonal(ciphertext)
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error
    log.warn({ event: 'case.contact_undecryptable' }, 'a contact address could not be decrypted; is an old CONTACT_KEY missing?')
    return ''
  }
}

/**
 * "I lost my secret": when the case exists, is not deleted and has this
 * contact address, email a one-time link (30 minutes). The answer and the
 * work are the same whether or not it does, so nothing leaks about either.
 */
export async function requestRecovery(db: DB, input: RecoveryRequestInput, source: string, now = Date.now()): Promise<RecoveryRequestResult> {
  const limit = await hitRateLimit(db, `recovery:source:${source}`, RECOVERY_LIMIT_PER_SOURCE, now)
  if (!limit.allowed) return { ok: false, reason: 'throttled', retryAfterMs: limit.retryAfterMs }
  const { caseNumber, email } = parseInput(RecoveryRequestSchema, input)
  const number = normaliseCaseNumber(caseNumber)
  const row = number
    ? await db
        .selectFrom('survivor_case')
        .select(['id', 'contact_ciphertext', 'language'])
        .where('case_number', '=', number)
        .where('state', '!=', 'deleted')
        .executeTakeFirst()
    : undefined
  // One decryption and one constant-time comparison either way.
  const stored = row?.contact_ciphertext ? decryptOrEmpty(row.contact_ciphertext) : decryptPersonal(encryptPersonal(''))
  const matches = constantTimeEqual(stored.trim().toLowerCase(), email) && stored !== '' && row !== undefined

  const token = randomToken()
  const message = caseRecoveryEmail({
    link: `${getEnv().PUBLIC_URL}/recover?token=${token}`,
    minutesValid: RECOVERY_LINK_MINUTES,
    language: row?.language === 'es' ? 'es' : 'en',
  })
  await db.transaction().execute(async (trx) => {
    if (matches && row) {
      await trx
        .insertInto('case_recovery')
        .values({ id: newId(), case_id: row.id, token_hash: tokenHash(token), expires_at: now + RECOVERY_LINK_MINUTES * 60 * 1000, used_at: null, created_at: now })
        .execute()
      await enqueueEmail(trx, { kind: 'case.recovery', to: stored, ...message }, now)
    }
    // Both ways commit one transaction; the audit entry names the case only when there is one to name.
    await appendAudit(
      trx,
      { actorType: 'survivor', actorId: null, action: 'case.recovery_requested', objectType: matches ? 'survivor_case' : null, objectId: matches && row ? row.id : null },
      now,
    )
  })
  return { ok: true }
}

async function findUsableRecovery(db: DB, token: string, now: number) {
  const parsed = RecoveryTokenSchema.safeParse(token)
  if (!parsed.success) throw new GoneError(RECOVERY_UNUSABLE)
  const row = await db
    .selectFrom('case_recovery')
    .innerJoin('survivor_case', 'survivor_case.id', 'case_recovery.case_id')
    .select(['case_recovery.id', 'case_recovery.case_id'])
    .where('case_recovery.token_hash', '=', tokenHash(parsed.data))
    .where('case_recovery.used_at', 'is', null)
    .where('case_recovery.expires_at', '>', now)
    .where('survivor_case.state', '!=', 'deleted')
    .executeTakeFirst()
  if (!row) throw new GoneError(RECOVERY_UNUSABLE)
  return row
}

/** Throws GoneError unless the recovery link can still be used; does not use it (for showing the page). */
export async function checkRecoveryToken(db: DB, token: string, now = Date.now()): Promise<void> {
  await findUsableRecovery(db, token, now)
}

/**
 * Use a recovery link: make a new secret (returned once, to show), end the
 * case's sessions and its other links. Call from a POST: mail scanners open
 * links with GET. Used, expired or unknown links throw GoneError.
 */
export async function redeemRecovery(db: DB, token: string, now = Date.now()): Promise<CreatedCase> {
  await findUsableRecovery(db, token, now)
  const secret = newCaseSecret()
  const secretHash = await hashPassword(secret)
  return db.transaction().execute(async (trx) => {
    // The conditional update is the real check: of two concurrent uses, one wins.
    const used = await trx
      .updateTable('case_recovery')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('case_id')
      .executeTakeFirst()
    if (!used) throw new GoneError(RECOVERY_UNUSABLE)
    const c = await trx
      .updateTable('survivor_case')
      .set({ secret_hash: secretHash, secret_updated_at: now, updated_at: now })
      .where('id', '=', used.case_id)
      .where('state', '!=', 'deleted')
      .returning(['id', 'case_number'])
      .executeTakeFirst()
    if (!c) throw new GoneError(RECOVERY_UNUSABLE)
    await trx.updateTable('case_recovery').set({ used_at: now }).where('case_id', '=', c.id).where('used_at', 'is', null).execute()
    await destroyCaseSessions(trx, c.id)
    await appendAudit(trx, survivorAudit(c.id, 'case.secret_reset'), now)
    return { caseId: c.id, caseNumber: formatCaseNumber(c.case_number), secret: formatCaseSecret(secret) }
  })
}
