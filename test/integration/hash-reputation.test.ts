/**
 * Hash reputation, review and caps on SQLite and PostgreSQL: providers'
 * feedback (through the real SubmitFeedback model) sending a hash to review,
 * a Blocked stopping it, disable and keep, the per-hash switch, the
 * caseworkers' review page and case page through their real loaders and
 * actions, and the caps on new hashes refusing and storing nothing.
 */
import crypto from 'node:crypto'
import { sql } from 'kysely'
import { afterEach, describe, expect, inject, it } from 'vitest'
import type { Database } from '../../db/schema'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { ValidationError } from '../../app/lib/errors.server'
import { newId } from '../../app/lib/ids.server'
import { forgetSingleton } from '../../app/lib/singleton.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { getMatchIndex } from '../../app/matching/match-index.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { addHashes, createCase } from '../../app/models/case.server'
import { submitFeedback } from '../../app/models/feedback.server'
import { countPendingReviews, decideReview, setHashDisabled } from '../../app/models/hash-reputation.server'
import { createProvider, findProvider } from '../../app/models/provider.server'
import { action as requestAction } from '../../app/routes/request'
import { action as caseAction, loader as caseLoader } from '../../app/routes/staff.cases.$caseId'
import { action as reviewAction, loader as reviewLoader } from '../../app/routes/staff.review'
import { callRoute } from '../helpers/remix'

const ADMIN = { actorType: 'staff' as const, actorId: 'staff-1' }
const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
const image = () => ({ media: 'image' as const, pdq: hex(32), quality: 100, md5: hex(16), sha256: hex(32) })
const origin = () => new URL(getEnv().PUBLIC_URL).origin

function request(files: object[], language: 'en' | 'es' = 'en') {
  return {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: 'self_adult' as const,
    language,
    files: files as never,
    urls: [],
    shareHashes: true,
    noticesConsent: false,
  }
}

async function newCase(files: object[] = [image()]) {
  const created = await createCase(getDb(), request(files))
  const pdq = await getDb().selectFrom('case_hash').selectAll().where('case_id', '=', created.caseId).where('kind', '=', 'pdq').executeTakeFirstOrThrow()
  return { ...created, pdq }
}

async function participant() {
  const name = `r-${crypto.randomBytes(4).toString('hex')}`
  const { id } = await createProvider(getDb(), { name, domains: [`${name}.com`], noticeEmails: [`abuse@${name}.com`], hashList: true }, ADMIN)
  return (await findProvider(getDb(), id))!
}

type Provider = Awaited<ReturnType<typeof participant>>
const say = (p: Provider, hashValue: string, feedbackValue: 'NotBlocked' | 'Blocked' | 'PendingReview', now = Date.now()) =>
  submitFeedback(getDb(), p, { hashFeedbacks: [{ hashValue, feedbackValue, tags: [] }] }, now)

const hashRow = (id: string) => getDb().selectFrom('case_hash').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const events = (caseId: string, kind: string) =>
  getDb().selectFrom('notice_event').selectAll().where('case_id', '=', caseId).where('kind', '=', kind).execute()
const audits = (action: string, objectId: string) =>
  getDb().selectFrom('audit_log').selectAll().where('action', '=', action).where('object_id', '=', objectId).execute()

async function count(table: keyof Database): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(getDb())
  return Number(result.rows[0]?.n)
}

/** A caseworker with a full session, written straight to the tables. */
async function signedInStaff() {
  const id = newId()
  await getDb()
    .insertInto('staff_user')
    .values({
      id,
      email: `cw-${id}@takeback.test`,
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
  const { token } = await createStaffSession(getDb(), id, null)
  return { id, headers: { Origin: origin(), Cookie: `tb_staff=${token}` } }
}

const matchesPdq = async (value: string) => {
  await getMatchIndex().ensureFresh()
  return getMatchIndex().match([{ type: 'pdq', value }])[0]!.matches.length
}

describe(`hash reputation (${inject('engine')})`, () => {
  it('sends a hash to review when two providers say NotBlocked and none Blocked, with a timeline entry and an audit entry', async () => {
    const [a, b] = [await participant(), await participant()]
    const c = await newCase()
    await say(a, c.pdq.value, 'NotBlocked')
    expect((await hashRow(c.pdq.id)).review_state).toBe('none')
    await say(b, c.pdq.value, 'NotBlocked')
    const row = await hashRow(c.pdq.id)
    expect(row.review_state).toBe('pending')
    expect(row.status).toBe('active')
    const [event] = await events(c.caseId, 'hash_review_requested')
    expect(JSON.parse(event!.detail!)).toEqual({ hashId: c.pdq.id, kind: 'pdq', notBlocked: 2 })
    expect(await audits('hash.review_requested', c.pdq.id)).toHaveLength(1)
    // No hash value in the audit or the timeline.
    expect(JSON.stringify([event, await audits('hash.review_requested', c.pdq.id)])).not.toContain(c.pdq.value)
    expect(await countPendingReviews(getDb())).toBeGreaterThanOrEqual(1)
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
  })

  it('does not send a hash to review when one provider says Blocked', async () => {
    const [a, b, blocker] = [await participant(), await participant(), await participant()]
    const first = await newCase()
    await say(blocker, first.pdq.value, 'Blocked')
    await say(a, first.pdq.value, 'NotBlocked')
    await say(b, first.pdq.value, 'NotBlocked')
    expect((await hashRow(first.pdq.id)).review_state).toBe('none')

    // The same provider saying NotBlocked twice is one provider.
    const second = await newCase()
    await say(a, second.pdq.value, 'NotBlocked')
    await say(a, second.pdq.value, 'PendingReview')
    await say(a, second.pdq.value, 'NotBlocked')
    expect((await hashRow(second.pdq.id)).review_state).toBe('none')
    expect(await events(second.caseId, 'hash_review_requested')).toEqual([])
  })

  it('disabling takes the hash out of the match index and bumps updated_at; keeping holds against the same feedback', async () => {
    const [a, b, c3] = [await participant(), await participant(), await participant()]
    const staff = { staffId: newId() }
    const bad = await newCase()
    const kept = await newCase()
    for (const p of [a, b]) {
      await say(p, bad.pdq.value, 'NotBlocked')
      await say(p, kept.pdq.value, 'NotBlocked')
    }
    expect(await matchesPdq(bad.pdq.value)).toBe(1)
    const before = await hashRow(bad.pdq.id)

    await decideReview(getDb(), bad.pdq.id, 'disable', staff, before.updated_at + 5)
    const after = await hashRow(bad.pdq.id)
    expect(after).toMatchObject({ status: 'disabled', review_state: 'disabled', disabled_at: before.updated_at + 5, updated_at: before.updated_at + 5 })
    expect(await matchesPdq(bad.pdq.value)).toBe(0)
    expect(await audits('hash.review_disabled', bad.pdq.id)).toHaveLength(1)
    // Decided once: a second decision is refused and changes nothing.
    await expect(decideReview(getDb(), bad.pdq.id, 'keep', staff)).rejects.toBeInstanceOf(ValidationError)
    expect((await hashRow(bad.pdq.id)).review_state).toBe('disabled')

    const t0 = (await hashRow(kept.pdq.id)).updated_at
    await decideReview(getDb(), kept.pdq.id, 'keep', staff, t0 + 1)
    expect(await hashRow(kept.pdq.id)).toMatchObject({ status: 'active', review_state: 'kept', review_at: t0 + 1 })
    expect(await matchesPdq(kept.pdq.value)).toBe(1)
    // The same feedback again, and one new provider, do not bring it back.
    await say(a, kept.pdq.value, 'NotBlocked', t0 + 2)
    await say(c3, kept.pdq.value, 'NotBlocked', t0 + 3)
    expect((await hashRow(kept.pdq.id)).review_state).toBe('kept')
    // Two providers saying NotBlocked after the decision do.
    await say(a, kept.pdq.value, 'PendingReview', t0 + 4)
    await say(a, kept.pdq.value, 'NotBlocked', t0 + 5)
    expect((await hashRow(kept.pdq.id)).review_state).toBe('pending')
  })

  it('the switch turns any hash off and on again, a whole video at once, and never a withdrawn one', async () => {
    const staff = { staffId: newId() }
    const frames = [0, 1, 2].map((i) => ({ frame: i * 30, quality: 90, pdq: hex(32), timestamp: i }))
    const c = await newCase([image(), { media: 'video', md5: hex(16), sha256: hex(32), vpdq: frames }])
    const rows = await getDb().selectFrom('case_hash').selectAll().where('case_id', '=', c.caseId).where('kind', '=', 'vpdq').execute()
    expect(rows).toHaveLength(3)

    expect(await setHashDisabled(getDb(), rows[1]!.id, true, staff)).toEqual({ changed: 3 })
    for (const r of rows) expect((await hashRow(r.id)).status).toBe('disabled')
    expect(await matchesPdq(frames[2]!.pdq)).toBe(0)
    // Twice is once.
    expect(await setHashDisabled(getDb(), rows[0]!.id, true, staff)).toEqual({ changed: 0 })
    expect(await audits('hash.disabled', rows[1]!.id)).toHaveLength(1)

    const before = await hashRow(rows[0]!.id)
    expect(await setHashDisabled(getDb(), rows[0]!.id, false, staff, before.updated_at + 10)).toEqual({ changed: 3 })
    expect(await hashRow(rows[2]!.id)).toMatchObject({ status: 'active', disabled_at: null, updated_at: before.updated_at + 10 })
    expect(await matchesPdq(frames[2]!.pdq)).toBe(1)

    await getDb().updateTable('case_hash').set({ status: 'withdrawn' }).where('id', '=', c.pdq.id).execute()
    await expect(setHashDisabled(getDb(), c.pdq.id, false, staff)).rejects.toBeInstanceOf(ValidationError)
    expect((await hashRow(c.pdq.id)).status).toBe('withdrawn')
  })

  it('caseworkers decide on the review page and switch hashes on the case page', async () => {
    const staff = await signedInStaff()
    const [a, b] = [await participant(), await participant()]
    const c = await newCase()
    const other = await newCase()
    for (const p of [a, b]) await say(p, c.pdq.value, 'NotBlocked')

    const page = await callRoute(reviewLoader, '/staff/review', { headers: staff.headers })
    expect(page.status).toBe(200)
    const item = page.data.items.find((i: { id: string }) => i.id === c.pdq.id)
    expect(item).toMatchObject({ caseId: c.caseId, kind: 'pdq', media: 'image', prefix: c.pdq.value.slice(0, 16) })
    expect(item.feedback.map((f: { provider: string; value: string }) => [f.provider, f.value]).sort()).toEqual(
      [
        [a.name, 'NotBlocked'],
        [b.name, 'NotBlocked'],
      ].sort(),
    )
    expect(page.data.total).toBe(await countPendingReviews(getDb()))

    // Another site's post is refused before anything happens.
    const crossSite = await callRoute(reviewAction, '/staff/review', {
      headers: { ...staff.headers, Origin: 'https://evil.example' },
      form: { intent: 'disable', hashId: c.pdq.id },
    })
    expect(crossSite.status).toBe(403)
    expect((await hashRow(c.pdq.id)).review_state).toBe('pending')

    const kept = await callRoute(reviewAction, '/staff/review', { headers: staff.headers, form: { intent: 'keep', hashId: c.pdq.id } })
    expect(kept.data).toEqual({ done: 'kept', error: null })
    expect((await hashRow(c.pdq.id)).review_state).toBe('kept')
    const again = await callRoute(reviewAction, '/staff/review', { headers: staff.headers, form: { intent: 'disable', hashId: c.pdq.id } })
    expect(again.status).toBe(400)
    expect(again.data.error).toMatch(/no longer waiting for review/)
    expect((await hashRow(c.pdq.id)).status).toBe('active')

    const casePage = await callRoute(caseLoader, `/staff/cases/${c.caseId}`, { headers: staff.headers }, { caseId: c.caseId })
    expect(casePage.data.reviewCount).toBe(await countPendingReviews(getDb()))
    const off = await callRoute(caseAction, `/staff/cases/${c.caseId}`, { headers: staff.headers, form: { intent: 'hash-off', hashId: c.pdq.id } }, { caseId: c.caseId })
    expect(off.data).toMatchObject({ done: 'hashOff', error: null })
    expect((await hashRow(c.pdq.id)).status).toBe('disabled')
    const on = await callRoute(caseAction, `/staff/cases/${c.caseId}`, { headers: staff.headers, form: { intent: 'hash-on', hashId: c.pdq.id } }, { caseId: c.caseId })
    expect(on.data).toMatchObject({ done: 'hashOn' })
    expect((await hashRow(c.pdq.id)).status).toBe('active')
    // A hash of another case, named on this case's page, is refused.
    const wrongCase = await callRoute(
      caseAction,
      `/staff/cases/${c.caseId}`,
      { headers: staff.headers, form: { intent: 'hash-off', hashId: other.pdq.id } },
      { caseId: c.caseId },
    )
    expect(wrongCase.status).toBe(404)
    expect((await hashRow(other.pdq.id)).status).toBe('active')
  })
})

describe(`caps on new hashes (${inject('engine')})`, () => {
  const saved = { perCase: process.env.HASH_CAP_PER_CASE, perDay: process.env.HASH_CAP_PER_DAY }
  function setCaps(perCase: number | undefined, perDay: number | undefined) {
    if (perCase === undefined) delete process.env.HASH_CAP_PER_CASE
    else process.env.HASH_CAP_PER_CASE = String(perCase)
    if (perDay === undefined) delete process.env.HASH_CAP_PER_DAY
    else process.env.HASH_CAP_PER_DAY = String(perDay)
    forgetSingleton('env')
  }
  afterEach(() => {
    for (const [name, value] of [
      ['HASH_CAP_PER_CASE', saved.perCase],
      ['HASH_CAP_PER_DAY', saved.perDay],
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    forgetSingleton('env')
  })
  const stored = async () => ({ cases: await count('survivor_case'), hashes: await count('case_hash'), keys: await count('idempotency_key'), audit: await count('audit_log') })

  it('refuses a case over the per-case cap with a field message, and stores nothing', async () => {
    setCaps(10, undefined)
    const before = await stored()
    const error = await createCase(getDb(), request([image(), image(), image(), image()])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toMatchObject({
      field: 'files',
      message: 'This case already has 0 hashes, and these files would add 12; the most a case can hold is 10. Contact us if you need more.',
    })
    expect(await stored()).toEqual(before)

    // Adding to an existing case counts what it holds; the refusal is worded in the case's language.
    const c = await createCase(getDb(), request([image(), image()], 'es'))
    const mid = await stored()
    const more = await addHashes(getDb(), c.caseId, { files: [image(), image()] }).catch((e: unknown) => e)
    expect(more).toMatchObject({
      field: 'files',
      message: 'Este caso ya tiene 6 hashes y estos archivos añadirían 6; un caso puede tener como máximo 10. Escríbenos si necesitas más.',
    })
    expect(await stored()).toEqual(mid)
    await expect(addHashes(getDb(), c.caseId, { files: [image()] })).resolves.toEqual({ files: 1, hashes: 3 })

    // Through the survivor's form: a 400 naming the field.
    const res = await callRoute(requestAction, '/request', { json: request([image(), image(), image(), image()]) })
    expect(res.status).toBe(400)
    expect(res.data.errors.files[0]).toMatch(/^This case already has 0 hashes/)
  })

  it('refuses new hashes over the daily cap, and stores nothing', async () => {
    const today = Number(
      (
        await getDb()
          .selectFrom('case_hash')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('created_at', '>', Date.now() - 24 * 60 * 60 * 1000)
          .executeTakeFirstOrThrow()
      ).n,
    )
    setCaps(undefined, today + 4)
    await createCase(getDb(), request([image()]))
    const before = await stored()
    const error = await createCase(getDb(), request([image()])).catch((e: unknown) => e)
    expect(error).toMatchObject({ field: 'files', message: expect.stringMatching(/^We have taken in as many new hashes as we can today/) })
    expect(await stored()).toEqual(before)
  })
})
