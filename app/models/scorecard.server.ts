/**
 * The staff dashboard's figures: how each provider answers notices (the
 * scorecard), how many notices are in each state, and the outbox's dead
 * letters with the "send again" that revives one.
 *
 * The figures are computed in TypeScript over plain selects, not with SQL
 * aggregates: medians and "within 48 hours" would need percentile_cont on
 * PostgreSQL and window-function tricks on SQLite, two code paths to keep in
 * step. A scorecard reads one row per sent notice, which is small next to
 * what a page of notices costs, so one code path wins.
 */
import type { Kysely } from 'kysely'
import type { Database, NoticeState } from '../../db/schema'
import { sendAgain } from '../lib/outbox-worker.server'
import { NotFoundError } from '../lib/errors.server'
import { appendAudit } from './audit.server'

type DB = Kysely<Database>

const HOUR = 60 * 60 * 1000
/** The TAKE IT DOWN Act's removal window, used as the yardstick for every regime. */
export const REMOVAL_WINDOW_MS = 48 * HOUR

/** Every notice state, in the order a notice moves through them. */
export const NOTICE_STATES: readonly NoticeState[] = [
  'draft',
  'queued',
  'sent',
  'acknowledged',
  'removed',
  'partially_removed',
  'not_found',
  'declined',
  'not_ours',
  'overdue',
  'escalated',
  'closed',
]

const REMOVED: ReadonlySet<NoticeState> = new Set(['removed', 'partially_removed'])
const UNRESOLVED: ReadonlySet<NoticeState> = new Set(['sent', 'acknowledged'])

export interface ProviderScore {
  providerId: string
  providerName: string
  /** Notices sent to this provider (since `since`, when given). */
  sent: number
  /** Median of acknowledged_at - sent_at over the acknowledged ones; null when none was. */
  medianAckMs: number | null
  /** Median of resolved_at - sent_at over those removed (wholly or partly); null when none was. */
  medianRemovalMs: number | null
  /** Removed within 48 hours of sending, of all sent: 0..1; null when nothing was sent. */
  removedWithin48hShare: number | null
  /** Removed within 48 hours (the numerator of the share). */
  removedWithin48h: number
  /** Unanswered past the deadline at `now`, or marked overdue. */
  overdue: number
}

/** The middle value (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * One row per provider that was sent at least one notice (since `since`,
 * epoch ms, when given), by provider name.
 */
export async function providerScorecard(db: DB, { since, now = Date.now() }: { since?: number; now?: number } = {}): Promise<ProviderScore[]> {
  let query = db
    .selectFrom('notice')
    .innerJoin('provider', 'provider.id', 'notice.provider_id')
    .select([
      'notice.provider_id',
      'provider.name as provider_name',
      'notice.state',
      'notice.sent_at',
      'notice.acknowledged_at',
      'notice.resolved_at',
      'notice.deadline_at',
    ])
    .where('notice.sent_at', 'is not', null)
  if (since !== undefined) query = query.where('notice.sent_at', '>=', since)
  const rows = await query.execute()

  const byProvider = new Map<string, { name: string; rows: typeof rows }>()
  for (const r of rows) {
    const entry = byProvider.get(r.provider_id) ?? { name: r.provider_name, rows: [] }
    entry.rows.push(r)
    byProvider.set(r.provider_id, entry)
  }

  const out: ProviderScore[] = []
  for (const [providerId, { name, rows: mine }] of byProvider) {
    const ack: number[] = []
    const removal: number[] = []
    let within = 0
    let overdue = 0
    for (const r of mine) {
      // PostgreSQL's bigint may come back as a string; the schema says number.
      const sent = Number(r.sent_at)
      if (r.acknowledged_at !== null) ack.push(Number(r.acknowledged_at) - sent)
      if (REMOVED.has(r.state) && r.resolved_at !== null) {
        const took = Number(r.resolved_at) - sent
        removal.push(took)
        if (took <= REMOVAL_WINDOW_MS) within++
      }
      // The same rule as overdueNotices, so the two never disagree about a notice.
      if (r.state === 'overdue' || (UNRESOLVED.has(r.state) && r.deadline_at !== null && Number(r.deadline_at) <= now)) overdue++
    }
    out.push({
      providerId,
      providerName: name,
      sent: mine.length,
      medianAckMs: median(ack),
      medianRemovalMs: median(removal),
      removedWithin48hShare: mine.length === 0 ? null : within / mine.length,
      removedWithin48h: within,
      overdue,
    })
  }
  return out.sort((a, b) => a.providerName.localeCompare(b.providerName) || a.providerId.localeCompare(b.providerId))
}

/** How many notices are in each state; every state is present, zero when empty. */
export async function noticeCountsByState(db: DB): Promise<Record<NoticeState, number>> {
  const rows = await db
    .selectFrom('notice')
    .select((eb) => ['state', eb.fn.countAll().as('n')])
    .groupBy('state')
    .execute()
  const counts = Object.fromEntries(NOTICE_STATES.map((s) => [s, 0])) as Record<NoticeState, number>
  for (const r of rows) counts[r.state] = Number(r.n)
  return counts
}

export interface DeadLetter {
  id: string
  kind: string
  noticeId: string | null
  attempts: number
  /** Already redacted by the outbox worker (redactAddresses) when it was stored. */
  lastError: string | null
  deadAt: number
}

/**
 * Outbox messages the worker gave up on, newest first. The recipient is left
 * out on purpose: the dashboard is seen by every caseworker, and a provider's
 * or survivor's address is not needed to decide to send again.
 */
export async function deadLetters(db: DB, limit = 200): Promise<DeadLetter[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['id', 'kind', 'notice_id', 'attempts', 'last_error', 'dead_at'])
    .where('dead_at', 'is not', null)
    .where('sent_at', 'is', null)
    .orderBy('dead_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    noticeId: r.notice_id,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    deadAt: Number(r.dead_at),
  }))
}

/**
 * Make a dead letter due again (sendAgain) and audit who did it, in one
 * transaction. NotFoundError when the row is not (or no longer) dead, e.g.
 * a second click after the first one worked.
 */
export async function sendDeadLetterAgain(db: DB, actor: { id: string }, outboxId: string, now = Date.now()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // The write comes first, so on SQLite the transaction takes the write lock
    // at once instead of failing later with SQLITE_BUSY_SNAPSHOT.
    const revived = await sendAgain(trx, outboxId, now)
    if (!revived) throw new NotFoundError('This message is not waiting to be sent again.')
    const row = await trx.selectFrom('outbox').select(['kind', 'notice_id']).where('id', '=', outboxId).executeTakeFirstOrThrow()
    await appendAudit(
      trx,
      { actorType: 'staff', actorId: actor.id, action: 'outbox.sent_again', objectType: 'outbox', objectId: outboxId, detail: { kind: row.kind, noticeId: row.notice_id } },
      now,
    )
  })
}

// ---------------------------------------------------------------------------
// CSV

/** Cells a spreadsheet would run as a formula start with one of these (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * One CSV cell: text starting like a formula gets a leading `'` so Excel and
 * LibreOffice show it instead of running it; then RFC 4180 quoting. Numbers
 * are written as they are (a negative number is not text to guard).
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return ''
  let text = typeof value === 'number' ? String(value) : value
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const SCORECARD_CSV_HEADER = [
  'provider',
  'notices_sent',
  'median_ms_to_acknowledge',
  'median_ms_to_removal',
  'removed_within_48h',
  'share_removed_within_48h_percent',
  'overdue',
] as const

/** The scorecard as RFC 4180 CSV: CRLF line ends, a header row, one row per provider. */
export function scorecardCsv(rows: readonly ProviderScore[]): string {
  const lines = [SCORECARD_CSV_HEADER.join(',')]
  for (const r of rows) {
    const share = r.removedWithin48hShare === null ? null : Math.round(r.removedWithin48hShare * 1000) / 10
    lines.push(
      [r.providerName, r.sent, r.medianAckMs, r.medianRemovalMs, r.removedWithin48h, share, r.overdue].map(csvCell).join(','),
    )
  }
  return lines.join('\r\n') + '\r\n'
}
