/**
 * POST /api/v1/match through the real action, over the real match index and
 * database, on SQLite and PostgreSQL: near-duplicates found at exactly the
 * distances planted and nothing beyond maxDistance, exact MD5 and SHA-256,
 * vPDQ frames as pdq, only active list hashes, refreshing after changes
 * (including a row committed late with an earlier timestamp), instances
 * agreeing, and the refusals (size, maxDistance, key, participation).
 */
import crypto from 'node:crypto'
import { describe, expect, inject, it } from 'vitest'
import { getDb } from '../../app/lib/db.server'
import { newId } from '../../app/lib/ids.server'
import { getMatchIndex, MatchIndex } from '../../app/matching/match-index.server'
import { createCase, deleteCase, withdrawHashes } from '../../app/models/case.server'
import { setHashDisabled } from '../../app/models/hash-reputation.server'
import { createApiKey, createProvider } from '../../app/models/provider.server'
import { action, loader } from '../../app/routes/api.v1.match'
import { callRoute } from '../helpers/remix'

const ADMIN = { actorType: 'staff' as const, actorId: 'staff-1' }
const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')

/** A random PDQ hash, and one `d` bits away from it (the bits in `order`). */
function flipBits(value: string, bits: readonly number[]): string {
  const bytes = Buffer.from(value, 'hex')
  for (const bit of bits) bytes[bit >> 3]! ^= 1 << (bit & 7)
  return bytes.toString('hex')
}

function image(pdq = hex(32)) {
  return { media: 'image' as const, pdq, quality: 100, md5: hex(16), sha256: hex(32) }
}

async function newCase(files: ReturnType<typeof image>[] | object[], language: 'en' | 'es' = 'en') {
  return createCase(getDb(), {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: 'self_adult',
    language,
    files: files as never,
    urls: [],
    shareHashes: true,
    noticesConsent: false,
  })
}

async function newProvider(hashList: boolean) {
  const name = `m-${crypto.randomBytes(4).toString('hex')}`
  const { id } = await createProvider(getDb(), { name, domains: [`${name}.com`], noticeEmails: [`abuse@${name}.com`], hashList }, ADMIN)
  const { key } = await createApiKey(getDb(), id, ADMIN)
  return { id, key }
}

type Body = { results: { type: string; value: string; matches: { type: string; value: string; distance: number }[] }[] }

async function match(key: string | null, body: unknown) {
  return callRoute<Body & { error?: { code: string; message: string } }>(action, '/api/v1/match', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
  })
}

const hashesOf = async (caseId: string) =>
  getDb().selectFrom('case_hash').select(['id', 'kind', 'value', 'item']).where('case_id', '=', caseId).orderBy('item').orderBy('kind').execute()

describe(`POST /api/v1/match (${inject('engine')})`, () => {
  it('finds the planted near-duplicates at distances 0..31 with their distances, and none of 32..40', async () => {
    const { key } = await newProvider(true)
    const query = hex(32)
    const order = [...crypto.randomBytes(256)].map((r, i) => ({ r, i })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.i)
    const planted = Array.from({ length: 41 }, (_, d) => flipBits(query, order.slice(0, d)))
    // Two cases, so the planted values come from more than one.
    await newCase(planted.slice(0, 20).map((p) => image(p)))
    await newCase(planted.slice(20).map((p) => image(p)))
    await getMatchIndex().ensureFresh()

    const res = await match(key, { hashes: [{ type: 'pdq', value: query }] })
    expect(res.status).toBe(200)
    const found = res.data.results[0]!.matches
    expect(found).toEqual(planted.slice(0, 32).map((value, d) => ({ type: 'pdq', value, distance: d })))

    const near = await match(key, { hashes: [{ type: 'pdq', value: query.toUpperCase() }], maxDistance: 10 })
    expect(near.data.results[0]!.value).toBe(query)
    expect(near.data.results[0]!.matches.map((m) => m.distance)).toEqual(Array.from({ length: 11 }, (_, d) => d))

    // From a planted hash 40 bits out, only the planted hashes within 31 of it come back.
    const far = await match(key, { hashes: [{ type: 'pdq', value: planted[40]! }], maxDistance: 31 })
    expect(far.data.results[0]!.matches.map((m) => m.value).sort()).toEqual(planted.slice(9).sort())
  })

  it('matches MD5 and SHA-256 exactly, vPDQ frames as pdq, and answers in query order', async () => {
    const { key } = await newProvider(true)
    const picture = image()
    const frame = hex(32)
    const video = { media: 'video', md5: hex(16), sha256: hex(32), vpdq: [{ frame: 0, quality: 90, pdq: frame, timestamp: 0 }] }
    await newCase([picture, video])
    await getMatchIndex().ensureFresh()

    const unknownMd5 = hex(16)
    const res = await match(key, {
      hashes: [
        { type: 'sha256', value: video.sha256 },
        { type: 'md5', value: unknownMd5 },
        { type: 'pdq', value: flipBits(frame, [3, 100]) },
        { type: 'md5', value: picture.md5.toUpperCase() },
        { type: 'sha256', value: video.sha256 },
      ],
    })
    expect(res.status).toBe(200)
    expect(res.data.results).toEqual([
      { type: 'sha256', value: video.sha256, matches: [{ type: 'sha256', value: video.sha256, distance: 0 }] },
      { type: 'md5', value: unknownMd5, matches: [] },
      { type: 'pdq', value: flipBits(frame, [3, 100]), matches: [{ type: 'vpdq', value: frame, distance: 2 }] },
      { type: 'md5', value: picture.md5, matches: [{ type: 'md5', value: picture.md5, distance: 0 }] },
      { type: 'sha256', value: video.sha256, matches: [{ type: 'sha256', value: video.sha256, distance: 0 }] },
    ])
    // Nothing about cases is ever returned.
    expect(JSON.stringify(res.data)).not.toMatch(/case|item|quality/i)
  })

  it('never matches withdrawn, disabled, deleted or unshared hashes, and follows changes after ensureFresh()', async () => {
    const { key } = await newProvider(true)
    const index = getMatchIndex()
    const [w, d, del, unshared] = [image(), image(), image(), image()]
    const cw = await newCase([w])
    const cd = await newCase([d])
    const cdel = await newCase([del])
    const cun = await newCase([unshared])
    await index.ensureFresh()
    const ask = async () =>
      (await match(key, { hashes: [w, d, del, unshared].map((f) => ({ type: 'pdq', value: f.pdq })) })).data.results.map((r) => r.matches.length)
    expect(await ask()).toEqual([1, 1, 1, 1])

    const withdrawn = (await hashesOf(cw.caseId)).map((h) => h.id)
    await withdrawHashes(getDb(), cw.caseId, { hashIds: withdrawn })
    const disabledId = (await hashesOf(cd.caseId)).find((h) => h.kind === 'pdq')!.id
    await setHashDisabled(getDb(), disabledId, true, { staffId: newId() })
    await deleteCase(getDb(), cdel.caseId)
    // Consent withdrawn on the case alone, with no change to its hash rows.
    await getDb().updateTable('survivor_case').set({ share_hashes: 0, updated_at: Date.now() }).where('id', '=', cun.caseId).execute()
    await index.ensureFresh()
    expect(await ask()).toEqual([0, 0, 0, 0])

    // A fresh instance loading from scratch agrees.
    const fresh = new MatchIndex(getDb())
    await fresh.ensureFresh()
    expect(fresh.match([w, d, del, unshared].map((f) => ({ type: 'pdq' as const, value: f.pdq }))).map((r) => r.matches.length)).toEqual([0, 0, 0, 0])
    await fresh.stop()

    // Switched on again, it matches again.
    await setHashDisabled(getDb(), disabledId, false, { staffId: newId() })
    await index.ensureFresh()
    expect(await ask()).toEqual([0, 1, 0, 0])
  })

  it('makes a new hash matchable after ensureFresh(), even one committed late with an earlier timestamp', async () => {
    const { key } = await newProvider(true)
    const index = getMatchIndex()
    await index.ensureFresh()
    const added = image()
    const c = await newCase([added])
    await index.ensureFresh()
    expect((await match(key, { hashes: [{ type: 'md5', value: added.md5 }] })).data.results[0]!.matches).toHaveLength(1)

    // A row stamped 5 s ago that commits only now (a slow transaction, another instance's clock).
    const lateMd5 = hex(16)
    const stamped = Date.now() - 5_000
    await getDb()
      .insertInto('case_hash')
      .values({
        id: newId(),
        case_id: c.caseId,
        item: 9,
        media: 'image',
        kind: 'md5',
        value: lateMd5,
        quality: null,
        frame_number: null,
        frame_ms: null,
        created_at: stamped,
        updated_at: stamped,
        withdrawn_at: null,
        disabled_at: null,
      })
      .execute()
    await index.ensureFresh()
    expect((await match(key, { hashes: [{ type: 'md5', value: lateMd5 }] })).data.results[0]!.matches).toEqual([{ type: 'md5', value: lateMd5, distance: 0 }])

    // A value two cases hold stays while one of them still holds it.
    await newCase([{ ...image(), md5: added.md5 }])
    await withdrawHashes(getDb(), c.caseId, { hashIds: (await hashesOf(c.caseId)).map((h) => h.id) })
    await index.ensureFresh()
    expect((await match(key, { hashes: [{ type: 'md5', value: added.md5 }] })).data.results[0]!.matches).toHaveLength(1)
    expect((await match(key, { hashes: [{ type: 'md5', value: lateMd5 }] })).data.results[0]!.matches).toEqual([])
  })

  it('refuses bad requests with the reason and the field, and callers without a key or participation', async () => {
    const { key } = await newProvider(true)
    const tooMany = Array.from({ length: 1001 }, () => ({ type: 'md5', value: hex(16) }))
    const big = await match(key, { hashes: tooMany })
    expect(big.status).toBe(400)
    expect(big.data.error!.message).toMatch(/^hashes: can hold at most 1,000 hashes/)

    const far = await match(key, { hashes: [{ type: 'pdq', value: hex(32) }], maxDistance: 32 })
    expect(far.status).toBe(400)
    expect(far.data.error!.message).toMatch(/^maxDistance: must be a whole number from 0 to 31/)
    expect((await match(key, { hashes: [{ type: 'pdq', value: hex(32) }], maxDistance: 2.5 })).status).toBe(400)

    const badItem = await match(key, {
      hashes: [
        { type: 'md5', value: hex(16) },
        { type: 'sha256', value: hex(16) },
      ],
    })
    expect(badItem.status).toBe(400)
    expect(badItem.data.error!.message).toBe('hashes[1].value: must be 64 hexadecimal characters (0-9, a-f) for a sha256 hash')
    const badType = await match(key, { hashes: [{ type: 'tmk', value: hex(16) }] })
    expect(badType.data.error!.message).toMatch(/^hashes\[0\]\.type: /)
    expect((await match(key, { hashes: [] })).status).toBe(400)

    const none = await match(null, { hashes: [{ type: 'md5', value: hex(16) }] })
    expect(none.status).toBe(401)
    expect(none.data).not.toHaveProperty('results')
    expect((await match('tbk_not-a-real-key-at-all-0000000000000000000', { hashes: [{ type: 'md5', value: hex(16) }] })).status).toBe(401)

    const outsider = await newProvider(false)
    const refused = await match(outsider.key, { hashes: [{ type: 'md5', value: hex(16) }] })
    expect(refused.status).toBe(403)
    expect(refused.data).not.toHaveProperty('results')

    expect((await callRoute(loader, '/api/v1/match')).status).toBe(405)
  })
})
