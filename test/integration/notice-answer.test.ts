/**
 * Providers answering notices, on a real, migrated database (SQLite and
 * PostgreSQL): the signed link in the notice email, its page (GET shows,
 * POST answers), the fresh-link request, the answer rules, and the notices
 * API with its keys, paging and Idempotency-Key.
 */
import crypto from 'node:crypto'
import { describe, expect, inject, it } from 'vitest'
import type { Database, Regime } from '../../db/schema'
import type { Organisation } from '../../emails/notice'
import { decryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { issueNoticeLink, readNoticeLinkToken, signNoticeLinkToken, verifyNoticeLink } from '../../app/lib/notice-link.server'
import { getCaseStatus, createCase } from '../../app/models/case.server'
import { runDeadlines } from '../../app/models/deadline.server'
import { answerNotice, NoticeAnswerConflict } from '../../app/models/notice-answer.server'
import { draftNotices, noticeTimeline, sendNotice, type StaffActor } from '../../app/models/notice.server'
import { createApiKey } from '../../app/models/provider.server'
import * as listRoute from '../../app/routes/api.v1.notices._index'
import * as oneRoute from '../../app/routes/api.v1.notices.$noticeId'
import * as answerRoute from '../../app/routes/api.v1.notices.$noticeId.answer'
import * as referencePage from '../../app/routes/notices.$noticeId'
import * as page from '../../app/routes/notices.respond.$token'
import { callRoute } from '../helpers/remix'

const engine = inject('engine')
const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR
const ORG: Organisation = {
  name: 'Northside Helpline',
  email: 'notices@northside.example',
  postalAddress: '12 Harbour Road\nBristol BS1 4AA',
  phone: null,
  website: 'https://northside.example',
}

// ---------------------------------------------------------------------------
// Fixtures

async function newStaff(): Promise<StaffActor> {
  const id = newId()
  await getDb()
    .insertInto('staff_user')
    .values({
      id,
      email: `caseworker-${id}@takeback.test`,
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
  return { staffId: id }
}

async function newProvider(regime: Regime = 'takeitdown') {
  const id = newId()
  const domain = `host-${crypto.randomBytes(4).toString('hex')}.example`
  await getDb()
    .insertInto('provider')
    .values({
      id,
      name: `${domain} Inc.`,
      notice_emails: JSON.stringify([`abuse@${domain}`]),
      regime,
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
  const { key } = await createApiKey(getDb(), id, { actorType: 'system', actorId: null })
  return { id, name: `${domain} Inc.`, domain, key, address: `abuse@${domain}` }
}
type TestProvider = Awaited<ReturnType<typeof newProvider>>

/** A case with `n` web addresses on the provider's site, sent as one notice; returns the link from its email. */
async function sentNotice(provider: TestProvider, n = 2, now = Date.now()) {
  const staff = await newStaff()
  const urls = Array.from({ length: n }, (_, i) => `https://www.${provider.domain}/p/${crypto.randomBytes(4).toString('hex')}-${i}`)
  const c = await createCase(getDb(), {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: 'self_adult',
    language: 'en',
    files: [],
    urls,
    shareHashes: false,
    noticesConsent: true,
  })
  const locations = await getDb().selectFrom('case_location').select(['id', 'url']).where('case_id', '=', c.caseId).orderBy('created_at').orderBy('id').execute()
  const [drafted] = await draftNotices(getDb(), c.caseId, locations.map((l) => l.id), staff, now)
  const sent = await sendNotice(getDb(), drafted!.noticeId, staff, ORG, now)
  const [email] = await getDb().selectFrom('outbox').select(['text_body', 'html_body']).where('notice_id', '=', sent.noticeId).where('kind', '=', 'notice').execute()
  const token = /\/notices\/respond\/([A-Za-z0-9_-]+)/.exec(email!.text_body)?.[1]
  if (!token) throw new Error('the notice email carries no answer link')
  return { caseId: c.caseId, noticeId: sent.noticeId, token, locations, email: email!, sent }
}

const noticeRow = (id: string) => getDb().selectFrom('notice').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

/** Every row of the tables an answer could touch, in a fixed order. */
async function snapshot() {
  const db = getDb()
  const all = <T extends keyof Database>(table: T, ...order: string[]) => {
    let q = db.selectFrom(table as keyof Database).selectAll()
    for (const column of order) q = q.orderBy(column as never)
    return q.execute()
  }
  return {
    notice: await all('notice', 'id'),
    notice_event: await all('notice_event', 'id'),
    notice_link: await all('notice_link', 'id'),
    notice_location: await all('notice_location', 'notice_id', 'location_id'),
    case_location: await all('case_location', 'id'),
    outbox: await all('outbox', 'id'),
    audit_log: await all('audit_log', 'seq'),
    idempotency_key: await all('idempotency_key', 'key'),
  }
}

const pageUrl = (token: string) => `/notices/respond/${token}`
const open = (token: string, init: Parameters<typeof callRoute>[2] = {}) => callRoute(page.loader, pageUrl(token), init, { token })
const post = (token: string, form: Record<string, string> | URLSearchParams, clientAddress = '203.0.113.1') =>
  callRoute(page.action, pageUrl(token), { method: 'POST', body: form instanceof URLSearchParams ? form : new URLSearchParams(form), clientAddress }, { token })

function api(provider: { key: string } | null, path: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) }
  if (provider) headers.Authorization = `Bearer ${provider.key}`
  if (init.json !== undefined) headers['Content-Type'] = 'application/json'
  return { method: init.method ?? (init.json !== undefined ? 'POST' : 'GET'), headers, body: init.json !== undefined ? JSON.stringify(init.json) : undefined }
}
const apiList = (p: TestProvider | null, query = '') => callRoute(listRoute.loader, `/api/v1/notices${query}`, api(p, ''))
const apiOne = (p: TestProvider, noticeId: string) => callRoute(oneRoute.loader, `/api/v1/notices/${noticeId}`, api(p, ''), { noticeId })
const apiAnswer = (p: TestProvider, noticeId: string, json: unknown, headers: Record<string, string> = {}) =>
  callRoute(answerRoute.action, `/api/v1/notices/${noticeId}/answer`, api(p, '', { json, headers }), { noticeId })

// ---------------------------------------------------------------------------

describe(`the signed link (${engine})`, () => {
  it('is in the notice email, bound to that notice, and recorded by its jti only', async () => {
    const provider = await newProvider()
    const n = await sentNotice(provider)
    expect(n.email.html_body).toContain(`${getEnv().PUBLIC_URL}/notices/respond/${n.token}`)
    expect(n.email.text_body).toContain('Opening the page only shows this notice')
    const check = await verifyNoticeLink(getDb(), n.token)
    expect(check).toMatchObject({ ok: true, noticeId: n.noticeId })
    const links = await getDb().selectFrom('notice_link').selectAll().where('notice_id', '=', n.noticeId).execute()
    expect(links).toHaveLength(1)
    expect(links[0]!.expires_at).toBe(n.sent.sentAt + 30 * DAY)
    // The token is not stored anywhere, only its jti (128 random bits).
    expect(links[0]!.id).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.stringify(links)).not.toContain(n.token)
  })

  it('refuses a tampered token, one for another notice, and one signed with an unknown key', async () => {
    const provider = await newProvider()
    const a = await sentNotice(provider)
    const b = await sentNotice(provider)
    // Flip one bit of the signature, then one of the notice id.
    const raw = Buffer.from(a.token, 'base64url')
    for (const index of [raw.length - 1, 20]) {
      const bent = Buffer.from(raw)
      bent[index]! ^= 1
      expect(await verifyNoticeLink(getDb(), bent.toString('base64url'))).toEqual({ ok: false, reason: 'invalid' })
    }
    // A correctly signed token naming notice B with notice A's jti: the row says A, so it is nothing.
    const claims = readNoticeLinkToken(a.token)!
    const crossed = signNoticeLinkToken(Buffer.from(claims.jti, 'hex'), b.noticeId, claims.expiresAt)
    expect(await verifyNoticeLink(getDb(), crossed)).toEqual({ ok: false, reason: 'invalid' })
    const forged = signNoticeLinkToken(crypto.randomBytes(16), a.noticeId, claims.expiresAt, ['x'.repeat(40)])
    expect(await verifyNoticeLink(getDb(), forged)).toEqual({ ok: false, reason: 'invalid' })
    for (const bad of ['', 'abc', `${a.token}A`, a.token.slice(0, -1)]) expect((await verifyNoticeLink(getDb(), bad)).ok).toBe(false)

    // Each is a plain 404 on the page, for GET and POST alike, and changes nothing.
    const before = await snapshot()
    for (const token of [crossed, forged, 'not-a-token']) {
      expect((await open(token)).status).toBe(404)
      expect((await post(token, { kind: 'acknowledge' })).status).toBe(404)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('verifies with an older key after rotation, and not once that key is dropped', () => {
    const [older, newer] = ['o'.repeat(40), 'n'.repeat(40)]
    const token = signNoticeLinkToken(crypto.randomBytes(16), newId(), Date.now() + DAY, [older])
    expect(readNoticeLinkToken(token, [newer, older])).not.toBeNull()
    expect(readNoticeLinkToken(token, [newer])).toBeNull()
  })

  it('says expired after its validity period, and still names its notice', async () => {
    const provider = await newProvider()
    const n = await sentNotice(provider)
    const old = await getDb().transaction().execute((trx) => issueNoticeLink(trx, n.noticeId, Date.now() - 31 * DAY))
    expect(await verifyNoticeLink(getDb(), old.token)).toEqual({ ok: false, reason: 'expired', noticeId: n.noticeId })
  })
})

describe(`the answer page (${engine})`, () => {
  it('GET only shows: the notice, what is asked and its state, and changes nothing in any table', async () => {
    const provider = await newProvider('takeitdown')
    const n = await sentNotice(provider)
    const before = await snapshot()
    const shown = await open(n.token)
    const again = await open(n.token)
    expect(await snapshot()).toEqual(before)

    expect(shown.status).toBe(200)
    expect(again.data).toEqual(shown.data)
    expect(shown.data).toMatchObject({
      link: 'ok',
      notice: { id: n.noticeId, providerName: provider.name, regime: 'takeitdown', state: 'sent', canAcknowledge: true, canDeclineOrDisown: true },
      timeLeft: { key: 'hours', hours: 47 },
    })
    expect(shown.data.notice.urls.map((u: { url: string }) => u.url)).toEqual(n.locations.map((l) => l.url))
    expect(shown.data.notice).not.toHaveProperty('caseId')
    // Out of search results, and no referrer to the sites it lists.
    expect(page.headers({} as never)).toMatchObject({ 'X-Robots-Tag': 'noindex, nofollow', 'Referrer-Policy': 'no-referrer' })
    expect(page.meta({ data: shown.data } as never)).toContainEqual({ name: 'robots', content: 'noindex, nofollow' })
  })

  it('records acknowledge, then removal from some and the rest, on the notice, the timeline and the survivor status', async () => {
    const provider = await newProvider()
    const n = await sentNotice(provider, 2)
    const [first, second] = n.locations

    const ack = await post(n.token, { kind: 'acknowledge' })
    expect(ack.status).toBe(200)
    expect(ack.data).toEqual({ step: 'answered', kind: 'acknowledge', changed: true, final: false })
    expect(await noticeRow(n.noticeId)).toMatchObject({ state: 'acknowledged', resolved_at: null })
    expect((await noticeRow(n.noticeId)).acknowledged_at).not.toBeNull()
    // A second press records nothing more.
    expect((await post(n.token, { kind: 'acknowledge' })).data).toMatchObject({ step: 'answered', changed: false })

    const some = await post(n.token, new URLSearchParams([['kind', 'removed'], ['locationIds', first!.id]]))
    expect(some.data).toEqual({ step: 'answered', kind: 'removed', changed: true, final: false })
    expect((await noticeRow(n.noticeId)).state).toBe('partially_removed')
    let status = await getCaseStatus(getDb(), n.caseId)
    expect(status.notices[0]!.state).toBe('partially_removed')
    expect(status.locations.find((l) => l.id === first!.id)!.state).toBe('removed')
    expect(status.locations.find((l) => l.id === second!.id)!.state).toBe('reported')
    // The page now offers only the address still unanswered.
    expect((await open(n.token)).data.notice.openLocationIds).toEqual([second!.id])

    const rest = await post(n.token, new URLSearchParams([['kind', 'removed'], ['locationIds', second!.id]]))
    expect(rest.data).toMatchObject({ step: 'answered', final: true })
    const row = await noticeRow(n.noticeId)
    expect(row.state).toBe('removed')
    expect(row.resolved_at).not.toBeNull()
    status = await getCaseStatus(getDb(), n.caseId)
    expect(status.notices[0]!.state).toBe('removed')
    expect(status.locations.map((l) => l.state)).toEqual(['removed', 'removed'])
    expect(status.nextSteps).not.toContain('waiting_for_websites')

    const timeline = await noticeTimeline(getDb(), n.caseId)
    const answers = timeline.filter((e) => e.actorType === 'provider')
    expect(answers.map((e) => e.kind)).toEqual(['acknowledged', 'removed', 'removed'])
    expect(answers.every((e) => e.actorId === provider.id && e.providerName === provider.name)).toBe(true)
    expect(answers[2]!.detail).toMatchObject({ via: 'link', from: 'partially_removed', to: 'removed', locations: 1, remaining: 0 })

    // The final answer spent the link: it still shows the notice and its state, answers nothing, offers nothing.
    const after = await open(n.token)
    expect(after.data).toMatchObject({ link: 'used', notice: { state: 'removed', canAcknowledge: false, openLocationIds: [], canDeclineOrDisown: false } })
    const before = await snapshot()
    expect((await post(n.token, { kind: 'not_found' })).status).toBe(410)
    expect(await snapshot()).toEqual(before)
  })

  it.each([
    ['not_found', {}, 'not_found', 'not_found'],
    ['declined', { reason: '  The image is a stock photo we licensed.  ' }, 'declined', 'reported'],
    ['not_ours', { suggestedContact: 'https://other-host.example/report' }, 'not_ours', 'reported'],
  ] as const)('records %s', async (kind, fields, state, locationState) => {
    const provider = await newProvider()
    const n = await sentNotice(provider, 2)
    const form = new URLSearchParams({ kind, ...fields })
    if (kind === 'not_found') for (const l of n.locations) form.append('locationIds', l.id)
    const result = await post(n.token, form)
    expect(result.data).toEqual({ step: 'answered', kind, changed: true, final: true })
    expect((await noticeRow(n.noticeId)).state).toBe(state)
    const status = await getCaseStatus(getDb(), n.caseId)
    expect(status.notices[0]!.state).toBe(state)
    expect(status.locations.map((l) => l.state)).toEqual([locationState, locationState])
    const [event] = (await noticeTimeline(getDb(), n.caseId)).filter((e) => e.actorType === 'provider')
    expect(event!.kind).toBe(state)
    if (kind === 'declined') {
      expect(event!.detail).toMatchObject({ reason: 'The image is a stock photo we licensed.' })
      const outcomes = await getDb().selectFrom('notice_location').select('outcome').where('notice_id', '=', n.noticeId).execute()
      expect(outcomes.map((o) => o.outcome)).toEqual(['kept', 'kept'])
    }
    if (kind === 'not_ours') expect(event!.detail).toMatchObject({ suggestedContact: 'https://other-host.example/report' })
    // An answer writes no email, and the audit entry holds no free text.
    expect(await getDb().selectFrom('outbox').select('id').where('notice_id', '=', n.noticeId).where('kind', '!=', 'notice').execute()).toEqual([])
    const audit = await getDb().selectFrom('audit_log').select(['action', 'actor_type', 'detail']).where('object_id', '=', n.noticeId).orderBy('seq', 'desc').executeTakeFirstOrThrow()
    expect(audit).toMatchObject({ action: `notice.answer.${kind}`, actor_type: 'provider' })
    expect(audit.detail).not.toMatch(/stock photo|other-host/)
  })

  it('refuses a decline without a reason, an unchecked removal and a bad contact with a field message, changing nothing', async () => {
    const provider = await newProvider()
    const n = await sentNotice(provider)
    const before = await snapshot()
    const cases: [Record<string, string>, string, string][] = [
      [{ kind: 'declined', reason: '   ' }, 'reason', 'Say why you decline to remove the material.'],
      [{ kind: 'declined' }, 'reason', 'Say why you decline to remove the material.'],
      [{ kind: 'removed' }, 'locationIds', 'Choose at least one web address.'],
      [{ kind: 'not_ours', suggestedContact: 'call Bob' }, 'suggestedContact', 'Enter an email address (name@example.org) or a web address starting with https://.'],
      [{ kind: 'removed', locationIds: newId() }, 'locationIds', 'A chosen web address is not part of this notice. Reload the page and choose again.'],
    ]
    for (const [form, field, message] of cases) {
      const result = await post(n.token, form)
      expect(result.status, JSON.stringify(form)).toBe(400)
      expect(result.data.errors[field]).toEqual([message])
    }
    expect(await snapshot()).toEqual(before)
  })

  it('answers a contradiction with 409 and keeps the first answer', async () => {
    const provider = await newProvider()
    const n = await sentNotice(provider, 1)
    await answerNotice(getDb(), n.noticeId, { kind: 'not_ours' }, { providerId: provider.id, via: 'api' })
    const before = await snapshot()
    await expect(answerNotice(getDb(), n.noticeId, { kind: 'removed' }, { providerId: provider.id, via: 'api' })).rejects.toBeInstanceOf(NoticeAnswerConflict)
    await expect(answerNotice(getDb(), n.noticeId, { kind: 'acknowledge' }, { providerId: provider.id, via: 'api' })).rejects.toBeInstanceOf(NoticeAnswerConflict)
    expect(await answerNotice(getDb(), n.noticeId, { kind: 'not_ours' }, { providerId: provider.id, via: 'api' })).toEqual({ state: 'not_ours', changed: false })
    expect(await snapshot()).toEqual(before)
  })

  it('takes an answered notice out of reminders and overdue marks', async () => {
    const provider = await newProvider()
    const t0 = Date.now() - 3 * DAY
    const n = await sentNotice(provider, 1, t0)
    await answerNotice(getDb(), n.noticeId, { kind: 'removed' }, { providerId: provider.id, via: 'link' }, t0 + HOUR)
    await runDeadlines(getDb(), ORG, Date.now())
    expect(await noticeRow(n.noticeId)).toMatchObject({ state: 'removed', reminded_at: null, overdue_at: null })
  })
})

describe(`a fresh link (${engine})`, () => {
  const freshEmails = (noticeId: string) => getDb().selectFrom('outbox').selectAll().where('notice_id', '=', noticeId).where('kind', '=', 'notice.link').execute()

  it('is offered on an expired link, sent to the registered notice address only, and works', async () => {
    const provider = await newProvider()
    const n = await sentNotice(provider)
    const old = await getDb().transaction().execute((trx) => issueNoticeLink(trx, n.noticeId, Date.now() - 31 * DAY))

    const shown = await open(old.token)
    expect(shown.data).toMatchObject({ link: 'expired', notice: { id: n.noticeId, state: 'sent' } })
    // An answer through it is refused.
    expect((await post(old.token, { kind: 'acknowledge' })).status).toBe(410)
    expect((await noticeRow(n.noticeId)).state).toBe('sent')

    const asked = await post(old.token, { intent: 'fresh-link' }, '198.51.100.7')
    expect(asked.data).toEqual({ step: 'fresh-link' })
    const [mail, ...more] = await freshEmails(n.noticeId)
    expect(more).toEqual([])
    expect(decryptPersonal(mail!.recipient)).toBe(provider.address)
    const token = /\/notices\/respond\/([A-Za-z0-9_-]+)/.exec(mail!.text_body)![1]!
    expect(await verifyNoticeLink(getDb(), token)).toMatchObject({ ok: true, noticeId: n.noticeId })
    expect(mail!.text_body).not.toContain(ORG.name)
    expect((await noticeTimeline(getDb(), n.caseId)).map((e) => e.kind)).toContain('link_requested')
  })

  it('answers the same whatever happens: a spent link, an unknown notice, a flood', async () => {
    const provider = await newProvider()
    const done = await sentNotice(provider, 1)
    expect((await post(done.token, { kind: 'removed', locationIds: done.locations[0]!.id })).data).toMatchObject({ step: 'answered', final: true })
    // Spent by the final answer: the page shows the state and no form; a posted request sends nothing.
    expect((await open(done.token)).data).toMatchObject({ link: 'used', notice: { state: 'removed' } })
    expect((await post(done.token, { intent: 'fresh-link' }, '198.51.100.8')).data).toEqual({ step: 'fresh-link' })
    expect(await freshEmails(done.noticeId)).toEqual([])

    // The reference page: the same answer for a notice that exists and one that does not.
    const unknown = await callRoute(referencePage.action, `/notices/${newId()}`, { method: 'POST', body: new URLSearchParams(), clientAddress: '198.51.100.9' }, { noticeId: newId() })
    const open1 = await sentNotice(provider, 1)
    const known = await callRoute(referencePage.action, `/notices/${open1.noticeId}`, { method: 'POST', body: new URLSearchParams(), clientAddress: '198.51.100.9' }, { noticeId: open1.noticeId })
    expect(unknown).toMatchObject({ status: 200, data: { sent: true } })
    expect(known).toMatchObject({ status: 200, data: unknown.data })
    expect(await freshEmails(open1.noticeId)).toHaveLength(1)

    // Three a day per notice, from any number of sources; the fourth says the same and sends nothing.
    for (const source of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      const r = await callRoute(referencePage.action, `/notices/${open1.noticeId}`, { method: 'POST', body: new URLSearchParams(), clientAddress: source }, { noticeId: open1.noticeId })
      expect(r.data).toEqual({ sent: true })
    }
    expect(await freshEmails(open1.noticeId)).toHaveLength(3)
  })
})

describe(`the notices API (${engine})`, () => {
  it('lists, shows and answers only the provider’s own notices; another’s is 404', async () => {
    const a = await newProvider()
    const b = await newProvider()
    const mine = await sentNotice(a)
    const theirs = await sentNotice(b)

    expect((await apiList(null)).status).toBe(401)
    const list = await apiList(a)
    expect(list.status).toBe(200)
    expect(list.data.notices.map((n: { id: string }) => n.id)).toEqual([mine.noticeId])
    expect(list.data.notices[0]).toMatchObject({
      id: mine.noticeId,
      regime: 'takeitdown',
      state: 'sent',
      sentAt: new Date(mine.sent.sentAt).toISOString(),
      deadlineAt: new Date(mine.sent.deadlineAt).toISOString(),
      urls: mine.locations.map((l) => ({ locationId: l.id, url: l.url, outcome: null })),
    })

    expect((await apiOne(a, mine.noticeId)).data.notice.id).toBe(mine.noticeId)
    const before = await snapshot()
    const seen = await apiOne(a, theirs.noticeId)
    const answered = await apiAnswer(a, theirs.noticeId, { kind: 'removed' })
    for (const r of [seen, answered]) expect(r).toMatchObject({ status: 404, data: { error: { code: 'not_found', message: 'This notice does not exist.' } } })
    expect((await apiOne(a, newId())).status).toBe(404)
    expect(await snapshot()).toEqual(before)
  })

  it('pages by cursor, filters by state and since, and refuses a bad cursor', async () => {
    const p = await newProvider()
    const base = Date.now() - 10 * DAY
    const ids = []
    for (let i = 0; i < 5; i++) ids.push((await sentNotice(p, 1, base + i * HOUR)).noticeId)
    await answerNotice(getDb(), ids[1]!, { kind: 'removed' }, { providerId: p.id, via: 'api' })

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const r: Awaited<ReturnType<typeof apiList>> = await apiList(p, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      expect(r.status).toBe(200)
      seen.push(...r.data.notices.map((n: { id: string }) => n.id))
      cursor = r.data.nextCursor
      pages++
      // A notice sent meanwhile lands after the pages already read: nothing skipped, nothing repeated.
      if (pages === 1) ids.push((await sentNotice(p, 1, base + 6 * HOUR)).noticeId)
    } while (cursor)
    expect(seen).toEqual(ids)
    expect(pages).toBe(3)

    expect((await apiList(p, '?state=removed')).data.notices.map((n: { id: string }) => n.id)).toEqual([ids[1]])
    expect((await apiList(p, '?state=sent,removed')).data.notices).toHaveLength(6)
    const since = new Date(base + 3 * HOUR).toISOString()
    expect((await apiList(p, `?since=${encodeURIComponent(since)}`)).data.notices.map((n: { id: string }) => n.id)).toEqual(ids.slice(3))
    for (const query of ['?cursor=nonsense', '?limit=101', '?limit=0', '?state=lost', '?since=yesterday']) {
      const r = await apiList(p, query)
      expect(r.status, query).toBe(400)
      expect(r.data.error.message, query).toMatch(/^(cursor|limit|state|since): /)
    }
  })

  it('answers by POST, replays a retry with the same Idempotency-Key, and refuses the key for another request', async () => {
    const p = await newProvider()
    const n = await sentNotice(p, 2)
    const body = { kind: 'removed', locationIds: [n.locations[0]!.id] }
    const first = await apiAnswer(p, n.noticeId, body, { 'Idempotency-Key': 'retry-me-1' })
    expect(first.status).toBe(200)
    expect(first.data.notice).toMatchObject({ id: n.noticeId, state: 'partially_removed' })
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    const events = async () => (await noticeTimeline(getDb(), n.caseId)).filter((e) => e.actorType === 'provider').length
    expect(await events()).toBe(1)

    // The rest is removed meanwhile (by the link); the retry still gets the first answer, and records nothing.
    await post(n.token, new URLSearchParams([['kind', 'removed'], ['locationIds', n.locations[1]!.id]]))
    const retry = await apiAnswer(p, n.noticeId, body, { 'Idempotency-Key': 'retry-me-1' })
    expect(retry.status).toBe(200)
    expect(retry.data).toEqual(first.data)
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true')
    expect(await events()).toBe(2)

    const reused = await apiAnswer(p, n.noticeId, { kind: 'acknowledge' }, { 'Idempotency-Key': 'retry-me-1' })
    expect(reused).toMatchObject({ status: 422, data: { error: { code: 'idempotency_key_reused' } } })
    // Keys are per provider: another provider's same key is its own, and still cannot reach this notice.
    const other = await newProvider()
    expect((await apiAnswer(other, n.noticeId, body, { 'Idempotency-Key': 'retry-me-1' })).status).toBe(404)
  })

  it('refuses a decline without a reason with a 400 naming it, and a contradiction with a 409, changing nothing', async () => {
    const p = await newProvider()
    const n = await sentNotice(p, 1)
    const before = await snapshot()
    const noReason = await apiAnswer(p, n.noticeId, { kind: 'declined' })
    expect(noReason).toMatchObject({ status: 400, data: { error: { code: 'invalid_body', message: 'reason: Say why you decline to remove the material.' } } })
    const blank = await apiAnswer(p, n.noticeId, { kind: 'declined', reason: '  ' }, { 'Idempotency-Key': 'k-400' })
    expect(blank.status).toBe(400)
    expect((await apiAnswer(p, n.noticeId, { kind: 'removed', locationIDs: [] })).status).toBe(400)
    expect((await apiAnswer(p, n.noticeId, { kind: 'withdrawn' })).status).toBe(400)
    expect(await snapshot()).toEqual(before)

    expect((await apiAnswer(p, n.noticeId, { kind: 'declined', reason: 'Not intimate imagery.' })).data.notice.state).toBe('declined')
    const conflict = await apiAnswer(p, n.noticeId, { kind: 'removed' })
    expect(conflict).toMatchObject({ status: 409, data: { error: { code: 'answer_conflict', details: { state: 'declined' } } } })
  })
})
