/**
 * The case queue and case page through the real loaders and actions, on
 * SQLite and PostgreSQL: filters and their counts, search, first open,
 * revealing the contact address, notes, the guards, and draft -> preview ->
 * send writing the notice and its outbox rows.
 */
import crypto from 'node:crypto'
import { beforeEach, describe, expect, inject, it } from 'vitest'
import { decryptPersonal, encryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { forgetSingleton } from '../../app/lib/singleton.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { listCases, openCase } from '../../app/models/case-queue.server'
import { createCase } from '../../app/models/case.server'
import { action as caseAction, loader as caseLoader } from '../../app/routes/staff.cases.$caseId'
import { loader as queueLoader } from '../../app/routes/staff.cases._index'
import { callRoute } from '../helpers/remix'

const origin = () => new URL(getEnv().PUBLIC_URL).origin

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

async function newProvider() {
  const id = newId()
  const domain = `host-${crypto.randomBytes(4).toString('hex')}.example`
  await getDb()
    .insertInto('provider')
    .values({
      id,
      name: `${domain} Inc.`,
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
  await getDb().insertInto('provider_domain').values({ domain, provider_id: id }).execute()
  return { id, domain }
}

/** A case as a survivor makes it; with no `urls`, its one address is withdrawn, so it needs no notices. */
async function newCase(urls: string[] = [], contact?: string) {
  const created = await createCase(getDb(), {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: 'self_adult',
    language: 'en',
    files: [],
    // A request needs a file or an address.
    urls: urls.length > 0 ? urls : [`https://withdrawn-${crypto.randomBytes(3).toString('hex')}.example/x`],
    shareHashes: false,
    noticesConsent: true,
  })
  if (urls.length === 0) await getDb().updateTable('case_location').set({ state: 'withdrawn' }).where('case_id', '=', created.caseId).execute()
  if (contact)
    await getDb()
      .updateTable('survivor_case')
      .set({ contact_ciphertext: encryptPersonal(contact) })
      .where('id', '=', created.caseId)
      .execute()
  return created
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id)
const caseRow = (id: string) => getDb().selectFrom('survivor_case').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const auditOf = (action: string, objectId: string) =>
  getDb().selectFrom('audit_log').selectAll().where('action', '=', action).where('object_id', '=', objectId).execute()

beforeEach(async () => {
  // Each test counts from a clean slate of cases (children first).
  const db = getDb()
  for (const table of [
    'outbox',
    'notice_event',
    'notice_link',
    'notice_location',
    'notice',
    'case_note',
    'case_location',
    'case_hash',
    'case_recovery',
  ] as const) {
    await db.deleteFrom(table).execute()
  }
  await db.deleteFrom('session').where('kind', '=', 'survivor').execute()
  await db.deleteFrom('survivor_case').execute()
})

describe(`case queue (${inject('engine')})`, () => {
  it('puts each case under the right filters, with matching counts, and searches by case number', async () => {
    const staff = await signedInStaff()
    const p = await newProvider()
    const fresh = await newCase()
    const needs = await newCase([`https://${p.domain}/a`])
    await openCase(getDb(), needs.caseId, staff)
    const waiting = await newCase([`https://${p.domain}/b`])
    const overdue = await newCase([`https://${p.domain}/c`])
    const closed = await newCase()
    await getDb().updateTable('survivor_case').set({ state: 'closed', reviewed_at: 1 }).where('id', '=', closed.caseId).execute()
    const now = Date.now()
    for (const [c, deadline] of [
      [waiting, now + 1000_000],
      [overdue, now - 1000],
    ] as const) {
      await getDb().updateTable('survivor_case').set({ reviewed_at: 1 }).where('id', '=', c.caseId).execute()
      const loc = await getDb().selectFrom('case_location').select('id').where('case_id', '=', c.caseId).executeTakeFirstOrThrow()
      const noticeId = newId()
      await getDb()
        .insertInto('notice')
        .values({
          id: noticeId,
          case_id: c.caseId,
          provider_id: p.id,
          regime: 'takeitdown',
          state: 'sent',
          explanation: null,
          message_id: null,
          created_by: staff.id,
          sent_at: now - 5000,
          delivered_at: null,
          acknowledged_at: null,
          resolved_at: null,
          deadline_at: deadline,
          reminder_due_at: null,
          reminded_at: null,
          overdue_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute()
      await getDb().insertInto('notice_location').values({ notice_id: noticeId, location_id: loc.id, outcome: null }).execute()
    }

    const q = await listCases(getDb(), { filter: 'all' }, now)
    expect(q.counts).toEqual({
      new: 1,
      needs_notices: 1,
      waiting: 2,
      overdue: 1,
      closed: 1,
      all: 5,
    })
    expect((await listCases(getDb(), { filter: 'new' }, now)).rows.map((r) => r.id)).toEqual([fresh.caseId])
    expect(ids((await listCases(getDb(), { filter: 'needs_notices' }, now)).rows)).toEqual([needs.caseId])
    expect(ids((await listCases(getDb(), { filter: 'waiting' }, now)).rows).sort()).toEqual([waiting.caseId, overdue.caseId].sort())
    expect(ids((await listCases(getDb(), { filter: 'overdue' }, now)).rows)).toEqual([overdue.caseId])
    expect(ids((await listCases(getDb(), { filter: 'closed' }, now)).rows)).toEqual([closed.caseId])
    const waitingRow = (await listCases(getDb(), { filter: 'waiting' }, now)).rows.find((r) => r.id === waiting.caseId)
    expect(waitingRow).toMatchObject({
      caseNumber: waiting.caseNumber,
      files: 0,
      urls: 1,
      notices: 1,
      state: 'open',
    })

    // Newest first, in pages.
    const page1 = await listCases(getDb(), { filter: 'all', limit: 2 }, now)
    expect(ids(page1.rows)).toEqual([closed.caseId, overdue.caseId])
    const page2 = await listCases(getDb(), { filter: 'all', limit: 2, after: page1.nextAfter }, now)
    expect(ids(page2.rows)).toEqual([waiting.caseId, needs.caseId])

    // Typed the way people type: lower case, spaces, O for 0 and L for 1.
    const typed = ` ${waiting.caseNumber.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace('-', ' ')} `
    expect(ids((await listCases(getDb(), { filter: 'closed', search: typed }, now)).rows)).toEqual([waiting.caseId])
    expect(await listCases(getDb(), { filter: 'all', search: 'not-a-number!' }, now)).toMatchObject({ rows: [], badSearch: true })

    // Through the route.
    const res = await callRoute(queueLoader, `/staff/cases?filter=overdue`, {
      headers: staff.headers,
    })
    expect(res.status).toBe(200)
    expect(res.data.counts.overdue).toBe(1)
    expect(ids(res.data.rows)).toEqual([overdue.caseId])
  })

  it('marks a case reviewed the first time it is opened, once', async () => {
    const staff = await signedInStaff()
    const c = await newCase()
    const first = await callRoute(caseLoader, `/staff/cases/${c.caseId}`, { headers: staff.headers }, { caseId: c.caseId })
    expect(first.status).toBe(200)
    const reviewedAt = (await caseRow(c.caseId)).reviewed_at
    expect(reviewedAt).not.toBeNull()
    await new Promise((r) => setTimeout(r, 5))
    await callRoute(caseLoader, `/staff/cases/${c.caseId}`, { headers: staff.headers }, { caseId: c.caseId })
    expect((await caseRow(c.caseId)).reviewed_at).toBe(reviewedAt)
    expect(await auditOf('case.opened', c.caseId)).toHaveLength(1)
  })

  it('reveals the contact address on request and audits it without the address', async () => {
    const staff = await signedInStaff()
    const email = `survivor-${crypto.randomBytes(3).toString('hex')}@mail.example`
    const c = await newCase([], email)
    const page = await callRoute(caseLoader, `/staff/cases/${c.caseId}`, { headers: staff.headers }, { caseId: c.caseId })
    expect(JSON.stringify(page.data)).not.toContain(email)
    expect(page.data.detail.hasContact).toBe(true)

    const res = await callRoute(caseAction, `/staff/cases/${c.caseId}`, { headers: staff.headers, form: { intent: 'reveal' } }, { caseId: c.caseId })
    expect(res.status).toBe(200)
    expect(res.data).toMatchObject({ done: 'revealed', email })
    const audit = await auditOf('case.contact_revealed', c.caseId)
    expect(audit).toHaveLength(1)
    expect(audit[0]!.actor_id).toBe(staff.id)
    expect(JSON.stringify(audit[0])).not.toContain(email)
    expect(JSON.stringify(audit[0]).toLowerCase()).not.toContain('@mail.example')
  })

  it('stores a note with markup as plain text, and refuses an empty one', async () => {
    const staff = await signedInStaff()
    const c = await newCase()
    const body = '<script>alert(1)</script> called & left a message'
    const res = await callRoute(caseAction, `/staff/cases/${c.caseId}`, { headers: staff.headers, form: { intent: 'note', body } }, { caseId: c.caseId })
    expect(res.status).toBe(200)
    const notes = await getDb().selectFrom('case_note').selectAll().where('case_id', '=', c.caseId).execute()
    expect(notes.map((n) => n.body)).toEqual([body])
    const page = await callRoute(caseLoader, `/staff/cases/${c.caseId}`, { headers: staff.headers }, { caseId: c.caseId })
    expect(page.data.detail.notes[0].body).toBe(body)
    const audit = await auditOf('case.note_added', c.caseId)
    expect(audit[0]!.detail).not.toContain('script')

    const empty = await callRoute(
      caseAction,
      `/staff/cases/${c.caseId}`,
      { headers: staff.headers, form: { intent: 'note', body: '   ' } },
      { caseId: c.caseId }
    )
    expect(empty.status).toBe(400)
    const tooLong = await callRoute(
      caseAction,
      `/staff/cases/${c.caseId}`,
      {
        headers: staff.headers,
        form: { intent: 'note', body: 'x'.repeat(4001) },
      },
      { caseId: c.caseId }
    )
    expect(tooLong.status).toBe(400)
    expect(await getDb().selectFrom('case_note').select('id').where('case_id', '=', c.caseId).execute()).toHaveLength(1)
  })

  it('sends the anonymous to sign in and refuses a POST from another origin', async () => {
    const staff = await signedInStaff()
    const c = await newCase([], 'someone@mail.example')
    for (const fn of [queueLoader, caseLoader] as const) {
      const anon = await callRoute(fn, `/staff/cases/${c.caseId}`, {}, { caseId: c.caseId })
      expect(anon.status).toBe(302)
      expect(anon.headers.get('Location')).toBe('/staff/sign-in')
    }
    const anonPost = await callRoute(
      caseAction,
      `/staff/cases/${c.caseId}`,
      { headers: { Origin: origin() }, form: { intent: 'reveal' } },
      { caseId: c.caseId }
    )
    expect(anonPost.status).toBe(302)
    const cross = await callRoute(
      caseAction,
      `/staff/cases/${c.caseId}`,
      {
        headers: { ...staff.headers, Origin: 'https://evil.example' },
        form: { intent: 'reveal' },
      },
      { caseId: c.caseId }
    )
    expect(cross.status).toBe(403)
    const none = await callRoute(
      caseAction,
      `/staff/cases/${c.caseId}`,
      { headers: { Cookie: staff.headers.Cookie }, form: { intent: 'reveal' } },
      { caseId: c.caseId }
    )
    expect(none.status).toBe(403)
    expect(await auditOf('case.contact_revealed', c.caseId)).toHaveLength(0)
  })

  it('drafts, previews and sends a notice through the page, writing its state and outbox rows', async () => {
    const staff = await signedInStaff()
    const p = await newProvider()
    const url = `https://www.${p.domain}/post/1`
    const c = await newCase([url, 'https://unknown-site.example/x'])
    const call = (form: Record<string, string>) => callRoute(caseAction, `/staff/cases/${c.caseId}`, { headers: staff.headers, form }, { caseId: c.caseId })

    const page = await callRoute(caseLoader, `/staff/cases/${c.caseId}`, { headers: staff.headers }, { caseId: c.caseId })
    const locs = page.data.detail.locations as {
      id: string
      url: string
      providerName: string | null
    }[]
    expect(locs.find((l) => l.url === url)?.providerName).toBe(`${p.domain} Inc.`)
    expect(locs.find((l) => l.url !== url)?.providerName).toBeNull()

    const drafted = await call({
      intent: 'draft',
      locationId: locs.find((l) => l.url === url)!.id,
    })
    expect(drafted.status).toBe(200)
    const notice = await getDb().selectFrom('notice').selectAll().where('case_id', '=', c.caseId).executeTakeFirstOrThrow()
    expect(notice.state).toBe('draft')

    expect(
      (
        await call({
          intent: 'explanation',
          noticeId: notice.id,
          explanation: 'Posted without consent.',
        })
      ).status
    ).toBe(200)
    const preview = await call({ intent: 'preview', noticeId: notice.id })
    expect(preview.status).toBe(200)
    expect(preview.data.preview.to).toEqual([`abuse@${p.domain}`, `legal@${p.domain}`])
    expect(preview.data.preview.text).toContain(url)
    expect(preview.data.preview.text).toContain('Posted without consent.')

    // A notice of another case cannot be sent from this page.
    const other = await newCase()
    const wrong = await callRoute(
      caseAction,
      `/staff/cases/${other.caseId}`,
      { headers: staff.headers, form: { intent: 'send', noticeId: notice.id } },
      { caseId: other.caseId }
    )
    expect(wrong.status).toBe(404)

    const sent = await call({ intent: 'send', noticeId: notice.id })
    expect(sent.status).toBe(200)
    expect(sent.data.done).toBe('sent')
    const after = await getDb().selectFrom('notice').selectAll().where('id', '=', notice.id).executeTakeFirstOrThrow()
    expect(after.state).toBe('sent')
    expect(after.sent_at).not.toBeNull()
    expect(after.deadline_at).not.toBeNull()
    const outbox = await getDb().selectFrom('outbox').selectAll().where('notice_id', '=', notice.id).execute()
    expect(outbox.map((o) => decryptPersonal(o.recipient)).sort()).toEqual([`abuse@${p.domain}`, `legal@${p.domain}`])

    const again = await call({ intent: 'send', noticeId: notice.id })
    expect(again.status).toBe(400)
    expect(await getDb().selectFrom('outbox').select('id').where('notice_id', '=', notice.id).execute()).toHaveLength(2)

    const final = await callRoute(caseLoader, `/staff/cases/${c.caseId}`, { headers: staff.headers }, { caseId: c.caseId })
    expect(final.data.detail.notices[0]).toMatchObject({
      state: 'sent',
      sentAt: after.sent_at,
      deadlineAt: after.deadline_at,
    })
    expect(final.data.detail.timeline.map((e: { kind: string }) => e.kind)).toEqual(['drafted', 'sent'])
  })

  it('refuses to send with the example organisation in production', async () => {
    const staff = await signedInStaff()
    const p = await newProvider()
    const c = await newCase([`https://${p.domain}/z`])
    const loc = await getDb().selectFrom('case_location').select('id').where('case_id', '=', c.caseId).executeTakeFirstOrThrow()
    await callRoute(caseAction, `/staff/cases/${c.caseId}`, { headers: staff.headers, form: { intent: 'draft', locationId: loc.id } }, { caseId: c.caseId })
    const notice = await getDb().selectFrom('notice').select('id').where('case_id', '=', c.caseId).executeTakeFirstOrThrow()
    const saved = { ...process.env }
    const inUse = getEnv()
    // Production on PostgreSQL wants the keys given: give the ones in use.
    Object.assign(process.env, {
      NODE_ENV: 'production',
      SESSION_SECRET: inUse.SESSION_SECRET.join(','),
      CONTACT_KEY: inUse.CONTACT_KEY.join(','),
      LINK_SIGNING_KEY: inUse.LINK_SIGNING_KEY.join(','),
    })
    delete process.env.ORG_NAME
    forgetSingleton('env')
    try {
      const res = await callRoute(
        caseAction,
        `/staff/cases/${c.caseId}`,
        {
          headers: staff.headers,
          form: { intent: 'send', noticeId: notice.id },
        },
        { caseId: c.caseId }
      )
      expect(res.status).toBe(400)
      expect(res.data.error).toBe('queue.case.exampleBlocked')
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
      Object.assign(process.env, saved)
      forgetSingleton('env')
    }
    expect((await getDb().selectFrom('notice').select('state').where('id', '=', notice.id).executeTakeFirstOrThrow()).state).toBe('draft')
    expect(await getDb().selectFrom('outbox').select('id').where('notice_id', '=', notice.id).execute()).toHaveLength(0)
  })
})
