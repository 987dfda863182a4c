/**
 * The caseworkers' case queue and case page: which cases need what, opening
 * a case (which marks it reviewed), revealing the survivor's contact address
 * on purpose, and internal notes.
 *
 * Revealing the address and opening a case are audited; the audit detail
 * never holds the address, a note's text, or anything else personal.
 */
import type { ExpressionBuilder, Kysely } from 'kysely'
import type { CaseState, Database, LocationState, NoticeState, Regime, Requester } from '../../db/schema'
import { formatCaseNumber, normaliseCaseNumber } from '../lib/case-codes.server'
import { decryptPersonal, DecryptionError } from '../lib/crypto.server'
import { NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { appendAudit } from './audit.server'
import { NoteSchema, QUEUE_FILTERS, type QueueFilter } from './case-queue.schema'
import { getCaseStatus, type HashView } from './case.server'
import { noticeTimeline, type TimelineEvent } from './notice.server'

type DB = Kysely<Database>

export { QUEUE_FILTERS, type QueueFilter } from './case-queue.schema'

export const DEFAULT_QUEUE_LIMIT = 50

/** Same set as the deadline worker's: a notice a provider still owes an answer to. */
const UNRESOLVED: NoticeState[] = ['sent', 'acknowledged']
const CLOSED_STATES: CaseState[] = ['closed', 'withdrawn', 'deleted']

type CaseEb = ExpressionBuilder<Database, 'survivor_case'>

/**
 * The SQL condition for each filter, on `survivor_case`. Written once and used
 * both for the list and for the counts, so a tab's number always matches its rows.
 */
function filterCondition(eb: CaseEb, filter: QueueFilter, now: number) {
  const open = eb('survivor_case.state', '=', 'open')
  switch (filter) {
    case 'new':
      return eb.and([open, eb('survivor_case.reviewed_at', 'is', null)])
    case 'needs_notices':
      return eb.and([
        open,
        eb.exists(
          eb
            .selectFrom('case_location')
            .select('case_location.id')
            .whereRef('case_location.case_id', '=', 'survivor_case.id')
            .where('case_location.state', '=', 'reported')
            .where((e) =>
              e.not(
                e.exists(e.selectFrom('notice_location').select('notice_location.notice_id').whereRef('notice_location.location_id', '=', 'case_location.id'))
              )
            )
        ),
      ])
    case 'waiting':
      return eb.and([
        open,
        eb.exists(eb.selectFrom('notice').select('notice.id').whereRef('notice.case_id', '=', 'survivor_case.id').where('notice.state', 'in', UNRESOLVED)),
      ])
    case 'overdue':
      // As overdueNotices: marked overdue, or past the deadline before the worker's next run.
      return eb.and([
        open,
        eb.exists(
          eb
            .selectFrom('notice')
            .select('notice.id')
            .whereRef('notice.case_id', '=', 'survivor_case.id')
            .where((e) => e.or([e('notice.state', '=', 'overdue'), e.and([e('notice.state', 'in', UNRESOLVED), e('notice.deadline_at', '<=', now)])]))
        ),
      ])
    case 'closed':
      return eb('survivor_case.state', 'in', CLOSED_STATES)
    case 'all':
      return eb(eb.lit(1), '=', eb.lit(1))
  }
}

export interface QueueRow {
  id: string
  /** "XXXX-XXXX" */
  caseNumber: string
  createdAt: number
  requester: Requester
  state: CaseState
  reviewed: boolean
  files: number
  urls: number
  notices: number
}

export interface CaseQueue {
  rows: QueueRow[]
  counts: Record<QueueFilter, number>
  /** Pass as `after` for the next page; null on the last page. */
  nextAfter: string | null
  /** The search text could not be a case number, so nothing was looked up. */
  badSearch: boolean
}

export interface ListCasesInput {
  filter: QueueFilter
  /** A case number as typed; when given, the filter is ignored (a number names one case). */
  search?: string | null
  limit?: number
  /** The id of the last row of the previous page. */
  after?: string | null
}

/** One page of the queue, newest first, with the number of cases under each filter. */
export async function listCases(db: DB, input: ListCasesInput, now = Date.now()): Promise<CaseQueue> {
  const limit = Math.min(Math.max(1, input.limit ?? DEFAULT_QUEUE_LIMIT), 200)
  const search = input.search?.trim() ? input.search.trim() : null
  const caseNumber = search === null ? null : normaliseCaseNumber(search)

  const countsRow = await db
    .selectFrom('survivor_case')
    .select((eb) => QUEUE_FILTERS.map((f) => eb.fn.count<number>(eb.case().when(filterCondition(eb, f, now)).then(1).end()).as(f)))
    .executeTakeFirstOrThrow()
  // PostgreSQL's count() is bigint, which the driver may hand over as a string.
  const counts = Object.fromEntries(QUEUE_FILTERS.map((f) => [f, Number((countsRow as Record<string, unknown>)[f] ?? 0)])) as Record<QueueFilter, number>

  if (search !== null && caseNumber === null) return { rows: [], counts, nextAfter: null, badSearch: true }

  let query = db
    .selectFrom('survivor_case')
    .select((eb) => [
      'survivor_case.id',
      'survivor_case.case_number',
      'survivor_case.created_at',
      'survivor_case.requester',
      'survivor_case.state',
      'survivor_case.reviewed_at',
      eb
        .selectFrom('case_hash')
        .select((e) => e.fn.count<number>('case_hash.item').distinct().as('n'))
        .whereRef('case_hash.case_id', '=', 'survivor_case.id')
        .as('files'),
      eb
        .selectFrom('case_location')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('case_location.case_id', '=', 'survivor_case.id')
        .where('case_location.state', '!=', 'withdrawn')
        .as('urls'),
      eb
        .selectFrom('notice')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('notice.case_id', '=', 'survivor_case.id')
        .as('notices'),
    ])
    // Ids are UUIDv7, so id order is creation order and makes a stable page cursor.
    .orderBy('survivor_case.id', 'desc')
    .limit(limit + 1)
  if (caseNumber !== null) query = query.where('survivor_case.case_number', '=', caseNumber)
  else query = query.where((eb) => filterCondition(eb, input.filter, now))
  if (input.after) query = query.where('survivor_case.id', '<', input.after)

  const found = await query.execute()
  const page = found.slice(0, limit)
  return {
    rows: page.map((r) => ({
      id: r.id,
      caseNumber: formatCaseNumber(r.case_number),
      createdAt: r.created_at,
      requester: r.requester,
      state: r.state,
      reviewed: r.reviewed_at !== null,
      files: Number(r.files ?? 0),
      urls: Number(r.urls ?? 0),
      notices: Number(r.notices ?? 0),
    })),
    counts,
    nextAfter: found.length > limit ? page[page.length - 1]!.id : null,
    badSearch: false,
  }
}

// ---------------------------------------------------------------------------
// The case page

export interface StaffRef {
  id: string
}

export interface LocationDetail {
  id: string
  url: string
  state: LocationState
  /** Null when no provider in the directory serves this website. */
  providerName: string | null
  /** Already in a notice (of any state): not offered for drafting again. */
  inNotice: boolean
}

export interface NoticeDetail {
  id: string
  providerName: string
  regime: Regime
  state: NoticeState
  explanation: string | null
  /** The provider's notice addresses: business contacts, not personal data. */
  recipients: string[]
  placeholder: boolean
  urls: string[]
  sentAt: number | null
  deadlineAt: number | null
}

export interface NoteView {
  id: string
  body: string
  author: string | null
  createdAt: number
}

export interface CaseDetail {
  id: string
  caseNumber: string
  state: CaseState
  requester: Requester
  createdAt: number
  reviewedAt: number | null
  noticesConsent: boolean
  hasContact: boolean
  hashes: HashView[]
  locations: LocationDetail[]
  notices: NoticeDetail[]
  notes: NoteView[]
  timeline: TimelineEvent[]
}

function parseEmails(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json)
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : []
  } catch {
    return []
  }
}

/** Everything the case page shows. Deleted cases are not found. */
export async function getCaseDetail(db: DB, caseId: string): Promise<CaseDetail> {
  // Reused for its hash grouping (vPDQ frames as one entry) and its "deleted is gone" rule.
  const status = await getCaseStatus(db, caseId)
  const [c, locations, domains, notices, noticeUrls, notes, timeline] = await Promise.all([
    db.selectFrom('survivor_case').select(['id', 'reviewed_at']).where('id', '=', caseId).executeTakeFirstOrThrow(),
    db
      .selectFrom('case_location')
      .leftJoin('provider', 'provider.id', 'case_location.provider_id')
      .select(['case_location.id', 'case_location.url', 'case_location.state', 'case_location.registrable_domain', 'provider.name as provider_name'])
      .where('case_location.case_id', '=', caseId)
      .orderBy('case_location.created_at')
      .orderBy('case_location.id')
      .execute(),
    // Websites added to the directory after the survivor reported them are linked when drafting; show them now.
    db
      .selectFrom('provider_domain')
      .innerJoin('provider', 'provider.id', 'provider_domain.provider_id')
      .innerJoin('case_location', 'case_location.registrable_domain', 'provider_domain.domain')
      .select(['provider_domain.domain', 'provider.name'])
      .where('case_location.case_id', '=', caseId)
      .where('case_location.provider_id', 'is', null)
      .execute(),
    db
      .selectFrom('notice')
      .innerJoin('provider', 'provider.id', 'notice.provider_id')
      .select([
        'notice.id',
        'provider.name',
        'provider.notice_emails',
        'provider.is_placeholder',
        'notice.regime',
        'notice.state',
        'notice.explanation',
        'notice.sent_at',
        'notice.deadline_at',
      ])
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
    db
      .selectFrom('case_note')
      .leftJoin('staff_user', 'staff_user.id', 'case_note.staff_id')
      .select(['case_note.id', 'case_note.body', 'case_note.created_at', 'staff_user.email'])
      .where('case_note.case_id', '=', caseId)
      .orderBy('case_note.created_at')
      .orderBy('case_note.id')
      .execute(),
    noticeTimeline(db, caseId),
  ])
  const byDomain = new Map(domains.map((d) => [d.domain, d.name]))
  const noticed = new Set(noticeUrls.map((u) => u.location_id))
  return {
    id: c.id,
    caseNumber: status.caseNumber,
    state: status.state,
    requester: status.requester,
    createdAt: status.createdAt,
    reviewedAt: c.reviewed_at,
    noticesConsent: status.noticesConsent,
    hasContact: status.hasContact,
    hashes: status.hashes,
    locations: locations.map((l) => ({
      id: l.id,
      url: l.url,
      state: l.state,
      providerName: l.provider_name ?? byDomain.get(l.registrable_domain) ?? null,
      inNotice: noticed.has(l.id),
    })),
    notices: notices.map((n) => ({
      id: n.id,
      providerName: n.name,
      regime: n.regime,
      state: n.state,
      explanation: n.explanation,
      recipients: parseEmails(n.notice_emails),
      placeholder: n.is_placeholder === 1,
      urls: noticeUrls.filter((u) => u.notice_id === n.id).map((u) => u.url),
      sentAt: n.sent_at,
      deadlineAt: n.deadline_at,
    })),
    notes: notes.map((n) => ({
      id: n.id,
      body: n.body,
      author: n.email,
      createdAt: n.created_at,
    })),
    timeline,
  }
}

/**
 * The case page for `staff`: the first time anyone opens the case it stops
 * being "new" (reviewed_at) and the opening is audited; later opens change nothing.
 */
export async function openCase(db: DB, caseId: string, staff: StaffRef, now = Date.now()): Promise<CaseDetail> {
  await db.transaction().execute(async (trx) => {
    const marked = await trx
      .updateTable('survivor_case')
      .set({ reviewed_at: now })
      .where('id', '=', caseId)
      .where('reviewed_at', 'is', null)
      .where('state', '!=', 'deleted')
      .returning('id')
      .executeTakeFirst()
    if (marked) {
      await appendAudit(
        trx,
        {
          actorType: 'staff',
          actorId: staff.id,
          action: 'case.opened',
          objectType: 'case',
          objectId: caseId,
          detail: null,
        },
        now
      )
    }
  })
  return getCaseDetail(db, caseId)
}

/**
 * The survivor's contact address, decrypted for one caseworker who asked on
 * purpose. Audited as 'case.contact_revealed' with no address in the entry.
 */
export async function revealContact(db: DB, caseId: string, staff: StaffRef, now = Date.now()): Promise<{ email: string | null }> {
  return db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('survivor_case').select(['contact_ciphertext', 'state']).where('id', '=', caseId).executeTakeFirst()
    if (!c || c.state === 'deleted') throw new NotFoundError('This case no longer exists.')
    if (c.contact_ciphertext === null) return { email: null }
    let email: string
    try {
      email = decryptPersonal(c.contact_ciphertext)
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error
      throw new ValidationError('contact', 'The contact address cannot be read: the key it was stored under is not configured (CONTACT_KEY).')
    }
    await appendAudit(
      trx,
      {
        actorType: 'staff',
        actorId: staff.id,
        action: 'case.contact_revealed',
        objectType: 'case',
        objectId: caseId,
        detail: null,
      },
      now
    )
    return { email }
  })
}

/** Add an internal note (plain text, kept as typed; pages escape it when they render it). */
export async function addNote(db: DB, caseId: string, staff: StaffRef, body: string, now = Date.now()): Promise<{ noteId: string }> {
  const parsed = NoteSchema.safeParse({ body })
  if (!parsed.success) throw new ValidationError('body', parsed.error.issues[0]?.message ?? 'Write the note.')
  return db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('survivor_case').select('state').where('id', '=', caseId).executeTakeFirst()
    if (!c || c.state === 'deleted') throw new NotFoundError('This case no longer exists.')
    const noteId = newId()
    await trx
      .insertInto('case_note')
      .values({
        id: noteId,
        case_id: caseId,
        staff_id: staff.id,
        body: parsed.data.body,
        created_at: now,
      })
      .execute()
    // The length only: a note may name the survivor.
    await appendAudit(
      trx,
      {
        actorType: 'staff',
        actorId: staff.id,
        action: 'case.note_added',
        objectType: 'case',
        objectId: caseId,
        detail: { noteId, length: parsed.data.body.length },
      },
      now
    )
    return { noteId }
  })
}

/** Refuse a notice id that belongs to another case: forms name notices by id, and ids can be edited. */
export async function requireNoticeOfCase(db: DB, caseId: string, noticeId: string): Promise<void> {
  const row = await db.selectFrom('notice').select('id').where('id', '=', noticeId).where('case_id', '=', caseId).executeTakeFirst()
  if (!row) throw new NotFoundError('This notice is not part of this case. Reload the page.')
}
