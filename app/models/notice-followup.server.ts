/**
 * What a caseworker does about a notice the provider let go past its
 * deadline: send it again to another contact, escalate it (with a note of
 * what was done), or, under the TAKE IT DOWN Act, open the facts for a
 * complaint to the FTC.
 *
 * Each step is one transaction that locks the case and then the notice (the
 * order deleteCase and sendNotice take them in), changes the notice with a
 * conditional UPDATE, writes a timeline event and an audit entry, and queues
 * any email (outbox), so the step and its email commit together or not at all.
 *
 * Audit entries hold ids, counts, states and lengths, never an address or
 * the note's text. A typed address may be someone's own mailbox: it is stored
 * only encrypted, in the outbox row that carries the email.
 */
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { Database, NoticeState, Regime } from '../../db/schema'
import { NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { issueNoticeLink } from '../lib/notice-link.server'
import type { Organisation } from '../lib/organisation.server'
import { enqueueEmail } from '../lib/outbox.server'
import { appendAudit } from './audit.server'
import { requireNoticeOfCase } from './case-queue.server'
import { ftcComplaintPacket, noticeThread, threadReferences, type ComplaintPacket } from './deadline.server'
import { noticeDeadlines, noticeMessageId, previewNotice, type NoticeTiming, type StaffActor } from './notice.server'

type DB = Kysely<Database>
type Trx = Transaction<Database>

export const MAX_ESCALATION_NOTE = 2000
const MAX_ADDRESS = 254

/** Sent and unanswered: late once their deadline has passed, marked or not. */
const UNRESOLVED: NoticeState[] = ['sent', 'acknowledged']
/** Marked late, or already escalated (a caseworker may escalate again, or send to one more contact). */
const LATE: NoticeState[] = ['overdue', 'escalated']

const NOT_LATE = 'This notice is not past its deadline, so there is nothing to follow up yet.'

/** True when the caseworker's next steps apply: the deadline passed unanswered, or the notice is already escalated. */
export function isFollowUpDue(n: { state: NoticeState; deadline_at: number | null }, now: number): boolean {
  return LATE.includes(n.state) || (UNRESOLVED.includes(n.state) && n.deadline_at !== null && n.deadline_at <= now)
}

/** True when ftcComplaintPacket will produce a packet: a TAKE IT DOWN request recorded as overdue. */
export function ftcPacketAvailable(n: { regime: Regime; state: NoticeState; overdue_at: number | null }): boolean {
  return n.regime === 'takeitdown' && n.overdue_at !== null && LATE.includes(n.state)
}

// eslint-disable-next-line no-control-regex
const LINE_BREAK_OR_CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/
/** One plain address, as sendNotice requires of the directory's. */
const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\]+$/

export const ContactSchema = z
  .string({ error: "Choose one of the provider's addresses, or type another." })
  .trim()
  .min(1, "Choose one of the provider's addresses, or type another.")
  .max(MAX_ADDRESS, 'An email address is at most 254 characters.')
  .refine((s) => !LINE_BREAK_OR_CONTROL.test(s), 'Enter one email address, on one line.')
  .refine((s) => SINGLE_ADDRESS.test(s) && z.email().safeParse(s).success, 'Enter an email address like name@example.org.')

export const EscalationNoteSchema = z
  .string({ error: 'Write what you did to escalate, for example "reported to the hosting provider".' })
  .trim()
  .min(1, 'Write what you did to escalate, for example "reported to the hosting provider".')
  .max(MAX_ESCALATION_NOTE, `The note can be at most ${MAX_ESCALATION_NOTE.toLocaleString('en')} characters.`)
  // Line breaks are fine in a note; other control characters are not.
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'The note contains characters that cannot be stored; retype it.')

function firstIssue(error: z.ZodError, fallback: string): string {
  return error.issues[0]?.message ?? fallback
}

function staffEvent(trx: Trx, values: { noticeId: string; caseId: string; kind: string; actor: StaffActor; detail: Record<string, unknown>; now: number }) {
  return trx
    .insertInto('notice_event')
    .values({
      id: newId(),
      notice_id: values.noticeId,
      case_id: values.caseId,
      kind: values.kind,
      actor_type: 'staff',
      actor_id: values.actor.staffId,
      detail: JSON.stringify(values.detail),
      created_at: values.now,
    })
    .execute()
}

function staffAudit(actor: StaffActor, action: string, noticeId: string, detail: Record<string, unknown>) {
  return { actorType: 'staff' as const, actorId: actor.staffId, action, objectType: 'notice', objectId: noticeId, detail }
}

/**
 * Lock the notice's case (a no-op update, for its row lock) and refuse one the
 * survivor withdrew or deleted, or a caseworker closed: nothing more is
 * pursued for it.
 */
async function lockOpenCase(trx: Trx, caseId: string, field: string) {
  const c = await trx
    .updateTable('survivor_case')
    .set((eb) => ({ state: eb.ref('state') }))
    .where('id', '=', caseId)
    .returning(['state', 'requester'])
    .executeTakeFirst()
  if (!c || c.state === 'deleted') throw new NotFoundError('This case no longer exists.')
  if (c.state === 'withdrawn') throw new ValidationError(field, 'The survivor withdrew this case, so its notices are no longer pursued.')
  if (c.state !== 'open') throw new ValidationError(field, 'This case is closed, so its notices are no longer pursued.')
  return c
}

async function caseOf(db: DB, noticeId: string): Promise<string> {
  // Read before the transaction, so that its first statement is a write (see remindNotice).
  const row = await db.selectFrom('notice').select('case_id').where('id', '=', noticeId).executeTakeFirst()
  if (!row) throw new NotFoundError('This notice does not exist.')
  return row.case_id
}

/** The position of `messageId` among the notice's copies (0 for the first), or -1 for another Message-ID. */
function copyIndex(noticeId: string, messageId: string): number {
  const m = /^<notice-([0-9a-f-]{36})(?:\.(\d+))?@[^\s<>@]+>$/i.exec(messageId)
  if (!m || m[1]!.toLowerCase() !== noticeId.toLowerCase()) return -1
  return m[2] ? Number(m[2]) - 1 : 0
}

// ---------------------------------------------------------------------------
// Send again to another contact

export interface SentAgain {
  noticeId: string
  messageId: string
  sentAt: number
  deadlineAt: number
  reminderDueAt: number
}

export interface SendAgainOptions {
  timing?: Partial<NoticeTiming>
  /** Where the provider answers; a new signed link by default (as sendNotice). */
  responseUrl?: (noticeId: string) => string
}

/**
 * Send notice `noticeId` again, to `to`: one of the provider's notice
 * addresses or one the caseworker typed, but not one that already received
 * it. The same notice (same regime, same web addresses) goes out now, with a
 * new Message-ID of the notice's (the next index) that names the first one
 * in In-Reply-To and References, and the notice gets a new deadline and
 * reminder per its regime, counted from now. Only a notice past its deadline
 * (or escalated) can be sent again.
 */
export async function sendNoticeAgain(
  db: DB,
  noticeId: string,
  to: string,
  actor: StaffActor,
  org: Organisation,
  now = Date.now(),
  options: SendAgainOptions = {},
): Promise<SentAgain> {
  const parsed = ContactSchema.safeParse(to)
  if (!parsed.success) throw new ValidationError('to', firstIssue(parsed.error, 'Enter an email address like name@example.org.'))
  const address = parsed.data
  const caseId = await caseOf(db, noticeId)

  return db.transaction().execute(async (trx) => {
    const c = await lockOpenCase(trx, caseId, 'noticeId')
    const before = await trx
      .selectFrom('notice')
      .select(['regime', 'state', 'deadline_at', 'sent_at', 'acknowledged_at', 'message_id'])
      .where('id', '=', noticeId)
      .executeTakeFirstOrThrow()
    if (before.sent_at === null || before.message_id === null || !isFollowUpDue(before, now)) throw new ValidationError('noticeId', NOT_LATE)

    const thread = await noticeThread(trx, noticeId)
    if ((await locationCount(trx, noticeId)) === 0) {
      throw new ValidationError('noticeId', 'Every web address in this notice has been withdrawn, so there is nothing to send.')
    }
    if (thread.copyTo.has(address.toLowerCase())) {
      throw new ValidationError('to', 'This notice already went to that address. Choose another contact.')
    }
    // Every index already used, from the outbox and from the timeline (outbox rows may be cleaned up one day).
    const events = await trx
      .selectFrom('notice_event')
      .select(['kind', 'detail'])
      .where('case_id', '=', caseId)
      .where('notice_id', '=', noticeId)
      .where('kind', 'in', ['sent', 'sent_again'])
      .execute()
    let last = copyIndex(noticeId, before.message_id)
    for (const id of thread.copyTo.values()) last = Math.max(last, copyIndex(noticeId, id))
    for (const e of events) {
      const detail = e.detail ? (JSON.parse(e.detail) as { recipients?: unknown; index?: unknown }) : {}
      if (e.kind === 'sent' && typeof detail.recipients === 'number') last = Math.max(last, detail.recipients - 1)
      if (e.kind === 'sent_again' && typeof detail.index === 'number') last = Math.max(last, detail.index)
    }
    const index = last + 1
    const messageId = noticeMessageId(noticeId, index)

    const { deadlineAt, reminderDueAt } = noticeDeadlines(before.regime, now, options.timing)
    // The claim: conditional on still being late, so of two caseworkers pressing at once one sends.
    const claimed = await trx
      .updateTable('notice')
      .set({
        state: before.acknowledged_at === null ? 'sent' : 'acknowledged',
        // The last sending: the notice's text and its new deadline count from it. The first stays on the timeline.
        sent_at: now,
        deadline_at: deadlineAt,
        reminder_due_at: reminderDueAt,
        reminded_at: null,
        overdue_at: null,
        updated_at: now,
      })
      .where('id', '=', noticeId)
      .where('state', '=', before.state)
      .where((eb) => eb.or([eb('state', 'in', LATE), eb.and([eb('state', 'in', UNRESOLVED), eb('deadline_at', '<=', now)])]))
      .executeTakeFirst()
    if (claimed.numUpdatedRows === 0n) throw new ValidationError('noticeId', NOT_LATE)

    const responseUrl = options.responseUrl ? options.responseUrl(noticeId) : (await issueNoticeLink(trx, noticeId, now)).url
    // Rendered after the update: the stored dates are now this sending's.
    const rendered = await previewNotice(trx, noticeId, org, now, { responseUrl: () => responseUrl, timing: options.timing })
    const anonymous = before.regime === 'dsa' && c.requester === 'self_minor'
    await enqueueEmail(
      trx,
      {
        kind: 'notice.resend',
        to: address,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        noticeId,
        messageId,
        replyTo: anonymous ? undefined : org.email,
        inReplyTo: before.message_id,
        references: threadReferences(before.message_id, null),
      },
      now,
    )
    const fromDirectory = rendered.to.some((a) => a.toLowerCase() === address.toLowerCase())
    await staffEvent(trx, { noticeId, caseId, kind: 'sent_again', actor, detail: { recipients: 1, index, deadlineAt }, now })
    await appendAudit(trx, staffAudit(actor, 'notice.sent_again', noticeId, { caseId, regime: before.regime, index, fromDirectory, deadlineAt }), now)
    return { noticeId, messageId, sentAt: now, deadlineAt, reminderDueAt }
  })
}

async function locationCount(db: DB, noticeId: string): Promise<number> {
  const row = await db
    .selectFrom('notice_location')
    .innerJoin('case_location', 'case_location.id', 'notice_location.location_id')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('notice_location.notice_id', '=', noticeId)
    .where('case_location.state', '!=', 'withdrawn')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

// ---------------------------------------------------------------------------
// Escalate

/**
 * Mark a late notice `escalated`, with the caseworker's note of what was done
 * (e.g. "reported to the hosting provider"), shown on the case's timeline. An
 * escalated notice can be escalated again with a further note.
 */
export async function escalateNotice(db: DB, noticeId: string, note: string, actor: StaffActor, now = Date.now()): Promise<{ noticeId: string }> {
  const parsed = EscalationNoteSchema.safeParse(note)
  if (!parsed.success) throw new ValidationError('note', firstIssue(parsed.error, 'Write what you did to escalate.'))
  const caseId = await caseOf(db, noticeId)

  return db.transaction().execute(async (trx) => {
    await lockOpenCase(trx, caseId, 'noticeId')
    const marked = await trx
      .updateTable('notice')
      .set({ state: 'escalated', updated_at: now })
      .where('id', '=', noticeId)
      .where((eb) => eb.or([eb('state', 'in', LATE), eb.and([eb('state', 'in', UNRESOLVED), eb('deadline_at', '<=', now)])]))
      .returning(['regime'])
      .executeTakeFirst()
    if (!marked) throw new ValidationError('noticeId', NOT_LATE)
    // The note is for the caseworkers' timeline; the audit keeps its length only, as for case notes.
    await staffEvent(trx, { noticeId, caseId, kind: 'escalated', actor, detail: { note: parsed.data }, now })
    await appendAudit(trx, staffAudit(actor, 'notice.escalated', noticeId, { caseId, regime: marked.regime, length: parsed.data.length }), now)
    return { noticeId }
  })
}

// ---------------------------------------------------------------------------
// The FTC complaint packet

export type PacketFormat = 'page' | 'text'

/**
 * The FTC complaint packet of notice `noticeId` (see ftcComplaintPacket), for
 * a caseworker. It holds personal data (the name the survivor signed with),
 * so each opening is audited and appears on the timeline.
 */
export async function openFtcPacket(
  db: DB,
  noticeId: string,
  actor: StaffActor,
  org: Organisation,
  format: PacketFormat,
  now = Date.now(),
): Promise<ComplaintPacket & { caseId: string }> {
  // Refuses an unknown notice (404), another regime or a notice not overdue (400), before anything is recorded.
  const packet = await ftcComplaintPacket(db, noticeId, org, now)
  const caseId = await caseOf(db, noticeId)
  await db.transaction().execute(async (trx) => {
    await staffEvent(trx, { noticeId, caseId, kind: 'ftc_packet_opened', actor, detail: { format }, now })
    await appendAudit(trx, staffAudit(actor, 'notice.ftc_packet_opened', noticeId, { caseId, format }), now)
  })
  return { ...packet, caseId }
}

// ---------------------------------------------------------------------------
// For the case page

export interface FollowUpView {
  noticeId: string
  /** The provider's notice addresses that have not had this notice yet. */
  otherAddresses: string[]
  ftcPacket: boolean
}

/** The next steps open for each late notice of case `caseId`, keyed by notice id. */
export async function caseFollowUps(db: DB, caseId: string, org: Organisation, now = Date.now()): Promise<Record<string, FollowUpView>> {
  const notices = await db
    .selectFrom('notice')
    .select(['id', 'regime', 'state', 'deadline_at', 'overdue_at'])
    .where('case_id', '=', caseId)
    .where('state', 'in', [...LATE, ...UNRESOLVED])
    .execute()
  const out: Record<string, FollowUpView> = {}
  for (const n of notices) {
    if (!isFollowUpDue(n, now)) continue
    const [thread, preview] = await Promise.all([noticeThread(db, n.id), previewNotice(db, n.id, org, now)])
    out[n.id] = {
      noticeId: n.id,
      otherAddresses: preview.to.filter((a) => !thread.copyTo.has(a.toLowerCase()) && SINGLE_ADDRESS.test(a)),
      ftcPacket: ftcPacketAvailable(n),
    }
  }
  return out
}

const FollowUpFormSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('send-again'),
    noticeId: z.string().min(1).max(64),
    // A choice from the directory, or a typed address; the typed one wins.
    to: z.string().max(1000).optional(),
    otherTo: z.string().max(1000).optional(),
  }),
  z.object({ intent: z.literal('escalate'), noticeId: z.string().min(1).max(64), note: z.string().max(100_000).optional() }),
])

export const FOLLOW_UP_INTENTS = ['send-again', 'escalate'] as const

export interface FollowUpDone {
  done: 'sent_again' | 'escalated'
  noticeId: string
}

/**
 * The case page's follow-up forms: parse, check the notice is the case's,
 * and send again or escalate. Throws ValidationError (with the field) or
 * NotFoundError for the page to show.
 */
export async function followUpFromForm(
  db: DB,
  caseId: string,
  form: FormData,
  actor: StaffActor,
  org: Organisation,
  now = Date.now(),
  options: SendAgainOptions = {},
): Promise<FollowUpDone> {
  const parsed = FollowUpFormSchema.safeParse(Object.fromEntries(form))
  if (!parsed.success) throw new ValidationError('form', 'That did not work. Reload the page and try again.')
  const input = parsed.data
  await requireNoticeOfCase(db, caseId, input.noticeId)
  if (input.intent === 'escalate') {
    await escalateNotice(db, input.noticeId, input.note ?? '', actor, now)
    return { done: 'escalated', noticeId: input.noticeId }
  }
  const typed = input.otherTo?.trim() ?? ''
  await sendNoticeAgain(db, input.noticeId, typed !== '' ? typed : (input.to ?? ''), actor, org, now, options)
  return { done: 'sent_again', noticeId: input.noticeId }
}
