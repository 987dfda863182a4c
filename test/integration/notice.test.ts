/**
 * Removal notices on a real, migrated database (SQLite and PostgreSQL):
 * drafting per provider, the refusals, sending as one transaction with its
 * outbox rows, and delivery through a real SMTP server.
 */
import crypto from 'node:crypto'
import {
  InsertQueryNode,
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import type { Database, Regime, Requester } from '../../db/schema'
import type { Organisation } from '../../emails/notice'
import { decryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { NotFoundError, ValidationError } from '../../app/lib/errors.server'
import { newId } from '../../app/lib/ids.server'
import { createMailer, type Mailer } from '../../app/lib/mailer.server'
import { runOutboxOnce } from '../../app/lib/outbox-worker.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { createCase, deleteCase } from '../../app/models/case.server'
import {
  draftNotices,
  noticeIdFromMessageId,
  noticeMessageId,
  noticeTimeline,
  previewNotice,
  sendNotice,
  setExplanation,
  type StaffActor,
} from '../../app/models/notice.server'
import { start, type TestSmtpServer } from '../helpers/smtp'

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR
const FROM = 'Takeback <noreply@takeback.test>'
const ORG: Organisation = {
  name: 'Northside Helpline',
  email: 'notices@northside.example',
  postalAddress: '12 Harbour Road\nBristol BS1 4AA',
  phone: '+44 117 496 0000',
  website: 'https://northside.example',
}

let server: TestSmtpServer | undefined
let mailer: Mailer | undefined

afterEach(async () => {
  await mailer?.close()
  await server?.stop()
  mailer = undefined
  server = undefined
})

beforeEach(async () => {
  // Each test drives the outbox itself: start from an empty one.
  await getDb().deleteFrom('outbox').execute()
})

async function count(table: keyof Database): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(getDb())
  return Number(result.rows[0]?.n)
}
const totals = async () => ({ outbox: await count('outbox'), notice_event: await count('notice_event'), audit_log: await count('audit_log') })

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

let providerSeq = 0
/** A provider with its domains, written directly (the provider model is being written elsewhere). */
async function newProvider(over: { regime?: Regime; emails?: string[]; placeholder?: 0 | 1; noticeEmailsJson?: string } = {}) {
  const id = newId()
  const slug = `host${++providerSeq}-${crypto.randomBytes(3).toString('hex')}`
  const domain = `${slug}.example`
  await getDb()
    .insertInto('provider')
    .values({
      id,
      name: `${slug} Inc.`,
      notice_emails: over.noticeEmailsJson ?? JSON.stringify(over.emails ?? [`abuse@${domain}`]),
      regime: over.regime ?? 'takeitdown',
      hash_list: 0,
      is_placeholder: over.placeholder ?? 0,
      feed_checkpoint: null,
      feed_last_fetch_at: null,
      created_at: 1,
      updated_at: 1,
      disabled_at: null,
    })
    .execute()
  await getDb().insertInto('provider_domain').values({ domain, provider_id: id }).execute()
  return { id, name: `${slug} Inc.`, domain }
}

/** A case made the way a survivor makes one, with consent to notices; returns its locations by URL. */
async function newCase(urls: string[], over: { requester?: Requester; signature?: string } = {}) {
  const created = await createCase(getDb(), {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: over.requester ?? 'self_adult',
    language: 'en',
    files: [],
    urls,
    shareHashes: false,
    noticesConsent: true,
    signature: over.signature,
  })
  const rows = await getDb().selectFrom('case_location').select(['id', 'url']).where('case_id', '=', created.caseId).execute()
  const byUrl = new Map(rows.map((r) => [r.url, r.id]))
  const loc = (url: string) => {
    const id = byUrl.get(url)
    if (!id) throw new Error(`no location for ${url}`)
    return id
  }
  return { ...created, loc, locationIds: urls.map(loc) }
}

const notice = (id: string) => getDb().selectFrom('notice').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const eventsOf = (noticeId: string) => getDb().selectFrom('notice_event').selectAll().where('notice_id', '=', noticeId).orderBy('created_at').orderBy('id').execute()
const outboxOf = (noticeId: string) => getDb().selectFrom('outbox').selectAll().where('notice_id', '=', noticeId).orderBy('message_id').execute()

/** A draft notice to a fresh provider of `regime`, ready to send. */
async function draftOne(regime: Regime = 'takeitdown', over: Parameters<typeof newProvider>[0] = {}, caseOver: Parameters<typeof newCase>[1] = {}) {
  const staff = await newStaff()
  const provider = await newProvider({ regime, ...over })
  const url = `https://www.${provider.domain}/p/${crypto.randomBytes(4).toString('hex')}`
  const c = await newCase([url], caseOver)
  const [drafted] = await draftNotices(getDb(), c.caseId, c.locationIds, staff)
  return { staff, provider, url, case: c, noticeId: drafted!.noticeId }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

/** Throws on the first INSERT into `table`: a failure in the middle of a transaction. */
class FailOnInsert implements KyselyPlugin {
  constructor(private readonly table: string) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (InsertQueryNode.is(args.node) && args.node.into?.table.identifier.name === this.table) throw new Error(`forced failure inserting into ${this.table}`)
    return args.node
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

const host = () => new URL(getEnv().PUBLIC_URL).hostname

describe(`draftNotices (${inject('engine')})`, () => {
  it('makes one draft per provider, in its regime, with its addresses, an event and an audit entry', async () => {
    const staff = await newStaff()
    const dsa = await newProvider({ regime: 'dsa' })
    const tid = await newProvider({ regime: 'takeitdown' })
    const urls = [`https://${dsa.domain}/a`, `https://cdn.${tid.domain}/b.jpg`, `https://img.${dsa.domain}/c.png`]
    const c = await newCase(urls)
    const now = Date.now()

    const drafted = await draftNotices(getDb(), c.caseId, c.locationIds, staff, now)

    expect(drafted).toHaveLength(2)
    const byProvider = new Map(drafted.map((d) => [d.providerId, d]))
    expect(byProvider.get(dsa.id)).toMatchObject({ regime: 'dsa', providerName: dsa.name, locationIds: [c.loc(urls[0]!), c.loc(urls[2]!)] })
    expect(byProvider.get(tid.id)).toMatchObject({ regime: 'takeitdown', providerName: tid.name, locationIds: [c.loc(urls[1]!)] })
    for (const d of drafted) {
      expect(await notice(d.noticeId)).toMatchObject({
        case_id: c.caseId,
        provider_id: d.providerId,
        regime: d.regime,
        state: 'draft',
        created_by: staff.staffId,
        sent_at: null,
        deadline_at: null,
        message_id: null,
        created_at: now,
      })
      const links = await getDb().selectFrom('notice_location').select('location_id').where('notice_id', '=', d.noticeId).execute()
      expect(links.map((l) => l.location_id).sort()).toEqual([...d.locationIds].sort())
      const events = await eventsOf(d.noticeId)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ kind: 'drafted', actor_type: 'staff', actor_id: staff.staffId, case_id: c.caseId, created_at: now })
      const audit = await getDb().selectFrom('audit_log').selectAll().where('object_id', '=', d.noticeId).execute()
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({ action: 'notice.drafted', actor_type: 'staff', actor_id: staff.staffId, object_type: 'notice' })
      expect(JSON.parse(audit[0]!.detail!)).toEqual({ caseId: c.caseId, providerId: d.providerId, regime: d.regime, locations: d.locationIds.length })
    }
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
  })

  it('refuses an address whose website is not in the directory, naming it, until it is added', async () => {
    const staff = await newStaff()
    const known = await newProvider()
    const unknownUrl = `https://unlisted-${crypto.randomBytes(3).toString('hex')}.example/x`
    const c = await newCase([`https://${known.domain}/ok`, unknownUrl])
    const before = await totals()

    const error = await rejection(draftNotices(getDb(), c.caseId, c.locationIds, staff))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.message).toBe(`No provider is known for ${unknownUrl}: add the website to the provider directory first.`)
    expect(await totals()).toEqual(before)
    expect(await getDb().selectFrom('notice').select('id').where('case_id', '=', c.caseId).execute()).toEqual([])

    // Once the website is in the directory, the same addresses draft.
    const later = await newProvider({ regime: 'generic' })
    await getDb().insertInto('provider_domain').values({ domain: new URL(unknownUrl).hostname, provider_id: later.id }).execute()
    const drafted = await draftNotices(getDb(), c.caseId, c.locationIds, staff)
    expect(drafted.map((d) => d.providerId).sort()).toEqual([known.id, later.id].sort())
    const linked = await getDb().selectFrom('case_location').select('provider_id').where('id', '=', c.loc(unknownUrl)).executeTakeFirstOrThrow()
    expect(linked.provider_id).toBe(later.id)
  })

  it('refuses addresses of another case, addresses already in an open notice, and an empty choice', async () => {
    const { staff, case: c, url } = await draftOne()
    const other = await newCase([url.replace('/p/', '/q/')])
    await expect(draftNotices(getDb(), c.caseId, other.locationIds, staff)).rejects.toThrow('A chosen web address is not part of this case.')
    await expect(draftNotices(getDb(), c.caseId, c.locationIds, staff)).rejects.toThrow(`${url} is already in an open notice`)
    await expect(draftNotices(getDb(), c.caseId, [], staff)).rejects.toThrow('Choose at least one web address.')
  })

  it('refuses a case without consent to notices, and a deleted case', async () => {
    const staff = await newStaff()
    const provider = await newProvider()
    const noConsent = await newCase([`https://${provider.domain}/1`])
    await getDb().updateTable('survivor_case').set({ notices_consent: 0 }).where('id', '=', noConsent.caseId).execute()
    const before = await totals()
    const error = await rejection(draftNotices(getDb(), noConsent.caseId, noConsent.locationIds, staff))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.message).toMatch(/^The survivor has not agreed to removal notices for this case/)
    expect(await totals()).toEqual(before)

    const deleted = await newCase([`https://${provider.domain}/2`])
    await deleteCase(getDb(), deleted.caseId)
    await expect(draftNotices(getDb(), deleted.caseId, deleted.locationIds, staff)).rejects.toThrow('The survivor deleted this case, so no notices can be sent for it.')
    await expect(draftNotices(getDb(), newId(), deleted.locationIds, staff)).rejects.toThrow(NotFoundError)
  })
})

describe(`previewNotice and setExplanation (${inject('engine')})`, () => {
  it('renders the current data for review: recipients, addresses, the explanation escaped, never the case number', async () => {
    const { staff, noticeId, url, provider, case: c } = await draftOne('dmca', {}, { signature: 'Robin Example' })
    await setExplanation(getDb(), noticeId, '  The survivor took these <b>selfies</b> & never shared them.  ', staff)
    expect((await notice(noticeId)).explanation).toBe('The survivor took these <b>selfies</b> & never shared them.')

    const preview = await previewNotice(getDb(), noticeId, ORG, Date.UTC(2026, 11, 1, 9, 0))
    expect(preview.to).toEqual([`abuse@${provider.domain}`])
    expect(preview.subject).toBe(`DMCA notice of copyright infringement – reference ${noticeId}`)
    expect(preview.text).toContain(url)
    expect(preview.text).toContain('The survivor took these <b>selfies</b> & never shared them.')
    expect(preview.html).toContain('The survivor took these &lt;b&gt;selfies&lt;/b&gt; &amp; never shared them.')
    expect(preview.text).toContain('/s/ Robin Example')
    // Not sent yet: dated as if sent now, due 14 days later.
    expect(preview.text).toContain('tell us the outcome by 15 December 2026, 09:00 UTC')
    for (const body of [preview.subject, preview.text, preview.html]) {
      expect(body).not.toContain(c.caseNumber)
      expect(body).not.toContain(c.caseNumber.replace('-', ''))
    }
  })

  it('keeps the explanation to 4,000 characters, empty removes it, and it is fixed once sent', async () => {
    const { staff, noticeId } = await draftOne('generic')
    await expect(setExplanation(getDb(), noticeId, 'x'.repeat(4001), staff)).rejects.toThrow('at most 4,000 characters')
    await expect(setExplanation(getDb(), noticeId, 'bad\u0000byte', staff)).rejects.toThrow(ValidationError)
    expect(await setExplanation(getDb(), noticeId, 'y'.repeat(4000), staff)).toEqual({ explanation: 'y'.repeat(4000) })
    expect(await setExplanation(getDb(), noticeId, '   ', staff)).toEqual({ explanation: null })
    expect((await notice(noticeId)).explanation).toBeNull()
    await sendNotice(getDb(), noticeId, staff, ORG)
    await expect(setExplanation(getDb(), noticeId, 'later', staff)).rejects.toThrow('This notice has been sent, so its explanation can no longer change.')
    await expect(setExplanation(getDb(), newId(), 'x', staff)).rejects.toThrow(NotFoundError)
  })
})

describe(`sendNotice (${inject('engine')})`, () => {
  it('sets the state, the 48-hour TAKE IT DOWN deadline and reminder, and queues one email per address, in one go', async () => {
    const emails = ['abuse@a-host.example', 'legal@a-host.example', 'ABUSE@a-host.example']
    const { staff, noticeId, case: c } = await draftOne('takeitdown', { emails })
    const now = Date.now()

    const sent = await sendNotice(getDb(), noticeId, staff, ORG, now)

    const ids = [`<notice-${noticeId}@${host()}>`, `<notice-${noticeId}.2@${host()}>`]
    expect(sent).toEqual({ noticeId, recipients: 2, messageIds: ids, sentAt: now, deadlineAt: now + 48 * HOUR, reminderDueAt: now + 24 * HOUR })
    expect(await notice(noticeId)).toMatchObject({
      state: 'sent',
      sent_at: now,
      deadline_at: now + 48 * HOUR,
      reminder_due_at: now + 24 * HOUR,
      message_id: ids[0],
      updated_at: now,
    })
    const rows = await outboxOf(noticeId)
    // An address listed twice (in another letter case) gets one email.
    expect(rows.map((r) => decryptPersonal(r.recipient)).sort()).toEqual(['abuse@a-host.example', 'legal@a-host.example'])
    expect(rows.map((r) => r.message_id).sort()).toEqual([...ids].sort())
    for (const r of rows) {
      expect(r).toMatchObject({ kind: 'notice', notice_id: noticeId, sent_at: null, next_attempt_at: now })
      expect(r.recipient).not.toContain('a-host')
      expect(r.subject).toBe(`Removal request under the TAKE IT DOWN Act – reference ${noticeId}`)
      expect(r.text_body).toContain('not later than 48 hours after receiving it')
      expect(r.text_body).not.toContain(c.caseNumber)
      // The provider's signed answer link, made with the notice (one for all its copies).
      expect(r.text_body).toMatch(new RegExp(`${getEnv().PUBLIC_URL}/notices/respond/[A-Za-z0-9_-]{98}\\n`))
    }
    expect(await getDb().selectFrom('notice_link').select('notice_id').where('notice_id', '=', noticeId).execute()).toHaveLength(1)
    expect(noticeIdFromMessageId(ids[0]!)).toBe(noticeId)
    expect(noticeIdFromMessageId(ids[1]!)).toBe(noticeId)
    expect(noticeMessageId(noticeId, 1)).toBe(ids[1])

    const events = await eventsOf(noticeId)
    expect(events.map((e) => e.kind)).toEqual(['drafted', 'sent'])
    expect(events[1]).toMatchObject({ actor_type: 'staff', actor_id: staff.staffId, created_at: now })
    expect(JSON.parse(events[1]!.detail!)).toEqual({ recipients: 2 })
    const audit = await getDb().selectFrom('audit_log').selectAll().where('object_id', '=', noticeId).where('action', '=', 'notice.sent').execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]!.detail).not.toContain('@')
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
  })

  it.each(['dmca', 'dsa', 'generic'] as const)('gives %s notices the default 14 days, or the days asked for', async (regime) => {
    const a = await draftOne(regime)
    const now = Date.now()
    await sendNotice(getDb(), a.noticeId, a.staff, ORG, now)
    expect(await notice(a.noticeId)).toMatchObject({ state: 'sent', deadline_at: now + 14 * DAY, reminder_due_at: now + 11 * DAY })

    const b = await draftOne(regime)
    await sendNotice(getDb(), b.noticeId, b.staff, ORG, now, { timing: { responseDays: 7, otherReminderMs: DAY } })
    expect(await notice(b.noticeId)).toMatchObject({ deadline_at: now + 7 * DAY, reminder_due_at: now + 6 * DAY })
  })

  it('refuses a second send and writes nothing', async () => {
    const { staff, noticeId } = await draftOne()
    const first = Date.now()
    await sendNotice(getDb(), noticeId, staff, ORG, first)
    const before = await totals()
    const error = await rejection(sendNotice(getDb(), noticeId, staff, ORG, first + 1000))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.message).toBe('This notice has already been sent. Only a draft can be sent.')
    expect(await totals()).toEqual(before)
    expect(await notice(noticeId)).toMatchObject({ sent_at: first })
  })

  it('lets only one of two sends racing each other through', async () => {
    const { staff, noticeId } = await draftOne('dsa')
    const results = await Promise.allSettled([sendNotice(getDb(), noticeId, staff, ORG), sendNotice(getDb(), noticeId, staff, ORG)])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(refused.reason).toBeInstanceOf(ValidationError)
    expect(await outboxOf(noticeId)).toHaveLength(1)
    expect((await eventsOf(noticeId)).filter((e) => e.kind === 'sent')).toHaveLength(1)
  })

  it('refuses a provider whose contact is a placeholder', async () => {
    const { staff, noticeId } = await draftOne('takeitdown', { placeholder: 1 })
    const before = await totals()
    const error = await rejection(sendNotice(getDb(), noticeId, staff, ORG))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.message).toMatch(/replace the placeholder contact first/)
    expect(await totals()).toEqual(before)
    expect(await notice(noticeId)).toMatchObject({ state: 'draft', sent_at: null, deadline_at: null })
  })

  it('refuses when the survivor has withdrawn consent, or deleted the case, since drafting', async () => {
    const a = await draftOne()
    await getDb().updateTable('survivor_case').set({ notices_consent: 0 }).where('id', '=', a.case.caseId).execute()
    await expect(sendNotice(getDb(), a.noticeId, a.staff, ORG)).rejects.toThrow(/^The survivor has not agreed to removal notices/)
    expect(await notice(a.noticeId)).toMatchObject({ state: 'draft' })
    expect(await outboxOf(a.noticeId)).toEqual([])

    const b = await draftOne()
    await deleteCase(getDb(), b.case.caseId)
    // deleteCase closed the draft.
    await expect(sendNotice(getDb(), b.noticeId, b.staff, ORG)).rejects.toThrow('This notice was closed, so it cannot be sent.')
    expect(await outboxOf(b.noticeId)).toEqual([])
  })

  it('writes nothing when a notice address is unusable (a header injection stored in the directory)', async () => {
    const { staff, noticeId } = await draftOne('dsa', { emails: ['abuse@ok-host.example', 'legal@ok-host.example\r\nBcc: thief@evil.example'] })
    const before = await totals()
    const error = await rejection(sendNotice(getDb(), noticeId, staff, ORG))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.message).not.toContain('thief')
    expect(await totals()).toEqual(before)
    expect(await notice(noticeId)).toMatchObject({ state: 'draft', sent_at: null, deadline_at: null, reminder_due_at: null, message_id: null })
    expect(await eventsOf(noticeId)).toHaveLength(1)
  })

  it('rolls everything back when the transaction fails after the state change and the outbox rows', async () => {
    const { staff, noticeId } = await draftOne('takeitdown', { emails: ['abuse@roll.example', 'legal@roll.example'] })
    const before = await totals()
    // The notice_event insert comes after the state change and both outbox inserts.
    const failing = getDb().withPlugin(new FailOnInsert('notice_event'))
    await expect(sendNotice(failing, noticeId, staff, ORG)).rejects.toThrow('forced failure inserting into notice_event')
    expect(await totals()).toEqual(before)
    expect(await outboxOf(noticeId)).toEqual([])
    expect(await notice(noticeId)).toMatchObject({ state: 'draft', sent_at: null, deadline_at: null, message_id: null })
    expect((await eventsOf(noticeId)).map((e) => e.kind)).toEqual(['drafted'])

    // And the same notice sends normally afterwards.
    await sendNotice(getDb(), noticeId, staff, ORG)
    expect(await outboxOf(noticeId)).toHaveLength(2)
  })
})

/** What a reader of an HTML part sees, as in the unit tests. */
function visible(html: string): string {
  return html
    .replace(/<title>.*?<\/title>/s, ' ')
    .replace(/<\/th>\s*<td[^>]*>/g, ': ')
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
}

/** A few phrases per regime that stand for the elements the law requires. */
const REQUIRED: Record<Regime, string[]> = {
  takeitdown: [
    '47 U.S.C. 223a',
    'reasonably sufficient for you to locate it',
    'a good faith belief that the intimate visual depiction identified above is not consensual',
    'not later than 48 hours after receiving it',
    'any known identical copies',
    'Contact information',
    'Electronic signature: /s/ Robin Example',
  ],
  dmca: [
    '17 U.S.C. 512(c)(3)(A)',
    'Identification of the copyrighted work',
    'Identification and location of the infringing material',
    'Contact information of the complaining party',
    'not authorised by the copyright owner, its agent, or the law',
    'under penalty of perjury',
    'Electronic signature: /s/ Robin Example',
  ],
  dsa: [
    'Why the content is illegal (Article 16(2)(a))',
    'Exact location of the content (Article 16(2)(b))',
    'Name: Robin Example',
    'Email: notices@northside.example',
    'bona fide belief that the information and allegations contained in this notice are accurate and complete',
    'Under Article 16(4), please confirm receipt',
    'possibilities for redress',
  ],
  generic: ['under your terms of service', 'a good faith belief', 'Contact information', 'Electronic signature: /s/ Robin Example'],
}

describe(`delivery through SMTP (${inject('engine')})`, () => {
  it.each(['takeitdown', 'dmca', 'dsa', 'generic'] as const)('delivers a %s notice once, with its Message-ID and every required element', async (regime) => {
    server = await start()
    mailer = createMailer({ smtpUrl: server.url, dataDir: getEnv().DATA_DIR })
    const { staff, noticeId, url, provider, case: c } = await draftOne(regime, {}, { signature: 'Robin Example' })
    await setExplanation(getDb(), noticeId, 'Reported by the survivor on <date>; "never consented".', staff)
    const now = Date.now()
    await sendNotice(getDb(), noticeId, staff, ORG, now)

    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now })).toMatchObject({ claimed: 1, sent: 1 })
    // A second run finds nothing more to send.
    expect((await runOutboxOnce(getDb(), mailer, { workerId: 'w2', from: FROM, now: now + HOUR })).claimed).toBe(0)
    expect(server.messages).toHaveLength(1)

    const mail = server.messages[0]!
    expect(mail.to).toEqual([`abuse@${provider.domain}`])
    expect(mail.parsed.messageId).toBe(`<notice-${noticeId}@${host()}>`)
    expect(mail.parsed.subject).toContain(`reference ${noticeId}`)
    const text = (mail.parsed.text ?? '').replace(/\s+/g, ' ')
    const html = visible(typeof mail.parsed.html === 'string' ? mail.parsed.html : '')
    for (const body of [text, html]) {
      for (const phrase of [...REQUIRED[regime], url, noticeId, 'Reported by the survivor on <date>; "never consented".']) {
        expect(body, phrase).toContain(phrase)
      }
      expect(body).not.toContain(c.caseNumber)
    }
    expect(mail.parsed.html).toContain('&lt;date&gt;; &quot;never consented&quot;.')
    expect((await outboxOf(noticeId))[0]).toMatchObject({ sent_at: now, attempts: 0 })
  })

  it('sends a DSA notice about a minor with no notifier name or email in it', async () => {
    server = await start()
    mailer = createMailer({ smtpUrl: server.url, dataDir: getEnv().DATA_DIR })
    const { staff, noticeId } = await draftOne('dsa', {}, { requester: 'self_minor', signature: 'Robin Example' })
    const now = Date.now()
    await sendNotice(getDb(), noticeId, staff, ORG, now)
    await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now })
    expect(server.messages).toHaveLength(1)
    const parsed = server.messages[0]!.parsed
    expect(parsed.subject).toContain('child sexual abuse material')
    for (const body of [parsed.text ?? '', visible(typeof parsed.html === 'string' ? parsed.html : '')]) {
      expect(body.replace(/\s+/g, ' ')).toContain("this notice does not give the notifier's name or email address")
      for (const absent of ['Robin Example', 'Northside', 'notices@northside.example', 'Harbour Road']) expect(body).not.toContain(absent)
    }
  })
})

describe(`noticeTimeline (${inject('engine')})`, () => {
  it("lists a case's notice events in order, with the provider, and no personal data", async () => {
    const staff = await newStaff()
    const a = await newProvider({ regime: 'dsa' })
    const b = await newProvider({ regime: 'takeitdown' })
    const c = await newCase([`https://${a.domain}/1`, `https://${b.domain}/2`])
    const t0 = Date.now()
    const drafted = await draftNotices(getDb(), c.caseId, c.locationIds, staff, t0)
    const toB = drafted.find((d) => d.providerId === b.id)!
    await sendNotice(getDb(), toB.noticeId, staff, ORG, t0 + 5000)

    const timeline = await noticeTimeline(getDb(), c.caseId)
    expect(timeline.map((e) => [e.kind, e.providerName, e.createdAt])).toEqual([
      ['drafted', drafted[0]!.providerName, t0],
      ['drafted', drafted[1]!.providerName, t0],
      ['sent', b.name, t0 + 5000],
    ])
    expect(timeline[2]).toMatchObject({ noticeId: toB.noticeId, regime: 'takeitdown', actorType: 'staff', actorId: staff.staffId, detail: { recipients: 1 } })
    expect(JSON.stringify(timeline)).not.toMatch(/@|https?:/)
    expect(await noticeTimeline(getDb(), newId())).toEqual([])
  })
})
