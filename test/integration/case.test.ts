import crypto from 'node:crypto'
import {
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Database, NoticeState, Regime } from '../../db/schema'
import { caseRecoveryEmail } from '../../emails/case-recovery'
import { newCaseNumber, normaliseCaseNumber } from '../../app/lib/case-codes.server'
import { decryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { GoneError, NotFoundError, ValidationError } from '../../app/lib/errors.server'
import { newId } from '../../app/lib/ids.server'
import { enqueueEmail } from '../../app/lib/outbox.server'
import { hashPassword, verifyPassword } from '../../app/lib/passwords.server'
import { hitRateLimit } from '../../app/lib/rate-limit.server'
import {
  clearSurvivorSessionCookie,
  createSurvivorSession,
  findSurvivorSession,
  readSurvivorToken,
  survivorCookieSettings,
  survivorSessionCookie,
  SURVIVOR_SESSION_IDLE_MS,
} from '../../app/lib/survivor-session.server'
import { tokenHash } from '../../app/lib/tokens.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import type { NewRequestInput } from '../../app/models/case.schema'
import {
  addHashes,
  addUrls,
  checkRecoveryToken,
  createCase,
  deleteCase,
  DUMMY_SECRET_HASH,
  getCaseStatus,
  redeemRecovery,
  requestRecovery,
  setContact,
  signIn,
  SIGN_IN_LIMIT_SITE_WIDE,
  withdrawHashes,
} from '../../app/models/case.server'

// Pass-through, so one test can force a case-number collision.
vi.mock('../../app/lib/case-codes.server', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../app/lib/case-codes.server')>()
  return { ...actual, newCaseNumber: vi.fn(actual.newCaseNumber) }
})

const MINUTE = 60 * 1000
let seedCounter = 0
const seed = () => `s${++seedCounter}`
const hex = (from: string, length: number) => crypto.createHash('sha512').update(from).digest('hex').slice(0, length)
const image = (s = seed()) => ({ media: 'image' as const, pdq: hex(`pdq${s}`, 64), quality: 88, md5: hex(`md5${s}`, 32), sha256: hex(`sha${s}`, 64) })
const video = (s = seed(), frames = 3) => ({
  media: 'video' as const,
  md5: hex(`vmd5${s}`, 32),
  sha256: hex(`vsha${s}`, 64),
  vpdq: Array.from({ length: frames }, (_, i) => ({ frame: i * 29, quality: 80, pdq: hex(`v${s}${i}`, 64), timestamp: i * 0.9676 })),
})
const newKey = () => crypto.randomBytes(18).toString('base64url')
const request = (over: Partial<NewRequestInput> = {}): NewRequestInput => ({
  idempotencyKey: newKey(),
  requester: 'self_adult',
  language: 'en',
  files: [image()],
  urls: [],
  shareHashes: true,
  noticesConsent: false,
  ...over,
})

async function count(table: keyof Database): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(getDb())
  return Number(result.rows[0]?.n)
}
async function counts() {
  const tables = ['survivor_case', 'case_hash', 'case_location', 'idempotency_key', 'audit_log', 'outbox', 'case_recovery', 'session'] as const
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t)] as const))) as Record<(typeof tables)[number], number>
}

/** Records the SQL text (no values) of every query run through it. */
class QueryRecorder implements KyselyPlugin {
  readonly sql: string[] = []
  constructor(private readonly db: Kysely<Database>) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.sql.push(this.db.getExecutor().compileQuery(args.node, args.queryId).sql)
    return args.node
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

async function insertProvider(over: { name: string; hashList?: 0 | 1; checkpoint?: number | null; disabledAt?: number | null; regime?: Regime }) {
  const id = newId()
  await getDb()
    .insertInto('provider')
    .values({
      id,
      name: over.name,
      notice_emails: JSON.stringify([`abuse@${over.name.toLowerCase()}.example`]),
      regime: over.regime ?? 'takeitdown',
      hash_list: over.hashList ?? 1,
      feed_checkpoint: over.checkpoint ?? null,
      feed_last_fetch_at: null,
      created_at: 1,
      updated_at: 1,
      disabled_at: over.disabledAt ?? null,
    })
    .execute()
  return id
}

async function insertNotice(caseId: string, providerId: string, state: NoticeState, locationIds: string[], extra: { regime?: Regime; sentAt?: number; deadlineAt?: number } = {}) {
  const id = newId()
  await getDb()
    .insertInto('notice')
    .values({
      id,
      case_id: caseId,
      provider_id: providerId,
      regime: extra.regime ?? 'takeitdown',
      state,
      explanation: null,
      message_id: null,
      created_by: null,
      sent_at: extra.sentAt ?? null,
      delivered_at: null,
      acknowledged_at: null,
      resolved_at: null,
      deadline_at: extra.deadlineAt ?? null,
      reminder_due_at: null,
      reminded_at: null,
      overdue_at: null,
      created_at: 1,
      updated_at: 1,
    })
    .execute()
  for (const locationId of locationIds) await getDb().insertInto('notice_location').values({ notice_id: id, location_id: locationId, outcome: null }).execute()
  return id
}

const caseRow = (id: string) => getDb().selectFrom('survivor_case').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const hashRows = (caseId: string) => getDb().selectFrom('case_hash').selectAll().where('case_id', '=', caseId).orderBy('item').orderBy('kind').orderBy('frame_number').execute()


describe('createCase', () => {
  it('stores the hashes, addresses and answers, with the secret only as argon2id and personal data encrypted', async () => {
    const db = getDb()
    const pic = { ...image(), pdq: image().pdq.toUpperCase() }
    const clip = video(seed(), 4)
    clip.vpdq[0]!.pdq = '0'.repeat(64) // a black first frame
    const now = Date.now()
    const created = await createCase(
      db,
      request({
        files: [pic, clip],
        urls: ['https://www.example.co.uk/a?x=1', 'www.example.co.uk/a?x=1', 'https://EXAMPLE.ORG/b', 'http://203.0.113.5/c'],
        noticesConsent: 'on',
        contactEmail: ' Survivor@Example.org ',
        signature: '  Sam Person ',
        language: 'es',
      }),
      now,
    )
    expect(created.caseNumber).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/)
    expect(created.secret).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}$/)

    const c = await caseRow(created.caseId)
    expect(c).toMatchObject({ case_number: created.caseNumber.replace('-', ''), state: 'open', language: 'es', requester: 'self_adult', share_hashes: 1, notices_consent: 1, created_at: now })
    expect(c.secret_hash).toMatch(/^\$argon2id\$/)
    expect(await verifyPassword(c.secret_hash!, created.secret.replace(/-/g, ''))).toBe(true)
    expect(c.contact_ciphertext).not.toContain('xample')
    expect(decryptPersonal(c.contact_ciphertext!)).toBe('survivor@example.org')
    expect(decryptPersonal(c.signature_ciphertext!)).toBe('Sam Person')

    const hashes = await hashRows(created.caseId)
    const summary = hashes.map((h) => [h.item, h.media, h.kind, h.value, h.quality, h.frame_number, h.frame_ms])
    expect(summary).toEqual([
      [1, 'image', 'md5', pic.md5, null, null, null],
      [1, 'image', 'pdq', pic.pdq.toLowerCase(), 88, null, null],
      [1, 'image', 'sha256', pic.sha256, null, null, null],
      [2, 'video', 'md5', clip.md5, null, null, null],
      [2, 'video', 'sha256', clip.sha256, null, null, null],
      // Frame 0 was flat (all zeros) and is skipped; timestamps become whole milliseconds.
      [2, 'video', 'vpdq', clip.vpdq[1]!.pdq, 80, 29, 968],
      [2, 'video', 'vpdq', clip.vpdq[2]!.pdq, 80, 58, 1935],
      [2, 'video', 'vpdq', clip.vpdq[3]!.pdq, 80, 87, 2903],
    ])
    expect(hashes.every((h) => h.status === 'active' && h.created_at === now && h.updated_at === now)).toBe(true)

    const locations = await db.selectFrom('case_location').select(['url', 'host', 'registrable_domain', 'added_by', 'state']).where('case_id', '=', created.caseId).orderBy('url').execute()
    expect(locations).toEqual([
      { url: 'http://203.0.113.5/c', host: '203.0.113.5', registrable_domain: '203.0.113.5', added_by: 'survivor', state: 'reported' },
      { url: 'https://example.org/b', host: 'example.org', registrable_domain: 'example.org', added_by: 'survivor', state: 'reported' },
      { url: 'https://www.example.co.uk/a?x=1', host: 'www.example.co.uk', registrable_domain: 'example.co.uk', added_by: 'survivor', state: 'reported' },
    ])

    const audit = await db.selectFrom('audit_log').selectAll().where('object_id', '=', created.caseId).execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor_type: 'survivor', action: 'case.created' })
    expect(JSON.parse(audit[0]!.detail!)).toEqual({ files: 2, hashes: 8, urls: 3, contact: true, source: 'web' })
  })

  it('links an address to the provider that owns its domain', async () => {
    const db = getDb()
    const providerId = await insertProvider({ name: 'Linkhost' })
    await db.insertInto('provider_domain').values({ domain: 'linkhost.example', provider_id: providerId }).execute()
    const created = await createCase(db, request({ urls: ['https://cdn.linkhost.example/x'], noticesConsent: true }))
    const location = await db.selectFrom('case_location').select(['provider_id', 'registrable_domain']).where('case_id', '=', created.caseId).executeTakeFirstOrThrow()
    expect(location).toEqual({ provider_id: providerId, registrable_domain: 'linkhost.example' })
  })

  it('a repeated submit with the same idempotency key gives the same case and secret and creates nothing', async () => {
    const db = getDb()
    const body = request({ files: [image(), video()] })
    const first = await createCase(db, body)
    const before = await counts()
    const again = await createCase(db, body)
    expect(again).toEqual(first)
    expect(await counts()).toEqual(before)

    // The kept answer is encrypted: the secret is nowhere in the database in clear.
    const stored = await db.selectFrom('idempotency_key').selectAll().execute()
    expect(JSON.stringify(stored)).not.toContain(first.secret)
    expect(JSON.stringify(stored)).not.toContain(body.idempotencyKey)

    // The same key with a different request is refused, not silently merged.
    await expect(createCase(db, { ...body, files: [image()] })).rejects.toMatchObject({ field: 'idempotencyKey' })
  })

  it('two concurrent submits with the same key make one case and return the same secret', async () => {
    const db = getDb()
    const before = await counts()
    const body = request({ files: [image(), image()] })
    const results = await Promise.all([createCase(db, body), createCase(db, body), createCase(db, body)])
    expect(results[1]).toEqual(results[0])
    expect(results[2]).toEqual(results[0])
    const after = await counts()
    expect(after.survivor_case).toBe(before.survivor_case + 1)
    expect(after.case_hash).toBe(before.case_hash + 6)
    expect(after.idempotency_key).toBe(before.idempotency_key + 1)
    const c = await caseRow(results[0]!.caseId)
    expect(await verifyPassword(c.secret_hash!, results[0]!.secret.replace(/-/g, ''))).toBe(true)
  })

  it('draws a new case number when the first one is taken', async () => {
    const db = getDb()
    const existing = await createCase(db, request())
    const taken = normaliseCaseNumber(existing.caseNumber)!
    vi.mocked(newCaseNumber).mockClear()
    vi.mocked(newCaseNumber).mockReturnValueOnce(taken).mockReturnValueOnce('ZZZZ2222')
    const created = await createCase(db, request())
    expect(created.caseNumber).toBe('ZZZZ-2222')
    expect(newCaseNumber).toHaveBeenCalledTimes(2)
  })

  const bad: [string, (r: NewRequestInput) => NewRequestInput, string, RegExp][] = [
    ['a PDQ hash one character short', (r) => ({ ...r, files: [{ ...image(), pdq: 'a'.repeat(63) }] }), 'files.0.pdq', /PDQ code is broken/],
    ['a PDQ hash with a non-hex character', (r) => ({ ...r, files: [{ ...image(), pdq: 'g' + 'a'.repeat(63) }] }), 'files.0.pdq', /PDQ code is broken/],
    ['a 0x prefix', (r) => ({ ...r, files: [image(), { ...image(), md5: '0x' + 'a'.repeat(30) }] }), 'files.1.md5', /MD5 code is broken/],
    ['an all-zero PDQ hash', (r) => ({ ...r, files: [{ ...image(), pdq: '0'.repeat(64) }] }), 'files.0.pdq', /all one colour/],
    ['an all-ones PDQ hash, in capitals', (r) => ({ ...r, files: [{ ...image(), pdq: 'F'.repeat(64) }] }), 'files.0.pdq', /all one colour/],
    ['the MD5 of an empty file', (r) => ({ ...r, files: [{ ...image(), md5: 'D41D8CD98F00B204E9800998ECF8427E' }] }), 'files.0.md5', /file is empty/],
    ['the SHA-256 of an empty file', (r) => ({ ...r, files: [{ ...video(), sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }] }), 'files.0.sha256', /file is empty/],
    ['a quality above 100', (r) => ({ ...r, files: [{ ...image(), quality: 101 }] }), 'files.0.quality', /0 to 100/],
    ['video frames out of order', (r) => {
      const v = video(seed(), 3)
      v.vpdq[2]!.frame = 10
      return { ...r, files: [v] }
    }, 'files.0.vpdq.2.frame', /out of order/],
    ['a broken vPDQ frame hash', (r) => {
      const v = video(seed(), 2)
      v.vpdq[1]!.pdq = 'xyz'
      return { ...r, files: [v] }
    }, 'files.0.vpdq.1.pdq', /PDQ code is broken/],
    ['101 files', (r) => ({ ...r, files: Array.from({ length: 101 }, () => image()) }), 'files', /up to 100 files/],
    ['2,001 hash values', (r) => ({ ...r, files: [video(seed(), 998), video(seed(), 999)] }), 'files', /more than 2,000/],
    ['a file that is neither picture nor video', (r) => ({ ...r, files: [{ media: 'audio' } as never] }), 'files.0.media', /picture or a video/],
    ['no consent to share hashes', (r) => ({ ...r, shareHashes: false }), 'shareHashes', /Tick this box/],
    ['addresses without consent for notices', (r) => ({ ...r, urls: ['https://example.org/x'] }), 'noticesConsent', /Tick this box/],
    ['a javascript: address', (r) => ({ ...r, noticesConsent: true, urls: ['https://example.org/ok', 'javascript:alert(1)'] }), 'urls.1', /http:\/\/ or https:\/\//],
    ['a data: address', (r) => ({ ...r, noticesConsent: true, urls: ['data:text/html,hi'] }), 'urls.0', /http:\/\/ or https:\/\//],
    ['a file: address', (r) => ({ ...r, noticesConsent: true, urls: ['file:///etc/passwd'] }), 'urls.0', /http:\/\/ or https:\/\//],
    ['an address with a password in it', (r) => ({ ...r, noticesConsent: true, urls: ['https://me:pw@example.org/x'] }), 'urls.0', /name and password/],
    ['an address over 2,048 characters', (r) => ({ ...r, noticesConsent: true, urls: ['https://example.org/' + 'a'.repeat(2030)] }), 'urls.0', /too long/],
    ['51 addresses', (r) => ({ ...r, noticesConsent: true, urls: Array.from({ length: 51 }, (_, i) => `https://example.org/${i}`) }), 'urls', /up to 50/],
    ['an email address with a line break', (r) => ({ ...r, contactEmail: 'a@example.org\r\nBcc: b@example.org' }), 'contactEmail', /one line/],
    ['an email address with U+2028', (r) => ({ ...r, contactEmail: 'a@example.org\u2028' }), 'contactEmail', /one line/],
    ['an email address with U+0085', (r) => ({ ...r, contactEmail: 'a@example.org\u0085' }), 'contactEmail', /one line/],
    ['two email addresses', (r) => ({ ...r, contactEmail: 'a@example.org, b@example.org' }), 'contactEmail', /just one/],
    ['a bad idempotency key', (r) => ({ ...r, idempotencyKey: 'short' }), 'idempotencyKey', /Reload the page/],
    ['nothing to act on', (r) => ({ ...r, files: [], urls: [] }), 'files', /at least one/],
  ]
  it.each(bad)('refuses %s with a message on its field and stores nothing', async (_name, make, field, message) => {
    const before = await counts()
    const error = await createCase(getDb(), make(request())).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toMatchObject({ field, message: expect.stringMatching(message) })
    expect(await counts()).toEqual(before)
  })

  it('accepts exactly 100 files and exactly 2,000 hash values', async () => {
    const db = getDb()
    const hundred = await createCase(db, request({ files: Array.from({ length: 100 }, () => image()) }))
    expect(await hashRows(hundred.caseId)).toHaveLength(300)
    const twoThousand = await createCase(db, request({ files: [video(seed(), 998), video(seed(), 998)] }))
    expect(await hashRows(twoThousand.caseId)).toHaveLength(2000)
  })

  it('answers the same way, with the same queries, whether or not another case holds the hashes', async () => {
    const db = getDb()
    const files = [image(), video(seed(), 5)]
    await createCase(db, request({ files }))

    const known = new QueryRecorder(db)
    const fresh = new QueryRecorder(db)
    const a = await createCase(db.withPlugin(known), request({ files }))
    const b = await createCase(db.withPlugin(fresh), request({ files: [image(), video(seed(), 5)] }))
    const mask = (r: object) => JSON.stringify({ ...r, caseId: 'ID', caseNumber: 'NUMBER', secret: 'SECRET' })
    expect(mask(a)).toEqual(mask(b))
    expect(Object.keys(a)).toEqual(Object.keys(b))
    expect(known.sql.length).toBeGreaterThan(3)
    expect(known.sql).toEqual(fresh.sql)
    // Creation never looks a hash value up: the only reads of case_hash are
    // the submission caps' counts, which name no value and so cannot tell
    // whether someone else reported the same image.
    const reads = known.sql.filter((q) => /^select/i.test(q.trim()) && q.includes('case_hash'))
    expect(reads.filter((q) => !/^select count\(\*\) as "n" from "case_hash" where "(case_id|created_at)" [=>] (\?|\$\d+)$/.test(q.trim()))).toEqual([])
    expect(reads.some((q) => q.includes('value'))).toBe(false)
  })
})

describe('signIn', () => {
  afterEach(async () => {
    await getDb().deleteFrom('rate_limit').execute()
  })

  it('opens a fresh session for the right secret, typed any way', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    const now = Date.now()
    const typed = { caseNumber: ` ${created.caseNumber.toLowerCase().replace('-', ' ')} `, secret: created.secret.toLowerCase().replace(/-/g, '') }
    const first = await signIn(db, typed, '198.51.100.1', now)
    const second = await signIn(db, typed, '198.51.100.1', now)
    expect(first).toMatchObject({ ok: true, caseId: created.caseId, expiresAt: now + 2 * 60 * MINUTE })
    if (!first.ok || !second.ok) throw new Error('sign-in failed')
    expect(second.token).not.toBe(first.token)
    const session = await db.selectFrom('session').selectAll().where('id', '=', tokenHash(first.token)).executeTakeFirstOrThrow()
    expect(session).toMatchObject({ kind: 'survivor', case_id: created.caseId, staff_id: null, created_at: now, last_seen_at: now })
    expect(await db.selectFrom('session').select('id').where('id', '=', first.token).execute()).toEqual([])
  })

  it('gives the same answer, after the same argon2 work, for an unknown case and a wrong secret', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    const unknownNumber = 'ZZZZ-ZZZZ'
    const wrongSecret = 'ABCD-EFGH-JKMN-PQRS'

    const time = async (input: { caseNumber: string; secret: string }, source: string) => {
      const start = performance.now()
      const result = await signIn(db, input, source)
      return { result, ms: performance.now() - start }
    }
    const unknown: number[] = []
    const wrong: number[] = []
    for (let i = 0; i < 3; i++) {
      const u = await time({ caseNumber: unknownNumber, secret: created.secret }, `u${i}`)
      const w = await time({ caseNumber: created.caseNumber, secret: wrongSecret }, `w${i}`)
      expect(u.result).toEqual({ ok: false, reason: 'invalid' })
      expect(w.result).toEqual(u.result)
      unknown.push(u.ms)
      wrong.push(w.ms)
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[1]!
    // Both run one argon2id verify; skipping it would make the unknown case many times faster.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4)
  })

  it('uses a dummy hash made with the same argon2 parameters as real secrets', async () => {
    const params = (phc: string) => phc.split('$').slice(1, 4)
    expect(params(DUMMY_SECRET_HASH)).toEqual(params(await hashPassword('anything')))
  })

  it('throttles 100 wrong secrets from one source while the right secret still works from another', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    const now = Date.now()
    const results = []
    for (let i = 0; i < 100; i++) {
      results.push(await signIn(db, { caseNumber: created.caseNumber, secret: 'ABCD-EFGH-JKMN-PQRS' }, '203.0.113.66', now + i))
    }
    expect(results.slice(0, 10).every((r) => !r.ok && r.reason === 'invalid')).toBe(true)
    expect(results.slice(10).every((r) => !r.ok && r.reason === 'throttled' && r.retryAfterMs > 0)).toBe(true)
    // Even the right secret is refused from the throttled source...
    expect(await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, '203.0.113.66', now + 200)).toMatchObject({ reason: 'throttled' })
    // ...but the case is never locked: from another source it works at once,
    expect(await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, '198.51.100.9', now + 201)).toMatchObject({ ok: true })
    // and from the first source again once its window has passed.
    expect(await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, '203.0.113.66', now + 15 * MINUTE)).toMatchObject({ ok: true })

    // Source addresses are not stored in clear.
    const keys = await db.selectFrom('rate_limit').select('key').execute()
    expect(keys.length).toBeGreaterThan(0)
    expect(keys.every((k) => /^[0-9a-f]{64}$/.test(k.key))).toBe(true)
  })

  it('stops every source once the site-wide limit is reached', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    const now = Date.now() + 365 * 24 * 60 * MINUTE
    for (let i = 0; i < SIGN_IN_LIMIT_SITE_WIDE.limit; i++) await hitRateLimit(db, 'signin:site', SIGN_IN_LIMIT_SITE_WIDE, now)
    const result = await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, 'fresh-source', now + 1)
    expect(result).toMatchObject({ ok: false, reason: 'throttled' })
    expect(await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, 'fresh-source', now + MINUTE)).toMatchObject({ ok: true })
  })

  it('refuses a deleted case with the same answer as a wrong secret', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    await deleteCase(db, created.caseId)
    expect(await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, 'd1')).toEqual({ ok: false, reason: 'invalid' })
  })

  it('answers malformed input as invalid, not with an error', async () => {
    expect(await signIn(getDb(), { caseNumber: '!!', secret: '' }, 'm1')).toEqual({ ok: false, reason: 'invalid' })
  })
})

describe('hitRateLimit', () => {
  it('counts in windows and restarts an expired window', async () => {
    const db = getDb()
    const limit = { limit: 2, windowMs: 1000 }
    const now = 5_000_000
    expect(await hitRateLimit(db, 'unit:a', limit, now)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 })
    expect(await hitRateLimit(db, 'unit:a', limit, now + 10)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 })
    expect(await hitRateLimit(db, 'unit:a', limit, now + 100)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 900 })
    expect(await hitRateLimit(db, 'unit:a', limit, now + 1000)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 })
    expect(await hitRateLimit(db, 'unit:b', limit, now + 1000)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 })
  })

  it('loses no hit under concurrency', async () => {
    const db = getDb()
    const limit = { limit: 100, windowMs: 60_000 }
    const results = await Promise.all(Array.from({ length: 40 }, () => hitRateLimit(db, 'unit:concurrent', limit)))
    expect(results.map((r) => r.remaining).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => 60 + i))
  })
})

describe('survivor sessions', () => {
  it('end after 15 minutes idle, and after 2 hours whatever happens', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    const t0 = 1_000_000_000_000

    const idle = await createSurvivorSession(db, created.caseId, t0)
    expect(await findSurvivorSession(db, idle.token, t0 + 14 * MINUTE)).toMatchObject({ caseId: created.caseId })
    // Use moved the idle clock on.
    expect(await findSurvivorSession(db, idle.token, t0 + 28 * MINUTE)).toMatchObject({ caseId: created.caseId })
    expect(await findSurvivorSession(db, idle.token, t0 + 28 * MINUTE + SURVIVOR_SESSION_IDLE_MS)).toBeNull()
    expect(await db.selectFrom('session').select('id').where('id', '=', tokenHash(idle.token)).execute()).toEqual([])

    const busy = await createSurvivorSession(db, created.caseId, t0)
    let t = t0
    for (; t < t0 + 120 * MINUTE; t += 10 * MINUTE) expect(await findSurvivorSession(db, busy.token, t)).not.toBeNull()
    expect(await findSurvivorSession(db, busy.token, t0 + 120 * MINUTE)).toBeNull()
    expect(await findSurvivorSession(db, 'no-such-token-at-all-here', t0)).toBeNull()
  })

  it('write their use down at most once a minute, so reading the status page is not a write', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    const t0 = 1_000_000_000_000
    const session = await createSurvivorSession(db, created.caseId, t0)
    const seen = async () => Number((await db.selectFrom('session').select('last_seen_at').where('id', '=', tokenHash(session.token)).executeTakeFirstOrThrow()).last_seen_at)
    expect(await findSurvivorSession(db, session.token, t0 + 59_000)).toMatchObject({ expiresAt: t0 + SURVIVOR_SESSION_IDLE_MS })
    expect(await seen()).toBe(t0)
    expect(await findSurvivorSession(db, session.token, t0 + 60_000)).toMatchObject({ expiresAt: t0 + 60_000 + SURVIVOR_SESSION_IDLE_MS })
    expect(await seen()).toBe(t0 + 60_000)
    // The idle limit counts from the last use written down.
    expect(await findSurvivorSession(db, session.token, t0 + 60_000 + SURVIVOR_SESSION_IDLE_MS)).toBeNull()
  })

  it('builds the cookie: HttpOnly, SameSite=Strict, Path=/, Secure only over https', () => {
    const https = survivorCookieSettings('https://takeback.example.org')
    const http = survivorCookieSettings('http://localhost:3000')
    expect(survivorSessionCookie('tok_abcdefghijklmnopqrstu', https)).toBe('tb_case=tok_abcdefghijklmnopqrstu; Path=/; HttpOnly; SameSite=Strict; Secure')
    expect(survivorSessionCookie('tok_abcdefghijklmnopqrstu', http)).toBe('tb_case=tok_abcdefghijklmnopqrstu; Path=/; HttpOnly; SameSite=Strict')
    expect(clearSurvivorSessionCookie(https)).toMatch(/^tb_case=; Max-Age=0; .*HttpOnly; SameSite=Strict; Secure$/)
    expect(readSurvivorToken('a=1; tb_case=tok_abcdefghijklmnopqrstu; b=2', http)).toBe('tok_abcdefghijklmnopqrstu')
    expect(readSurvivorToken('tb_case=<script>', http)).toBeNull()
    expect(readSurvivorToken(null, http)).toBeNull()
  })
})

describe('getCaseStatus', () => {
  it('shows hash prefixes, who has fetched them, feedback in plain words, notices and next steps; nothing more', async () => {
    const db = getDb()
    // Only the providers made here take part.
    await db.updateTable('provider').set({ disabled_at: 1 }).execute()
    const now = Date.now()
    const pic = image()
    const clip = video(seed(), 3)
    const created = await createCase(
      db,
      request({ files: [pic, clip], urls: ['https://one.example/a', 'https://two.example/b'], noticesConsent: true, contactEmail: 'me@example.org' }),
      now,
    )
    const fetched = await insertProvider({ name: 'Fetched', checkpoint: now })
    const behind = await insertProvider({ name: 'Behind', checkpoint: now - 1 })
    await insertProvider({ name: 'Disabled', checkpoint: now, disabledAt: 1 })
    await insertProvider({ name: 'NoList', hashList: 0, checkpoint: now })
    const hashes = await hashRows(created.caseId)
    const pdqRow = hashes.find((h) => h.kind === 'pdq')!
    const frameRow = hashes.filter((h) => h.kind === 'vpdq')[1]!
    const feedback = (hashId: string, providerId: string, value: Database['hash_feedback']['value'], at: number) =>
      db.insertInto('hash_feedback').values({ id: newId(), hash_id: hashId, provider_id: providerId, value, tags: null, created_at: at, updated_at: at }).execute()
    await feedback(pdqRow.id, fetched, 'Blocked', now)
    await feedback(pdqRow.id, behind, 'None', now)
    await feedback(frameRow.id, behind, 'PendingReview', now)
    const locations = await db.selectFrom('case_location').select(['id', 'url']).where('case_id', '=', created.caseId).orderBy('url').execute()
    await insertNotice(created.caseId, fetched, 'sent', [locations[0]!.id], { sentAt: now, deadlineAt: now + 48 * 60 * MINUTE })
    await insertNotice(created.caseId, behind, 'acknowledged', [], { regime: 'dsa', sentAt: now, deadlineAt: now + 1 })

    const status = await getCaseStatus(db, created.caseId)
    expect(status).toMatchObject({ caseNumber: created.caseNumber, state: 'open', shareHashes: true, noticesConsent: true, hasContact: true, participatingProviders: 2 })
    expect(status.hashes.map((h) => [h.item, h.kind, h.prefix, h.frames, h.status, h.fetchedBy, h.feedback])).toEqual([
      [1, 'md5', pic.md5.slice(0, 8), 1, 'active', 1, []],
      [1, 'pdq', pic.pdq.slice(0, 8), 1, 'active', 1, [{ provider: 'Fetched', value: 'removed' }]],
      [1, 'sha256', pic.sha256.slice(0, 8), 1, 'active', 1, []],
      [2, 'md5', clip.md5.slice(0, 8), 1, 'active', 1, []],
      [2, 'sha256', clip.sha256.slice(0, 8), 1, 'active', 1, []],
      [2, 'vpdq', clip.vpdq[0]!.pdq.slice(0, 8), 3, 'active', 1, [{ provider: 'Behind', value: 'reviewing' }]],
    ])
    expect(status.notices).toEqual([
      { provider: 'Fetched', urls: ['https://one.example/a'], state: 'sent', sentAt: now, deadlineAt: now + 48 * 60 * MINUTE, acknowledgedAt: null, resolvedAt: null },
      { provider: 'Behind', urls: [], state: 'acknowledged', sentAt: now, deadlineAt: null, acknowledgedAt: null, resolvedAt: null },
    ])
    expect(status.locations.map((l) => [l.url, l.state])).toEqual([
      ['https://one.example/a', 'reported'],
      ['https://two.example/b', 'reported'],
    ])
    expect(status.nextSteps).toEqual(['waiting_for_providers', 'notices_pending', 'waiting_for_websites'])

    // Never a whole hash, the contact address or the secret.
    const json = JSON.stringify(status)
    for (const h of hashes) expect(json).not.toContain(h.value)
    expect(json).not.toContain('me@example.org')
    expect(json).not.toContain(created.secret)

    // Once every participating provider has fetched, the step changes.
    await db.updateTable('provider').set({ feed_checkpoint: now }).where('id', '=', behind).execute()
    expect((await getCaseStatus(db, created.caseId)).nextSteps).toEqual(['providers_have_hashes', 'notices_pending', 'waiting_for_websites'])
  })

  it('suggests adding addresses and a contact to a case that has neither', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    await db.updateTable('provider').set({ disabled_at: 1 }).execute()
    const status = await getCaseStatus(db, created.caseId)
    expect(status.participatingProviders).toBe(0)
    expect(status.nextSteps).toEqual(['add_urls_to_get_notices_sent', 'add_contact_to_recover_secret'])
  })
})

describe('changes a signed-in survivor makes', () => {
  it('adds more files, numbered after the existing ones, with the same checks', async () => {
    const db = getDb()
    const created = await createCase(db, request({ files: [image(), image()] }))
    const later = Date.now() + 1000
    expect(await addHashes(db, created.caseId, { files: [video(seed(), 2)] }, later)).toEqual({ files: 1, hashes: 4 })
    const rows = await hashRows(created.caseId)
    expect(rows.filter((r) => r.item === 3).map((r) => [r.kind, r.created_at])).toEqual([
      ['md5', later],
      ['sha256', later],
      ['vpdq', later],
      ['vpdq', later],
    ])
    expect((await caseRow(created.caseId)).updated_at).toBe(later)

    const before = await counts()
    await expect(addHashes(db, created.caseId, { files: [{ ...image(), sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }] })).rejects.toMatchObject({
      field: 'files.0.sha256',
    })
    await expect(addHashes(db, created.caseId, { files: [] })).rejects.toMatchObject({ field: 'files' })
    expect(await counts()).toEqual(before)
  })

  it('asks for consent before adding hashes to a case opened with addresses only', async () => {
    const db = getDb()
    const created = await createCase(db, request({ files: [], shareHashes: false, urls: ['https://example.org/1'], noticesConsent: true }))
    await expect(addHashes(db, created.caseId, { files: [image()] })).rejects.toMatchObject({ field: 'shareHashes' })
    expect(await hashRows(created.caseId)).toEqual([])
    await addHashes(db, created.caseId, { files: [image()], shareHashes: true })
    expect((await caseRow(created.caseId)).share_hashes).toBe(1)
  })

  it('adds addresses, skipping ones the case has, and asks for consent for notices first', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    await expect(addUrls(db, created.caseId, { urls: ['https://example.org/x'] })).rejects.toMatchObject({ field: 'noticesConsent' })
    expect(await addUrls(db, created.caseId, { urls: 'https://example.org/x\nexample.org/y', noticesConsent: true })).toEqual({ added: 2 })
    expect(await addUrls(db, created.caseId, { urls: ['https://example.org/y', 'https://example.org/z'] })).toEqual({ added: 1 })
    expect(await db.selectFrom('case_location').select('url').where('case_id', '=', created.caseId).orderBy('url').execute()).toEqual([
      { url: 'https://example.org/x' },
      { url: 'https://example.org/y' },
      { url: 'https://example.org/z' },
    ])
    await expect(addUrls(db, created.caseId, { urls: ['javascript:alert(1)'] })).rejects.toMatchObject({ field: 'urls.0' })
  })

  it('sets and removes the contact address', async () => {
    const db = getDb()
    const created = await createCase(db, request())
    expect(await setContact(db, created.caseId, { email: 'New@Example.org' })).toEqual({ hasContact: true })
    expect(decryptPersonal((await caseRow(created.caseId)).contact_ciphertext!)).toBe('new@example.org')
    await expect(setContact(db, created.caseId, { email: 'a@example.org\nb@example.org' })).rejects.toMatchObject({ field: 'email' })
    expect(await setContact(db, created.caseId, { email: '' })).toEqual({ hasContact: false })
    expect((await caseRow(created.caseId)).contact_ciphertext).toBeNull()
  })

  it('withdraws chosen hashes, a whole video for its frame entry, and bumps updated_at for the feed', async () => {
    const db = getDb()
    const created = await createCase(db, request({ files: [image(), video(seed(), 3)] }))
    const other = await createCase(db, request())
    const otherHash = (await hashRows(other.caseId))[0]!
    const status = await getCaseStatus(db, created.caseId)
    const pdq = status.hashes.find((h) => h.kind === 'pdq')!
    const frames = status.hashes.find((h) => h.kind === 'vpdq')!
    const later = Date.now() + 5000

    expect(await withdrawHashes(db, created.caseId, { hashIds: [pdq.id, frames.id, otherHash.id] }, later)).toEqual({ withdrawn: 4 })
    const rows = await hashRows(created.caseId)
    const withdrawn = rows.filter((r) => r.status === 'withdrawn')
    expect(withdrawn.map((r) => r.kind).sort()).toEqual(['pdq', 'vpdq', 'vpdq', 'vpdq'])
    expect(withdrawn.every((r) => r.withdrawn_at === later && r.updated_at === later)).toBe(true)
    expect(rows.filter((r) => r.status === 'active').every((r) => r.updated_at < later && r.withdrawn_at === null)).toBe(true)
    // Another case's hash is not touched.
    expect(await hashRows(other.caseId)).toContainEqual(otherHash)
    // Withdrawing again changes nothing.
    expect(await withdrawHashes(db, created.caseId, { hashIds: [pdq.id] }, later + 1)).toEqual({ withdrawn: 0 })
  })

  it('deletes the case: hashes and addresses withdrawn, open notices closed, sessions and personal data gone', async () => {
    const db = getDb()
    const t0 = Date.now()
    const created = await createCase(
      db,
      request({ files: [image(), video()], urls: ['https://a.example/1'], noticesConsent: true, contactEmail: 'gone@example.org', signature: 'Full Name' }),
      t0,
    )
    await withdrawHashes(db, created.caseId, { hashIds: [(await hashRows(created.caseId))[0]!.id] }, t0 + 1)
    const provider = await insertProvider({ name: 'Deleted-case host' })
    const location = await db.selectFrom('case_location').select('id').where('case_id', '=', created.caseId).executeTakeFirstOrThrow()
    const openNotice = await insertNotice(created.caseId, provider, 'sent', [location.id], { sentAt: t0 })
    const doneNotice = await insertNotice(created.caseId, provider, 'removed', [location.id], { sentAt: t0 })
    const signedIn = await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, 'del-src', t0 + 2)
    if (!signedIn.ok) throw new Error('sign-in failed')
    await requestRecovery(db, { caseNumber: created.caseNumber, email: 'gone@example.org' }, 'del-src', t0 + 3)
    expect(await count('case_recovery')).toBeGreaterThan(0)

    const t1 = t0 + 10_000
    await deleteCase(db, created.caseId, t1)

    const c = await caseRow(created.caseId)
    expect(c).toMatchObject({ state: 'deleted', deleted_at: t1, updated_at: t1, secret_hash: null, contact_ciphertext: null, signature_ciphertext: null })
    const rows = await hashRows(created.caseId)
    expect(rows.every((r) => r.status === 'withdrawn')).toBe(true)
    // The one already withdrawn keeps its time; the rest are re-sent to providers now.
    expect(rows.filter((r) => r.updated_at === t1)).toHaveLength(rows.length - 1)
    expect(await db.selectFrom('case_location').select(['state', 'updated_at']).where('case_id', '=', created.caseId).execute()).toEqual([{ state: 'withdrawn', updated_at: t1 }])
    const notices = await db.selectFrom('notice').select(['id', 'state', 'updated_at']).where('case_id', '=', created.caseId).execute()
    expect(notices.find((n) => n.id === openNotice)).toMatchObject({ state: 'closed', updated_at: t1 })
    expect(notices.find((n) => n.id === doneNotice)).toMatchObject({ state: 'removed', updated_at: 1 })
    const events = await db.selectFrom('notice_event').selectAll().where('case_id', '=', created.caseId).execute()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ notice_id: openNotice, kind: 'closed', actor_type: 'survivor', created_at: t1 })
    expect(await db.selectFrom('session').select('id').where('case_id', '=', created.caseId).execute()).toEqual([])
    expect(await db.selectFrom('case_recovery').select('id').where('case_id', '=', created.caseId).execute()).toEqual([])
    expect(await findSurvivorSession(db, signedIn.token, t1 + 1)).toBeNull()

    await expect(getCaseStatus(db, created.caseId)).rejects.toBeInstanceOf(NotFoundError)
    await expect(deleteCase(db, created.caseId)).rejects.toBeInstanceOf(NotFoundError)
    await expect(addUrls(db, created.caseId, { urls: ['https://a.example/2'], noticesConsent: true })).rejects.toBeInstanceOf(NotFoundError)

    const audit = await db.selectFrom('audit_log').selectAll().where('object_id', '=', created.caseId).where('action', '=', 'case.deleted').executeTakeFirstOrThrow()
    expect(JSON.parse(audit.detail!)).toEqual({ hashes: 7, locations: 1, notices: 1 })
  })

  it('writes an audit entry for every change, with no personal data in it', async () => {
    const db = getDb()
    const created = await createCase(db, request({ contactEmail: 'audit@example.org', signature: 'Audit Name' }))
    await addUrls(db, created.caseId, { urls: ['https://audited.example/p'], noticesConsent: true })
    await setContact(db, created.caseId, { email: 'audit2@example.org' })
    await addHashes(db, created.caseId, { files: [image()] })
    const status = await getCaseStatus(db, created.caseId)
    await withdrawHashes(db, created.caseId, { hashIds: [status.hashes[0]!.id] })
    await deleteCase(db, created.caseId)
    const entries = await db.selectFrom('audit_log').selectAll().where('object_id', '=', created.caseId).orderBy('seq').execute()
    expect(entries.map((e) => e.action)).toEqual(['case.created', 'case.urls_added', 'case.contact_set', 'case.hashes_added', 'case.hashes_withdrawn', 'case.deleted'])
    expect(entries.every((e) => e.actor_type === 'survivor')).toBe(true)
    const text = JSON.stringify(entries)
    for (const secretish of ['audit@', 'audit2@', 'Audit Name', 'audited.example', created.secret, created.caseNumber, normaliseCaseNumber(created.caseNumber)!]) {
      expect(text).not.toContain(secretish)
    }
  })
})

describe('recovery', () => {
  afterEach(async () => {
    await getDb().deleteFrom('rate_limit').execute()
  })

  const latestOutbox = () => getDb().selectFrom('outbox').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow()
  const tokenFrom = (text: string) => /\/recover\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? ''

  it('emails a one-time link to the matching contact address, naming no case and no images', async () => {
    const db = getDb()
    const created = await createCase(db, request({ contactEmail: 'Lost.Secret@Example.org' }))
    const now = Date.now()
    expect(await requestRecovery(db, { caseNumber: created.caseNumber.toLowerCase(), email: ' lost.secret@EXAMPLE.org ' }, 'r1', now)).toEqual({ ok: true })

    const recovery = await db.selectFrom('case_recovery').selectAll().where('case_id', '=', created.caseId).executeTakeFirstOrThrow()
    expect(recovery).toMatchObject({ expires_at: now + 30 * MINUTE, used_at: null })
    const mail = await latestOutbox()
    expect(mail).toMatchObject({ kind: 'case.recovery', subject: 'Your Takeback link', next_attempt_at: now, sent_at: null, notice_id: null })
    expect(mail.message_id).toMatch(/^<[0-9a-f-]+@takeback\.invalid>$/)
    expect(mail.recipient).not.toContain('@')
    expect(decryptPersonal(mail.recipient)).toBe('lost.secret@example.org')
    const token = tokenFrom(mail.text_body)
    expect(recovery.token_hash).toBe(tokenHash(token))
    expect(mail.text_body).toContain(`${getEnv().PUBLIC_URL}/recover?token=${token}`)
    expect(mail.html_body).toContain(`${getEnv().PUBLIC_URL}/recover?token=${token}`)
    const everything = `${mail.subject}\n${mail.text_body}\n${mail.html_body}`
    for (const leak of [created.caseNumber, normaliseCaseNumber(created.caseNumber)!, created.caseNumber.toLowerCase()]) expect(everything).not.toContain(leak)
    expect(everything).not.toMatch(/image|photo|picture|video|abuse|intimate|case/i)
  })

  it('answers the same, and sends nothing, for a wrong address, an unknown case or a deleted case', async () => {
    const db = getDb()
    const created = await createCase(db, request({ contactEmail: 'right@example.org' }))
    const noContact = await createCase(db, request())
    const deleted = await createCase(db, request({ contactEmail: 'right@example.org' }))
    await deleteCase(db, deleted.caseId)
    const before = await counts()
    const answers = [
      await requestRecovery(db, { caseNumber: created.caseNumber, email: 'wrong@example.org' }, 'r2'),
      await requestRecovery(db, { caseNumber: 'ZZZZ-ZZZY', email: 'right@example.org' }, 'r2'),
      await requestRecovery(db, { caseNumber: noContact.caseNumber, email: 'right@example.org' }, 'r2'),
      await requestRecovery(db, { caseNumber: deleted.caseNumber, email: 'right@example.org' }, 'r3'),
    ]
    expect(answers).toEqual(Array(4).fill({ ok: true }))
    const after = await counts()
    expect({ ...after, audit_log: 0 }).toEqual({ ...before, audit_log: 0 })
    // One audit entry each way: both paths commit one transaction.
    expect(after.audit_log).toBe(before.audit_log + 4)
  })

  it('refuses a contact address with a line break before doing anything', async () => {
    await expect(requestRecovery(getDb(), { caseNumber: 'ABCD-2345', email: 'x@example.org\r\nBcc: y@example.org' }, 'r4')).rejects.toMatchObject({ field: 'email' })
  })

  it('a link works once, within 30 minutes, sets a new secret and ends existing sessions', async () => {
    const db = getDb()
    const created = await createCase(db, request({ contactEmail: 'once@example.org', language: 'es' }))
    const t0 = Date.now()
    const session = await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, 'r5', t0)
    if (!session.ok) throw new Error('sign-in failed')
    await requestRecovery(db, { caseNumber: created.caseNumber, email: 'once@example.org' }, 'r5', t0)
    const first = await latestOutbox()
    expect(first.subject).toBe('Tu enlace de Takeback')
    const token = tokenFrom(first.text_body)
    await requestRecovery(db, { caseNumber: created.caseNumber, email: 'once@example.org' }, 'r5', t0)
    const otherToken = tokenFrom((await latestOutbox()).text_body)
    expect(otherToken).not.toBe(token)

    // Looking does not use it up.
    await checkRecoveryToken(db, token, t0 + 29 * MINUTE)
    const redeemed = await redeemRecovery(db, token, t0 + 29 * MINUTE)
    expect(redeemed.caseId).toBe(created.caseId)
    expect(redeemed.caseNumber).toBe(created.caseNumber)
    expect(redeemed.secret).not.toBe(created.secret)
    expect(await findSurvivorSession(db, session.token, t0 + 29 * MINUTE)).toBeNull()

    expect(await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, 'r6')).toEqual({ ok: false, reason: 'invalid' })
    expect(await signIn(db, { caseNumber: created.caseNumber, secret: redeemed.secret }, 'r6')).toMatchObject({ ok: true })

    // Used once; the other link sent earlier is spent too.
    const again = await redeemRecovery(db, token, t0 + 29 * MINUTE).catch((e: unknown) => e)
    expect(again).toBeInstanceOf(GoneError)
    expect((again as GoneError).message).toMatch(/I lost my secret/)
    await expect(redeemRecovery(db, otherToken, t0 + 29 * MINUTE)).rejects.toBeInstanceOf(GoneError)
    await expect(redeemRecovery(db, 'not a token', t0)).rejects.toBeInstanceOf(GoneError)
  })

  it('a link expires after 30 minutes', async () => {
    const db = getDb()
    const created = await createCase(db, request({ contactEmail: 'late@example.org' }))
    const t0 = Date.now()
    await requestRecovery(db, { caseNumber: created.caseNumber, email: 'late@example.org' }, 'r7', t0)
    const token = tokenFrom((await latestOutbox()).text_body)
    await expect(checkRecoveryToken(db, token, t0 + 30 * MINUTE)).rejects.toBeInstanceOf(GoneError)
    await expect(redeemRecovery(db, token, t0 + 30 * MINUTE)).rejects.toBeInstanceOf(GoneError)
    expect(await signIn(db, { caseNumber: created.caseNumber, secret: created.secret }, 'r7')).toMatchObject({ ok: true })
  })

  it('is rate limited per source', async () => {
    const db = getDb()
    const now = Date.now()
    const results = []
    for (let i = 0; i < 6; i++) results.push(await requestRecovery(db, { caseNumber: 'ABCD-2345', email: 'x@example.org' }, 'r8', now))
    expect(results.slice(0, 5)).toEqual(Array(5).fill({ ok: true }))
    expect(results[5]).toMatchObject({ ok: false, reason: 'throttled' })
  })

  it('the email template escapes what it is given and speaks English and Spanish', () => {
    const en = caseRecoveryEmail({ link: 'https://x.example/recover?token=a"><script>&b', minutesValid: 30, language: 'en' })
    expect(en.html).not.toContain('<script>')
    expect(en.html).toContain('token=a&quot;&gt;&lt;script&gt;&amp;b')
    expect(en.text).toContain('30 minutes')
    const es = caseRecoveryEmail({ link: 'https://x.example/r', minutesValid: 30, language: 'es' })
    expect(es.text).toContain('30 minutos')
    expect(es.html).toContain('lang="es"')
  })
})

describe('enqueueEmail', () => {
  it.each([
    ['to', { to: 'a@example.org\r\nBcc: b@example.org' }],
    ['to', { to: 'a@example.org\u2028' }],
    ['subject', { subject: 'Hi\nBcc: b@example.org' }],
    ['subject', { subject: 'Hi\u0085there' }],
    ['subject', { subject: 'Hi\u2029there' }],
  ])('refuses a line break in %s and writes nothing', async (field, bad) => {
    const db = getDb()
    const before = await count('outbox')
    const input = { kind: 'test', to: 'a@example.org', subject: 'Hi', text: 'Body', html: null, ...bad }
    await expect(db.transaction().execute((trx) => enqueueEmail(trx, input))).rejects.toMatchObject({ field })
    expect(await count('outbox')).toBe(before)
  })

  it('keeps a given Message-ID', async () => {
    const db = getDb()
    const queued = await db.transaction().execute((trx) => enqueueEmail(trx, { kind: 'test', to: 'a@example.org', subject: 'Hi', text: 'Body', messageId: '<given@takeback.invalid>' }))
    expect(queued.messageId).toBe('<given@takeback.invalid>')
  })
})

describe('audit chain', () => {
  it('still verifies after everything above', async () => {
    const chain = await verifyAuditChain(getDb())
    expect(chain.ok).toBe(true)
    expect(chain.entries).toBeGreaterThan(30)
  })
})
