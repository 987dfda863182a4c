/**
 * The native export (GET /api/v1/hashes/export): every hash kind, NDJSON or
 * CSV, streamed from the database one batch per read.
 */
import crypto from 'node:crypto'
import type { Insertable } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CaseHashTable, HashKind, MediaKind } from '../../db/schema'
import { getDb } from '../../app/lib/db.server'
import { newId } from '../../app/lib/ids.server'
import { createCase, deleteCase } from '../../app/models/case.server'
import { EXPORT_BATCH_SIZE, EXPORT_CSV_COLUMNS, exportHashes, opaqueCaseId, setBound, type ExportLine } from '../../app/models/hash-feed.server'
import { createApiKey, createProvider, findProvider, type Actor } from '../../app/models/provider.server'
import { loader as exportLoader } from '../../app/routes/api.v1.hashes.export'

const STAFF: Actor = { actorType: 'staff', actorId: 'staff-1' }
const CONTEXT = { cspNonce: 'test', clientAddress: '192.0.2.1' }
const hex = (from: string, length: number) => crypto.createHash('sha512').update(from).digest('hex').slice(0, length)
const base = Date.now() - 60 * 60 * 1000

async function provider(hashList: boolean) {
  const label = crypto.randomBytes(4).toString('hex')
  const { id } = await createProvider(getDb(), { name: `Host ${label}`, domains: [`h${label}.net`], noticeEmails: [`abuse@h${label}.net`], hashList }, STAFF)
  return { id, key: (await createApiKey(getDb(), id, STAFF)).key }
}

let n = 0
async function openCase(now: number) {
  const s = `e${++n}`
  return createCase(
    getDb(),
    {
      idempotencyKey: crypto.randomBytes(18).toString('base64url'),
      requester: 'self_adult',
      files: [
        { media: 'image', pdq: hex(`p${s}`, 64), quality: 77, md5: hex(`m${s}`, 32), sha256: hex(`s${s}`, 64) },
        {
          media: 'video',
          md5: hex(`vm${s}`, 32),
          sha256: hex(`vs${s}`, 64),
          vpdq: [0, 1, 2].map((i) => ({ frame: i * 30, quality: 70, pdq: hex(`vf${s}${i}`, 64), timestamp: i })),
        },
      ],
      urls: [],
      shareHashes: true,
      noticesConsent: false,
    },
    now,
  )
}

function row(caseId: string, i: number, kind: HashKind, media: MediaKind, at: number): Insertable<CaseHashTable> {
  return {
    id: newId(),
    case_id: caseId,
    item: 100 + i,
    media,
    kind,
    value: hex(`bulk${i}`, kind === 'md5' ? 32 : 64),
    quality: kind === 'pdq' ? 60 : null,
    frame_number: null,
    frame_ms: null,
    created_at: at,
    updated_at: at,
    withdrawn_at: null,
    disabled_at: null,
  }
}

function get(key: string | null, query: string) {
  const headers = new Headers()
  if (key) headers.set('Authorization', `Bearer ${key}`)
  return exportLoader({ request: new Request(`http://localhost:3000/api/v1/hashes/export${query}`, { headers }), params: {}, context: CONTEXT })
}

/** What the export should hold for `providerId`, built from the database independently of the export's own query. */
async function expectedLines(providerId: string, since: number, bound: number): Promise<ExportLine[]> {
  const rows = await getDb()
    .selectFrom('case_hash')
    .innerJoin('survivor_case', 'survivor_case.id', 'case_hash.case_id')
    .selectAll('case_hash')
    .select(['survivor_case.state as case_state', 'survivor_case.share_hashes'])
    .where('case_hash.updated_at', '>=', since)
    .where('case_hash.updated_at', '<', bound)
    .execute()
  return rows
    .filter((r) => r.share_hashes === 1)
    .sort((a, b) => a.updated_at - b.updated_at || (a.id < b.id ? -1 : 1))
    .map((r) => ({
      type: r.kind,
      value: r.value,
      media: r.media,
      status: r.status === 'disabled' || r.case_state === 'deleted' ? 'deleted' : r.status === 'withdrawn' ? 'withdrawn' : 'active',
      updatedAt: r.updated_at,
      case: opaqueCaseId(providerId, r.case_id),
      item: r.item,
      quality: r.quality,
      frame: r.kind === 'vpdq' ? r.frame_number : null,
      frameMs: r.kind === 'vpdq' ? r.frame_ms : null,
    }))
}

let host: Awaited<ReturnType<typeof provider>>
let outsider: Awaited<ReturnType<typeof provider>>
let quietValues: string[] = []

beforeAll(async () => {
  host = await provider(true)
  outsider = await provider(false)
  const db = getDb()
  const a = await openCase(base)
  const b = await openCase(base + 10)
  const gone = await openCase(base + 20)
  await deleteCase(db, gone.caseId, base + 30)
  const quiet = await openCase(base + 40)
  await db.updateTable('survivor_case').set({ share_hashes: 0 }).where('id', '=', quiet.caseId).execute()
  quietValues = (await db.selectFrom('case_hash').select('value').where('case_id', '=', quiet.caseId).execute()).map((r) => r.value)
  // 2,400 more, many sharing a millisecond, so batches split ties.
  const kinds = [
    ['pdq', 'image'],
    ['md5', 'image'],
    ['sha256', 'image'],
    ['md5', 'video'],
  ] as const
  const rows = Array.from({ length: 2400 }, (_, i) => row(i % 2 ? a.caseId : b.caseId, i, kinds[i % 4]![0], kinds[i % 4]![1], base + 100 + Math.floor(i / 50)))
  for (let i = 0; i < rows.length; i += 400) await db.insertInto('case_hash').values(rows.slice(i, i + 400)).execute()
  await db.updateTable('case_hash').set({ status: 'disabled', disabled_at: base + 200 }).where('id', '=', rows[7]!.id).execute()
  await db.updateTable('case_hash').set({ status: 'withdrawn', withdrawn_at: base + 200 }).where('id', '=', rows[8]!.id).execute()
})

describe('the native export', () => {
  it('streams NDJSON that matches the database: every kind, consenting cases only, statuses, opaque case ids', async () => {
    const response = await get(host.key, '?format=ndjson')
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('application/x-ndjson; charset=utf-8')
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const nextSince = Number(response.headers.get('Takeback-Next-Since'))
    const text = await response.text()
    expect(text.endsWith('\n')).toBe(true)
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ExportLine)
    expect(lines).toEqual(await expectedLines(host.id, 0, nextSince))
    expect(lines.length).toBeGreaterThan(2400)
    expect(new Set(lines.map((l) => l.type))).toEqual(new Set(['pdq', 'md5', 'sha256', 'vpdq']))
    expect(lines.filter((l) => l.type === 'vpdq').every((l) => l.frame !== null && l.frameMs !== null)).toBe(true)
    expect(lines.filter((l) => l.status === 'deleted').length).toBeGreaterThanOrEqual(8)
    expect(lines.filter((l) => l.status === 'withdrawn').length).toBeGreaterThanOrEqual(1)
    for (const v of quietValues) expect(text).not.toContain(v)
    const caseNumbers = (await getDb().selectFrom('survivor_case').select('case_number').execute()).map((c) => c.case_number)
    for (const line of lines) expect(caseNumbers).not.toContain(line.case.replace(/-/g, '').toUpperCase())

    // Since the bound it gave: nothing new yet.
    const again = await get(host.key, `?since=${nextSince}`)
    expect(await again.text()).toBe('')
    // Since a point in the middle: only what changed from there.
    const middle = base + 120
    const later = (await (await get(host.key, `?since=${middle}`)).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as ExportLine)
    expect(later).toEqual(await expectedLines(host.id, middle, nextSince))
    expect(later.every((l) => l.updatedAt >= middle)).toBe(true)
  })

  it('streams CSV with a header row and the same contents', async () => {
    const response = await get(host.key, '?format=csv')
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8')
    const nextSince = Number(response.headers.get('Takeback-Next-Since'))
    const [header, ...rows] = (await response.text()).trimEnd().split('\n')
    expect(header).toBe('type,value,media,status,updatedAt,case,item,quality,frame,frameMs')
    const want = await expectedLines(host.id, 0, nextSince)
    expect(rows).toEqual(want.map((l) => EXPORT_CSV_COLUMNS.map((c) => (l[c] === null ? '' : String(l[c]))).join(',')))
  })

  it('reads one batch from the database per read, however long the list', async () => {
    const me = (await findProvider(getDb(), host.id))!
    const batches: number[] = []
    const result = await exportHashes(getDb(), me, { since: 0, format: 'ndjson', batchSize: 100, onBatch: (rows) => batches.push(rows) })
    // Nothing is read until the client reads.
    expect(batches).toEqual([])
    const reader = result.stream.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    expect(new TextDecoder().decode(first.value).trimEnd().split('\n')).toHaveLength(100)
    expect(batches).toEqual([100])
    await reader.read()
    expect(batches).toEqual([100, 100])
    // Read to the end: every batch at most 100 rows, one query per read.
    let reads = 2
    let total = 200
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      reads++
      total += new TextDecoder().decode(value).trimEnd().split('\n').length
      expect(batches.length).toBe(reads)
    }
    expect(batches.every((b) => b <= 100)).toBe(true)
    expect(total).toBe((await expectedLines(host.id, 0, result.nextSince)).length)
    expect(result.nextSince).toBeLessThanOrEqual(setBound(Date.now()) + 1000)
    const checkpoint = (await getDb().selectFrom('provider').select('feed_checkpoint').where('id', '=', host.id).executeTakeFirstOrThrow()).feed_checkpoint
    expect(checkpoint).toBe(result.nextSince)
  })

  it('reads no batch until the server says the client has taken the last one', async () => {
    // The server's whenWritable(): Remix writes without waiting for the
    // socket, so without this a fast database would queue the whole export.
    const me = (await findProvider(getDb(), host.id))!
    const batches: number[] = []
    let release = () => {}
    let waits = 0
    const result = await exportHashes(getDb(), me, {
      since: 0,
      format: 'ndjson',
      batchSize: 100,
      onBatch: (rows) => batches.push(rows),
      beforeBatch: () => {
        waits++
        return new Promise<void>((resolve) => (release = resolve))
      },
    })
    const reader = result.stream.getReader()
    let first: ReadableStreamReadResult<Uint8Array> | null = null
    const reading = reader.read().then((r) => (first = r))
    await new Promise((r) => setTimeout(r, 50))
    expect({ waits, batches, answered: first !== null }).toEqual({ waits: 1, batches: [], answered: false })
    release()
    await reading
    expect(batches).toEqual([100])
    const second = reader.read()
    await new Promise((r) => setTimeout(r, 50))
    expect({ waits, batches }).toEqual({ waits: 2, batches: [100] })
    release()
    expect((await second).done).toBe(false)
    expect(batches).toEqual([100, 100])
    await reader.cancel()

    // The route hands the server's signal to the export.
    let asked = 0
    const context = { ...CONTEXT, whenWritable: () => (asked++, Promise.resolve()) }
    const request = new Request('http://localhost:3000/api/v1/hashes/export', { headers: { Authorization: `Bearer ${host.key}` } })
    const response = await exportLoader({ request, params: {}, context })
    const lines = (await response.text()).trimEnd().split('\n').length
    expect(lines).toBe((await expectedLines(host.id, 0, Number(response.headers.get('Takeback-Next-Since')))).length)
    expect(asked).toBe(Math.ceil(lines / EXPORT_BATCH_SIZE))
  })

  it('refuses a missing or wrong key (401), a provider outside the hash list (403) and a bad query (400)', async () => {
    for (const key of [null, `tbk_${crypto.randomBytes(32).toString('base64url')}`]) {
      const response = await get(key, '')
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } })
    }
    const refused = await get(outsider.key, '')
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/Ask the organisation/)
    const bad = await get(host.key, '?format=xml')
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('format: must be ndjson or csv')
    const badSince = await get(host.key, '?since=yesterday')
    expect(badSince.status).toBe(400)
    expect(((await badSince.json()) as { error: { message: string } }).error.message).toMatch(/^since: /)
  })
})
