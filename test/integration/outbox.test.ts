import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import type { Outbox } from '../../db/schema'
import { encryptPersonal } from '../../app/lib/crypto.server'
import { connect, getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { ValidationError } from '../../app/lib/errors.server'
import { newId } from '../../app/lib/ids.server'
import { createMailer, listMailFiles, redactAddresses, smtpOptionsFromUrl, type Mailer } from '../../app/lib/mailer.server'
import { enqueueEmail } from '../../app/lib/outbox.server'
import {
  claimDue,
  deliverOne,
  runOutboxOnce,
  sendAgain,
  startOutboxWorker,
  backoffDelay,
  DEFAULT_BACKOFF,
} from '../../app/lib/outbox-worker.server'
import { start, type StartOptions, type TestSmtpServer } from '../helpers/smtp'
import { freePort } from '../setup/postgres'

const FROM = 'Takeback <noreply@takeback.test>'
const TO = 'abuse-desk@provider.example'
const LEASE = 60_000

let server: TestSmtpServer | undefined
let mailer: Mailer | undefined

async function smtp(respond?: StartOptions['respond']) {
  server = await start({ respond })
  mailer = createMailer({ smtpUrl: server.url, dataDir: getEnv().DATA_DIR })
  return { server, mailer }
}

afterEach(async () => {
  // The client first, so the server is not left waiting on a pooled connection.
  await mailer?.close()
  await server?.stop()
  mailer = undefined
  server = undefined
})

beforeEach(async () => {
  await getDb().deleteFrom('outbox').execute()
})

/** An outbox row written directly, for rows the model would refuse to write. */
async function insertRow(overrides: { to?: string; subject?: string; headers?: string | null; now?: number } = {}) {
  const id = newId()
  const now = overrides.now ?? Date.now()
  await getDb()
    .insertInto('outbox')
    .values({
      id,
      kind: 'test',
      notice_id: null,
      recipient: encryptPersonal(overrides.to ?? TO),
      subject: overrides.subject ?? 'Removal request',
      text_body: 'Please remove the reported content.',
      html_body: '<p>Please remove the reported content.</p>',
      headers: overrides.headers ?? null,
      message_id: `<${id}@takeback.test>`,
      next_attempt_at: now,
      claimed_at: null,
      claimed_by: null,
      sent_at: null,
      dead_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
  return id
}

async function row(id: string): Promise<Outbox> {
  return getDb().selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe(`outbox delivery (${inject('engine')})`, () => {
  it('delivers a due row once, with its Message-ID, subject, text and HTML, and marks it sent', async () => {
    const { server, mailer } = await smtp()
    const t0 = Date.now()
    const queued = await getDb()
      .transaction()
      .execute((trx) =>
        enqueueEmail(trx, { kind: 'notice.sent', to: TO, subject: 'Takedown request 2931', text: 'Plain body', html: '<p>HTML body</p>' }, t0),
      )
    const later = await insertRow({ now: t0 + 60_000 })

    const first = await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })
    expect(first).toMatchObject({ claimed: 1, sent: 1, retried: 0, dead: 0 })
    expect(server.messages).toHaveLength(1)
    const mail = server.messages[0]!
    expect(mail.parsed.messageId).toBe(queued.messageId)
    expect(mail.parsed.subject).toBe('Takedown request 2931')
    expect(mail.parsed.text?.trim()).toBe('Plain body')
    expect(mail.parsed.html).toContain('<p>HTML body</p>')
    expect(mail.to).toEqual([TO])
    expect(mail.from).toBe('noreply@takeback.test')

    const sent = await row(queued.id)
    expect(sent.sent_at).toBe(t0)
    expect(sent.attempts).toBe(0)
    expect(sent.claimed_by).toBeNull()
    expect(sent.claimed_at).toBeNull()
    expect((await row(later)).sent_at).toBeNull()

    const second = await runOutboxOnce(getDb(), mailer, { workerId: 'w2', from: FROM, now: t0 + 1000 })
    expect(second.claimed).toBe(0)
    expect(server.messages).toHaveLength(1)
  })

  it('sends Reply-To, In-Reply-To and References as queued', async () => {
    const { server, mailer } = await smtp()
    const t0 = Date.now()
    const queued = await getDb()
      .transaction()
      .execute((trx) =>
        enqueueEmail(
          trx,
          {
            kind: 'notice.reminder',
            to: TO,
            subject: 'Reminder',
            text: 'Plain body',
            replyTo: 'notices@helpline.example',
            inReplyTo: '<notice-1.2@takeback.test>',
            references: ['<notice-1@takeback.test>', '<notice-1.2@takeback.test>'],
          },
          t0,
        ),
      )
    expect(JSON.parse((await row(queued.id)).headers!)).toEqual({
      'Reply-To': 'notices@helpline.example',
      'In-Reply-To': '<notice-1.2@takeback.test>',
      References: '<notice-1@takeback.test> <notice-1.2@takeback.test>',
    })
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ sent: 1 })
    const mail = server.messages[0]!
    expect(mail.parsed.replyTo?.value.map((a) => a.address)).toEqual(['notices@helpline.example'])
    expect(mail.parsed.inReplyTo).toBe('<notice-1.2@takeback.test>')
    expect(mail.parsed.references).toEqual(['<notice-1@takeback.test>', '<notice-1.2@takeback.test>'])
    // The reply address never becomes a recipient.
    expect(mail.to).toEqual([TO])
  })

  const badHeaders: Array<[string, Partial<Parameters<typeof enqueueEmail>[1]>, string]> = [
    ['Reply-To with CR LF', { replyTo: 'notices@helpline.example\r\nBcc: thief@evil.example' }, 'replyTo'],
    ['Reply-To with U+2028', { replyTo: 'notices@helpline.example\u2028Bcc: thief@evil.example' }, 'replyTo'],
    ['Reply-To with two addresses', { replyTo: 'notices@helpline.example, thief@evil.example' }, 'replyTo'],
    ['In-Reply-To with LF', { inReplyTo: '<a@b.example>\nBcc: thief@evil.example' }, 'inReplyTo'],
    ['In-Reply-To with U+2028', { inReplyTo: '<a@b.example>\u2028Bcc: thief@evil.example' }, 'inReplyTo'],
    ['References with CR', { references: ['<a@b.example>', '<c@d.example>\rBcc: thief@evil.example'] }, 'references'],
    ['References with U+2028', { references: ['<a@b.example>\u2028Bcc: thief@evil.example'] }, 'references'],
    ['References that are not Message-IDs', { references: ['thief@evil.example'] }, 'references'],
  ]

  it.each(badHeaders)('refuses %s and stores nothing', async (_name, extra, field) => {
    const attempt = getDb()
      .transaction()
      .execute((trx) => enqueueEmail(trx, { kind: 'test', to: TO, subject: 'Hello', text: 'Body', ...extra }))
    await expect(attempt).rejects.toMatchObject({ field })
    await expect(attempt).rejects.toBeInstanceOf(ValidationError)
    expect(await getDb().selectFrom('outbox').select('id').execute()).toEqual([])
  })

  it('retries after a 451 with backoff and delivers exactly once, recording one failed attempt', async () => {
    const { server, mailer } = await smtp((_session, index) =>
      index === 0 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : null,
    )
    const t0 = Date.now()
    const id = await insertRow({ now: t0 })

    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ retried: 1, sent: 0 })
    expect(server.messages).toHaveLength(0)
    const waiting = await row(id)
    expect(waiting.attempts).toBe(1)
    expect(waiting.sent_at).toBeNull()
    expect(waiting.dead_at).toBeNull()
    expect(waiting.claimed_by).toBeNull()
    expect(waiting.last_error).toMatch(/^Temporary failure: 451/)
    // The first wait is the base, less up to the jitter.
    expect(waiting.next_attempt_at).toBeGreaterThanOrEqual(t0 + DEFAULT_BACKOFF.baseMs * (1 - DEFAULT_BACKOFF.jitter))
    expect(waiting.next_attempt_at).toBeLessThanOrEqual(t0 + DEFAULT_BACKOFF.baseMs)

    // Not due yet: nothing is claimed.
    expect((await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: waiting.next_attempt_at - 1 })).claimed).toBe(0)

    const retry = await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: waiting.next_attempt_at })
    expect(retry).toMatchObject({ claimed: 1, sent: 1 })
    expect(server.messages).toHaveLength(1)
    expect(server.transactions).toBe(2)
    const sent = await row(id)
    expect(sent.sent_at).toBe(waiting.next_attempt_at)
    expect(sent.attempts).toBe(1)

    expect((await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: waiting.next_attempt_at + 3_600_000 })).claimed).toBe(0)
    expect(server.messages).toHaveLength(1)
  })

  it.each(['rcpt', 'data'] as const)('gives up on a 550 at %s, keeping the reply with the address redacted', async (at) => {
    const { server, mailer } = await smtp((_session, index) =>
      index === 0 ? { code: 550, message: `5.1.1 <${TO}>: Recipient address rejected: abuse-desk unknown`, at } : null,
    )
    const t0 = Date.now()
    const id = await insertRow({ now: t0 })

    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ dead: 1, sent: 0 })
    expect(server.messages).toHaveLength(0)
    const dead = await row(id)
    expect(dead.dead_at).toBe(t0)
    expect(dead.attempts).toBe(1)
    expect(dead.claimed_by).toBeNull()
    expect(dead.last_error).toMatch(/^Permanent failure: .*550/)
    expect(dead.last_error).toContain('Recipient address rejected')
    expect(dead.last_error).toContain('[redacted]')
    expect(dead.last_error).not.toContain('abuse-desk')
    expect(dead.last_error).not.toContain('provider.example')

    // A dead row is never claimed again on its own...
    expect((await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 + 86_400_000 })).claimed).toBe(0)
    // ...until someone asks to send it again.
    expect(await sendAgain(getDb(), id, t0 + 1000)).toBe(true)
    const again = await row(id)
    expect(again).toMatchObject({ dead_at: null, attempts: 0, next_attempt_at: t0 + 1000 })
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 + 1000 })).toMatchObject({ sent: 1 })
    expect(server.messages).toHaveLength(1)
    // Only dead rows can be sent again.
    expect(await sendAgain(getDb(), id, t0 + 2000)).toBe(false)
  })

  it('dies after the maximum number of temporary failures', async () => {
    const { server, mailer } = await smtp(() => ({ code: 421, message: '4.3.2 Service shutting down' }))
    const t0 = Date.now()
    const id = await insertRow({ now: t0 })
    await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0, maxAttempts: 2 })
    const first = await row(id)
    expect(first).toMatchObject({ attempts: 1, dead_at: null })
    await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: first.next_attempt_at, maxAttempts: 2 })
    const second = await row(id)
    expect(second).toMatchObject({ attempts: 2, dead_at: first.next_attempt_at, sent_at: null })
    expect(second.last_error).toMatch(/^Temporary failure: 421/)
    expect(server.messages).toHaveLength(0)
  })

  it('treats a refused connection as temporary', async () => {
    const port = await freePort()
    mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, dataDir: getEnv().DATA_DIR, connectionTimeoutMs: 2000 })
    const t0 = Date.now()
    const id = await insertRow({ now: t0 })
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ retried: 1 })
    const waiting = await row(id)
    expect(waiting).toMatchObject({ attempts: 1, dead_at: null, sent_at: null, claimed_by: null })
    expect(waiting.last_error).toMatch(/^Temporary failure: .*ECONNREFUSED/)
    expect(waiting.next_attempt_at).toBeGreaterThan(t0)
  })

  it('treats a server that never greets as temporary (a timeout)', async () => {
    const sockets: net.Socket[] = []
    const silent = net.createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as net.AddressInfo).port
      mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, dataDir: getEnv().DATA_DIR, greetingTimeoutMs: 200 })
      const t0 = Date.now()
      const id = await insertRow({ now: t0 })
      expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ retried: 1 })
      const waiting = await row(id)
      expect(waiting).toMatchObject({ attempts: 1, dead_at: null, sent_at: null })
      expect(waiting.last_error).toMatch(/^Temporary failure: .*Greeting never received/)
    } finally {
      await mailer?.close()
      mailer = undefined
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('never lets two workers claim the same row, from two connections at once', async () => {
    const config = getEnv().database
    const a = connect(config, { poolSize: 2 })
    const b = connect(config, { poolSize: 2 })
    try {
      const t0 = Date.now()
      const ids: string[] = []
      for (let i = 0; i < 40; i++) ids.push(await insertRow({ now: t0 }))
      // Warm both pools so the claims below really start together.
      await Promise.all([a.db.selectFrom('outbox').select('id').limit(1).execute(), b.db.selectFrom('outbox').select('id').limit(1).execute()])

      const byA: string[] = []
      const byB: string[] = []
      for (let round = 0; round < 20; round++) {
        const [fromA, fromB] = await Promise.all([
          claimDue(a.db, { workerId: 'A', limit: 7, leaseMs: LEASE, now: t0 }),
          claimDue(b.db, { workerId: 'B', limit: 7, leaseMs: LEASE, now: t0 }),
        ])
        byA.push(...fromA.map((r) => r.id))
        byB.push(...fromB.map((r) => r.id))
        if (fromA.length === 0 && fromB.length === 0) break
      }
      expect(byA.filter((id) => byB.includes(id))).toEqual([])
      expect(new Set(byA).size).toBe(byA.length)
      expect(new Set(byB).size).toBe(byB.length)
      expect([...byA, ...byB].sort()).toEqual([...ids].sort())
      const stored = await getDb().selectFrom('outbox').select(['id', 'claimed_by']).execute()
      for (const r of stored) expect(r.claimed_by).toBe(byA.includes(r.id) ? 'A' : 'B')

      // All claimed: within the lease, neither gets anything more.
      const [lateA, lateB] = await Promise.all([
        claimDue(a.db, { workerId: 'A', limit: 50, leaseMs: LEASE, now: t0 + 1000 }),
        claimDue(b.db, { workerId: 'B', limit: 50, leaseMs: LEASE, now: t0 + 1000 }),
      ])
      expect(lateA.length + lateB.length).toBe(0)

      // After the lease, everything is claimable again, still by one worker each.
      const [reA, reB] = await Promise.all([
        claimDue(a.db, { workerId: 'A', limit: 50, leaseMs: LEASE, now: t0 + LEASE + 1 }),
        claimDue(b.db, { workerId: 'B', limit: 50, leaseMs: LEASE, now: t0 + LEASE + 1 }),
      ])
      const reIds = [...reA, ...reB].map((r) => r.id)
      expect(reIds.sort()).toEqual([...ids].sort())
    } finally {
      await a.close()
      await b.close()
    }
  })

  // The race the simple test above can miss: B claims while A's claim is not
  // yet committed. With FOR UPDATE SKIP LOCKED, B neither waits for A's row
  // locks nor takes A's rows: it claims other rows at once. (Without it, B
  // would wait for A's locks; the loop below fails as soon as it sees that.)
  // SQLite cannot get here (one writer at a time, and a blocked
  // better-sqlite3 call would block this very process).
  it.runIf(inject('engine') === 'postgres')('skips rows another worker holds, without waiting for their locks', async () => {
    const config = getEnv().database
    const a = connect(config, { poolSize: 1 })
    const b = connect(config, { poolSize: 1 })
    try {
      const t0 = Date.now()
      for (let i = 0; i < 10; i++) await insertRow({ now: t0 })
      let idsB: string[] = []
      const claimedByA = await a.db.transaction().execute(async (trx) => {
        const rows = await claimDue(trx, { workerId: 'A', limit: 5, leaseMs: LEASE, now: t0 })
        let settled = false
        const claimedByB = claimDue(b.db, { workerId: 'B', limit: 5, leaseMs: LEASE, now: t0 }).finally(() => {
          settled = true
        })
        // B must finish while A still holds its uncommitted claim, and never wait on a lock meanwhile.
        while (!settled) {
          const { rows: waiting } = await sql<{ n: number }>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`.execute(getDb())
          if ((waiting[0]?.n ?? 0) > 0) throw new Error('B waited for the row locks of A')
          await new Promise((r) => setTimeout(r, 10))
        }
        idsB = (await claimedByB).map((r) => r.id)
        return rows
      })
      const idsA = claimedByA.map((r) => r.id)
      expect(idsA).toHaveLength(5)
      expect(idsB).toHaveLength(5)
      expect(idsB.filter((id) => idsA.includes(id))).toEqual([])
      const owners = await getDb().selectFrom('outbox').select(['id', 'claimed_by']).where('id', 'in', idsA).execute()
      expect(owners.map((r) => r.claimed_by)).toEqual(['A', 'A', 'A', 'A', 'A'])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it.runIf(inject('engine') === 'postgres')('shares 50 due rows between two workers claiming at once, none claimed twice', async () => {
    const config = getEnv().database
    const a = connect(config, { poolSize: 2 })
    const b = connect(config, { poolSize: 2 })
    try {
      const t0 = Date.now()
      const ids: string[] = []
      for (let i = 0; i < 50; i++) ids.push(await insertRow({ now: t0 }))
      // Each claim holds its row locks a moment (as a worker's transaction would), so the other's claims overlap it.
      const drain = async (conn: typeof a, workerId: string) => {
        const mine: string[] = []
        for (;;) {
          const rows = await conn.db.transaction().execute(async (trx) => {
            const claimed = await claimDue(trx, { workerId, limit: 4, leaseMs: LEASE, now: t0 })
            await sql`select pg_sleep(0.005)`.execute(trx)
            return claimed
          })
          if (rows.length === 0) return mine
          // Never more than asked for (a rescanned SKIP LOCKED subquery would take more).
          expect(rows.length).toBeLessThanOrEqual(4)
          mine.push(...rows.map((r) => r.id))
        }
      }
      const [byA, byB] = await Promise.all([drain(a, 'A'), drain(b, 'B')])
      expect(byA.filter((id) => byB.includes(id))).toEqual([])
      expect(new Set(byA).size).toBe(byA.length)
      expect(new Set(byB).size).toBe(byB.length)
      expect([...byA, ...byB].sort()).toEqual([...ids].sort())
      const stored = await getDb().selectFrom('outbox').select(['id', 'claimed_by']).execute()
      for (const r of stored) expect(r.claimed_by).toBe(byA.includes(r.id) ? 'A' : 'B')
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('lets another worker deliver a row whose worker died, after the lease, exactly once', async () => {
    const { server, mailer } = await smtp()
    const t0 = Date.now()
    const id = await insertRow({ now: t0 })

    // Worker A claims, then "dies" without delivering.
    const [claimedByA] = await claimDue(getDb(), { workerId: 'A', limit: 10, leaseMs: LEASE, now: t0 })
    expect(claimedByA?.id).toBe(id)

    // Within A's lease, B gets nothing.
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'B', from: FROM, now: t0 + LEASE - 1, leaseMs: LEASE })).toMatchObject({
      claimed: 0,
    })

    // After it, B claims the row.
    const [claimedByB] = await claimDue(getDb(), { workerId: 'B', limit: 10, leaseMs: LEASE, now: t0 + LEASE + 1 })
    expect(claimedByB?.id).toBe(id)
    // A comes back to life and tries to deliver its stale claim: refused before sending.
    expect(await deliverOne(getDb(), mailer, claimedByA!, { workerId: 'A', from: FROM, now: t0 + LEASE + 2 })).toBe('skipped')
    expect(server.transactions).toBe(0)

    expect(await deliverOne(getDb(), mailer, claimedByB!, { workerId: 'B', from: FROM, now: t0 + LEASE + 3 })).toBe('sent')
    // And again after B recorded it: still nothing more is sent.
    expect(await deliverOne(getDb(), mailer, claimedByA!, { workerId: 'A', from: FROM, now: t0 + LEASE + 4 })).toBe('skipped')
    expect((await runOutboxOnce(getDb(), mailer, { workerId: 'C', from: FROM, now: t0 + 10 * LEASE, leaseMs: LEASE })).claimed).toBe(0)

    expect(server.messages).toHaveLength(1)
    expect(server.messages[0]!.parsed.messageId).toBe(`<${id}@takeback.test>`)
    expect(await row(id)).toMatchObject({ sent_at: t0 + LEASE + 3, claimed_by: null, attempts: 0 })
  })

  it('keeps a worker whose lease ran out during a slow send from overwriting the new claim', async () => {
    const { server, mailer: smtpMailer } = await smtp((_session, index) => (index === 0 ? { code: 451, message: '4.4.2 Slow and failing' } : null))
    const t0 = Date.now()
    const id = await insertRow({ now: t0 })
    const [claimedByA] = await claimDue(getDb(), { workerId: 'A', limit: 1, leaseMs: LEASE, now: t0 })
    // A's send takes longer than its lease: meanwhile B claims the row.
    const slow: Mailer = {
      mode: 'smtp',
      async send(message) {
        expect(await claimDue(getDb(), { workerId: 'B', limit: 1, leaseMs: LEASE, now: t0 + LEASE + 1 })).toHaveLength(1)
        return smtpMailer.send(message)
      },
      close: () => smtpMailer.close(),
    }
    expect(await deliverOne(getDb(), slow, claimedByA!, { workerId: 'A', from: FROM, now: t0 })).toBe('retry')
    // A's failure is not recorded over B's claim.
    expect(await row(id)).toMatchObject({ claimed_by: 'B', claimed_at: t0 + LEASE + 1, attempts: 0, last_error: null, next_attempt_at: t0 })

    const [claimedByB] = await getDb().selectFrom('outbox').selectAll().where('id', '=', id).execute()
    expect(await deliverOne(getDb(), smtpMailer, claimedByB!, { workerId: 'B', from: FROM, now: t0 + LEASE + 2 })).toBe('sent')
    expect(server.messages).toHaveLength(1)
    expect(await row(id)).toMatchObject({ sent_at: t0 + LEASE + 2, claimed_by: null, attempts: 0 })
  })

  it('writes an .eml file readable by mailparser when there is no SMTP_URL', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-mail-'))
    try {
      mailer = createMailer({ smtpUrl: null, dataDir })
      const t0 = Date.now()
      const id = await insertRow({ now: t0, subject: 'Aviso de retirada', headers: JSON.stringify({ 'X-Takeback-Notice': 'N-1' }) })
      expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ sent: 1 })

      const dir = path.join(dataDir, 'mail')
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
      const files = await listMailFiles(dataDir)
      expect(files).toHaveLength(1)
      const file = files[0]!
      expect(file.name).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T.*-${id}\\.eml$`))
      expect(fs.statSync(file.path).mode & 0o777).toBe(0o600)
      // Only finished files: no temporary file is left behind.
      expect(fs.readdirSync(dir)).toEqual([file.name])

      const parsed = await simpleParser(fs.readFileSync(file.path))
      expect(parsed.messageId).toBe(`<${id}@takeback.test>`)
      expect(parsed.subject).toBe('Aviso de retirada')
      expect(parsed.text?.trim()).toBe('Please remove the reported content.')
      expect(parsed.html).toContain('<p>Please remove the reported content.</p>')
      expect(parsed.headers.get('x-takeback-notice')).toBe('N-1')
      const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to
      expect(to?.value[0]?.address).toBe(TO)
      expect((await row(id)).sent_at).toBe(t0)
      expect(await listMailFiles(path.join(dataDir, 'nothing-here'))).toEqual([])
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })

  const injections: Array<[string, Parameters<typeof insertRow>[0], RegExp]> = [
    ['a recipient with CR LF', { to: `${TO}\r\nBcc: thief@evil.example` }, /recipient contains a line break/],
    ['a recipient with U+2028', { to: `${TO}\u2028Bcc: thief@evil.example` }, /recipient contains a line break/],
    ['a recipient list', { to: `${TO}, thief@evil.example` }, /recipient is not a single plain email address/],
    ['a subject with LF', { subject: 'Hello\nBcc: thief@evil.example' }, /subject contains a line break/],
    ['a subject with U+2028', { subject: 'Hello\u2028Bcc: thief@evil.example' }, /subject contains a line break/],
    ['a subject with U+0085', { subject: 'Hello\u0085Bcc: thief@evil.example' }, /subject contains a line break/],
    ['an extra header with CR', { headers: JSON.stringify({ 'X-Ref': 'a\rBcc: thief@evil.example' }) }, /header X-Ref contains a line break/],
    ['an extra Bcc header', { headers: JSON.stringify({ Bcc: 'thief@evil.example' }) }, /header Bcc would override/],
  ]

  it.each(injections)('refuses %s before sending and the row goes dead', async (_name, overrides, reason) => {
    const { server, mailer } = await smtp()
    const t0 = Date.now()
    const id = await insertRow({ ...overrides, now: t0 })
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ dead: 1 })
    expect(server.transactions).toBe(0)
    const dead = await row(id)
    expect(dead.dead_at).toBe(t0)
    expect(dead.last_error).toMatch(/^Permanent failure: /)
    expect(dead.last_error).toMatch(reason)
    expect(dead.last_error).not.toContain('abuse-desk')
    expect(dead.last_error).not.toContain('thief')
  })

  it('polls in the background, never overlapping, and stops cleanly', async () => {
    const { server, mailer } = await smtp()
    const ids = [await insertRow(), await insertRow(), await insertRow()]
    // A batch of 2 forces a second run straight after the first.
    const worker = startOutboxWorker({ db: getDb(), mailer, from: FROM, intervalMs: 50, limit: 2 })
    const deadline = Date.now() + 10_000
    while (server.messages.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await worker.stop()
    expect(server.messages).toHaveLength(3)
    const rows = await getDb().selectFrom('outbox').select(['id', 'sent_at', 'claimed_by']).execute()
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort())
    for (const r of rows) expect(r).toMatchObject({ claimed_by: null, sent_at: expect.any(Number) })

    // Stopped: a new row stays queued.
    const late = await insertRow()
    worker.wake()
    await new Promise((r) => setTimeout(r, 200))
    expect((await row(late)).sent_at).toBeNull()
    expect(server.messages).toHaveLength(3)
  })
})

describe('mail settings and policies', () => {
  it('reads TLS from SMTP_URL: implicit for smtps, required STARTTLS for smtp, plain only to loopback or when asked', () => {
    expect(smtpOptionsFromUrl('smtps://u%40x:p%3Aw@mail.example:465')).toMatchObject({
      host: 'mail.example',
      port: 465,
      secure: true,
      requireTLS: false,
      auth: { user: 'u@x', pass: 'p:w' },
    })
    expect(smtpOptionsFromUrl('smtp://u:p@mail.example')).toMatchObject({ port: 587, secure: false, requireTLS: true, ignoreTLS: false })
    expect(smtpOptionsFromUrl('smtp://127.0.0.1:2525')).toMatchObject({ port: 2525, requireTLS: false, ignoreTLS: true, auth: undefined })
    expect(smtpOptionsFromUrl('smtp://relay.internal:25?tls=none')).toMatchObject({ requireTLS: false, ignoreTLS: true })
    expect(smtpOptionsFromUrl('smtp://localhost:25?tls=starttls')).toMatchObject({ requireTLS: true, ignoreTLS: false })
    expect(() => smtpOptionsFromUrl('http://u:secret@mail.example')).toThrow(/smtp:\/\/ or smtps:\/\//)
    expect(() => smtpOptionsFromUrl('smtp://u:secret@mail.example?tls=maybe')).toThrow(/tls=/)
    // The password never appears in an error.
    expect(() => smtpOptionsFromUrl('not a url secret')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('secret') }))
  })

  it('redacts addresses, and the known recipient in any case', () => {
    expect(redactAddresses('550 <Bob.Smith@Example.org> unknown; bob.smith has no mailbox', ['bob.smith@example.org'])).toBe(
      '550 <[redacted]> unknown; [redacted] has no mailbox',
    )
    expect(redactAddresses('x'.repeat(2000)).length).toBeLessThanOrEqual(1001)
  })

  it('backs off exponentially up to the maximum, less up to the jitter', () => {
    const policy = { baseMs: 1000, factor: 2, maxMs: 5000, jitter: 0.2 }
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, policy, () => 0))).toEqual([1000, 2000, 4000, 5000, 5000])
    expect(backoffDelay(1, policy, () => 1)).toBe(800)
  })
})
