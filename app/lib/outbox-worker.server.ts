/**
 * Delivers the outbox. Models write an email as an `outbox` row in the
 * transaction that causes it (outbox.server.ts); this worker sends the rows
 * later: each row once in the normal case, and never lost.
 *
 * A worker claims due rows with one UPDATE (claimed_at, claimed_by; on
 * PostgreSQL with FOR UPDATE SKIP LOCKED, see claimDue), sends
 * them, and records the result with an UPDATE that only succeeds while it
 * still holds the claim. A worker that dies leaves its claim behind; after
 * `leaseMs` another worker may claim the row again. So a row is sent twice
 * only if a send outlives its lease or a worker dies between the server's
 * "250 OK" and the write that records it. Receivers can still tell the copies
 * apart: the Message-ID is the same on every attempt.
 *
 * Logs carry row ids, attempt counts and SMTP reply codes; never a recipient,
 * subject or body.
 */
import crypto from 'node:crypto'
import os from 'node:os'
import { PostgresAdapter } from 'kysely'
import type { Outbox } from '../../db/schema'
import { decryptPersonal, DecryptionError } from './crypto.server'
import { getDb, type DB } from './db.server'
import { getEnv, type Env } from './env.server'
import { log } from './log.server'
import { createMailer, InvalidMessageError, redactAddresses, type Mailer, type MailMessage, type SendResult } from './mailer.server'
import { forgetSingleton, singleton } from './singleton.server'

export interface BackoffPolicy {
  /** Wait after the first failed attempt. */
  baseMs: number
  /** Each further failure multiplies the wait by this. */
  factor: number
  /** The wait never exceeds this. */
  maxMs: number
  /** Up to this fraction is taken off each wait at random, so retries after an outage spread out. */
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, factor: 2, maxMs: 3_600_000, jitter: 0.2 }
export const DEFAULT_MAX_ATTEMPTS = 20
export const DEFAULT_LEASE_MS = 10 * 60_000

/** How long to wait after `attempts` failed attempts (1 for the first failure). */
export function backoffDelay(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempts - 1)
  const delay = Math.min(policy.maxMs, policy.baseMs * policy.factor ** exponent)
  return Math.max(0, Math.round(delay * (1 - policy.jitter * random())))
}

/** A name for this worker that is unique across processes and restarts. */
export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`
}

export interface ClaimOptions {
  workerId: string
  limit: number
  leaseMs: number
  now: number
}

/**
 * True on PostgreSQL. Asked of the adapter rather than of the environment,
 * so it is right for whatever connection (or transaction) the caller passes.
 */
function lockingEngine(db: DB): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * Claim up to `limit` due rows for `workerId` and return them, due first.
 * Due: not sent, not dead, next_attempt_at reached, and not claimed by a
 * worker whose lease is still running.
 *
 * One statement on both engines: `with due as materialized (select ... limit
 * n) update outbox ... where id in (select id from due) returning *`. On
 * PostgreSQL the CTE also says FOR UPDATE SKIP LOCKED, so of several
 * instances claiming at once each takes rows the others have not locked,
 * instead of waiting for them and coming away with fewer. MATERIALIZED makes
 * it run once: a subquery inside the UPDATE's WHERE may be rescanned, and a
 * rescan that skips the rows this very statement just locked picks the next
 * ones, claiming more than `limit`. SQLite has no row locks and runs one
 * writer at a time, so there the statement is atomic as it stands.
 */
export async function claimDue(db: DB, { workerId, limit, leaseMs, now }: ClaimOptions): Promise<Outbox[]> {
  const staleBefore = now - leaseMs
  const skipLocked = lockingEngine(db)
  const rows = await db
    .with(
      (cte) => cte('due').materialized(),
      (qb) =>
        qb
          .selectFrom('outbox')
          .select('id')
          .where('sent_at', 'is', null)
          .where('dead_at', 'is', null)
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('claimed_at', 'is', null), w('claimed_at', '<', staleBefore)]))
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(limit)
          .$if(skipLocked, (q) => q.forUpdate().skipLocked()),
    )
    .updateTable('outbox')
    .set({ claimed_at: now, claimed_by: workerId })
    .where((eb) =>
      eb.and([
        eb('id', 'in', eb.selectFrom('due').select('due.id')),
        // The same conditions again, on the row being updated. SKIP LOCKED
        // skips rows another claim holds now; a row whose claim committed
        // between our snapshot and our lock is re-read by PostgreSQL (READ
        // COMMITTED), and only these outer conditions then leave it alone.
        eb('sent_at', 'is', null),
        eb('dead_at', 'is', null),
        eb('next_attempt_at', '<=', now),
        eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', staleBefore)]),
      ]),
    )
    .returningAll()
    .execute()
  // RETURNING promises no order.
  return rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

export interface DeliveryOptions {
  workerId: string
  /** The From header (MAIL_FROM). */
  from: string
  maxAttempts?: number
  backoff?: Partial<BackoffPolicy>
  /** Fixed clock for tests; Date.now() at each step otherwise. */
  now?: number
  /** For the backoff's jitter; Math.random otherwise. */
  random?: () => number
}

export type DeliveryOutcome = 'sent' | 'retry' | 'dead' | 'skipped'

/** Thrown (and caught) when a row itself cannot become a message. */
class UnusableRowError extends Error {}

function parseHeaders(json: string | null): Record<string, string> | undefined {
  if (json === null) return undefined
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new UnusableRowError('The row\'s headers are not valid JSON.')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new UnusableRowError('The row\'s headers are not a JSON object of strings.')
  }
  return value as Record<string, string>
}

/**
 * Send one claimed row and record the result, only while `workerId` still
 * holds its claim. Returns what happened; never throws for a mail failure.
 */
export async function deliverOne(db: DB, mailer: Mailer, row: Outbox, options: DeliveryOptions): Promise<DeliveryOutcome> {
  const { workerId } = options
  const clock = () => options.now ?? Date.now()
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff }

  // Renew the claim just before sending. The row may have waited in a batch
  // behind slow sends; if our lease ran out and another worker took the row,
  // sending now would send it twice.
  const renewed = await db
    .updateTable('outbox')
    .set({ claimed_at: clock() })
    .where('id', '=', row.id)
    .where('claimed_by', '=', workerId)
    .where('sent_at', 'is', null)
    .where('dead_at', 'is', null)
    .executeTakeFirst()
  if (renewed.numUpdatedRows === 0n) {
    log.warn({ outboxId: row.id }, 'outbox: claim lost before sending; skipped')
    return 'skipped'
  }

  let recipient: string | undefined
  let result: SendResult
  try {
    recipient = decryptPersonal(row.recipient)
    const message: MailMessage = {
      from: options.from,
      to: recipient,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
      messageId: row.message_id,
      // Reply-To, In-Reply-To and References as enqueueEmail stored them; the
      // mailer checks every value again before nodemailer sees it.
      headers: parseHeaders(row.headers),
      outboxId: row.id,
    }
    result = await mailer.send(message)
  } catch (error) {
    const permanent = error instanceof InvalidMessageError || error instanceof UnusableRowError || error instanceof DecryptionError
    const reason = error instanceof DecryptionError ? `The recipient cannot be decrypted: ${error.message}` : (error as Error).message
    result = { accepted: false, permanent, response: reason || String(error) }
  }

  const now = clock()
  const owned = db
    .updateTable('outbox')
    .where('id', '=', row.id)
    // Only the claim holder records a result: a worker whose lease ran out
    // must not overwrite what the worker that took over recorded.
    .where('claimed_by', '=', workerId)

  if (result.accepted) {
    const done = await owned.set({ sent_at: now, claimed_at: null, claimed_by: null, updated_at: now }).executeTakeFirst()
    if (done.numUpdatedRows === 0n) log.warn({ outboxId: row.id }, 'outbox: sent, but the claim was lost before recording it')
    else log.info({ outboxId: row.id, attempts: row.attempts, code: result.code }, 'outbox: sent')
    return 'sent'
  }

  const attempts = row.attempts + 1
  const dead = result.permanent === true || attempts >= maxAttempts
  // The reply may quote the recipient; it is stored, so redact it.
  const lastError = redactAddresses(
    `${result.permanent ? 'Permanent failure' : 'Temporary failure'}: ${result.response}`,
    recipient ? [recipient] : [],
  )
  const update = await owned
    .set({
      attempts,
      last_error: lastError,
      claimed_at: null,
      claimed_by: null,
      updated_at: now,
      ...(dead ? { dead_at: now } : { next_attempt_at: now + backoffDelay(attempts, backoff, options.random) }),
    })
    .executeTakeFirst()
  if (update.numUpdatedRows === 0n) {
    log.warn({ outboxId: row.id, attempts }, 'outbox: failed, and the claim was lost before recording it')
  } else if (dead) {
    log.warn({ outboxId: row.id, attempts, code: result.code, permanent: result.permanent === true }, 'outbox: dead')
  } else {
    log.info({ outboxId: row.id, attempts, code: result.code }, 'outbox: will retry')
  }
  return dead ? 'dead' : 'retry'
}

export interface RunOptions extends DeliveryOptions {
  /** Rows claimed per run. */
  limit?: number
  leaseMs?: number
  /** Checked between deliveries: true stops the run and releases the rows not yet tried. */
  shouldStop?: () => boolean
}

export interface RunCounts {
  claimed: number
  sent: number
  retried: number
  dead: number
  skipped: number
  /** Claimed, then handed back unsent because the worker is stopping. */
  released: number
}

/** Claim due rows and deliver them one by one. */
export async function runOutboxOnce(db: DB, mailer: Mailer, options: RunOptions): Promise<RunCounts> {
  const rows = await claimDue(db, {
    workerId: options.workerId,
    limit: options.limit ?? 10,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    now: options.now ?? Date.now(),
  })
  const counts: RunCounts = { claimed: rows.length, sent: 0, retried: 0, dead: 0, skipped: 0, released: 0 }
  for (const [index, row] of rows.entries()) {
    if (options.shouldStop?.()) {
      // Hand the rest back now rather than making them wait out the lease.
      const rest = rows.slice(index).map((r) => r.id)
      const released = await db
        .updateTable('outbox')
        .set({ claimed_at: null, claimed_by: null })
        .where('id', 'in', rest)
        .where('claimed_by', '=', options.workerId)
        .executeTakeFirst()
      counts.released = Number(released.numUpdatedRows)
      break
    }
    const outcome = await deliverOne(db, mailer, row, options)
    if (outcome === 'sent') counts.sent++
    else if (outcome === 'retry') counts.retried++
    else if (outcome === 'dead') counts.dead++
    else counts.skipped++
  }
  return counts
}

export interface WorkerOptions extends Omit<RunOptions, 'now' | 'shouldStop' | 'workerId'> {
  db: DB
  mailer: Mailer
  /** Pause between polls when the outbox is empty. */
  intervalMs: number
  workerId?: string
}

export interface OutboxWorker {
  readonly workerId: string
  /** Poll now instead of at the next interval (e.g. right after queueing an email). */
  wake(): void
  /** Stop polling; resolves after the delivery in progress, if any, is recorded. */
  stop(): Promise<void>
}

/** Poll the outbox until stopped. Runs never overlap: the next is scheduled when one ends. */
export function startOutboxWorker(options: WorkerOptions): OutboxWorker {
  const { db, mailer, intervalMs, workerId: givenId, ...delivery } = options
  const workerId = givenId ?? newWorkerId()
  const limit = delivery.limit ?? 10
  let stopping = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const schedule = (ms: number) => {
    if (stopping) return
    clearTimeout(timer)
    timer = setTimeout(run, ms)
  }

  async function once(): Promise<number> {
    try {
      const counts = await runOutboxOnce(db, mailer, { ...delivery, workerId, limit, shouldStop: () => stopping })
      if (counts.claimed > 0) log.info({ workerId, ...counts }, 'outbox: run')
      return counts.claimed
    } catch (error) {
      // A database or network error: keep polling, it may come back. The
      // message names no personal data: our queries carry none in clear.
      log.error({ workerId, error: error instanceof Error ? error.message : String(error) }, 'outbox: run failed')
      return 0
    }
  }

  function run() {
    timer = undefined
    if (stopping || running) return
    running = once().then((claimed) => {
      running = undefined
      // A full batch means more may be due: go again at once.
      schedule(claimed >= limit ? 0 : intervalMs)
    })
  }

  schedule(0)
  return {
    workerId,
    wake() {
      if (!running) schedule(0)
    },
    async stop() {
      stopping = true
      clearTimeout(timer)
      timer = undefined
      await running
    },
  }
}

/** `sendAgain` for the dashboard: a dead row becomes due now, with a fresh set of attempts. */
export async function sendAgain(db: DB, outboxId: string, now = Date.now()): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({ dead_at: null, attempts: 0, next_attempt_at: now, claimed_at: null, claimed_by: null, updated_at: now })
    .where('id', '=', outboxId)
    .where('dead_at', 'is not', null)
    .where('sent_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export interface OutboxSettings {
  /** False when OUTBOX_WORKER=off: the app process then sends nothing (run `npm run worker`). */
  inProcess: boolean
  intervalMs: number
  limit: number
  leaseMs: number
  maxAttempts: number
  backoff: BackoffPolicy
}

/** The worker's settings from the OUTBOX_* variables (checked in env.server.ts). */
export function readOutboxSettings(e: Env = getEnv()): OutboxSettings {
  return {
    inProcess: e.OUTBOX_WORKER === 'on',
    intervalMs: e.OUTBOX_INTERVAL_MS,
    limit: e.OUTBOX_BATCH_SIZE,
    leaseMs: e.OUTBOX_LEASE_MS,
    maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
    backoff: { ...DEFAULT_BACKOFF, baseMs: e.OUTBOX_BACKOFF_BASE_MS, maxMs: Math.max(e.OUTBOX_BACKOFF_MAX_MS, e.OUTBOX_BACKOFF_BASE_MS) },
  }
}

/**
 * Start a worker and its mailer from the environment, on `db`. Used by the
 * worker process and by startInProcessWorker.
 */
export function startWorkerFromEnv(db: DB, env: Env = getEnv()): OutboxWorker & { mode: Mailer['mode'] } {
  const settings = readOutboxSettings(env)
  // Sends must end well inside the lease (see createMailer's sendTimeoutMs).
  const mailer = createMailer({ smtpUrl: env.SMTP_URL, dataDir: env.DATA_DIR, sendTimeoutMs: Math.min(120_000, settings.leaseMs / 4) })
  const worker = startOutboxWorker({ db, mailer, from: env.MAIL_FROM, ...settings })
  log.info({ workerId: worker.workerId, mode: mailer.mode }, 'outbox worker started')
  return {
    mode: mailer.mode,
    workerId: worker.workerId,
    wake: worker.wake,
    async stop() {
      await worker.stop()
      await mailer.close()
      log.info({ workerId: worker.workerId }, 'outbox worker stopped')
    },
  }
}

/**
 * Run the worker inside the app process, on the app's database; null when
 * OUTBOX_WORKER=off (run `npm run worker` instead). Safe to call twice.
 */
export function startInProcessWorker(env: Env = getEnv()): OutboxWorker | null {
  if (!readOutboxSettings(env).inProcess) {
    log.info('outbox: in-process worker off (OUTBOX_WORKER=off)')
    return null
  }
  // One per process, even if the server module graph is loaded twice (Vite dev).
  return singleton('outbox-worker', () => {
    const worker = startWorkerFromEnv(getDb(), env)
    return {
      workerId: worker.workerId,
      wake: worker.wake,
      async stop() {
        forgetSingleton('outbox-worker')
        await worker.stop()
      },
    }
  })
}
