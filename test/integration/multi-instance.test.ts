/**
 * Takeback as a deployment of several processes on one PostgreSQL: two app
 * instances (production build, in-process workers off) and two
 * `npm run worker` processes, all real child processes on the embedded
 * server, with mail going to a real SMTP server in this process.
 *
 * Through both instances at once: 100 survivor submissions of 20 pictures
 * each (2,000 pictures, 6,000 stored hashes), a fifth of them sent again with
 * the same idempotency key to the other instance, while this process drafts
 * and sends 500 notices with the model on the same database, so the two
 * workers race for the outbox. Then: every notice reaches the SMTP server
 * exactly once, a retried submission makes one case, each instance's match
 * index finds a fresh hash (and, after the load, every hash), sessions and
 * sign-in rate limits hold across instances, and the provider feed is the
 * same through either instance, even paged alternately.
 *
 * PostgreSQL only: several machines sharing one database is what PostgreSQL
 * is for; on SQLite the app and the worker may share one machine, which the
 * outbox tests cover.
 */
import crypto from 'node:crypto'
import { sql, type RawBuilder } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Organisation } from '../../emails/notice'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { FEED_SETTLE_MS, type FetchHashesResponse, type StopnciiHashRecord } from '../../app/models/hash-feed.server'
import { draftNotices, sendNotice, type StaffActor } from '../../app/models/notice.server'
import { createApiKey, createProvider } from '../../app/models/provider.server'
import { ensureAppBuild, startAll, startApp, startWorker, type TakebackProcess } from '../helpers/app-process'
import { decodeSingleFetch } from '../helpers/single-fetch'
import { start as startSmtp, type TestSmtpServer } from '../helpers/smtp'

// Each submission costs an argon2 hash and a transaction on the audit chain,
// so 2,000 pictures come as 100 submissions of 20 (60 stored values each).
const SUBMISSIONS = 100
const FILES_PER_SUBMISSION = 20
/** Notices go to this many providers for each case that names web addresses... */
const NOTICE_PROVIDERS = 10
/** ...and every other submission names one address on each: 50 cases, 500 notices. */
const isNoticeCase = (i: number) => i % 2 === 0
const NOTICES = (SUBMISSIONS / 2) * NOTICE_PROVIDERS
/** Every fifth submission is sent again to the other instance: half at the same moment, half after the answer. */
const retryOf = (i: number): 'together' | 'after' | null => (i % 10 === 0 ? 'together' : i % 5 === 0 ? 'after' : null)
/** Submissions in flight at once, across both instances. */
const CONCURRENCY = 8
/** Fresh hashes looked for in both match indexes while the load runs. */
const PROBES = 4
/** Polling gives up after this; nothing asserts how fast anything was. */
const GIVE_UP_MS = 30_000

const ADMIN = { actorType: 'staff' as const, actorId: 'staff-multi-instance' }
const ORG: Organisation = {
  name: 'Northside Helpline',
  email: 'notices@northside.example',
  postalAddress: '12 Harbour Road\nBristol BS1 4AA',
  phone: '+44 117 496 0000',
  website: 'https://northside.example',
}

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
const image = () => ({ media: 'image' as const, pdq: hex(32), quality: 100, md5: hex(16), sha256: hex(32) })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Answer = { ok: true; caseNumber: string; secret: string; hasContact: boolean } | { ok: false; errors: Record<string, string[]> }

/** Run `tasks` with at most `limit` at a time; results in task order. */
async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++
        results[i] = await tasks[i]!()
      }
    }),
  )
  return results
}

/** Poll `check` until it returns true; false if it never did before GIVE_UP_MS. */
async function eventually(check: () => Promise<boolean>, everyMs = 200): Promise<boolean> {
  const giveUpAt = Date.now() + GIVE_UP_MS
  for (;;) {
    if (await check()) return true
    if (Date.now() > giveUpAt) return false
    await sleep(everyMs)
  }
}

async function count(query: RawBuilder<{ n: string | number }>): Promise<number> {
  const { rows } = await query.execute(getDb())
  return Number(rows[0]?.n)
}

describe.runIf(inject('engine') === 'postgres')('two app instances and two workers on one PostgreSQL', () => {
  let smtp: TestSmtpServer | undefined
  let processes: TakebackProcess[] = []
  let apps: [TakebackProcess, TakebackProcess]
  /** One API key per instance, of one hash-list provider: the rate limit is per key. */
  let apiKeys: [string, string]
  let staff: StaffActor
  let noticeDomains: string[]

  // What the load left behind, for the checks after it.
  const submittedPdq: string[] = []
  const expectedMessageIds: string[] = []
  let someCase: { caseNumber: string; secret: string } | undefined
  let lastHashWriteAt = 0

  const other = (app: TakebackProcess) => (app === apps[0] ? apps[1] : apps[0])
  const keyFor = (app: TakebackProcess) => (app === apps[0] ? apiKeys[0] : apiKeys[1])

  /** POST /request as the survivor's browser sends it (single fetch), and its answer. */
  async function submit(app: TakebackProcess, from: string, body: unknown): Promise<{ status: number; answer: Answer }> {
    const res = await fetch(`${app.baseURL}/request.data`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': from },
      body: JSON.stringify(body),
    })
    const text = await res.text()
    let decoded: { data: Answer }
    try {
      decoded = decodeSingleFetch(text) as { data: Answer }
    } catch {
      throw new Error(`${app.name} answered POST /request with ${res.status}: ${text.slice(0, 500)}\n${app.output()}`)
    }
    return { status: res.status, answer: decoded.data }
  }

  async function matchPdq(app: TakebackProcess, values: string[]): Promise<boolean[]> {
    const res = await fetch(`${app.baseURL}/api/v1/match`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${keyFor(app)}` },
      body: JSON.stringify({ hashes: values.map((value) => ({ type: 'pdq', value })), maxDistance: 0 }),
    })
    if (res.status !== 200) throw new Error(`${app.name} answered POST /api/v1/match with ${res.status}: ${await res.text()}`)
    const body = (await res.json()) as { results: { value: string; matches: { value: string; distance: number }[] }[] }
    return body.results.map((r, i) => r.matches.some((m) => m.value === values[i] && m.distance === 0))
  }

  async function feedPage(app: TakebackProcess, token: string): Promise<FetchHashesResponse> {
    const query = new URLSearchParams({ startTimestamp: '0', pageSize: '400', ...(token ? { nextPageToken: token } : {}) })
    const res = await fetch(`${app.baseURL}/api/v1/FetchHashes?${query}`, { headers: { Authorization: `Bearer ${keyFor(app)}` } })
    if (res.status !== 200) throw new Error(`${app.name} answered FetchHashes with ${res.status}: ${await res.text()}`)
    return (await res.json()) as FetchHashesResponse
  }

  /** Every record of the feed from the start, page `n` read through `via(n)`. */
  async function walkFeed(via: (page: number) => TakebackProcess): Promise<StopnciiHashRecord[]> {
    const records: StopnciiHashRecord[] = []
    let token = ''
    for (let page = 0; page < 100; page++) {
      const body = await feedPage(via(page), token)
      records.push(...body.hashRecords)
      if (!body.hasMoreRecords) return records
      token = body.nextPageToken
    }
    throw new Error('the feed did not end within 100 pages')
  }

  /** Draft notices for every web address of a case (one per provider) and send each: the caseworker's steps, through the model. */
  async function noticesFor(caseNumber: string): Promise<void> {
    const db = getDb()
    const c = await db.selectFrom('survivor_case').select('id').where('case_number', '=', caseNumber.replace('-', '')).executeTakeFirstOrThrow()
    const locations = await db.selectFrom('case_location').select('id').where('case_id', '=', c.id).execute()
    const drafted = await draftNotices(db, c.id, locations.map((l) => l.id), staff)
    for (const d of drafted) {
      const sent = await sendNotice(db, d.noticeId, staff, ORG)
      expectedMessageIds.push(...sent.messageIds)
    }
  }

  beforeAll(async () => {
    // `npm test` builds before vitest; run on its own after a change (or on a
    // fresh checkout), the test builds here first.
    await ensureAppBuild()
    smtp = await startSmtp()
    const db = getDb()

    // A caseworker to act as, made before the instances start, so neither prints a set-up link.
    staff = { staffId: newId() }
    await db
      .insertInto('staff_user')
      .values({
        id: staff.staffId,
        email: 'caseworker@northside.example',
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
    const tag = hex(3)
    noticeDomains = Array.from({ length: NOTICE_PROVIDERS }, (_, i) => `mi${tag}-site${i}.com`)
    for (const domain of noticeDomains) {
      await createProvider(db, { name: `Site ${domain}`, domains: [domain], noticeEmails: [`abuse@${domain}`], regime: 'takeitdown' }, ADMIN)
    }
    const matcher = await createProvider(db, { name: 'Matcher', domains: [`mi${tag}-matcher.com`], noticeEmails: [`abuse@mi${tag}-matcher.com`], hashList: true }, ADMIN)
    apiKeys = [(await createApiKey(db, matcher.id, ADMIN)).key, (await createApiKey(db, matcher.id, ADMIN)).key]

    // One deployment: the same database and keys everywhere (this process
    // queues notices with its own keys, so the workers must share them).
    const env = getEnv()
    const deployment = {
      DATABASE_URL: env.database.engine === 'postgres' ? env.database.url : '',
      DATABASE_POOL_SIZE: '5',
      SESSION_SECRET: env.SESSION_SECRET.join(','),
      CONTACT_KEY: env.CONTACT_KEY.join(','),
      LINK_SIGNING_KEY: env.LINK_SIGNING_KEY.join(','),
      SMTP_URL: smtp.url,
      OUTBOX_WORKER: 'off',
      OUTBOX_INTERVAL_MS: '200',
      MATCH_REFRESH_MS: '250',
      LOG_LEVEL: 'warn',
      // As behind a load balancer: the client's address comes from X-Forwarded-For.
      TRUST_PROXY: 'loopback',
    }
    processes = await startAll([
      startApp('app-a', deployment),
      startApp('app-b', deployment),
      startWorker('worker-1', deployment),
      startWorker('worker-2', deployment),
    ])
    apps = [processes[0]!, processes[1]!]
  }, 300_000)

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()))
    await smtp?.stop()
  }, 60_000)

  it('takes 100 submissions of 20 pictures and queues 500 notices through both instances at once', async () => {
    const answers: { first: Answer; retry: Answer | null }[] = []
    // Two caseworkers at work: each takes the next case with web addresses as it comes in.
    const noticeLanes: Promise<void>[] = [Promise.resolve(), Promise.resolve()]
    let noticeCases = 0
    const noticeErrors: string[] = []
    const probes: { via: string; seen: Record<string, boolean> }[] = []

    const submission = (i: number) => async () => {
      const files = Array.from({ length: FILES_PER_SUBMISSION }, image)
      submittedPdq.push(...files.map((f) => f.pdq))
      const body = {
        idempotencyKey: crypto.randomBytes(18).toString('base64url'),
        requester: 'self_adult',
        language: 'en',
        files,
        urls: isNoticeCase(i) ? noticeDomains.map((d) => `https://www.${d}/post/${i}`).join('\n') : '',
        shareHashes: true,
        noticesConsent: isNoticeCase(i),
        contactEmail: '',
        signature: '',
      }
      const app = apps[i % 2]!
      // Each survivor from an address of their own, as a load balancer reports it (requests are limited per source).
      const from = `198.18.${i >> 8}.${i & 255}`
      const retry = retryOf(i)
      let first: { status: number; answer: Answer }
      let again: { status: number; answer: Answer } | null = null
      if (retry === 'together') {
        ;[first, again] = await Promise.all([submit(app, from, body), submit(other(app), from, body)])
      } else {
        first = await submit(app, from, body)
        if (retry === 'after') again = await submit(other(app), from, body)
      }
      expect(first.status, JSON.stringify(first.answer)).toBe(200)
      if (again) expect(again.status, JSON.stringify(again.answer)).toBe(200)
      answers.push({ first: first.answer, retry: again?.answer ?? null })
      if (first.answer.ok && isNoticeCase(i)) {
        const { caseNumber } = first.answer
        const lane = noticeCases++ % noticeLanes.length
        // Errors are kept for the check below, not left as rejections no one awaits yet.
        noticeLanes[lane] = noticeLanes[lane]!.then(() => noticesFor(caseNumber)).catch((error: unknown) => void noticeErrors.push(String(error)))
      }
    }

    // A fresh picture sent through one instance, then looked for in both match indexes while the load goes on.
    const probe = (k: number) => async () => {
      const file = image()
      const via = apps[k % 2]!
      const sent = await submit(via, `198.19.0.${k}`, {
        idempotencyKey: crypto.randomBytes(18).toString('base64url'),
        requester: 'self_adult',
        language: 'en',
        files: [file],
        urls: '',
        shareHashes: true,
        noticesConsent: false,
        contactEmail: '',
        signature: '',
      })
      expect(sent.status).toBe(200)
      submittedPdq.push(file.pdq)
      const seen: Record<string, boolean> = {}
      await Promise.all(apps.map(async (app) => (seen[app.name] = await eventually(async () => (await matchPdq(app, [file.pdq]))[0]!))))
      probes.push({ via: via.name, seen })
    }

    const tasks: (() => Promise<void>)[] = []
    let probeCount = 0
    for (let i = 0; i < SUBMISSIONS; i++) {
      tasks.push(submission(i))
      // Spread through the load: after submissions 12, 37, 62 and 87 are queued.
      if ((i + 1) % (SUBMISSIONS / PROBES) === Math.floor(SUBMISSIONS / PROBES / 2)) tasks.push(probe(probeCount++))
    }
    await inParallel(tasks, CONCURRENCY)
    lastHashWriteAt = Date.now()
    await Promise.all(noticeLanes)
    expect(noticeErrors).toEqual([])

    // Every answer is a case; a retry, on the other instance, answers with the same case and secret.
    expect(answers).toHaveLength(SUBMISSIONS)
    for (const { first, retry } of answers) {
      expect(first.ok).toBe(true)
      if (retry) expect(retry).toEqual(first)
    }
    expect(answers.filter((a) => a.retry).length).toBe(SUBMISSIONS / 5)
    const caseNumbers = new Set(answers.map((a) => (a.first.ok ? a.first.caseNumber : '')))
    expect(caseNumbers.size).toBe(SUBMISSIONS)
    const kept = answers[1]!.first
    if (kept.ok) someCase = kept

    // One case per idempotency key, whichever instance answered and however often.
    const db = getDb()
    expect(await count(sql<{ n: string }>`select count(*) as n from survivor_case`)).toBe(SUBMISSIONS + PROBES)
    expect(await count(sql<{ n: string }>`select count(*) as n from idempotency_key`)).toBe(SUBMISSIONS + PROBES)
    expect(await count(sql<{ n: string }>`select count(*) as n from case_hash where kind = 'pdq'`)).toBe(SUBMISSIONS * FILES_PER_SUBMISSION + PROBES)
    expect(await count(sql<{ n: string }>`select count(*) as n from case_hash`)).toBe(3 * (SUBMISSIONS * FILES_PER_SUBMISSION + PROBES))
    const numbers = await db.selectFrom('survivor_case').select('case_number').execute()
    expect(new Set(numbers.map((n) => n.case_number)).size).toBe(SUBMISSIONS + PROBES)

    // 500 notices, each sent once, with one email queued.
    expect(expectedMessageIds).toHaveLength(NOTICES)
    expect(new Set(expectedMessageIds).size).toBe(NOTICES)
    expect(await count(sql<{ n: string }>`select count(*) as n from notice where state = 'sent'`)).toBe(NOTICES)

    // Each fresh hash reached both instances' match indexes while the load ran.
    expect(probes).toHaveLength(PROBES)
    for (const p of probes) expect(p.seen).toEqual({ [apps[0].name]: true, [apps[1].name]: true })
  }, 240_000)

  it('delivers every notice exactly once to the SMTP server, however the two workers shared the outbox', async () => {
    const db = getDb()
    const pending = () => count(sql<{ n: string }>`select count(*) as n from outbox where sent_at is null and dead_at is null`)
    const drained = await eventually(async () => (await pending()) === 0, 500)
    expect(drained, `${await pending()} emails still waiting; workers said:\n${processes.slice(2).map((p) => p.output()).join('\n')}`).toBe(true)

    const rows = await db.selectFrom('outbox').select(['message_id', 'sent_at', 'dead_at', 'kind']).execute()
    expect(rows).toHaveLength(NOTICES)
    expect(rows.every((r) => r.kind === 'notice' && r.sent_at !== null && r.dead_at === null)).toBe(true)

    // Every message the SMTP server accepted, by Message-ID: each expected one exactly once, nothing else.
    const received = new Map<string, number>()
    for (const m of smtp!.messages) {
      const id = m.parsed.messageId ?? '(none)'
      received.set(id, (received.get(id) ?? 0) + 1)
    }
    expect(smtp!.transactions).toBe(NOTICES)
    expect(smtp!.messages).toHaveLength(NOTICES)
    expect([...received.keys()].sort()).toEqual([...expectedMessageIds].sort())
    expect([...received.values()].every((n) => n === 1)).toBe(true)
  }, 120_000)

  it("holds every submitted hash in each instance's match index", async () => {
    expect(submittedPdq).toHaveLength(SUBMISSIONS * FILES_PER_SUBMISSION + PROBES)
    for (const app of apps) {
      const missing = async () => {
        const found: boolean[] = []
        for (let i = 0; i < submittedPdq.length; i += 1000) found.push(...(await matchPdq(app, submittedPdq.slice(i, i + 1000))))
        return found.filter((f) => !f).length
      }
      expect(await eventually(async () => (await missing()) === 0, 500), `${app.name} lacks ${await missing()} hashes`).toBe(true)
    }
  }, 120_000)

  it('shares survivor sessions and sign-in rate limits between the instances', async () => {
    expect(someCase).toBeDefined()
    const { caseNumber, secret } = someCase!
    const signIn = (app: TakebackProcess, s: string) =>
      fetch(`${app.baseURL}/status`, { method: 'POST', body: new URLSearchParams({ intent: 'sign-in', caseNumber, secret: s }), redirect: 'manual' })

    // Signed in on one instance, the survivor's session opens the case page on the other.
    const ok = await signIn(apps[0], secret)
    expect(ok.status).toBe(303)
    const cookie = ok.headers.get('set-cookie')!.split(';')[0]!
    const page = await fetch(`${apps[1].baseURL}/status`, { headers: { Cookie: cookie } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(caseNumber)

    // Ten attempts per source in 15 minutes, counted once for both instances:
    // the sign-in above and nine wrong secrets pass, whichever instance takes them; then both refuse.
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await signIn(apps[i % 2]!, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ')).status)
    expect(statuses).toEqual([...Array<number>(9).fill(400), 429, 429, 429])
  }, 60_000)

  it('serves the same feed through either instance, and a page token from one works on the other', async () => {
    // A set ends FEED_SETTLE_MS behind the clock: wait until every submitted hash is inside it.
    const settledAt = lastHashWriteAt + FEED_SETTLE_MS + 1500
    if (Date.now() < settledAt) await sleep(settledAt - Date.now())

    const viaA = await walkFeed(() => apps[0])
    const viaB = await walkFeed(() => apps[1])
    const alternating = await walkFeed((page) => apps[page % 2]!)
    expect(viaA.map((r) => r.hashValue).sort()).toEqual([...submittedPdq].sort())
    expect(viaA.every((r) => r.signalType === 'ImagePDQ' && r.hashStatus === 'Active')).toBe(true)
    expect(viaB).toEqual(viaA)
    expect(alternating).toEqual(viaA)
  }, 120_000)
})
