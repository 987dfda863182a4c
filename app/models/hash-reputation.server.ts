/**
 * Hash reputation: providers' feedback deciding which hashes a caseworker
 * should look at again, the review queue, and the per-hash switch.
 *
 * The rule: a hash that two or more distinct providers mark NotBlocked
 * (reviewed the match and kept the content up), and none Blocked, may match
 * content that is not the survivor's. It goes to review (review_state
 * 'pending'). A caseworker disables it (status 'disabled': it leaves the feed
 * as Deleted and leaves every match index) or keeps it ('kept'). A kept hash
 * goes back to review only when two or more providers say NotBlocked after
 * the decision, so the feedback that was already weighed does not bring it
 * back.
 *
 * Every change is audited and noted on the case's timeline (notice_event with
 * no notice). Audit and timeline details hold ids, kinds and counts; never a
 * hash value.
 */
import type { Kysely, Transaction, Updateable } from 'kysely'
import type { CaseHashTable, Database, FeedbackValue, HashKind, HashReview, HashStatus, MediaKind } from '../../db/schema'
import { NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { appendAudit } from './audit.server'
import type { StaffActor } from './notice.server'

type DB = Kysely<Database>
type Trx = Transaction<Database>

/** Distinct providers saying NotBlocked, with none saying Blocked, that send a hash to review. */
export const NOT_BLOCKED_FOR_REVIEW = 2
/** Rows the review page shows at once, oldest first. */
export const REVIEW_PAGE_SIZE = 100
const CHUNK = 500

const NOT_STILL_PENDING = 'This hash is no longer waiting for review: someone may have decided it already. Reload the page.'

function chunked<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

async function timeline(
  trx: Trx,
  caseId: string,
  kind: string,
  actor: { type: 'staff' | 'system'; id: string | null },
  detail: Record<string, unknown>,
  now: number,
): Promise<void> {
  await trx
    .insertInto('notice_event')
    .values({
      id: newId(),
      notice_id: null,
      case_id: caseId,
      kind,
      actor_type: actor.type,
      actor_id: actor.id,
      detail: JSON.stringify(detail),
      created_at: now,
    })
    .execute()
}

/**
 * After providers' feedback on `hashIds` changed (inside that transaction):
 * send each hash that now meets the rule to review. Returns the ids sent.
 */
export async function reviewAfterFeedback(trx: Trx, hashIds: readonly string[], now: number): Promise<string[]> {
  const sent: string[] = []
  for (const ids of chunked([...new Set(hashIds)])) {
    const hashes = await trx
      .selectFrom('case_hash')
      .select(['id', 'case_id', 'kind', 'review_state', 'review_at'])
      .where('id', 'in', ids)
      .where('status', '=', 'active')
      .where('review_state', 'in', ['none', 'kept'])
      .execute()
    if (hashes.length === 0) continue
    const feedback = await trx
      .selectFrom('hash_feedback')
      .select(['hash_id', 'provider_id', 'value', 'updated_at'])
      .where(
        'hash_id',
        'in',
        hashes.map((h) => h.id),
      )
      .execute()
    for (const hash of hashes) {
      const mine = feedback.filter((f) => f.hash_id === hash.id)
      if (mine.some((f) => f.value === 'Blocked')) continue
      // After a keep, only what providers said since counts.
      const since = hash.review_state === 'kept' ? (hash.review_at ?? 0) : -Infinity
      const notBlocked = new Set(mine.filter((f) => f.value === 'NotBlocked' && f.updated_at > since).map((f) => f.provider_id))
      if (notBlocked.size < NOT_BLOCKED_FOR_REVIEW) continue
      const moved = await trx
        .updateTable('case_hash')
        .set({ review_state: 'pending' })
        .where('id', '=', hash.id)
        .where('review_state', '=', hash.review_state)
        .executeTakeFirst()
      if (Number(moved.numUpdatedRows) === 0) continue
      sent.push(hash.id)
      await timeline(trx, hash.case_id, 'hash_review_requested', { type: 'system', id: null }, { hashId: hash.id, kind: hash.kind, notBlocked: notBlocked.size }, now)
      await appendAudit(
        trx,
        {
          actorType: 'system',
          actorId: null,
          action: 'hash.review_requested',
          objectType: 'case_hash',
          objectId: hash.id,
          detail: { caseId: hash.case_id, notBlocked: notBlocked.size, again: hash.review_state === 'kept' },
        },
        now,
      )
    }
  }
  return sent
}

/**
 * A caseworker's decision on a hash waiting for review. 'disable' switches it
 * off (status 'disabled', updated_at bumped so the feed sends it as Deleted
 * and match indexes drop it); 'keep' leaves it in use. A hash not pending
 * (decided meanwhile) is a ValidationError on `hashId`.
 */
export async function decideReview(db: DB, hashId: string, decision: 'disable' | 'keep', actor: StaffActor, now = Date.now()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('case_hash')
      .innerJoin('survivor_case', 'survivor_case.id', 'case_hash.case_id')
      .select(['case_hash.id', 'case_hash.case_id', 'case_hash.kind', 'case_hash.status', 'case_hash.review_state'])
      .where('case_hash.id', '=', hashId)
      .where('survivor_case.state', '!=', 'deleted')
      .executeTakeFirst()
    if (!row) throw new NotFoundError('This hash no longer exists.')
    if (row.review_state !== 'pending') throw new ValidationError('hashId', NOT_STILL_PENDING)
    const disable = decision === 'disable'
    const result = await trx
      .updateTable('case_hash')
      .set(
        disable
          ? {
              review_state: 'disabled',
              review_at: now,
              // A hash the survivor took back meanwhile stays withdrawn.
              status: row.status === 'active' ? 'disabled' : row.status,
              disabled_at: row.status === 'active' ? now : null,
              updated_at: now,
            }
          : { review_state: 'kept', review_at: now },
      )
      .where('id', '=', hashId)
      .where('review_state', '=', 'pending')
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) throw new ValidationError('hashId', NOT_STILL_PENDING)
    const kind = disable ? 'hash_disabled' : 'hash_kept'
    await timeline(trx, row.case_id, kind, { type: 'staff', id: actor.staffId }, { hashId, kind: row.kind, via: 'review' }, now)
    await appendAudit(
      trx,
      {
        actorType: 'staff',
        actorId: actor.staffId,
        action: disable ? 'hash.review_disabled' : 'hash.review_kept',
        objectType: 'case_hash',
        objectId: hashId,
        detail: { caseId: row.case_id },
      },
      now,
    )
  })
}

/**
 * The per-hash switch on the case page. Off: an active hash becomes
 * 'disabled' (a pending review is resolved as disabled). On: a disabled hash
 * is active again, and counts as kept. Either way updated_at moves, so
 * providers hear of it. For a video's frame hashes (vpdq), the switch acts on
 * every frame of that video, as the case page shows them as one entry. A hash
 * the survivor took back cannot be switched. Returns how many rows changed.
 */
export async function setHashDisabled(
  db: DB,
  hashId: string,
  disabled: boolean,
  actor: StaffActor,
  now = Date.now(),
): Promise<{ changed: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('case_hash')
      .innerJoin('survivor_case', 'survivor_case.id', 'case_hash.case_id')
      .select(['case_hash.id', 'case_hash.case_id', 'case_hash.kind', 'case_hash.item', 'case_hash.status'])
      .where('case_hash.id', '=', hashId)
      .where('survivor_case.state', '!=', 'deleted')
      .executeTakeFirst()
    if (!row) throw new NotFoundError('This hash no longer exists.')
    if (row.status === 'withdrawn') {
      throw new ValidationError('hashId', 'The survivor took this hash back, so it cannot be switched on or off.')
    }
    const ids =
      row.kind === 'vpdq'
        ? (
            await trx
              .selectFrom('case_hash')
              .select('id')
              .where('case_id', '=', row.case_id)
              .where('kind', '=', 'vpdq')
              .where('item', '=', row.item)
              .execute()
          ).map((r) => r.id)
        : [hashId]
    // A long video has thousands of frames: update them in chunks.
    const update = async (set: Updateable<CaseHashTable>, from: HashStatus, review?: HashReview) => {
      let n = 0
      for (const part of chunked(ids)) {
        let qb = trx.updateTable('case_hash').set(set).where('id', 'in', part).where('status', '=', from)
        if (review) qb = qb.where('review_state', '=', review)
        n += Number((await qb.executeTakeFirst()).numUpdatedRows)
      }
      return n
    }
    let changed: number
    if (disabled) {
      await update({ review_state: 'disabled', review_at: now }, 'active', 'pending')
      changed = await update({ status: 'disabled', disabled_at: now, updated_at: now }, 'active')
    } else {
      // Switched on by a person who looked at it: a decision to keep it.
      await update({ review_state: 'kept', review_at: now }, 'disabled', 'disabled')
      changed = await update({ status: 'active', disabled_at: null, updated_at: now }, 'disabled')
    }
    // Already as asked (a double submit): nothing to record.
    if (changed === 0) return { changed }
    const kind = disabled ? 'hash_disabled' : 'hash_enabled'
    await timeline(trx, row.case_id, kind, { type: 'staff', id: actor.staffId }, { hashId, kind: row.kind, rows: changed, via: 'switch' }, now)
    await appendAudit(
      trx,
      {
        actorType: 'staff',
        actorId: actor.staffId,
        action: disabled ? 'hash.disabled' : 'hash.enabled',
        objectType: 'case_hash',
        objectId: hashId,
        detail: { caseId: row.case_id, rows: changed },
      },
      now,
    )
    return { changed }
  })
}

/** Refuse a hash id that belongs to another case: forms name hashes by id, and ids can be edited. */
export async function requireHashOfCase(db: DB, caseId: string, hashId: string): Promise<void> {
  const row = await db.selectFrom('case_hash').select('id').where('id', '=', hashId).where('case_id', '=', caseId).executeTakeFirst()
  if (!row) throw new NotFoundError('This hash is not part of this case. Reload the page.')
}

// ---------------------------------------------------------------------------
// The review queue

export interface ReviewFeedback {
  provider: string
  value: FeedbackValue
  at: number
}

export interface ReviewItem {
  id: string
  caseId: string
  item: number
  media: MediaKind
  kind: HashKind
  /** The first 16 hex characters: enough to tell hashes apart on the page. */
  prefix: string
  /** For a video frame, its time in the video. */
  frameMs: number | null
  status: HashStatus
  reviewState: HashReview
  createdAt: number
  feedback: ReviewFeedback[]
}

/** Hashes waiting for review, in use on a case that still exists. */
function pendingRows(db: DB) {
  return db
    .selectFrom('case_hash')
    .innerJoin('survivor_case', 'survivor_case.id', 'case_hash.case_id')
    .where('case_hash.review_state', '=', 'pending')
    .where('case_hash.status', '=', 'active')
    .where('survivor_case.state', '!=', 'deleted')
}

/** How many hashes wait for review (the staff bar's number). */
export async function countPendingReviews(db: DB): Promise<number> {
  const row = await pendingRows(db)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}

/** The review queue, oldest hash first, with what each provider said and when. */
export async function listReviewQueue(db: DB): Promise<{ total: number; items: ReviewItem[] }> {
  const [total, rows] = await Promise.all([
    countPendingReviews(db),
    pendingRows(db)
      .select([
        'case_hash.id',
        'case_hash.case_id',
        'case_hash.item',
        'case_hash.media',
        'case_hash.kind',
        'case_hash.value',
        'case_hash.frame_ms',
        'case_hash.status',
        'case_hash.review_state',
        'case_hash.created_at',
      ])
      .orderBy('case_hash.created_at')
      .orderBy('case_hash.id')
      .limit(REVIEW_PAGE_SIZE)
      .execute(),
  ])
  const feedback =
    rows.length === 0
      ? []
      : await db
          .selectFrom('hash_feedback')
          .innerJoin('provider', 'provider.id', 'hash_feedback.provider_id')
          .select(['hash_feedback.hash_id', 'provider.name', 'hash_feedback.value', 'hash_feedback.updated_at'])
          .where(
            'hash_feedback.hash_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('hash_feedback.updated_at')
          .orderBy('provider.name')
          .execute()
  return {
    total,
    items: rows.map((r) => ({
      id: r.id,
      caseId: r.case_id,
      item: r.item,
      media: r.media,
      kind: r.kind,
      prefix: r.value.slice(0, 16),
      frameMs: r.frame_ms,
      status: r.status,
      reviewState: r.review_state,
      createdAt: r.created_at,
      feedback: feedback.filter((f) => f.hash_id === r.id).map((f) => ({ provider: f.name, value: f.value, at: f.updated_at })),
    })),
  }
}
