/**
 * The hash feed driven by a client that reads it the way python-threatexchange's
 * StopNCII client (exchanges/clients/stopncii/api.py) does: the same request
 * (query parameters, x-functions-key and Ocp-Apim-Subscription-Key headers),
 * the same fields and types, the same enum values parsed strictly (an unknown
 * value fails the test), `hasMoreRecords` paging with the same startTimestamp
 * on every page, and `nextSetTimestamp` kept as the checkpoint.
 */
import crypto from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import type { CaseHashTable } from '../../db/schema'
import type { Insertable } from 'kysely'
import { sha256Hex } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { API_RATE_LIMIT } from '../../app/lib/provider-api.server'
import { createCase, deleteCase, getCaseStatus, withdrawHashes } from '../../app/models/case.server'
import { FEED_SETTLE_MS } from '../../app/models/hash-feed.server'
import { createApiKey, createProvider, disableProvider, revokeApiKey, type Actor } from '../../app/models/provider.server'
import { loader as fetchHashesLoader } from '../../app/routes/api.v1.FetchHashes'
import { action as submitFeedbackAction } from '../../app/routes/api.v1.SubmitFeedback'
import { hashRow, insertHashRows } from '../helpers/hash-rows'

// ---------------------------------------------------------------------------
// The client

const SignalType = z.enum(['Unknown', 'ImagePDQ', 'VideoMD5', 'VideoTMK', 'Text', 'URL'])
const CaseStatus = z.enum(['Unknown', 'Received', 'Active', 'Withdrawn', 'Deleted'])
const FeedbackValue = z.enum(['Unknown', 'None', 'QualityUnknown', 'PendingReview', 'Blocked', 'NotBlocked', 'Withdrawn', 'Deleted'])
const CSPFeedback = z.object({
  feedbackValue: FeedbackValue,
  tags: z.array(z.string()).default([]),
  source: z.string().default(''),
})
const HashRecord = z.object({
  lastModtimestamp: z.number().int(),
  signalType: SignalType,
  hashValue: z.string(),
  hashStatus: CaseStatus,
  caseNumbers: z.record(z.string(), CaseStatus),
  CSPFeedbacks: z.array(CSPFeedback).default([]),
})
const FetchHashesResponse = z.object({
  count: z.number().int(),
  nextPageToken: z.string().nullable(),
  nextSetTimestamp: z.number().int(),
  hasMoreRecords: z.boolean(),
  hashRecords: z.array(HashRecord),
})
type Page = z.output<typeof FetchHashesResponse>
type Record_ = z.output<typeof HashRecord>

const CONTEXT = { cspNonce: 'test', clientAddress: '192.0.2.1' }
const BASE = 'http://localhost:3000/api/v1'

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Headers,
  ) {
    super(`HTTP ${status}: ${body}`)
  }
}

/** The python client's StopNCIIAPI, over the real loader and action. */
class StopNCIIClient {
  static readonly DEFAULT_START_TIME = 10
  constructor(
    private readonly functionKey: string | null,
    private readonly subscriptionKey = 'unused-by-takeback',
  ) {}

  private headers(): Headers {
    const h = new Headers({ 'Ocp-Apim-Subscription-Key': this.subscriptionKey })
    if (this.functionKey !== null) h.set('x-functions-key', this.functionKey)
    return h
  }

  async fetchHashes({ pageSize = 800, startTimestamp = StopNCIIClient.DEFAULT_START_TIME, nextPage = '' } = {}): Promise<Page> {
    const params = new URLSearchParams({ startTimestamp: String(startTimestamp), pageSize: String(pageSize) })
    if (nextPage) params.set('nextPageToken', nextPage)
    const request = new Request(`${BASE}/FetchHashes?${params}`, { headers: this.headers() })
    const response = await fetchHashesLoader({ request, params: {}, context: CONTEXT })
    const text = await response.text()
    if (!response.ok) throw new HttpError(response.status, text, response.headers)
    // Strict: an unknown enum value or a wrong type throws here.
    return FetchHashesResponse.parse(JSON.parse(text))
  }

  /** Like fetch_hashes_iter: the same startTimestamp on every page, the token until hasMoreRecords is false. */
  async *fetchHashesIter(startTimestamp = StopNCIIClient.DEFAULT_START_TIME, pageSize = 800): AsyncGenerator<Page> {
    let hasMore = true
    let nextPage = ''
    while (hasMore) {
      const result = await this.fetchHashes({ startTimestamp, nextPage, pageSize })
      hasMore = result.hasMoreRecords
      nextPage = result.nextPageToken ?? ''
      yield result
    }
  }

  /** Like submit_feedbacks: `{count, hashFeedbacks: [{tags, feedbackValue, hashValue}]}`, posted with no Origin header. */
  async submitFeedbacks(feedbacks: { hashValue: string; feedbackValue: z.infer<typeof FeedbackValue>; tags?: string[] }[]): Promise<unknown> {
    const body = {
      count: feedbacks.length,
      hashFeedbacks: feedbacks.map((f) => ({ tags: f.tags ?? [], feedbackValue: f.feedbackValue, hashValue: f.hashValue })),
    }
    return this.post(body)
  }

  async post(body: unknown): Promise<unknown> {
    const headers = this.headers()
    headers.set('Content-Type', 'application/json')
    const request = new Request(`${BASE}/SubmitFeedback`, { method: 'POST', headers, body: JSON.stringify(body) })
    const response = await submitFeedbackAction({ request, params: {}, context: CONTEXT })
    const text = await response.text()
    if (!response.ok) throw new HttpError(response.status, text, response.headers)
    return JSON.parse(text)
  }
}

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof HttpError)) throw new Error(`expected an HTTP error, got ${String(error)}`)
  return error
}

// ---------------------------------------------------------------------------
// Fixtures

const STAFF: Actor = { actorType: 'staff', actorId: 'staff-1' }
const hex = (from: string, length: number) => crypto.createHash('sha512').update(from).digest('hex').slice(0, length)
let n = 0
const image = () => {
  const s = `img${++n}`
  return { media: 'image' as const, pdq: hex(`pdq${s}`, 64), quality: 90, md5: hex(`md5${s}`, 32), sha256: hex(`sha${s}`, 64) }
}
const key = (r: { signalType: string; hashValue: string }) => `${r.signalType}:${r.hashValue}`

async function provider(hashList: boolean) {
  const label = crypto.randomBytes(4).toString('hex')
  const { id } = await createProvider(
    getDb(),
    { name: `Platform ${label}`, domains: [`p${label}.com`], noticeEmails: [`abuse@p${label}.com`], hashList },
    STAFF,
  )
  const created = await createApiKey(getDb(), id, STAFF)
  return { id, name: `Platform ${label}`, key: created.key, keyId: created.id }
}

async function openCase(now: number, files = [image()]) {
  return createCase(getDb(), { idempotencyKey: crypto.randomBytes(18).toString('base64url'), requester: 'self_adult', language: 'en', files, urls: [], shareHashes: true, noticesConsent: false }, now)
}

const TOTAL = 5000
const PAGE = 800
const base = Date.now() - 60 * 60 * 1000

interface Expected {
  signalType: 'ImagePDQ' | 'VideoMD5'
  hashValue: string
  hashStatus: 'Active' | 'Withdrawn' | 'Deleted'
}

let participant: Awaited<ReturnType<typeof provider>>
let other: Awaited<ReturnType<typeof provider>>
let outsider: Awaited<ReturnType<typeof provider>>
const expected = new Map<string, Expected>()
const neverInFeed = new Set<string>()
let caseA: Awaited<ReturnType<typeof openCase>>
let caseB: Awaited<ReturnType<typeof openCase>>
let caseAImage: ReturnType<typeof image>
let sharedValue = ''
/** Bulk rows the concurrent writer withdraws while the first set is read: [id, value] in feed order. */
let bulkIds: { id: string; value: string; updatedAt: number }[] = []

beforeAll(async () => {
  participant = await provider(true)
  other = await provider(true)
  outsider = await provider(false)
  const db = getDb()

  caseAImage = image()
  caseA = await openCase(base - 5000, [caseAImage])
  caseB = await openCase(base - 5000)
  expected.set(`ImagePDQ:${caseAImage.pdq}`, { signalType: 'ImagePDQ', hashValue: caseAImage.pdq, hashStatus: 'Active' })
  neverInFeed.add(caseAImage.md5).add(caseAImage.sha256)
  const bImage = await db.selectFrom('case_hash').select(['kind', 'value']).where('case_id', '=', caseB.caseId).execute()
  for (const h of bImage) {
    if (h.kind === 'pdq') expected.set(`ImagePDQ:${h.value}`, { signalType: 'ImagePDQ', hashValue: h.value, hashStatus: 'Active' })
    else neverInFeed.add(h.value)
  }

  // A case that did not consent to sharing: none of it may appear.
  const quiet = await openCase(base - 5000)
  await db.updateTable('survivor_case').set({ share_hashes: 0 }).where('id', '=', quiet.caseId).execute()
  for (const h of await db.selectFrom('case_hash').select('value').where('case_id', '=', quiet.caseId).execute()) neverInFeed.add(h.value)

  // A deleted case: its hashes come as Deleted.
  const gone = await openCase(base - 5000)
  const gonePdq = await db.selectFrom('case_hash').select(['kind', 'value']).where('case_id', '=', gone.caseId).execute()
  await deleteCase(db, gone.caseId, base - 4000)
  for (const h of gonePdq) {
    if (h.kind === 'pdq') expected.set(`ImagePDQ:${h.value}`, { signalType: 'ImagePDQ', hashValue: h.value, hashStatus: 'Deleted' })
    else neverInFeed.add(h.value)
  }

  // 5,000 feed records (4 image PDQ to 1 video MD5), a hundred to each
  // millisecond so pages split ties; some withdrawn, one disabled. Plus rows
  // of kinds the StopNCII format has no type for.
  const rows: Insertable<CaseHashTable>[] = []
  const bulk = TOTAL - expected.size
  for (let i = 0; i < bulk; i++) {
    const at = base + Math.floor(i / 100) * 250
    const pdq = i % 5 !== 0
    const value = pdq ? hex(`bulk-pdq-${i}`, 64) : hex(`bulk-md5-${i}`, 32)
    const status = i === 1 ? 'disabled' : i % 17 === 0 ? 'withdrawn' : 'active'
    rows.push(hashRow(i % 2 ? caseA.caseId : caseB.caseId, 10 + i, pdq ? 'pdq' : 'md5', pdq ? 'image' : 'video', value, at, status))
    const signalType = pdq ? 'ImagePDQ' : 'VideoMD5'
    expected.set(`${signalType}:${value}`, { signalType, hashValue: value, hashStatus: status === 'disabled' ? 'Deleted' : status === 'withdrawn' ? 'Withdrawn' : 'Active' })
  }
  for (let i = 0; i < 600; i++) {
    const at = base + (i % 50) * 250
    const kinds = [
      ['md5', 'image', 32],
      ['sha256', 'image', 64],
      ['sha256', 'video', 64],
      ['vpdq', 'video', 64],
    ] as const
    const [kind, media, length] = kinds[i % 4]!
    const value = hex(`noise-${i}`, length)
    rows.push(hashRow(caseA.caseId, 9000 + i, kind, media, value, at))
    neverInFeed.add(value)
  }
  // The same PDQ as bulk record 2 (active in its case) held by another case,
  // withdrawn there and changed later: one record, Active, with both cases.
  sharedValue = hex('bulk-pdq-2', 64)
  rows.push(hashRow(caseA.caseId, 8000, 'pdq', 'image', sharedValue, base + 20_000, 'withdrawn'))
  await insertHashRows(rows)

  bulkIds = (
    await db
      .selectFrom('case_hash')
      .select(['id', 'value', 'updated_at'])
      .where('kind', '=', 'pdq')
      .where('item', '>=', 10)
      .where('item', '<', 10 + bulk)
      .where('status', '=', 'active')
      .orderBy('updated_at')
      .orderBy('id')
      .execute()
  ).filter((r) => r.value !== sharedValue).map((r) => ({ id: r.id, value: r.value, updatedAt: r.updated_at }))
  expect(expected.size).toBe(TOTAL)
})

afterEach(() => {
  vi.useRealTimers()
})

// ---------------------------------------------------------------------------

describe('FetchHashes read by a StopNCII client', () => {
  it('pages through 5,000 records in pages of 800 while hashes arrive, each record once per set, the new ones in the next set', async () => {
    const client = new StopNCIIClient(participant.key)
    const db = getDb()

    // The concurrent writer: new hashes, and withdrawals of hashes both
    // already served and not yet served, stamped with the clock as the app does.
    const inserted = new Set<string>()
    const changed = new Set<string>()
    let round = 0
    const early = bulkIds.slice(0, 40)
    const late = bulkIds.slice(-40)
    const writer = async () => {
      round++
      const at = Date.now()
      const fresh = Array.from({ length: 25 }, (_, i) => hashRow(caseB.caseId, 20_000 + round * 100 + i, 'pdq', 'image', hex(`concurrent-${round}-${i}`, 64), at))
      await insertHashRows(fresh)
      for (const r of fresh) inserted.add(`ImagePDQ:${r.value}`)
      const victims = [early[round * 2], late[round * 2]].filter((v) => v !== undefined)
      await db
        .updateTable('case_hash')
        .set({ status: 'withdrawn', withdrawn_at: at, updated_at: at })
        .where(
          'id',
          'in',
          victims.map((v) => v.id),
        )
        .execute()
      for (const v of victims) changed.add(`ImagePDQ:${v.value}`)
    }

    const pages: Page[] = []
    let nextPage = ''
    for (;;) {
      // The writer runs alongside each page request.
      const [page] = await Promise.all([client.fetchHashes({ startTimestamp: StopNCIIClient.DEFAULT_START_TIME, pageSize: PAGE, nextPage }), writer()])
      pages.push(page)
      if (!page.hasMoreRecords) break
      nextPage = page.nextPageToken ?? ''
    }

    const records = pages.flatMap((p) => p.hashRecords)
    // Each record once within the set.
    expect(new Set(records.map(key)).size).toBe(records.length)
    for (const p of pages.slice(0, -1)) {
      expect(p.count).toBe(PAGE)
      expect(p.hashRecords).toHaveLength(PAGE)
      expect(p.nextPageToken).not.toBe('')
    }
    const last = pages[pages.length - 1]!
    expect(last.nextPageToken).toBe('')
    expect(last.count).toBe(last.hashRecords.length)
    expect(pages.length).toBe(Math.ceil(records.length / PAGE))
    expect(round).toBe(pages.length)

    // Every record that did not change meanwhile, once, with its status; none of the new ones.
    const served = new Map(records.map((r) => [key(r), r]))
    for (const [k, want] of expected) {
      if (changed.has(k)) continue
      expect(served.get(k), k).toMatchObject(want)
    }
    for (const k of inserted) expect(served.has(k)).toBe(false)
    expect(records.length).toBe(TOTAL - [...changed].filter((k) => !served.has(k)).length)
    for (const r of records) {
      expect(['ImagePDQ', 'VideoMD5']).toContain(r.signalType)
      expect(neverInFeed.has(r.hashValue)).toBe(false)
    }
    // Withdrawn hashes are there, as Withdrawn; disabled ones and deleted cases' as Deleted.
    expect(records.filter((r) => r.hashStatus === 'Withdrawn').length).toBeGreaterThan(200)
    expect(records.filter((r) => r.hashStatus === 'Deleted').length).toBeGreaterThanOrEqual(2)

    // Checkpoints never go back, and the last is the set's bound.
    const checkpoints = pages.map((p) => p.nextSetTimestamp)
    expect([...checkpoints].sort((a, b) => a - b)).toEqual(checkpoints)
    for (const p of pages) for (const r of p.hashRecords) expect(r.lastModtimestamp).toBeLessThanOrEqual(last.nextSetTimestamp)
    const provider = await db.selectFrom('provider').select(['feed_checkpoint', 'feed_last_fetch_at']).where('id', '=', participant.id).executeTakeFirstOrThrow()
    expect(provider.feed_checkpoint).toBe(last.nextSetTimestamp * 1000)
    expect(provider.feed_last_fetch_at).not.toBeNull()

    // The next set, from the checkpoint, once the settle window has passed:
    // exactly what arrived or changed during the first.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + FEED_SETTLE_MS + 5000)
    const next: Record_[] = []
    for await (const page of client.fetchHashesIter(last.nextSetTimestamp, PAGE)) next.push(...page.hashRecords)
    expect(new Set(next.map(key)).size).toBe(next.length)
    expect(new Set(next.map(key))).toEqual(new Set([...inserted, ...changed]))
    for (const r of next) expect(r.hashStatus).toBe(changed.has(key(r)) ? 'Withdrawn' : 'Active')
  })

  it('gives a checkpoint on every page that loses nothing if the client stops half way', async () => {
    const client = new StopNCIIClient(participant.key)
    const full: Record_[] = []
    for await (const page of client.fetchHashesIter()) full.push(...page.hashRecords)

    const first = await client.fetchHashes()
    const second = await client.fetchHashes({ nextPage: first.nextPageToken ?? '' })
    expect(second.hasMoreRecords).toBe(true)
    expect(second.nextSetTimestamp).toBeGreaterThanOrEqual(first.nextSetTimestamp)
    // Stopped here; HMA saved second.nextSetTimestamp and starts again from it.
    const resumed: Record_[] = []
    for await (const page of client.fetchHashesIter(second.nextSetTimestamp)) resumed.push(...page.hashRecords)
    const seen = new Set([...first.hashRecords, ...second.hashRecords, ...resumed].map(key))
    for (const r of full) expect(seen.has(key(r)), key(r)).toBe(true)
  })

  it('sends one record for a value two cases hold, with an opaque id for each case, never a case number', async () => {
    const client = new StopNCIIClient(participant.key)
    const all: Record_[] = []
    for await (const page of client.fetchHashesIter()) all.push(...page.hashRecords)
    const shared = all.filter((r) => r.hashValue === sharedValue)
    expect(shared).toHaveLength(1)
    expect(shared[0]!.hashStatus).toBe('Active')
    expect(Object.values(shared[0]!.caseNumbers).sort()).toEqual(['Active', 'Withdrawn'])

    const mine = all.find((r) => r.hashValue === caseAImage.pdq)!
    const ids = Object.keys(mine.caseNumbers)
    expect(ids).toHaveLength(1)
    const plain = caseA.caseNumber.replace('-', '')
    for (const r of all) {
      for (const id of Object.keys(r.caseNumbers)) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        expect(id.toUpperCase()).not.toContain(plain)
        expect(id).not.toContain(caseA.caseId)
      }
    }
    // Another provider sees another id for the same case.
    const theirs: Record_[] = []
    for await (const page of new StopNCIIClient(other.key).fetchHashesIter()) theirs.push(...page.hashRecords)
    const same = theirs.find((r) => r.hashValue === caseAImage.pdq)!
    expect(Object.keys(same.caseNumbers)).toHaveLength(1)
    expect(Object.keys(same.caseNumbers)[0]).not.toBe(ids[0])
  })

  it('answers a missing, wrong or revoked key, or a disabled provider, with 401 and no data', async () => {
    const fakeKey = `tbk_${crypto.randomBytes(32).toString('base64url')}`
    const revoked = await provider(true)
    await revokeApiKey(getDb(), revoked.keyId, STAFF)
    const disabled = await provider(true)
    await disableProvider(getDb(), disabled.id, STAFF)
    for (const k of [null, '', fakeKey, 'not-a-key', revoked.key, disabled.key]) {
      const error = await refusal(new StopNCIIClient(k).fetchHashes())
      expect(error.status).toBe(401)
      expect(error.headers.get('WWW-Authenticate')).toBe('Bearer')
      const body = JSON.parse(error.body) as Record<string, unknown>
      expect(Object.keys(body)).toEqual(['error'])
      expect(body.error).toMatchObject({ code: 'unauthorized' })
      expect(error.body).not.toContain('hashRecords')
    }
    const postError = await refusal(new StopNCIIClient(fakeKey).submitFeedbacks([{ hashValue: caseAImage.pdq, feedbackValue: 'Blocked' }]))
    expect(postError.status).toBe(401)
  })

  it('answers 429 with Retry-After once a key has used up its window', async () => {
    const busy = await provider(true)
    // The window as hitRateLimit keeps it, already full.
    await getDb()
      .insertInto('rate_limit')
      .values({ key: sha256Hex(`api-key:${busy.keyId}`), count: API_RATE_LIMIT.limit, reset_at: Date.now() + 30_000 })
      .execute()
    const error = await refusal(new StopNCIIClient(busy.key).fetchHashes())
    expect(error.status).toBe(429)
    expect(Number(error.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(JSON.parse(error.body).error.code).toBe('rate_limited')
    expect(error.body).not.toContain('hashRecords')
  })

  it('takes the key as Authorization: Bearer as well', async () => {
    const request = new Request(`${BASE}/FetchHashes?startTimestamp=10&pageSize=5`, { headers: { Authorization: `Bearer ${participant.key}` } })
    const response = await fetchHashesLoader({ request, params: {}, context: CONTEXT })
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(FetchHashesResponse.parse(await response.json()).count).toBe(5)
  })

  it('refuses a provider that does not take part in the hash list, saying how to join', async () => {
    const client = new StopNCIIClient(outsider.key)
    const error = await refusal(client.fetchHashes())
    expect(error.status).toBe(403)
    expect(JSON.parse(error.body)).toEqual({ error: { code: 'forbidden', message: expect.stringMatching(/Ask the organisation .* enable hash-list participation/) } })
    const post = await refusal(client.submitFeedbacks([{ hashValue: caseAImage.pdq, feedbackValue: 'Blocked' }]))
    expect(post.status).toBe(403)
    const fb = await getDb().selectFrom('hash_feedback').select('id').where('provider_id', '=', outsider.id).execute()
    expect(fb).toHaveLength(0)
  })

  it('names the bad parameter, and refuses a token that was altered or made for another provider', async () => {
    const client = new StopNCIIClient(participant.key)
    const cases: [Record<string, string>, RegExp][] = [
      [{ pageSize: '5000' }, /^pageSize: must be a whole number from 1 to 1000$/],
      [{ pageSize: 'ten' }, /^pageSize: /],
      [{ startTimestamp: String(Date.now()) }, /^startTimestamp: is too large: it must be in seconds, not milliseconds$/],
      [{ startTimestamp: '-5' }, /^startTimestamp: must not be negative$/],
    ]
    for (const [params, message] of cases) {
      const request = new Request(`${BASE}/FetchHashes?${new URLSearchParams(params)}`, { headers: { 'x-functions-key': participant.key } })
      const response = await fetchHashesLoader({ request, params: {}, context: CONTEXT })
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(message)
    }
    const page = await client.fetchHashes({ pageSize: 10 })
    const token = page.nextPageToken!
    const tampered = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6)
    expect((await refusal(client.fetchHashes({ pageSize: 10, nextPage: tampered }))).status).toBe(400)
    const stolen = await refusal(new StopNCIIClient(other.key).fetchHashes({ pageSize: 10, nextPage: token }))
    expect(stolen.status).toBe(400)
    expect(JSON.parse(stolen.body).error.message).toMatch(/nextPageToken is not valid/)
  })
})

describe('SubmitFeedback', () => {
  it('moves the survivor status page, and shows in the feed with the source named for its own provider only', async () => {
    const mine = new StopNCIIClient(participant.key)
    const theirs = new StopNCIIClient(other.key)
    const unknown = hex('nobody-has-this', 64)
    const statusOf = async () => (await getCaseStatus(getDb(), caseA.caseId)).hashes.find((h) => h.kind === 'pdq' && h.item === 1)!.feedback

    expect(await statusOf()).toEqual([])
    const answer = await mine.submitFeedbacks([
      { hashValue: caseAImage.pdq.toUpperCase(), feedbackValue: 'PendingReview', tags: ['Nude'] },
      { hashValue: unknown, feedbackValue: 'Blocked' },
    ])
    expect(answer).toEqual({
      count: 2,
      accepted: 1,
      notFound: 1,
      results: [
        { hashValue: caseAImage.pdq, result: 'accepted' },
        { hashValue: unknown, result: 'not_found' },
      ],
    })
    expect(await statusOf()).toEqual([{ provider: participant.name, value: 'reviewing' }])
    await mine.submitFeedbacks([{ hashValue: caseAImage.pdq, feedbackValue: 'Blocked', tags: ['Nude'] }])
    expect(await statusOf()).toEqual([{ provider: participant.name, value: 'removed' }])
    await theirs.submitFeedbacks([{ hashValue: caseAImage.pdq, feedbackValue: 'NotBlocked' }])
    expect(await statusOf()).toEqual([
      { provider: participant.name, value: 'removed' },
      { provider: other.name, value: 'not_removed' },
    ])

    // The change bumped the hash, so the feed carries it again.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + FEED_SETTLE_MS + 5000)
    const find = async (client: StopNCIIClient) => {
      const all: Record_[] = []
      for await (const page of client.fetchHashesIter(Math.floor((Date.now() - FEED_SETTLE_MS - 60_000) / 1000))) all.push(...page.hashRecords)
      return all.find((r) => r.hashValue === caseAImage.pdq)!
    }
    const seenByMe = await find(mine)
    expect(seenByMe.CSPFeedbacks).toHaveLength(2)
    expect(seenByMe.CSPFeedbacks).toContainEqual({ feedbackValue: 'Blocked', tags: ['Nude'], source: participant.name })
    const otherWord = seenByMe.CSPFeedbacks.find((f) => f.feedbackValue === 'NotBlocked')!
    expect(otherWord.source).toMatch(/^csp-[0-9a-f]{12}$/)
    const seenByThem = await find(theirs)
    expect(seenByThem.CSPFeedbacks).toContainEqual({ feedbackValue: 'NotBlocked', tags: [], source: other.name })
    expect(seenByThem.CSPFeedbacks.map((f) => f.source)).not.toContain(participant.name)
  })

  it('sends a hash two providers did not block to review', async () => {
    const value = caseAImage.pdq
    // caseB's own image: nobody has said anything about it yet.
    const target = await getDb().selectFrom('case_hash').select(['id', 'value']).where('case_id', '=', caseB.caseId).where('kind', '=', 'pdq').where('item', '=', 1).executeTakeFirstOrThrow()
    expect(target.value).not.toBe(value)
    await new StopNCIIClient(participant.key).submitFeedbacks([{ hashValue: target.value, feedbackValue: 'NotBlocked' }])
    expect((await getDb().selectFrom('case_hash').select('review_state').where('id', '=', target.id).executeTakeFirstOrThrow()).review_state).toBe('none')
    await new StopNCIIClient(other.key).submitFeedbacks([{ hashValue: target.value, feedbackValue: 'NotBlocked' }])
    expect((await getDb().selectFrom('case_hash').select('review_state').where('id', '=', target.id).executeTakeFirstOrThrow()).review_state).toBe('pending')
  })

  it('refuses a malformed body whole, naming the field, and stores nothing', async () => {
    const client = new StopNCIIClient(participant.key)
    const before = await getDb().selectFrom('hash_feedback').select(['id', 'value', 'updated_at']).orderBy('id').execute()
    const bad: [unknown, RegExp][] = [
      [{ count: 2, hashFeedbacks: [{ hashValue: caseAImage.pdq, feedbackValue: 'Removed', tags: [] }, { hashValue: caseAImage.pdq, feedbackValue: 'Blocked', tags: [] }] }, /^hashFeedbacks\[0\]\.feedbackValue: must be one of Unknown, None/],
      [{ count: 1, hashFeedbacks: [{ hashValue: 'xyz', feedbackValue: 'Blocked', tags: [] }] }, /^hashFeedbacks\[0\]\.hashValue: must be a PDQ hash/],
      [{ count: 3, hashFeedbacks: [{ hashValue: caseAImage.pdq, feedbackValue: 'Blocked', tags: [] }] }, /^count: must equal the number of items in hashFeedbacks$/],
      [{ count: 0, hashFeedbacks: [] }, /^hashFeedbacks: must hold at least one item$/],
      [{ hashFeedbacks: [{ hashValue: caseAImage.pdq, feedbackValue: 'Blocked', tags: ['x'.repeat(101)] }] }, /^hashFeedbacks\[0\]\.tags\[0\]: must be at most 100 characters$/],
      ['not an object', /^: |expected object/i],
    ]
    for (const [body, message] of bad) {
      const error = await refusal(client.post(body))
      expect(error.status).toBe(400)
      expect(JSON.parse(error.body).error.message).toMatch(message)
    }
    const notJson = new Request(`${BASE}/SubmitFeedback`, { method: 'POST', headers: { 'x-functions-key': participant.key }, body: '{"count": 1,' })
    const response = await submitFeedbackAction({ request: notJson, params: {}, context: CONTEXT })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_json')
    const huge = new Request(`${BASE}/SubmitFeedback`, { method: 'POST', headers: { 'x-functions-key': participant.key }, body: 'x'.repeat(1024 * 1024 + 1) })
    expect((await submitFeedbackAction({ request: huge, params: {}, context: CONTEXT })).status).toBe(413)
    expect(await getDb().selectFrom('hash_feedback').select(['id', 'value', 'updated_at']).orderBy('id').execute()).toEqual(before)
  })

  it('takes feedback on a hash the survivor withdrew, which stays in the feed as Withdrawn', async () => {
    // Withdrawn by the survivor: still in the feed (as Withdrawn), so a provider may still report on it.
    const status = await getCaseStatus(getDb(), caseB.caseId)
    const pdq = status.hashes.find((h) => h.kind === 'pdq')!
    await withdrawHashes(getDb(), caseB.caseId, { hashIds: [pdq.id] })
    const value = (await getDb().selectFrom('case_hash').select('value').where('id', '=', pdq.id).executeTakeFirstOrThrow()).value
    const answer = (await new StopNCIIClient(participant.key).submitFeedbacks([{ hashValue: value, feedbackValue: 'Blocked' }])) as { accepted: number }
    expect(answer.accepted).toBe(1)
  })
})
