/**
 * A provider's answer on the caseworker's case page, on a real, migrated
 * database (SQLite and PostgreSQL): the answer is recorded through
 * answerNotice as the answer page records it, then the real case-page loader
 * is called with a caseworker's session. The provider's own words (a reason
 * for declining, a suggested contact) reach the caseworker exactly as typed,
 * and are rendered as text, never as markup.
 */
import crypto from 'node:crypto'
import { createInstance } from 'i18next'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { I18nextProvider, initReactI18next } from 'react-i18next'
import { describe, expect, inject, it } from 'vitest'
import type { Organisation } from '../../emails/notice'
import { i18nOptions } from '../../app/i18n'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { createCase } from '../../app/models/case.server'
import { answerNotice, type NoticeAnswer } from '../../app/models/notice-answer.server'
import { draftNotices, sendNotice } from '../../app/models/notice.server'
import { loader as caseLoader, ProviderAnswerDetail } from '../../app/routes/staff.cases.$caseId'
import { callRoute } from '../helpers/remix'

const engine = inject('engine')
const ORG: Organisation = {
  name: 'Northside Helpline',
  email: 'notices@northside.example',
  postalAddress: '12 Harbour Road\nBristol BS1 4AA',
  phone: null,
  website: 'https://northside.example',
}

/** A caseworker with a full session, as the browser's cookie and Origin. */
async function caseworker() {
  const id = newId()
  const now = Date.now()
  await getDb()
    .insertInto('staff_user')
    .values({
      id,
      email: `caseworker-${crypto.randomBytes(4).toString('hex')}@takeback.test`,
      role: 'caseworker',
      password_hash: 'not-a-real-hash',
      totp_secret: null,
      totp_last_step: null,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
  const { token } = await createStaffSession(getDb(), id, null, now)
  return { id, headers: { Origin: new URL(getEnv().PUBLIC_URL).origin, Cookie: `tb_staff=${token}` } }
}

/** A new case with two web addresses on a new provider's site, its notice sent by `staffId`. */
async function sentNotice(staffId: string) {
  const slug = `host-${crypto.randomBytes(4).toString('hex')}`
  const domain = `${slug}.example`
  const providerId = newId()
  await getDb()
    .insertInto('provider')
    .values({
      id: providerId,
      name: `${slug} Inc.`,
      notice_emails: JSON.stringify([`abuse@${domain}`]),
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
  await getDb().insertInto('provider_domain').values({ domain, provider_id: providerId }).execute()
  const created = await createCase(getDb(), {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: 'self_adult',
    language: 'en',
    files: [],
    urls: [`https://www.${domain}/p/1`, `https://www.${domain}/p/2`],
    shareHashes: false,
    noticesConsent: true,
  })
  const locations = await getDb().selectFrom('case_location').select('id').where('case_id', '=', created.caseId).orderBy('created_at').orderBy('id').execute()
  const [drafted] = await draftNotices(getDb(), created.caseId, locations.map((l) => l.id), { staffId })
  const sent = await sendNotice(getDb(), drafted!.noticeId, { staffId }, ORG)
  return { caseId: created.caseId, noticeId: sent.noticeId, providerId, providerName: `${slug} Inc.`, locationIds: locations.map((l) => l.id) }
}

interface TimelineEntry {
  kind: string
  actorType: string
  providerName: string | null
  detail: Record<string, unknown> | null
}

async function timelineOf(staff: Awaited<ReturnType<typeof caseworker>>, caseId: string): Promise<TimelineEntry[]> {
  const page = await callRoute(caseLoader, `/staff/cases/${caseId}`, { headers: staff.headers }, { caseId })
  expect(page.status).toBe(200)
  return page.data.detail.timeline as TimelineEntry[]
}

/** The timeline entry's words as the case page renders them, in `lng`. */
async function rendered(entry: TimelineEntry, lng = 'en'): Promise<string> {
  const i18n = createInstance()
  await i18n.use(initReactI18next).init({ ...i18nOptions, lng })
  return renderToStaticMarkup(createElement(I18nextProvider, { i18n }, createElement(ProviderAnswerDetail, { kind: entry.kind, actorType: entry.actorType, detail: entry.detail })))
}

async function answer(n: Awaited<ReturnType<typeof sentNotice>>, a: NoticeAnswer) {
  return answerNotice(getDb(), n.noticeId, a, { providerId: n.providerId, via: 'link' })
}

describe(`a provider's answer on the case timeline (${engine})`, () => {
  it("shows a refusal with the provider's reason, in the loader data and on the page", async () => {
    const staff = await caseworker()
    const n = await sentNotice(staff.id)
    const reason = 'We reviewed the page.\nIt is a news report, and we keep it up under our public-interest policy.'
    expect(await answer(n, { kind: 'declined', reason })).toMatchObject({ state: 'declined', changed: true })

    const timeline = await timelineOf(staff, n.caseId)
    expect(timeline.map((e) => `${e.kind} (${e.actorType})`)).toEqual(['drafted (staff)', 'sent (staff)', 'declined (provider)'])
    const declined = timeline[2]!
    expect(declined.providerName).toBe(n.providerName)
    expect(declined.detail).toMatchObject({ reason, via: 'link', to: 'declined' })

    const html = await rendered(declined)
    expect(html).toContain('The provider declined to remove the material. Through the link in the notice email.')
    // Line breaks kept: the reason is one text node, shown with white-space: pre-wrap.
    expect(html).toContain(`Their reason: <span class="provider-text">${reason}</span>`)
    expect(await rendered(declined, 'es')).toContain('El proveedor se negó a retirar el material.')
  })

  it('stores a reason that looks like markup as it was typed, returns it as text and renders it escaped', async () => {
    const staff = await caseworker()
    const n = await sentNotice(staff.id)
    const reason = '<script>alert("x")</script><img src=x onerror=alert(1)> & not removed'
    await answer(n, { kind: 'declined', reason })

    const stored = await getDb().selectFrom('notice_event').select('detail').where('notice_id', '=', n.noticeId).where('kind', '=', 'declined').executeTakeFirstOrThrow()
    expect(JSON.parse(stored.detail!).reason).toBe(reason)

    const [declined] = (await timelineOf(staff, n.caseId)).filter((e) => e.kind === 'declined')
    expect(declined!.detail!.reason).toBe(reason)

    const html = await rendered(declined!)
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; not removed')
  })

  it('shows "not ours" with the suggested contact as text, and without one says so', async () => {
    const staff = await caseworker()
    const withContact = await sentNotice(staff.id)
    await answer(withContact, { kind: 'not_ours', suggestedContact: 'https://other-host.example/abuse?a=1&b=<2>' })
    const [entry] = (await timelineOf(staff, withContact.caseId)).filter((e) => e.kind === 'not_ours')
    const html = await rendered(entry!)
    expect(html).toContain('The provider says the website is not theirs.')
    // Text, not a link: the provider's suggestion is not ours to vouch for.
    expect(html).toContain('They suggest writing to: <span class="provider-text">https://other-host.example/abuse?a=1&amp;b=&lt;2&gt;</span>')
    expect(html).not.toContain('<a ')

    const without = await sentNotice(staff.id)
    await answer(without, { kind: 'not_ours' })
    const [bare] = (await timelineOf(staff, without.caseId)).filter((e) => e.kind === 'not_ours')
    expect(await rendered(bare!)).toContain('They suggested no other contact.')
  })

  it('words acknowledgement and removal, with the addresses still unanswered', async () => {
    const staff = await caseworker()
    const n = await sentNotice(staff.id)
    await answer(n, { kind: 'acknowledge' })
    await answer(n, { kind: 'removed', locationIds: [n.locationIds[0]!] })
    await answer(n, { kind: 'removed' })

    const answers = (await timelineOf(staff, n.caseId)).filter((e) => e.actorType === 'provider')
    expect(answers.map((e) => e.kind)).toEqual(['acknowledged', 'removed', 'removed'])
    const [ack, partly, rest] = await Promise.all(answers.map((e) => rendered(e)))
    expect(ack).toContain('The provider confirmed it has the notice. Through the link in the notice email.')
    expect(partly).toContain('The provider says it removed the material at 1 web address. 1 web address still has no answer.')
    expect(rest).toContain('The provider says it removed the material at 1 web address. Through')
    expect(rest).not.toContain('still has no answer')

    // A caseworker's own events keep their short form only.
    const sent = (await timelineOf(staff, n.caseId)).find((e) => e.kind === 'sent')!
    expect(await rendered(sent)).toBe('')
  })
})
