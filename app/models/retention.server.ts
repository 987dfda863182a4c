/**
 * Retention: what Takeback keeps, and for how long.
 *
 * - A deleted case keeps only a tombstone: its row with id, case number,
 *   state `deleted`, its timestamps and the non-identifying fields the
 *   schema requires (language, requester, source, consents). Everything
 *   personal goes: contact, signature and secret (deleteCase already erases
 *   them; this makes sure), caseworkers' notes, the web addresses (a page
 *   address can name the survivor; the site's registrable domain is kept,
 *   so counts per site still add up), notice explanations, the text and
 *   recipients of mail already sent for its notices, sessions and recovery
 *   links. The case number stays so it is never drawn again for another
 *   case, and sign-in keeps answering it exactly as it answers a wrong
 *   secret: a tombstone reveals nothing to whoever learns an old number.
 * - A withdrawn hash stays in the provider feed, with status Withdrawn, for
 *   `withdrawnHashDays` after it last changed, so every provider that pulls
 *   the feed sees the withdrawal and deletes its copy; then its row (and the
 *   feedback on it) is deleted.
 * - A resolved notice (removed, partly removed, not found, declined, not
 *   theirs, closed) keeps its dates, state and provider for the scorecard;
 *   `resolvedNoticeDays` after it was resolved, its explanation and the
 *   text and recipients of the mail sent for it are erased, and so is the
 *   typed signature of a case that is closed or withdrawn with no notice
 *   still open.
 * - Mail not tied to a notice (recovery links, invitations) loses its text
 *   and recipient `sentMailDays` after it was sent or given up on.
 * - Expired sessions, recovery links and rate-limit windows, and idempotency
 *   keys older than a day (the first answer of a case creation holds the
 *   case's secret, encrypted), are deleted.
 * - The audit log is kept whole: its entries hold ids, counts and states
 *   only, and the chain must keep verifying.
 *
 * One run is one transaction and appends one audit entry with its counts
 * (none when it changed nothing, so an hourly job leaves no trail of zeros).
 * Each kind of row is handled in batches of at most `batchSize`; a run that
 * fills a batch says so, and the job goes again at once. Every step is a
 * conditional UPDATE or DELETE, so several instances running it at the same
 * time never do anything twice, and a second run changes nothing.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database, NoticeState } from '../../db/schema'
import { getEnv } from '../lib/env.server'
import { log } from '../lib/log.server'
import { purgeExpiredRateLimits } from '../lib/rate-limit.server'
import { appendAudit } from './audit.server'

type DB = Kysely<Database>
type Trx = Transaction<Database>

const DAY = 24 * 60 * 60 * 1000
/** A client retries a lost answer within minutes; a day is plenty, and keeps the encrypted secrets few. */
export const IDEMPOTENCY_KEEP_MS = DAY
export const DEFAULT_RETENTION_BATCH = 5000
/** How often the job runs; it also runs once at start. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000

/** A notice in one of these states, with resolved_at set, is finished with. */
const RESOLVED: NoticeState[] = ['removed', 'partially_removed', 'not_found', 'declined', 'not_ours', 'closed']
const UNRESOLVED: NoticeState[] = ['draft', 'queued', 'sent', 'acknowledged', 'overdue', 'escalated']

export interface RetentionPolicy {
  /** Days a withdrawn hash stays in the feed (as Withdrawn) after its last change. */
  withdrawnHashDays: number
  /** Days after a notice is resolved before its explanation and mail are erased. */
  resolvedNoticeDays: number
  /** Days after other mail is sent (or given up on) before its text and recipient are erased. */
  sentMailDays: number
  /** Rows of each kind per run. */
  batchSize?: number
}

export interface RetentionCounts {
  /** Deleted cases whose contact, signature or secret were still set. */
  tombstoneCases: number
  tombstoneNotes: number
  tombstoneLocations: number
  tombstoneNotices: number
  withdrawnHashes: number
  noticeExplanations: number
  noticeMail: number
  signatures: number
  otherMail: number
  sessions: number
  recoveryLinks: number
  rateLimits: number
  idempotencyKeys: number
}

export type RetentionResult = RetentionCounts & { total: number; full: boolean }

/** The policy from RETENTION_* in the environment. */
export function retentionPolicyFromEnv(): RetentionPolicy {
  const env = getEnv()
  return {
    withdrawnHashDays: env.RETENTION_WITHDRAWN_HASH_DAYS,
    resolvedNoticeDays: env.RETENTION_NOTICE_DAYS,
    sentMailDays: env.RETENTION_MAIL_DAYS,
  }
}

const n = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }) => Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0)

/** The values an outbox row keeps once its text and recipient are erased (the columns are not null). */
const ERASED_MAIL = { recipient: '', subject: '', text_body: '', html_body: null, headers: null, last_error: null } as const

/** Erase sent or dead outbox rows chosen by `where`, at most `limit` of them. */
async function eraseMail(trx: Trx, limit: number, now: number, where: (q: ReturnType<typeof mailCandidates>) => ReturnType<typeof mailCandidates>): Promise<number> {
  const ids = where(mailCandidates(trx)).select('outbox.id').limit(limit)
  return n(await trx.updateTable('outbox').set({ ...ERASED_MAIL, updated_at: now }).where('id', 'in', ids).executeTakeFirst())
}

function mailCandidates(trx: Trx) {
  // Only finished rows: one still waiting to be delivered needs its text.
  return trx
    .selectFrom('outbox')
    .where('outbox.recipient', '!=', '')
    .where((eb) => eb.or([eb('outbox.sent_at', 'is not', null), eb('outbox.dead_at', 'is not', null)]))
}

/**
 * Apply the retention policy as of `now`. Returns what it changed; `full`
 * means some kind of row filled its batch and another run has more to do.
 */
export async function runRetention(db: DB, now: number, policy: RetentionPolicy): Promise<RetentionResult> {
  const limit = policy.batchSize ?? DEFAULT_RETENTION_BATCH
  const hashCutoff = now - policy.withdrawnHashDays * DAY
  const noticeCutoff = now - policy.resolvedNoticeDays * DAY
  const mailCutoff = now - policy.sentMailDays * DAY

  return db.transaction().execute(async (trx) => {
    const deletedCases = trx.selectFrom('survivor_case').select('id').where('state', '=', 'deleted')

    // Tombstones. deleteCase erases most of this in its own transaction; what
    // it leaves (notes, addresses, explanations, sent mail) goes here.
    const tombstoneCases = n(
      await trx
        .updateTable('survivor_case')
        .set({ secret_hash: null, contact_ciphertext: null, signature_ciphertext: null })
        .where('state', '=', 'deleted')
        .where((eb) => eb.or([eb('secret_hash', 'is not', null), eb('contact_ciphertext', 'is not', null), eb('signature_ciphertext', 'is not', null)]))
        .executeTakeFirst(),
    )
    const tombstoneNotes = n(
      await trx
        .deleteFrom('case_note')
        .where('id', 'in', trx.selectFrom('case_note').select('id').where('case_id', 'in', deletedCases).limit(limit))
        .executeTakeFirst(),
    )
    const tombstoneLocations = n(
      await trx
        .updateTable('case_location')
        // The host can name a person (name.example-blog.com); the registrable domain names only the site.
        .set((eb) => ({ url: '', host: eb.ref('registrable_domain'), updated_at: now }))
        .where(
          'id',
          'in',
          trx.selectFrom('case_location').select('id').where('case_id', 'in', deletedCases).where('url', '!=', '').limit(limit),
        )
        .executeTakeFirst(),
    )
    const tombstoneNotices = n(
      await trx
        .updateTable('notice')
        .set({ explanation: null, updated_at: now })
        .where(
          'id',
          'in',
          trx.selectFrom('notice').select('id').where('case_id', 'in', deletedCases).where('explanation', 'is not', null).limit(limit),
        )
        .executeTakeFirst(),
    )
    const tombstoneMail = await eraseMail(trx, limit, now, (q) =>
      q.where('outbox.notice_id', 'in', trx.selectFrom('notice').select('notice.id').where('notice.case_id', 'in', deletedCases)),
    )
    await trx.deleteFrom('session').where('case_id', 'in', deletedCases).execute()
    await trx.deleteFrom('case_recovery').where('case_id', 'in', deletedCases).execute()

    // Withdrawn hashes leave the feed once every provider has had time to see
    // the withdrawal. updated_at, not withdrawn_at: it is when the feed last
    // showed the row changed, and what the feed is indexed on.
    const withdrawnHashes = n(
      await trx
        .deleteFrom('case_hash')
        .where(
          'id',
          'in',
          trx
            .selectFrom('case_hash')
            .select('id')
            .where('updated_at', '<', hashCutoff)
            .where('status', '=', 'withdrawn')
            .orderBy('updated_at')
            .limit(limit),
        )
        .executeTakeFirst(),
    )

    // Resolved notices: keep the facts, drop the words.
    const resolvedNotices = trx
      .selectFrom('notice')
      .select('notice.id')
      .where('notice.state', 'in', RESOLVED)
      .where('notice.resolved_at', '<', noticeCutoff)
    const noticeExplanations = n(
      await trx
        .updateTable('notice')
        .set({ explanation: null, updated_at: now })
        .where('id', 'in', resolvedNotices.where('notice.explanation', 'is not', null).limit(limit))
        .executeTakeFirst(),
    )
    const noticeMail = await eraseMail(trx, limit, now, (q) => q.where('outbox.notice_id', 'in', resolvedNotices))
    const signatures = n(
      await trx
        .updateTable('survivor_case')
        .set({ signature_ciphertext: null })
        .where(
          'id',
          'in',
          trx
            .selectFrom('survivor_case')
            .select('survivor_case.id')
            .where('survivor_case.signature_ciphertext', 'is not', null)
            .where((eb) =>
              eb.or([
                eb.and([eb('survivor_case.state', '=', 'closed'), eb('survivor_case.closed_at', '<', noticeCutoff)]),
                eb.and([eb('survivor_case.state', '=', 'withdrawn'), eb('survivor_case.withdrawn_at', '<', noticeCutoff)]),
              ]),
            )
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('notice')
                    .select('notice.id')
                    .whereRef('notice.case_id', '=', 'survivor_case.id')
                    .where((eb) => eb.or([eb('notice.state', 'in', UNRESOLVED), eb('notice.resolved_at', 'is', null), eb('notice.resolved_at', '>=', noticeCutoff)])),
                ),
              ),
            )
            .limit(limit),
        )
        .executeTakeFirst(),
    )

    // Mail that belongs to no notice: recovery links, invitations.
    const otherMail = await eraseMail(trx, limit, now, (q) =>
      q
        .where('outbox.notice_id', 'is', null)
        .where((eb) => eb.or([eb('outbox.sent_at', '<', mailCutoff), eb('outbox.dead_at', '<', mailCutoff)])),
    )

    // Housekeeping: rows that can no longer be used.
    const sessions = n(await trx.deleteFrom('session').where('expires_at', '<=', now).executeTakeFirst())
    const recoveryLinks = n(
      await trx
        .deleteFrom('case_recovery')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('used_at', 'is not', null)]))
        .executeTakeFirst(),
    )
    const rateLimits = await purgeExpiredRateLimits(trx, now)
    const idempotencyKeys = n(await trx.deleteFrom('idempotency_key').where('created_at', '<', now - IDEMPOTENCY_KEEP_MS).executeTakeFirst())

    const counts: RetentionCounts = {
      tombstoneCases,
      tombstoneNotes,
      tombstoneLocations,
      tombstoneNotices: tombstoneNotices + tombstoneMail,
      withdrawnHashes,
      noticeExplanations,
      noticeMail,
      signatures,
      otherMail,
      sessions,
      recoveryLinks,
      rateLimits,
      idempotencyKeys,
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    const full = [tombstoneNotes, tombstoneLocations, tombstoneNotices, tombstoneMail, withdrawnHashes, noticeExplanations, noticeMail, signatures, otherMail].some(
      (c) => c >= limit,
    )
    if (total > 0) {
      await appendAudit(
        trx,
        {
          actorType: 'system',
          actorId: null,
          action: 'retention.run',
          detail: {
            ...counts,
            policy: { withdrawnHashDays: policy.withdrawnHashDays, resolvedNoticeDays: policy.resolvedNoticeDays, sentMailDays: policy.sentMailDays },
          },
        },
        now,
      )
    }
    return { ...counts, total, full }
  })
}

export interface RetentionJob {
  stop(): Promise<void>
}

/**
 * Run retention now and then every `intervalMs` (again at once while a run
 * fills a batch). Errors are logged and the next run tries again.
 */
export function startRetentionJob(options: { db: DB; policy: RetentionPolicy; intervalMs?: number; clock?: () => number }): RetentionJob {
  const { db, policy, intervalMs = RETENTION_INTERVAL_MS, clock = Date.now } = options
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
      const { full, total, ...counts } = await runRetention(db, clock(), policy)
      if (total > 0) log.info({ event: 'retention.run', ...counts }, 'retention: run')
      return full
    } catch (error) {
      log.error({ event: 'retention.failed', error: error instanceof Error ? error.message : String(error) }, 'retention: run failed')
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
