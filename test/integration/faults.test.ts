/**
 * The fault suite: what happens to survivors' requests and providers' notices
 * when the world misbehaves. Each property is checked on what a person would
 * notice: a request that was acknowledged is there, a notice that is "sent"
 * has its email, every email arrives once (or is dead and shown on the
 * dashboard), a busy or full database answers 503 with Retry-After.
 *
 * - SMTP faults (both databases): a server that hangs up after 20 of 50
 *   messages, answers 421/451/452 and then recovers, refuses one recipient
 *   with 550, or stalls after its greeting; the real outbox worker delivers.
 * - SIGKILL (both databases): drivers (test/faults/driver.ts) open cases and
 *   send notices until killed at a random moment, 200 times; then nothing
 *   acknowledged is missing, nothing is half-written, and after recovery
 *   every notice email is delivered once.
 * - SQLite only, through the real HTTP server: the file held by another
 *   writer for 10 s, and the disk full.
 */
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { build } from 'esbuild'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { decryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { createMailer, type Mailer, type MailerConfig } from '../../app/lib/mailer.server'
import { enqueueEmail } from '../../app/lib/outbox.server'
import { startOutboxWorker } from '../../app/lib/outbox-worker.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { deadLetters } from '../../app/models/scorecard.server'
import { decodeSingleFetch } from '../helpers/single-fetch'
import { start, type StartOptions, type TestSmtpServer } from '../helpers/smtp'
import { startTakebackServer, type TakebackServer } from '../helpers/takeback-server'

const engine = inject('engine')
const ROOT = path.resolve(import.meta.dirname, '../..')
const FROM = 'Takeback <noreply@takeback.test>'

let server: TestSmtpServer | undefined
let mailer: Mailer | undefined

afterEach(async () => {
  await mailer?.close()
  await server?.stop()
  mailer = undefined
  server = undefined
})

beforeEach(async () => {
  await getDb().deleteFrom('outbox').execute()
})

async function smtp(options: StartOptions, config: Partial<MailerConfig> = {}) {
  server = await start(options)
  mailer = createMailer({ smtpUrl: server.url, dataDir: getEnv().DATA_DIR, ...config })
  return { server, mailer }
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const pending = async () =>
  Number(
    (await getDb().selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('sent_at', 'is', null).where('dead_at', 'is', null).executeTakeFirstOrThrow())
      .n,
  )

/**
 * Run the real outbox worker (short intervals and backoff, so retries come in
 * milliseconds) until nothing is left to send: every row sent or dead.
 */
async function deliverEverything(using: Mailer): Promise<void> {
  const worker = startOutboxWorker({
    db: getDb(),
    mailer: using,
    from: FROM,
    intervalMs: 20,
    limit: 10,
    maxAttempts: 10,
    backoff: { baseMs: 20, maxMs: 200 },
  })
  try {
    await waitFor('the outbox to empty', async () => (await pending()) === 0)
  } finally {
    await worker.stop()
  }
}

/** How many times the server accepted each Message-ID. */
function receivedById(s: TestSmtpServer): Map<string, number> {
  const counts = new Map<string, number>()
  for (const mail of s.messages) {
    const id = mail.parsed.messageId ?? ''
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/** Queue `n` emails, each to its own address, in one transaction; returns their Message-IDs. */
async function queue(n: number, to: (i: number) => string = (i) => `abuse-${i}@provider.example`): Promise<string[]> {
  return getDb()
    .transaction()
    .execute(async (trx) => {
      const ids: string[] = []
      for (let i = 0; i < n; i++) ids.push((await enqueueEmail(trx, { kind: 'notice', to: to(i), subject: `Removal request ${i}`, text: `Notice ${i}` })).messageId)
      return ids
    })
}

function expectEachOnce(s: TestSmtpServer, messageIds: string[]): void {
  const counts = receivedById(s)
  expect(
    messageIds.filter((id) => counts.get(id) !== 1).map((id) => `${id} x${counts.get(id) ?? 0}`),
    'every message accepted exactly once',
  ).toEqual([])
  expect(s.messages).toHaveLength(messageIds.length)
}

/** Faults injected in this file, for docs/security.md. */
const faults = { smtp: 0, kills: 0, acknowledgedCases: 0, acknowledgedNotices: 0, noticeEmailsDelivered: 0, busy: 0, full: 0 }
afterAll(() => {
  console.log(`fault suite (${engine}): ${JSON.stringify(faults)}`)
})

// ---------------------------------------------------------------------------

describe(`SMTP faults, with the real outbox worker (${engine})`, () => {
  it('loses and repeats nothing when the server hangs up after 20 of 50 messages', async () => {
    const { server, mailer } = await smtp({ closeAfterMessages: 20 }, { maxConnections: 1 })
    const ids = await queue(50)
    await deliverEverything(mailer)
    faults.smtp++
    expectEachOnce(server, ids)
    // The hang-up made the client connect again.
    expect(server.connections).toBeGreaterThanOrEqual(2)
    const rows = await getDb().selectFrom('outbox').select(['sent_at', 'dead_at']).execute()
    expect(rows.filter((r) => r.sent_at === null || r.dead_at !== null)).toEqual([])
  })

  it.each([
    [421, '4.3.2 Service shutting down, come back later', 'data'],
    [451, '4.7.1 Greylisted, try again later', 'rcpt'],
    [452, '4.5.3 Insufficient system storage', 'rcpt'],
  ] as const)('answers %i three times, then recovers: each message delivered once, the failures counted', async (code, message, at) => {
    const { server, mailer } = await smtp({ respond: (_session, index) => (index < 3 ? { code, message, at } : null) })
    const ids = await queue(10)
    await deliverEverything(mailer)
    faults.smtp += 3
    expectEachOnce(server, ids)
    const rows = await getDb().selectFrom('outbox').select(['attempts', 'sent_at', 'dead_at', 'last_error']).execute()
    expect(rows.every((r) => r.sent_at !== null && r.dead_at === null)).toBe(true)
    // Three refusals, each recorded against its row as a temporary failure.
    expect(rows.reduce((n, r) => n + r.attempts, 0)).toBe(3)
    expect(rows.filter((r) => r.attempts > 0).every((r) => r.last_error?.startsWith(`Temporary failure: ${code}`))).toBe(true)
  })

  it('refuses one recipient with 550: that message is dead, with the reply on the dashboard, and the rest arrive once', async () => {
    const gone = 'gone-mailbox@provider.example'
    const { server, mailer } = await smtp({
      rejectRecipient: (address) => (address === gone ? { code: 550, message: `5.1.1 <${gone}>: Recipient address rejected: mailbox unavailable` } : null),
    })
    const ids = await queue(10, (i) => (i === 4 ? gone : `abuse-${i}@provider.example`))
    await deliverEverything(mailer)
    faults.smtp++
    const deadId = ids[4]!
    const delivered = ids.filter((id) => id !== deadId)
    expectEachOnce(server, delivered)
    expect(server.messages.flatMap((m) => m.to)).not.toContain(gone)

    const dead = await getDb().selectFrom('outbox').select(['id', 'sent_at', 'dead_at', 'attempts']).where('message_id', '=', deadId).executeTakeFirstOrThrow()
    expect(dead).toMatchObject({ sent_at: null, attempts: 1 })
    expect(dead.dead_at).not.toBeNull()
    // What a caseworker sees on the dashboard: the reply, without the address.
    const letters = await deadLetters(getDb())
    expect(letters.map((l) => l.id)).toEqual([dead.id])
    expect(letters[0]!.lastError).toMatch(/^Permanent failure: .*550.*mailbox unavailable/)
    expect(letters[0]!.lastError).not.toContain('gone-mailbox')
  })

  it('times out on a server that stalls after its greeting, then delivers each message once', async () => {
    const { server, mailer } = await smtp(
      { stallAfterGreeting: 2 },
      // Short, so the test does not wait out the production timeouts (10 s, 30 s).
      { connectionTimeoutMs: 1000, greetingTimeoutMs: 1000, socketTimeoutMs: 500, maxConnections: 1 },
    )
    const ids = await queue(5)
    await deliverEverything(mailer)
    faults.smtp += 2
    expectEachOnce(server, ids)
    expect(server.connections).toBeGreaterThanOrEqual(3)
    const retried = await getDb().selectFrom('outbox').select(['attempts', 'last_error']).where('attempts', '>', 0).execute()
    expect(retried.length).toBeGreaterThan(0)
    expect(retried.every((r) => /^Temporary failure: .*(timeout|timed out)/i.test(r.last_error ?? ''))).toBe(true)
  })
})

// ---------------------------------------------------------------------------

/**
 * Kills wanted per database (the suite runs on both, so 200 in all), child
 * processes working at once, and the time allowed for them: the budget only
 * stops a machine far slower than this one from running on for minutes.
 */
const TARGET_KILLS = 100
const LANES = 3
const KILL_BUDGET_MS = 150_000
/** Fewer than this many kills in the budget means the machine is too loaded for the test to mean much. */
const MIN_KILLS = 30

describe(`SIGKILL during submissions and notice sends (${engine})`, () => {
  it(`loses no acknowledged request, leaves no notice without its emails, and delivers each once after ${TARGET_KILLS} kills`, async () => {
    const db = getDb()
    // The children must read the same keys (DATA_DIR/secrets.json) to write what we decrypt.
    getEnv()
    const staffId = newId()
    await db
      .insertInto('staff_user')
      .values({
        id: staffId,
        email: `caseworker-${staffId}@takeback.test`,
        role: 'caseworker',
        password_hash: '$argon2id$v=19$m=19456,p=1,t=3$unused$unused',
        totp_secret: null,
        totp_last_step: null,
        disabled_at: null,
        last_sign_in_at: null,
        created_at: 1,
        updated_at: 1,
      })
      .execute()
    const providerId = newId()
    const domain = `faults-${crypto.randomBytes(4).toString('hex')}.example`
    await db
      .insertInto('provider')
      .values({
        id: providerId,
        name: 'Fault Host Inc.',
        // Two addresses: a sent notice must have both of its emails, never one.
        notice_emails: JSON.stringify([`abuse@${domain}`, `legal@${domain}`]),
        regime: 'takeitdown',
        hash_list: 0,
        is_placeholder: 0,
        feed_checkpoint: null,
        feed_last_fetch_at: null,
        created_at: 1,
        updated_at: 1,
        disabled_at: null,
      })
      .execute()
    await db.insertInto('provider_domain').values({ domain, provider_id: providerId }).execute()

    // tsx needs seconds to start a child under load; one bundled file starts
    // in well under one, which is what makes 200 kills fit.
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-faults-'))
    const cacheDir = path.join(ROOT, 'node_modules/.cache/takeback-faults')
    fs.mkdirSync(cacheDir, { recursive: true })
    const driver = path.join(cacheDir, `driver-${engine}-${process.pid}.mjs`)
    await build({
      entryPoints: [path.join(ROOT, 'test/faults/driver.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: driver,
      // Native addons stay in node_modules, next to which the bundle is written.
      external: ['better-sqlite3', 'argon2', 'pg-native'],
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'error',
    })

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_POOL_SIZE: '2',
      FAULT_STAFF_ID: staffId,
      FAULT_DOMAIN: domain,
    }
    const ackFiles = Array.from({ length: LANES }, (_, i) => path.join(work, `lane-${i}.ack`))
    for (const file of ackFiles) fs.writeFileSync(file, '')

    /**
     * One driver run, killed after `kill.steps` acknowledged steps and
     * `kill.delayMs` more; or, with null, left to finish and exit. Counting
     * steps rather than time spreads the kills over every step (inside
     * argon2, inside a transaction, between commit and acknowledgement) on a
     * fast machine and on a loaded one alike.
     */
    const run = (ackFile: string, kill: { steps: number; delayMs: number } | null) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [driver], {
          cwd: ROOT,
          env: { ...env, FAULT_ACK_FILE: ackFile, ...(kill === null ? { FAULT_FINISH: '1' } : {}) },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stderr = ''
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
        const stuck = setTimeout(() => child.kill('SIGKILL'), 60_000)
        let ready = false
        let steps = 0
        let armed = false
        const arm = () => {
          if (kill === null || armed || !ready || steps < kill.steps) return
          armed = true
          setTimeout(() => child.kill('SIGKILL'), kill.delayMs)
        }
        child.stdout.on('data', (c: Buffer) => {
          for (const line of c.toString().split('\n')) {
            if (line === 'ready') ready = true
            if (line === 'step' && ready) steps++
          }
          arm()
        })
        child.once('exit', (code, signal) => {
          clearTimeout(stuck)
          const expected = kill === null ? code === 0 : signal === 'SIGKILL'
          if (expected && !stderr.includes('driver failed')) resolve()
          else reject(new Error(`driver ended with code ${code}, signal ${signal}:\n${stderr}`))
        })
      })

    const started = Date.now()
    let kills = 0
    await Promise.all(
      ackFiles.map(async (ackFile) => {
        while (kills < TARGET_KILLS && Date.now() - started < KILL_BUDGET_MS) {
          kills++
          await run(ackFile, { steps: Math.floor(Math.random() * 6), delayMs: Math.floor(Math.random() * 150) })
        }
      }),
    )
    faults.kills += kills

    // Read back what the drivers were told before they died.
    const acked = { cases: new Map<string, string>(), notices: new Set<string>(), begun: new Set<string>() }
    const readAcks = () => {
      for (const file of ackFiles) {
        for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
          const [kind, a, b] = line.split(' ')
          if (kind === 'begin') acked.begun.add(a!)
          if (kind === 'case') acked.cases.set(a!, b!)
          if (kind === 'notice') acked.notices.add(a!)
        }
      }
    }
    readAcks()

    const casesOfDomain = async () => {
      const rows = await db.selectFrom('case_location').select(['url', 'case_id']).where('registrable_domain', '=', domain).execute()
      const byKey = new Map<string, string[]>()
      for (const r of rows) {
        const key = r.url.split('/').pop()!
        byKey.set(key, [...(byKey.get(key) ?? []), r.case_id])
      }
      return byKey
    }

    /** The invariants that must hold at any moment, including right after a kill. */
    const checkConsistent = async () => {
      const byKey = await casesOfDomain()
      const caseIds = [...byKey.values()].flat()
      // Never two cases for one submission.
      expect([...byKey.entries()].filter(([, ids]) => ids.length !== 1)).toEqual([])
      // Every acknowledged case is there.
      expect([...acked.cases].filter(([key, id]) => byKey.get(key)?.[0] !== id)).toEqual([])
      // Every case is whole: its hashes, its idempotency answer, its audit entry.
      const hashes = await db.selectFrom('case_hash').select(['case_id']).where('case_id', 'in', caseIds).execute()
      const hashCount = new Map<string, number>()
      for (const h of hashes) hashCount.set(h.case_id, (hashCount.get(h.case_id) ?? 0) + 1)
      expect(caseIds.filter((id) => hashCount.get(id) !== 3)).toEqual([])
      const audited = new Set(
        (await db.selectFrom('audit_log').select('object_id').where('action', '=', 'case.created').where('object_id', 'in', caseIds).execute()).map((r) => r.object_id),
      )
      expect(caseIds.filter((id) => !audited.has(id))).toEqual([])
      const answers = await db.selectFrom('idempotency_key').select('response').where('response', 'is not', null).execute()
      const answered = new Set(
        answers.flatMap((r) => {
          try {
            return [(JSON.parse(decryptPersonal(r.response!)) as { caseId: string }).caseId]
          } catch {
            return []
          }
        }),
      )
      expect(caseIds.filter((id) => !answered.has(id))).toEqual([])
      // No idempotency key claimed without its answer: a retry would fail.
      expect(Number((await db.selectFrom('idempotency_key').select((eb) => eb.fn.countAll().as('n')).where('response', 'is', null).executeTakeFirstOrThrow()).n)).toBe(0)

      // A sent notice has both its emails and its event; a draft has none.
      const notices = await db.selectFrom('notice').select(['id', 'state', 'case_id']).where('case_id', 'in', caseIds).execute()
      const outbox = await db.selectFrom('outbox').select(['notice_id']).execute()
      const emails = new Map<string, number>()
      for (const o of outbox) emails.set(o.notice_id ?? 'none', (emails.get(o.notice_id ?? 'none') ?? 0) + 1)
      const events = await db.selectFrom('notice_event').select(['notice_id']).where('kind', '=', 'sent').where('case_id', 'in', caseIds).execute()
      const sentEvents = new Map<string, number>()
      for (const e of events) sentEvents.set(e.notice_id!, (sentEvents.get(e.notice_id!) ?? 0) + 1)
      const wrong = notices.filter((n) =>
        n.state === 'sent' ? emails.get(n.id) !== 2 || sentEvents.get(n.id) !== 1 : n.state !== 'draft' || emails.has(n.id) || sentEvents.has(n.id),
      )
      expect(wrong).toEqual([])
      // No email without its sent notice.
      const sent = new Set(notices.filter((n) => n.state === 'sent').map((n) => n.id))
      expect(outbox.filter((o) => !o.notice_id || !sent.has(o.notice_id))).toEqual([])
      // Every acknowledged notice is sent.
      expect([...acked.notices].filter((id) => !sent.has(id))).toEqual([])
      // At most one notice per case (a retried send never drafts a second).
      expect(notices.length).toBe(new Set(notices.map((n) => n.case_id)).size)

      expect(await verifyAuditChain(db)).toMatchObject({ ok: true })
      if (engine === 'sqlite') {
        expect((await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)).rows).toEqual([{ integrity_check: 'ok' }])
        expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([])
      }
      return { cases: caseIds.length, notices: sent.size }
    }

    const acknowledgedBeforeRecovery = acked.cases.size
    const afterKills = await checkConsistent()
    expect(afterKills.cases).toBeGreaterThan(0)

    // Recovery: each driver finishes what it began (same idempotency keys),
    // as a survivor's browser and a caseworker would after losing an answer.
    for (const file of ackFiles) await run(file, null)
    readAcks()
    const recovered = await checkConsistent()
    expect(recovered.cases).toBe(acked.begun.size)
    expect(recovered.notices).toBe(acked.begun.size)

    // Then every notice email is delivered exactly once.
    const { server, mailer } = await smtp({})
    await deliverEverything(mailer)
    const expectedIds = (await db.selectFrom('outbox').select('message_id').execute()).map((r) => r.message_id)
    expect(expectedIds).toHaveLength(2 * recovered.notices)
    expectEachOnce(server, expectedIds)

    faults.acknowledgedCases += acknowledgedBeforeRecovery
    faults.acknowledgedNotices += acked.notices.size
    faults.noticeEmailsDelivered += server.messages.length
    console.log(
      `SIGKILL (${engine}): ${kills} kills in ${Math.round((Date.now() - started) / 1000)} s; ${acked.begun.size} requests begun, ` +
        `${acknowledgedBeforeRecovery} acknowledged before the kills ended, all ${acked.begun.size} after recovery; ` +
        `${recovered.notices} notices sent, ${server.messages.length} emails delivered once each`,
    )
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS)
    fs.rmSync(work, { recursive: true, force: true })
    fs.rmSync(driver, { force: true })
  }, 400_000)
})

// ---------------------------------------------------------------------------

/** A tmpfs of its own for the SQLite file, so the disk can be filled (needs root). */
function mountTmpfs(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0
}

describe.runIf(engine === 'sqlite')('the SQLite file held by another writer, or on a full disk, through the real HTTP server', () => {
  let app: TakebackServer
  let mountDir = ''
  let mounted = false
  let dbFile = ''

  beforeAll(async () => {
    mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-disk-'))
    mounted = mountTmpfs(mountDir, '24m')
    dbFile = path.join(mountDir, 'takeback.db')
    fs.copyFileSync(inject('databaseSource'), dbFile)
    app = await startTakebackServer({ DATABASE_URL: dbFile, OUTBOX_WORKER: 'off', LOG_LEVEL: 'warn' })
  }, 600_000)

  afterAll(async () => {
    await app?.stop()
    if (mounted) spawnSync('umount', [mountDir])
    if (mountDir) fs.rmSync(mountDir, { recursive: true, force: true })
  })

  const requestBody = (key: string, files = 1) => ({
    idempotencyKey: key,
    requester: 'self_adult',
    language: 'en',
    files: Array.from({ length: files }, (_, i) => {
      const h = (what: string, n: number) => crypto.createHash('sha256').update(`${what}:${key}:${i}`).digest('hex').repeat(2).slice(0, n)
      return { media: 'image', pdq: h('pdq', 64), quality: 90, md5: h('md5', 32), sha256: h('sha256', 64) }
    }),
    urls: `https://www.example.com/held/${key}`,
    shareHashes: true,
    noticesConsent: true,
  })

  /** POST /request as the survivor's page sends it (single fetch). */
  async function submit(body: unknown) {
    const res = await fetch(`${app.baseURL}/request.data`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    const text = await res.text()
    return { status: res.status, retryAfter: res.headers.get('retry-after'), text }
  }

  const casesFor = (key: string) => {
    const reader = new SQLite(dbFile, { readonly: true })
    try {
      return (reader.prepare('select count(*) as n from case_location where url = ?').get(`https://www.example.com/held/${key}`) as { n: number }).n
    } finally {
      reader.close()
    }
  }
  const integrity = () => {
    const reader = new SQLite(dbFile, { readonly: true })
    try {
      return reader.pragma('integrity_check', { simple: true })
    } finally {
      reader.close()
    }
  }

  it('answers 503 with Retry-After while another writer holds the file for 10 s, and the same request succeeds after', async () => {
    const key = crypto.randomBytes(18).toString('base64url')
    const holder = new SQLite(dbFile)
    const heldAt = Date.now()
    holder.exec('BEGIN IMMEDIATE')
    let during: Awaited<ReturnType<typeof submit>>
    try {
      // The app waits busy_timeout (5 s), then gives up on the write lock.
      during = await submit(requestBody(key))
      // Held for the full 10 s, as a long backup or a stuck process would.
      await new Promise((r) => setTimeout(r, Math.max(0, heldAt + 10_000 - Date.now())))
    } finally {
      holder.exec('ROLLBACK')
      holder.close()
    }
    faults.busy++
    expect(during.status, during.text.slice(0, 300)).toBe(503)
    expect(Number(during.retryAfter)).toBeGreaterThan(0)
    expect(casesFor(key)).toBe(0)

    const after = await submit(requestBody(key))
    expect(after.status, after.text.slice(0, 300)).toBe(200)
    const answer = decodeSingleFetch(after.text) as { data: { ok: boolean; caseNumber: string } }
    expect(answer.data).toMatchObject({ ok: true, caseNumber: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/) })
    expect(casesFor(key)).toBe(1)
    expect(integrity()).toBe('ok')
  }, 60_000)

  it('answers 503 on a full disk, keeps nothing half-written, and works again once space is freed', async (context) => {
    // Filling the real disk is not an option: without root (to mount a small tmpfs) this one is skipped, visibly.
    if (!mounted) return context.skip('needs root to mount a small tmpfs for the database file')
    const key = crypto.randomBytes(18).toString('base64url')
    // Fill the file system to the last block.
    const filler = path.join(mountDir, 'filler')
    const fd = fs.openSync(filler, 'w')
    const chunk = Buffer.alloc(64 * 1024, 1)
    try {
      for (;;) fs.writeSync(fd, chunk)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    }
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(512, 1))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    }
    fs.closeSync(fd)

    let full: Awaited<ReturnType<typeof submit>>
    try {
      // Large enough to need new pages however much room the WAL still has.
      full = await submit(requestBody(key, 100))
      faults.full++
      expect(full.status, full.text.slice(0, 300)).toBe(503)
      expect(Number(full.retryAfter)).toBeGreaterThan(0)
      expect(casesFor(key)).toBe(0)
    } finally {
      fs.rmSync(filler)
    }
    expect(integrity()).toBe('ok')

    const again = await submit(requestBody(key, 100))
    expect(again.status, again.text.slice(0, 300)).toBe(200)
    expect(casesFor(key)).toBe(1)
    const another = crypto.randomBytes(18).toString('base64url')
    expect((await submit(requestBody(another))).status).toBe(200)
    expect(casesFor(another)).toBe(1)
    expect(integrity()).toBe('ok')
  }, 60_000)
})
