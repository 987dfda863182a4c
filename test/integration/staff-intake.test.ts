/**
 * Assisted intake through the real loader and action, on SQLite and
 * PostgreSQL: a caseworker opens a case from the output of `takeback hash`
 * (made here by the command line's own hasher, from the reference images),
 * and bad lines, missing consent and other sites are refused with nothing
 * stored.
 */
import crypto from 'node:crypto'
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Database, StaffRole } from '../../db/schema'
import { hashFile, type ImageHashes } from '../../app/cli/hash-file'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { createCase, signIn } from '../../app/models/case.server'
import { action, loader } from '../../app/routes/staff.cases.new'
import { callRoute } from '../helpers/remix'
import { vectorPath } from '../helpers/vectors'

const origin = () => new URL(getEnv().PUBLIC_URL).origin
const PATH = '/staff/cases/new'

async function signedIn(role: StaffRole = 'caseworker') {
  const id = newId()
  await getDb()
    .insertInto('staff_user')
    .values({
      id,
      email: `${role}-${id}@takeback.test`,
      role,
      password_hash: '$argon2id$v=19$m=19456,p=1,t=3$unused$unused',
      totp_secret: null,
      totp_last_step: null,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: 1,
      updated_at: 1,
    })
    .execute()
  const { token } = await createStaffSession(getDb(), id, null)
  return { id, headers: { Origin: origin(), Cookie: `tb_staff=${token}` } }
}

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
const key = () => crypto.randomBytes(18).toString('base64url')

/** A video line as `takeback hash` writes one, with two sampled frames. */
function videoLine() {
  return {
    file: '/home/someone/private/clip-of-me.mp4',
    kind: 'video',
    bytes: 123456,
    width: 640,
    height: 360,
    fps: 30,
    md5: hex(16),
    sha256: hex(32),
    vpdq: [
      { frame: 0, quality: 90, pdq: hex(32), timestamp: 0 },
      { frame: 30, quality: 85, pdq: hex(32), timestamp: 1 },
    ],
  }
}

let images: ImageHashes[] = []
beforeAll(async () => {
  const hashed = await Promise.all(['images/misc-images/c.png', 'images/bridge-mods/aaa-orig.jpg'].map((p) => hashFile(vectorPath(p))))
  images = hashed.map((h) => {
    if (h.kind !== 'image') throw new Error('expected an image')
    return h
  })
})

const jsonl = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n'

async function count(table: keyof Database): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(getDb())
  return Number(result.rows[0]?.n)
}
async function counts() {
  const tables = ['survivor_case', 'case_hash', 'case_location', 'idempotency_key', 'audit_log'] as const
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t)] as const)))
}

function post(staff: { headers: Record<string, string> }, form: Record<string, string>, url = PATH) {
  return callRoute(action, url, { form, headers: staff.headers })
}

describe('assisted intake', () => {
  it('gives a signed-in caseworker the form, with a fresh idempotency key on each load', async () => {
    const staff = await signedIn()
    const first = await callRoute(loader, PATH, { headers: staff.headers })
    expect(first.status).toBe(200)
    expect(first.data.idempotencyKey).toMatch(/^[A-Za-z0-9_-]{24}$/)
    expect((await callRoute(loader, PATH, { headers: staff.headers })).data.idempotencyKey).not.toBe(first.data.idempotencyKey)
    expect((await callRoute(loader, `${PATH}?lng=es`, { headers: staff.headers })).data.language).toBe('es')

    const anonymous = await callRoute(loader, PATH)
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('Location')).toBe('/staff/sign-in')
  })

  it('opens a case with source "assisted" whose hashes are the uploaded lines, and shows the number and secret once', async () => {
    const staff = await signedIn()
    const video = videoLine()
    const text = jsonl([
      images[0],
      { file: '/home/someone/broken.jpg', error: 'This file could not be read as an image or video.' },
      '',
      video,
      images[1],
      // The first image again, under another name: kept once.
      { ...images[0], file: 'copy-of-c.png' },
    ])
    const res = await post(staff, {
      idempotencyKey: key(),
      hashes: text,
      urls: 'https://www.example.com/post/1\n\nexample.org/p',
      requester: 'self_adult',
      language: 'es',
      shareHashes: 'on',
      noticesConsent: 'on',
    })
    expect(res.status).toBe(200)
    const created = res.data.created
    expect(created.caseNumber).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    expect(created.secret).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/)
    expect(created).toMatchObject({ files: 3, urls: 2 })
    expect(created.warnings).toEqual([
      'Line 2 was skipped: "takeback hash" could not hash that file.',
      'Line 6 was skipped: it is the same file as line 1.',
    ])

    const c = await getDb().selectFrom('survivor_case').selectAll().where('id', '=', created.caseId).executeTakeFirstOrThrow()
    expect(c).toMatchObject({ source: 'assisted', requester: 'self_adult', language: 'es', share_hashes: 1, notices_consent: 1, state: 'open' })
    const hashes = await getDb()
      .selectFrom('case_hash')
      .select(['item', 'media', 'kind', 'value', 'quality', 'frame_number', 'frame_ms'])
      .where('case_id', '=', created.caseId)
      .orderBy('item')
      .orderBy('kind')
      .orderBy('frame_number')
      .execute()
    const image = (item: number, h: ImageHashes) => [
      { item, media: 'image', kind: 'md5', value: h.md5, quality: null, frame_number: null, frame_ms: null },
      { item, media: 'image', kind: 'pdq', value: h.pdq, quality: h.quality, frame_number: null, frame_ms: null },
      { item, media: 'image', kind: 'sha256', value: h.sha256, quality: null, frame_number: null, frame_ms: null },
    ]
    expect(hashes).toEqual([
      ...image(1, images[0]!),
      { item: 2, media: 'video', kind: 'md5', value: video.md5, quality: null, frame_number: null, frame_ms: null },
      { item: 2, media: 'video', kind: 'sha256', value: video.sha256, quality: null, frame_number: null, frame_ms: null },
      { item: 2, media: 'video', kind: 'vpdq', value: video.vpdq[0]!.pdq, quality: 90, frame_number: 0, frame_ms: 0 },
      { item: 2, media: 'video', kind: 'vpdq', value: video.vpdq[1]!.pdq, quality: 85, frame_number: 30, frame_ms: 1000 },
      ...image(3, images[1]!),
    ])
    const locations = await getDb().selectFrom('case_location').select(['url', 'registrable_domain']).where('case_id', '=', created.caseId).orderBy('url').execute()
    expect(locations).toEqual([
      { url: 'https://example.org/p', registrable_domain: 'example.org' },
      { url: 'https://www.example.com/post/1', registrable_domain: 'example.com' },
    ])
    // Neither file names nor anything else from the lines beyond the hashes was kept.
    const audit = await getDb().selectFrom('audit_log').selectAll().where('object_id', '=', created.caseId).execute()
    // Recorded as opened by the caseworker, not by the survivor, with how it came in.
    expect(audit).toMatchObject([
      { action: 'case.created', actor_type: 'staff', actor_id: staff.id, detail: JSON.stringify({ files: 3, hashes: 10, urls: 2, contact: false, source: 'assisted' }) },
    ])
    expect(JSON.stringify(res.data)).not.toContain('clip-of-me')

    // The survivor can sign in with what the page showed.
    const session = await signIn(getDb(), { caseNumber: created.caseNumber, secret: created.secret }, '203.0.113.9')
    expect(session).toMatchObject({ ok: true, caseId: created.caseId })
    // And the page never shows them again.
    expect(JSON.stringify((await callRoute(loader, PATH, { headers: staff.headers })).data)).not.toContain(created.secret)
  })

  it('opens one case when the same form is sent twice, and refuses other content under the same key', async () => {
    const admin = await signedIn('admin')
    const form = { idempotencyKey: key(), hashes: jsonl([images[0]]), requester: 'helper', language: 'en', shareHashes: 'on' }
    const first = await post(admin, form)
    expect(first.status).toBe(200)
    const before = await counts()
    const again = await post(admin, form)
    expect(again.status).toBe(200)
    expect(again.data.created).toMatchObject({ caseId: first.data.created.caseId, caseNumber: first.data.created.caseNumber, secret: first.data.created.secret })
    expect(await counts()).toEqual(before)

    const other = await post(admin, { ...form, hashes: jsonl([images[1]]) })
    expect(other.status).toBe(400)
    expect(other.data.result.error['']).toEqual(['This form was already sent. Reload the page to start a new request.'])
    expect(await counts()).toEqual(before)
  })

  describe('refuses, storing nothing,', () => {
    const good = { requester: 'self_adult', language: 'en', shareHashes: 'on' }

    async function refused(form: Record<string, string>, url = PATH) {
      const staff = await signedIn()
      const before = await counts()
      const res = await post(staff, { idempotencyKey: key(), ...good, ...form }, url)
      expect(res.status).toBe(400)
      expect(res.data.created).toBeNull()
      expect(await counts()).toEqual(before)
      return res.data.result.error as Record<string, string[]>
    }

    it('a line with a malformed hex hash, naming the line', async () => {
      const errors = await refused({ hashes: jsonl([images[0], '', { ...images[1], md5: 'xyz' }]) })
      expect(errors).toEqual({
        hashes: ["Line 3: This file's MD5 code is broken. It should be 32 characters, each 0-9 or a-f. Try adding the file again."],
      })
    })

    it('a line of an unknown kind, a line that is not JSON, or a line with no hashes', async () => {
      expect(await refused({ hashes: jsonl([images[0], { kind: 'audio', md5: hex(16), sha256: hex(32) }]) })).toEqual({
        hashes: ['Line 2 is neither an image nor a video ("kind" must be "image" or "video").'],
      })
      expect(await refused({ hashes: jsonl([images[0], images[1], '', '{"kind": "image", "pdq": ']) })).toEqual({
        hashes: ['Line 4 is not a JSON object. Give the output of "takeback hash" as it is.'],
      })
      expect(await refused({ hashes: jsonl([{ file: 'a.jpg', kind: 'image', bytes: 10 }]) })).toEqual({
        hashes: ['Line 1 has no hashes in it. Give the output of "takeback hash" as it is.'],
      })
    })

    it('a flat picture, in the language of the page', async () => {
      const errors = await refused({ hashes: jsonl([images[0], { ...images[1], pdq: '0'.repeat(64) }]) }, `${PATH}?lng=es`)
      expect(errors.hashes).toEqual(['Línea 2: Esta imagen es de un solo color, así que no sirve para encontrar copias. Elige otra imagen.'])
    })

    it('hashes without the consent to share them, and addresses without the consent to send notices', async () => {
      expect(await refused({ hashes: jsonl([images[0]]), shareHashes: '' })).toEqual({
        shareHashes: [expect.stringContaining('The survivor must agree to their hashes being shared')],
      })
      expect(await refused({ hashes: jsonl([images[0]]), urls: 'https://example.com/x' })).toEqual({
        noticesConsent: [expect.stringContaining('The survivor must agree to removal notices being sent')],
      })
    })

    it('a bad web address, naming it, and an empty request', async () => {
      expect(await refused({ hashes: jsonl([images[0]]), urls: 'https://example.com/ok\njavascript:alert(1)', noticesConsent: 'on' })).toEqual({
        urls: ['"javascript:alert(1)": Enter a web address that starts with http:// or https://, like https://example.com/page.'],
      })
      expect(await refused({ hashes: '\n' })).toEqual({ hashes: ['Add at least one picture or video, or a web address.'] })
      expect(await refused({ hashes: jsonl([images[0]]), requester: '' })).toEqual({ requester: ['Choose who this request is for.'] })
    })

    it('a POST from another site, or with no origin, even from a signed-in caseworker', async () => {
      const staff = await signedIn()
      const before = await counts()
      const form = { idempotencyKey: key(), ...good, hashes: jsonl([images[0]]) }
      const crossSite = await callRoute(action, PATH, { form, headers: { ...staff.headers, Origin: 'https://evil.example' } })
      expect(crossSite.status).toBe(403)
      const { Origin: _origin, ...noOrigin } = staff.headers
      expect((await callRoute(action, PATH, { form, headers: noOrigin })).status).toBe(403)
      expect((await callRoute(action, PATH, { form, headers: { Origin: origin() } })).status).toBe(302)
      expect(await counts()).toEqual(before)
    })
  })

  it('records the command line, not the survivor, as the opener of an imported case', async () => {
    const { caseId } = await createCase(
      getDb(),
      { idempotencyKey: key(), requester: 'helper', language: 'en', files: [], urls: ['https://example.com/a'], shareHashes: false, noticesConsent: true },
      Date.now(),
      { source: 'import', actor: { actorType: 'system', actorId: 'cli' } },
    )
    const audit = await getDb().selectFrom('audit_log').selectAll().where('object_id', '=', caseId).execute()
    expect(audit).toMatchObject([{ action: 'case.created', actor_type: 'system', actor_id: 'cli', detail: expect.stringContaining('"source":"import"') }])
  })

  it('leaves the audit chain whole', async () => {
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
  })
})
