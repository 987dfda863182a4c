/**
 * Providers' word on hashes they matched (StopNCII `SubmitFeedback`):
 * PendingReview (matched, checking), Blocked (removed), NotBlocked (checked,
 * not removed), and the format's other values. One row per (hash, provider),
 * replaced by the provider's latest word; the survivor's status page shows it
 * in plain words, the feed shows it to every participating provider, and the
 * reputation rule may send the hash to a caseworker's review.
 */
import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { Database, FeedbackValue } from '../../db/schema'
import { newId } from '../lib/ids.server'
import { appendAudit } from './audit.server'
import { requireParticipant } from './hash-feed.server'
import { reviewAfterFeedback } from './hash-reputation.server'
import type { ProviderView } from './provider.server'

type DB = Kysely<Database>

export const FEEDBACK_VALUES = [
  'Unknown',
  'None',
  'QualityUnknown',
  'PendingReview',
  'Blocked',
  'NotBlocked',
  'Withdrawn',
  'Deleted',
] as const satisfies readonly FeedbackValue[]

export const MAX_FEEDBACK_ITEMS = 1000
export const MAX_FEEDBACK_BYTES = 1024 * 1024

/** The body python-threatexchange's StopNCII client posts: `{count, hashFeedbacks: [{hashValue, feedbackValue, tags}]}`. */
export const SubmitFeedbackSchema = z
  .object({
    count: z.number().int().min(0).optional(),
    hashFeedbacks: z
      .array(
        z.object({
          hashValue: z
            .string()
            .trim()
            .toLowerCase()
            .regex(/^(?:[0-9a-f]{32}|[0-9a-f]{64})$/, 'must be a PDQ hash (64 hex digits) or an MD5 hash (32 hex digits)'),
          feedbackValue: z.enum(FEEDBACK_VALUES, { error: `must be one of ${FEEDBACK_VALUES.join(', ')}` }),
          tags: z
            .array(
              z
                .string()
                .trim()
                .min(1, 'must not be empty')
                .max(100, 'must be at most 100 characters')
                // A tag is a short label shown to staff: one line, no control characters.
                // eslint-disable-next-line no-control-regex
                .refine((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s), 'must be one line without control characters'),
            )
            .max(20, 'at most 20 tags per hash')
            .default([]),
        }),
      )
      .min(1, 'must hold at least one item')
      .max(MAX_FEEDBACK_ITEMS, `at most ${MAX_FEEDBACK_ITEMS} items per request`),
  })
  .refine((b) => b.count === undefined || b.count === b.hashFeedbacks.length, {
    path: ['count'],
    message: 'must equal the number of items in hashFeedbacks',
  })

export type SubmitFeedbackInput = z.output<typeof SubmitFeedbackSchema>

export interface SubmitFeedbackResult {
  count: number
  accepted: number
  notFound: number
  /** In request order. `not_found`: no hash in this provider's feed has that value; nothing was stored for it. */
  results: { hashValue: string; result: 'accepted' | 'not_found' }[]
}

function chunked<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Store a provider's feedback. A value matches every copy of that hash the
 * provider can read in the StopNCII feed (image PDQ, video MD5, consenting
 * cases); a value it cannot read is reported `not_found` and the rest still
 * count, because the StopNCII client sends a batch once and never retries a
 * POST. Feedback that changes something bumps the hash's updated_at (so the
 * feed carries it) and goes through the reputation rule, all in one
 * transaction with its audit entry. "None" updates tags only, keeping the
 * provider's earlier value, as the format intends.
 */
export async function submitFeedback(db: DB, provider: ProviderView, input: SubmitFeedbackInput, now = Date.now()): Promise<SubmitFeedbackResult> {
  requireParticipant(provider)
  // The last word on a value within one request wins.
  const byValue = new Map(input.hashFeedbacks.map((f) => [f.hashValue, f]))
  const values = [...byValue.keys()]

  return db.transaction().execute(async (trx) => {
    // The feed's kinds only: image PDQ (64 hex digits) and video MD5 (32),
    // looked up by (kind, value) so the case_hash_value index serves it.
    const rows: { id: string; value: string }[] = []
    for (const [kind, media, length] of [['pdq', 'image', 64], ['md5', 'video', 32]] as const) {
      for (const chunk of chunked(values.filter((v) => v.length === length))) {
        rows.push(
          ...(await trx
            .selectFrom('case_hash as h')
            .innerJoin('survivor_case as c', 'c.id', 'h.case_id')
            .select(['h.id', 'h.value'])
            .where('c.share_hashes', '=', 1)
            .where('h.kind', '=', kind)
            .where('h.media', '=', media)
            .where('h.value', 'in', chunk)
            .execute()),
        )
      }
    }
    const existing = []
    for (const chunk of chunked(rows.map((r) => r.id))) {
      existing.push(
        ...(await trx
          .selectFrom('hash_feedback')
          .select(['hash_id', 'value', 'tags'])
          .where('provider_id', '=', provider.id)
          .where('hash_id', 'in', chunk)
          .execute()),
      )
    }
    const before = new Map(existing.map((e) => [e.hash_id, e]))

    const changed: string[] = []
    for (const row of rows) {
      const f = byValue.get(row.value)!
      const had = before.get(row.id)
      const tags = JSON.stringify([...new Set(f.tags)])
      const value = f.feedbackValue === 'None' && had ? had.value : f.feedbackValue
      if (had && had.value === value && had.tags === tags) continue
      changed.push(row.id)
      await trx
        .insertInto('hash_feedback')
        .values({ id: newId(), hash_id: row.id, provider_id: provider.id, value, tags, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['hash_id', 'provider_id']).doUpdateSet({ value, tags, updated_at: now }))
        .execute()
    }
    for (const chunk of chunked(changed)) {
      await trx.updateTable('case_hash').set({ updated_at: now }).where('id', 'in', chunk).execute()
    }
    if (changed.length > 0) await reviewAfterFeedback(trx, changed, now)

    const known = new Set(rows.map((r) => r.value))
    const results = input.hashFeedbacks.map((f) => ({
      hashValue: f.hashValue,
      result: known.has(f.hashValue) ? ('accepted' as const) : ('not_found' as const),
    }))
    const accepted = results.filter((r) => r.result === 'accepted').length
    await appendAudit(
      trx,
      {
        actorType: 'provider',
        actorId: provider.id,
        action: 'hash.feedback',
        objectType: 'provider',
        objectId: provider.id,
        detail: { items: input.hashFeedbacks.length, accepted, notFound: results.length - accepted, hashesChanged: changed.length },
      },
      now,
    )
    return { count: results.length, accepted, notFound: results.length - accepted, results }
  })
}
