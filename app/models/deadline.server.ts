/**
 * Deadlines of sent notices: a reminder to the provider when a notice's
 * reminder falls due, the notice marked overdue when its deadline passes
 * unanswered, the caseworker's list of overdue notices, and, for a TAKE IT
 * DOWN Act request the platform ignored, the facts for a complaint to the FTC.
 *
 * Several processes may run this at once (the app and `npm run worker`, or
 * several app instances). Each step on a notice is one transaction that
 * starts with a conditional UPDATE (`... where reminded_at is null`, `...
 * where overdue_at is null`), so whichever instance gets there first acts and
 * every other one changes nothing: one reminder, one overdue mark. The
 * reminder's emails are written in the same transaction (outbox), so a
 * notice is never marked reminded without them, nor reminded twice.
 *
 * Like notice.server.ts, events and audit entries hold ids, counts, states
 * and times only; logs hold notice ids and counts.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database, NoticeState, Regime } from '../../db/schema'
import { formatUtc } from '../../emails/notice'
import { noticeReminder } from '../../emails/notice-reminder'
import { decryptPersonal, DecryptionError } from '../lib/crypto.server'
import { NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { log } from '../lib/log.server'
import { issueNoticeLink } from '../lib/notice-link.server'
import type { Organisation } from '../lib/organisation.server'
import { enqueueEmail } from '../lib/outbox.server'
import { appendAudit } from './audit.server'
import { noticeMessageId, previewNotice, TAKE_IT_DOWN_HOURS } from './notice.server'

type DB = Kysely<Database>
type Trx = Transaction<Database>

const HOUR = 60 * 60 * 1000

/** Sent and not yet answered: the only states a reminder or an overdue mark applies to. */
const UNRESOLVED: NoticeState[] = ['sent', 'acknowledged']

/** Notices handled per step of one run; a full batch makes the worker go again at once. */
export const DEFAULT_DEADLINE_BATCH = 100

/** The same rule sendNotice applies: one plain address, nothing a mailer could read as a list or a header. */
const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\]+$/

export interface DeadlineOptions {
  /** Where the provider answers; a new signed link by default (as sendNotice). */
  responseUrl?: (noticeId: string) => string
  /** Notices per step of one run. */
  limit?: number
}

/**
 * The Message-ID of the reminder to a notice's `index`-th address: the
 * notice's own with `reminder-` in place of `notice-`. A receiver drops a
 * second message with the same Message-ID as a duplicate, so it cannot be the
 * notice's; the host part is the same.
 */
export function reminderMessageId(noticeId: string, index: number): string {
  return noticeMessageId(noticeId, index).replace(/^<notice-/, '<reminder-')
}

function systemEvent(trx: Trx, values: { noticeId: string; caseId: string; kind: string; detail: Record<string, unknown>; now: number }) {
  return trx
    .insertInto('notice_event')
    .values({
      id: newId(),
      notice_id: values.noticeId,
      case_id: values.caseId,
      kind: values.kind,
      actor_type: 'system',
      actor_id: null,
      detail: JSON.stringify(values.detail),
      created_at: values.now,
    })
    .execute()
}

function systemAudit(action: string, noticeId: string, detail: Record<string, unknown>) {
  return { actorType: 'system' as const, actorId: null, action, objectType: 'notice', objectId: noticeId, detail }
}

// ---------------------------------------------------------------------------
// One notice at a time

export interface ReminderResult {
  /**
   * `reminded`: emails queued. `not_sent`: claimed, but nothing could be sent
   * (no usable address, or every web address withdrawn), recorded on the
   * timeline. `skipped`: another instance got there first, the notice was
   * answered, or its case is no longer open; nothing changed.
   */
  outcome: 'reminded' | 'not_sent' | 'skipped'
  /** Reminder emails queued: one per notice address. */
  emails: number
}

const SKIPPED: ReminderResult = { outcome: 'skipped', emails: 0 }

/**
 * Remind the provider of notice `noticeId` if its reminder is due and has not
 * gone out: one email per notice address, `reminded_at` set, a
 * `reminder_sent` event and an audit entry, in one transaction.
 */
export async function remindNotice(db: DB, noticeId: string, org: Organisation, now = Date.now(), options: DeadlineOptions = {}): Promise<ReminderResult> {
  // Read outside the transaction, so that the transaction's first statement
  // is a write: on SQLite a transaction that reads first and writes later
  // fails at once (SQLITE_BUSY_SNAPSHOT) if another process wrote in between,
  // where a transaction that writes first waits its turn (busy_timeout).
  const target = await db.selectFrom('notice').select('case_id').where('id', '=', noticeId).executeTakeFirst()
  if (!target) throw new NotFoundError('This notice does not exist.')

  return db.transaction().execute(async (trx) => {
    // The case first, then the notice: the order deleteCase locks them in, so
    // a survivor deleting their case waits for this reminder (or this waits
    // for the deletion, and then finds the notice closed) instead of the two
    // deadlocking or a reminder going out for a deleted case. The update
    // changes nothing; it is there for its row lock.
    const c = await trx
      .updateTable('survivor_case')
      .set((eb) => ({ state: eb.ref('state') }))
      .where('id', '=', target.case_id)
      .returning(['state', 'requester'])
      .executeTakeFirst()
    if (!c || c.state !== 'open') return SKIPPED

    // The claim. Of two instances racing, the second reaches this line only
    // after the first has committed (it waited for the case's row lock on
    // PostgreSQL, for the write lock on SQLite), and this statement sees that
    // commit: reminded_at is set, so it updates nothing and sends nothing.
    const claimed = await trx
      .updateTable('notice')
      .set({ reminded_at: now, updated_at: now })
      .where('id', '=', noticeId)
      .where('reminded_at', 'is', null)
      .where('state', 'in', UNRESOLVED)
      .where('reminder_due_at', '<=', now)
      .returning(['regime', 'sent_at', 'deadline_at', 'message_id'])
      .executeTakeFirst()
    if (!claimed || claimed.sent_at === null || claimed.deadline_at === null) return SKIPPED

    // The notice as it went out (stored dates), for its subject and the provider's current addresses.
    const original = await previewNotice(trx, noticeId, org, now, { responseUrl: options.responseUrl })
    const thread = await noticeThread(trx, noticeId)
    // Sent again to another contact: the reminder follows it there. Otherwise the directory's addresses, as sendNotice.
    const addresses = (thread.lastResendTo ? [thread.lastResendTo] : original.to).filter((a) => SINGLE_ADDRESS.test(a))
    const urls = await noticeUrls(trx, noticeId)
    const reason = addresses.length === 0 ? 'no_usable_address' : urls.length === 0 ? 'all_locations_withdrawn' : null
    if (reason) {
      // Still claimed, so it is reported once, not on every poll; the caseworker sees it on the timeline.
      await systemEvent(trx, { noticeId, caseId: target.case_id, kind: 'reminder_not_sent', detail: { reason }, now })
      await appendAudit(trx, systemAudit('notice.reminder_not_sent', noticeId, { caseId: target.case_id, regime: claimed.regime, reason }), now)
      return { outcome: 'not_sent', emails: 0 }
    }

    const rendered = noticeReminder({
      reference: noticeId,
      regime: claimed.regime,
      providerName: await providerName(trx, noticeId),
      urls,
      organisation: org,
      childSexualAbuseMaterial: c.requester === 'self_minor',
      originalSubject: original.subject,
      // A link of its own, so a reminder still works when the notice's link has expired.
      responseUrl: options.responseUrl ? options.responseUrl(noticeId) : (await issueNoticeLink(trx, noticeId, now)).url,
      sentAt: claimed.sent_at,
      deadlineAt: claimed.deadline_at,
      remindedAt: now,
    })
    const anonymous = claimed.regime === 'dsa' && c.requester === 'self_minor'
    for (const [i, to] of addresses.entries()) {
      // The copy this address received, so its mail program shows the reminder in that thread.
      const inReplyTo = thread.copyTo.get(to.toLowerCase()) ?? claimed.message_id
      await enqueueEmail(
        trx,
        {
          kind: 'notice.reminder',
          to,
          ...rendered,
          noticeId,
          // Numbered on from earlier reminders: a notice sent again is reminded again, and a Message-ID names one message.
          messageId: reminderMessageId(noticeId, thread.reminders + i),
          // A DSA notice about a child names no notifier (Article 16(2)(c)); neither do its headers.
          replyTo: anonymous ? undefined : org.email,
          inReplyTo: inReplyTo ?? undefined,
          references: threadReferences(claimed.message_id, inReplyTo),
        },
        now,
      )
    }
    await systemEvent(trx, { noticeId, caseId: target.case_id, kind: 'reminder_sent', detail: { recipients: addresses.length }, now })
    await appendAudit(
      trx,
      systemAudit('notice.reminder_sent', noticeId, { caseId: target.case_id, regime: claimed.regime, recipients: addresses.length, deadlineAt: claimed.deadline_at }),
      now,
    )
    return { outcome: 'reminded', emails: addresses.length }
  })
}

/**
 * Mark notice `noticeId` overdue if its deadline has passed and it is still
 * unanswered: state `overdue`, `overdue_at`, an `overdue` event and an audit
 * entry, once. True when this call made the change.
 */
export async function markOverdue(db: DB, noticeId: string, now = Date.now()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // The conditional update is the claim (and the transaction's first statement, see remindNotice).
    const marked = await trx
      .updateTable('notice')
      .set({ state: 'overdue', overdue_at: now, updated_at: now })
      .where('id', '=', noticeId)
      .where('state', 'in', UNRESOLVED)
      .where('overdue_at', 'is', null)
      .where('deadline_at', '<=', now)
      .returning(['case_id', 'regime', 'deadline_at'])
      .executeTakeFirst()
    if (!marked) return false
    await systemEvent(trx, { noticeId, caseId: marked.case_id, kind: 'overdue', detail: { deadlineAt: marked.deadline_at }, now })
    await appendAudit(trx, systemAudit('notice.overdue', noticeId, { caseId: marked.case_id, regime: marked.regime, deadlineAt: marked.deadline_at }), now)
    return true
  })
}

/** The References of a follow-up: the notice's first Message-ID, then the copy it answers when that is another. */
export function threadReferences(first: string | null, copy: string | null): string[] {
  return [first, copy].filter((id, i, all): id is string => id !== null && all.indexOf(id) === i)
}

/** Kinds of outbox row that carry the notice itself: the first sending and each "send again". */
export const NOTICE_COPY_KINDS = ['notice', 'notice.resend'] as const

export interface NoticeThread {
  /** Each address that received a copy of the notice (lower case), with that copy's Message-ID. */
  copyTo: Map<string, string>
  /** The address the notice was last sent again to, if it was. */
  lastResendTo: string | null
  /** Reminders queued for it so far. */
  reminders: number
}

/** The notice's emails so far, from the outbox: who got which copy, and how many reminders went out. */
export async function noticeThread(db: DB, noticeId: string): Promise<NoticeThread> {
  const rows = await db
    .selectFrom('outbox')
    .select(['kind', 'recipient', 'message_id'])
    .where('notice_id', '=', noticeId)
    .where('kind', 'in', [...NOTICE_COPY_KINDS, 'notice.reminder'])
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const copyTo = new Map<string, string>()
  let lastResendTo: string | null = null
  let reminders = 0
  for (const r of rows) {
    if (r.kind === 'notice.reminder') {
      reminders++
      continue
    }
    let to: string
    try {
      to = decryptPersonal(r.recipient)
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error
      // An address under a key no longer configured: its copy cannot be matched, the rest still can.
      continue
    }
    copyTo.set(to.toLowerCase(), r.message_id)
    if (r.kind === 'notice.resend') lastResendTo = to
  }
  return { copyTo, lastResendTo, reminders }
}

async function noticeUrls(db: DB, noticeId: string): Promise<string[]> {
  // Addresses the survivor withdrew since sending are not repeated.
  const rows = await db
    .selectFrom('notice_location')
    .innerJoin('case_location', 'case_location.id', 'notice_location.location_id')
    .select('case_location.url')
    .where('notice_location.notice_id', '=', noticeId)
    .where('case_location.state', '!=', 'withdrawn')
    .orderBy('case_location.created_at')
    .orderBy('case_location.id')
    .execute()
  return rows.map((r) => r.url)
}

async function providerName(db: DB, noticeId: string): Promise<string> {
  const row = await db
    .selectFrom('notice')
    .innerJoin('provider', 'provider.id', 'notice.provider_id')
    .select('provider.name')
    .where('notice.id', '=', noticeId)
    .executeTakeFirstOrThrow()
  return row.name
}

// ---------------------------------------------------------------------------
// A run over every notice

export interface DeadlineCounts {
  /** Notices whose reminder was queued. */
  reminded: number
  /** Reminder emails queued (one per notice address). */
  emails: number
  /** Notices whose reminder could not be sent (recorded on their timeline). */
  notSent: number
  /** Notices marked overdue. */
  overdue: number
  /** Notices another instance handled first, or that changed under us. */
  skipped: number
  /** Notices whose step failed with an error (logged); tried again on the next run. */
  failed: number
  /** A step found a full batch: more may be due at once. */
  full: boolean
}

/**
 * One pass: remind every notice whose reminder is due, then mark overdue
 * every unanswered notice whose deadline has passed. Safe to run from several
 * processes at once. An error on one notice is logged and counted, and the
 * run goes on with the next.
 */
export async function runDeadlines(db: DB, org: Organisation, now = Date.now(), options: DeadlineOptions = {}): Promise<DeadlineCounts> {
  const limit = options.limit ?? DEFAULT_DEADLINE_BATCH
  const counts: DeadlineCounts = { reminded: 0, emails: 0, notSent: 0, overdue: 0, skipped: 0, failed: 0, full: false }

  const due = await db
    .selectFrom('notice')
    .innerJoin('survivor_case', 'survivor_case.id', 'notice.case_id')
    .select('notice.id')
    .where('notice.state', 'in', UNRESOLVED)
    .where('notice.reminded_at', 'is', null)
    .where('notice.reminder_due_at', '<=', now)
    // Nothing is sent for a case the survivor withdrew or deleted, or that a caseworker closed.
    .where('survivor_case.state', '=', 'open')
    .orderBy('notice.reminder_due_at')
    .orderBy('notice.id')
    .limit(limit)
    .execute()
  for (const n of due) {
    try {
      const { outcome, emails } = await remindNotice(db, n.id, org, now, options)
      counts.emails += emails
      if (outcome === 'reminded') counts.reminded++
      else if (outcome === 'not_sent') counts.notSent++
      else counts.skipped++
    } catch (error) {
      counts.failed++
      // The message of a database error names tables and constraints, not the values in them; log.server scrubs anything that looks personal.
      log.warn({ noticeId: n.id, error: error instanceof Error ? error.message : String(error) }, 'deadlines: reminder failed; will retry')
    }
  }

  const late = await db
    .selectFrom('notice')
    .select('id')
    .where('state', 'in', UNRESOLVED)
    .where('overdue_at', 'is', null)
    .where('deadline_at', '<=', now)
    .orderBy('deadline_at')
    .orderBy('id')
    .limit(limit)
    .execute()
  for (const n of late) {
    try {
      if (await markOverdue(db, n.id, now)) counts.overdue++
      else counts.skipped++
    } catch (error) {
      counts.failed++
      log.warn({ noticeId: n.id, error: error instanceof Error ? error.message : String(error) }, 'deadlines: overdue mark failed; will retry')
    }
  }

  counts.full = due.length >= limit || late.length >= limit
  return counts
}

// ---------------------------------------------------------------------------
// The worker

export interface DeadlineWorkerOptions extends DeadlineOptions {
  db: DB
  org: Organisation
  /** Pause between runs. */
  intervalMs: number
  /** The time each run uses; Date.now by default (tests pass a fixed clock). */
  clock?: () => number
}

export interface DeadlineWorker {
  /** Stop polling; resolves once the run in progress, if any, has finished. */
  stop(): Promise<void>
}

/** Run runDeadlines until stopped. Runs never overlap: the next is scheduled when one ends. */
export function startDeadlineWorker(options: DeadlineWorkerOptions): DeadlineWorker {
  const { db, org, intervalMs, clock = Date.now, ...run } = options
  let stopping = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const schedule = (ms: number) => {
    if (stopping) return
    clearTimeout(timer)
    timer = setTimeout(tick, ms)
  }

  async function once(): Promise<boolean> {
    try {
      const counts = await runDeadlines(db, org, clock(), run)
      if (counts.reminded + counts.notSent + counts.overdue + counts.failed > 0) log.info({ ...counts }, 'deadlines: run')
      // Go again at once only when a full batch made progress: a batch that only failed would spin.
      return counts.full && counts.reminded + counts.notSent + counts.overdue > 0
    } catch (error) {
      // The database may be back by the next run; keep polling.
      log.error({ error: error instanceof Error ? error.message : String(error) }, 'deadlines: run failed')
      return false
    }
  }

  function tick() {
    timer = undefined
    if (stopping || running) return
    running = once().then((more) => {
      running = undefined
      schedule(more ? 0 : intervalMs)
    })
  }

  schedule(0)
  return {
    async stop() {
      stopping = true
      clearTimeout(timer)
      timer = undefined
      await running
    },
  }
}

// ---------------------------------------------------------------------------
// The caseworker's overdue list

export type OverdueNextStep = 'send_again_to_another_contact' | 'escalate' | 'ftc_complaint'

export interface OverdueNotice {
  noticeId: string
  /** The case's internal id, for the caseworker's link; never its public case number. */
  caseId: string
  providerId: string
  providerName: string
  regime: Regime
  sentAt: number
  deadlineAt: number
  remindedAt: number | null
  /** Null while the deadline has passed but no run has marked it yet. */
  overdueAt: number | null
  /** Milliseconds past the deadline at `now`. */
  lateMs: number
  nextSteps: OverdueNextStep[]
}

/** What a caseworker can do about an overdue notice; the FTC takes complaints under the TAKE IT DOWN Act only. */
export function overdueNextSteps(regime: Regime): OverdueNextStep[] {
  const steps: OverdueNextStep[] = ['send_again_to_another_contact', 'escalate']
  if (regime === 'takeitdown') steps.push('ftc_complaint')
  return steps
}

/**
 * Every unanswered notice past its deadline at `now`, latest deadline last:
 * those marked overdue, and those whose deadline passed since the last run,
 * so the list does not wait for the worker. Only cases still open: nothing is
 * pursued for a case the survivor withdrew or deleted.
 */
export async function overdueNotices(db: DB, now = Date.now()): Promise<OverdueNotice[]> {
  const rows = await db
    .selectFrom('notice')
    .innerJoin('provider', 'provider.id', 'notice.provider_id')
    .innerJoin('survivor_case', 'survivor_case.id', 'notice.case_id')
    .select([
      'notice.id',
      'notice.case_id',
      'notice.provider_id',
      'provider.name as provider_name',
      'notice.regime',
      'notice.sent_at',
      'notice.deadline_at',
      'notice.reminded_at',
      'notice.overdue_at',
    ])
    .where((eb) => eb.or([eb('notice.state', '=', 'overdue'), eb.and([eb('notice.state', 'in', UNRESOLVED), eb('notice.deadline_at', '<=', now)])]))
    .where('survivor_case.state', '=', 'open')
    .orderBy('notice.deadline_at')
    .orderBy('notice.id')
    .execute()
  const out: OverdueNotice[] = []
  for (const r of rows) {
    // Every sent notice has both; a row without them was never sent and has no deadline to miss.
    if (r.sent_at === null || r.deadline_at === null) continue
    out.push({
      noticeId: r.id,
      caseId: r.case_id,
      providerId: r.provider_id,
      providerName: r.provider_name,
      regime: r.regime,
      sentAt: r.sent_at,
      deadlineAt: r.deadline_at,
      remindedAt: r.reminded_at,
      overdueAt: r.overdue_at,
      lateMs: Math.max(0, now - r.deadline_at),
      nextSteps: overdueNextSteps(r.regime),
    })
  }
  return out
}

// ---------------------------------------------------------------------------
// The facts for an FTC complaint

const ACTOR: Record<string, string> = {
  staff: 'caseworker',
  provider: 'the platform',
  survivor: 'the person depicted',
  system: 'Takeback, automatically',
}

/** Event details that could identify the survivor or their case are left out of anything leaving the organisation. */
const PRIVATE_DETAIL = /case|contact|email|signature|secret/i

function detailText(json: string | null): string {
  if (!json) return ''
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return ''
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ''
  const parts: string[] = []
  for (const [key, v] of Object.entries(value)) {
    if (PRIVATE_DETAIL.test(key)) continue
    if (typeof v === 'number' && /At$/.test(key)) parts.push(`${key}: ${formatUtc(v)}`)
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') parts.push(`${key}: ${String(v).replace(/\s+/g, ' ')}`)
  }
  return parts.length > 0 ? ` (${parts.join('; ')})` : ''
}

const utcOr = (ms: number | null, none: string) => (ms === null ? none : formatUtc(ms))

function heading(text: string): string {
  return `${text}\n${'-'.repeat(text.length)}`
}

export interface PacketSection {
  title: string
  /** Lines of plain text; an empty string is a paragraph break. */
  lines: string[]
}

export interface ComplaintPacket {
  /** A name for the download: the notice's id, never a case number. */
  filename: string
  /** Plain text, UTF-8: the sections, the first as the title. */
  text: string
  /** The same content, for the printable page. */
  sections: PacketSection[]
}

/**
 * For a TAKE IT DOWN Act request the platform let go overdue: the facts a
 * complaint to the FTC needs, as one plain-text file. The request as sent
 * (re-rendered from the stored dates), its timestamps in UTC, how each email
 * was delivered, and every event on its timeline, provider replies first.
 * Never the survivor's case number or contact details (the request names the
 * organisation as contact; a survivor who signed it appears by the name they
 * signed with, as in the request itself).
 */
export async function ftcComplaintPacket(db: DB, noticeId: string, org: Organisation, now = Date.now(), options: DeadlineOptions = {}): Promise<ComplaintPacket> {
  const notice = await db
    .selectFrom('notice')
    .innerJoin('provider', 'provider.id', 'notice.provider_id')
    .select([
      'notice.id',
      'notice.case_id',
      'notice.regime',
      'notice.state',
      'notice.sent_at',
      'notice.deadline_at',
      'notice.reminded_at',
      'notice.overdue_at',
      'notice.acknowledged_at',
      'provider.name as provider_name',
    ])
    .where('notice.id', '=', noticeId)
    .executeTakeFirst()
  if (!notice) throw new NotFoundError('This notice does not exist.')
  if (notice.regime !== 'takeitdown') {
    throw new ValidationError('noticeId', 'An FTC complaint is only for requests under the TAKE IT DOWN Act; this notice was sent under another law.')
  }
  // Overdue, or escalated after being overdue: a notice answered, closed or still within its 48 hours has no complaint to make.
  if (notice.overdue_at === null || notice.sent_at === null || notice.deadline_at === null || (notice.state !== 'overdue' && notice.state !== 'escalated')) {
    throw new ValidationError('noticeId', 'This request is not overdue, so there is no complaint to prepare for it.')
  }

  const asSent = await previewNotice(db, noticeId, org, now, { responseUrl: options.responseUrl })
  const events = await db
    .selectFrom('notice_event')
    .select(['kind', 'actor_type', 'detail', 'created_at'])
    // case_id first: it is what notice_event is indexed on.
    .where('case_id', '=', notice.case_id)
    .where('notice_id', '=', noticeId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  const deliveries = await db
    .selectFrom('outbox')
    .select(['kind', 'recipient', 'message_id', 'sent_at', 'dead_at', 'created_at'])
    .where('notice_id', '=', noticeId)
    .where('kind', 'in', [...NOTICE_COPY_KINDS, 'notice.reminder'])
    .orderBy('created_at')
    .orderBy('message_id')
    .execute()

  const hoursLate = Math.floor(Math.max(0, now - notice.deadline_at) / HOUR)
  const replies = events.filter((e) => e.actor_type === 'provider')
  const line = (e: (typeof events)[number]) => `- ${formatUtc(e.created_at)}: ${e.kind} (${ACTOR[e.actor_type] ?? e.actor_type})${detailText(e.detail)}`

  const contact = [`Organisation: ${org.name}`, `Email: ${org.email}`, `Postal address: ${org.postalAddress.replace(/\r?\n/g, ', ')}`]
  if (org.phone) contact.push(`Telephone: ${org.phone}`)
  contact.push(`Website: ${org.website}`)

  // Sent again to another contact: sent_at and the deadline are the last sending's; the first is on the timeline.
  const firstSent = events.find((e) => e.kind === 'sent')?.created_at ?? notice.sent_at
  const resends = events.filter((e) => e.kind === 'sent_again').map((e) => e.created_at)
  const sendings =
    resends.length === 0
      ? [`Request sent: ${formatUtc(notice.sent_at)}`, `Deadline (${TAKE_IT_DOWN_HOURS} hours after sending): ${formatUtc(notice.deadline_at)}`]
      : [
          `Request first sent: ${formatUtc(firstSent)}`,
          ...resends.map((at) => `Sent again to another contact: ${formatUtc(at)}`),
          `Deadline (${TAKE_IT_DOWN_HOURS} hours after it was last sent): ${formatUtc(notice.deadline_at)}`,
        ]
  const what: Record<string, string> = { notice: 'The request', 'notice.resend': 'The request, sent again,', 'notice.reminder': 'The reminder' }

  const sections: PacketSection[] = [
    {
      title: 'Facts for a complaint to the Federal Trade Commission',
      lines: [
        'TAKE IT DOWN Act (Public Law 119-12, 47 U.S.C. 223a): a removal request not honoured within 48 hours',
        '',
        `Prepared on ${formatUtc(now)} by ${org.name}, which sent the request as the representative of the person depicted.`,
        'Complaints under the Act go to the FTC through TakeItDown.ftc.gov.',
      ],
    },
    { title: 'The platform and the request', lines: [`Platform: ${notice.provider_name}`, `Reference of the request: ${notice.id}`, `Subject: ${asSent.subject}`] },
    {
      title: 'Timeline (all times UTC)',
      lines: [
        ...sendings,
        `Reminder sent: ${utcOr(notice.reminded_at, 'no reminder was sent')}`,
        `Recorded as overdue: ${formatUtc(notice.overdue_at)}`,
        `Acknowledged by the platform: ${utcOr(notice.acknowledged_at, 'never')}`,
        `Hours past the deadline when this file was prepared: ${hoursLate}`,
      ],
    },
    {
      title: 'Delivery of our emails',
      lines: [
        ...deliveries.map((d) => {
          const outcome =
            d.sent_at !== null
              ? `accepted by the receiving mail server on ${formatUtc(d.sent_at)}`
              : d.dead_at !== null
                ? `could not be delivered (given up on ${formatUtc(d.dead_at)})`
                : 'not yet delivered'
          return `- ${what[d.kind] ?? d.kind} to ${recipientOf(d.recipient)}, Message-ID ${d.message_id}: ${outcome}`
        }),
        ...(deliveries.length === 0 ? ['No delivery records remain.'] : []),
      ],
    },
    { title: 'Replies from the platform', lines: replies.length > 0 ? replies.map(line) : [`None on record as of ${formatUtc(now)}.`] },
    { title: "Everything on the request's timeline", lines: events.map(line) },
    { title: 'Who to contact about this complaint', lines: contact },
    // Its recipients are under "Delivery of our emails": the directory's addresses may have changed since.
    { title: 'The request as sent', lines: [`Subject: ${asSent.subject}`, '', ...asSent.text.trimEnd().split(/\r?\n/)] },
  ]
  const text = sections.map((section, i) => [i === 0 ? section.title : heading(section.title), ...section.lines].join('\n')).join('\n\n') + '\n'
  return { filename: `ftc-complaint-${notice.id}.txt`, text, sections }
}

/** A provider's notice address from its outbox row; never a survivor's (these rows only ever go to providers). */
function recipientOf(ciphertext: string): string {
  try {
    return decryptPersonal(ciphertext)
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error
    return 'an address that can no longer be read (is an old CONTACT_KEY missing?)'
  }
}
