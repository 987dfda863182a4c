/**
 * Deadlines of sent notices on a real, migrated database (SQLite and
 * PostgreSQL): one reminder at the reminder time, however many runs and
 * instances; overdue once at the deadline; nothing for a notice answered in
 * time; the caseworker's overdue list; the FTC complaint packet; and the
 * reminder delivered through a real SMTP server. Time is injected (`now`),
 * never waited for.
 */
import crypto from 'node:crypto'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import type { Regime, Requester } from '../../db/schema'
import { formatUtc, type Organisation } from '../../emails/notice'
import { decryptPersonal } from '../../app/lib/crypto.server'
import { connect, getDb, type Connection } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { NotFoundError, ValidationError } from '../../app/lib/errors.server'
import { newId } from '../../app/lib/ids.server'
import { createMailer, type Mailer } from '../../app/lib/mailer.server'
import { runOutboxOnce } from '../../app/lib/outbox-worker.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { createCase } from '../../app/models/case.server'
import {
  ftcComplaintPacket,
  markOverdue,
  overdueNotices,
  remindNotice,
  runDeadlines,
  startDeadlineWorker,
  type DeadlineCounts,
} from '../../app/models/deadline.server'
import { draftNotices, noticeTimeline, sendNotice, type StaffActor } from '../../app/models/notice.server'
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
const SURVIVOR_EMAIL = 'robin.private@mailbox.example'
const engine = inject('engine')

let server: TestSmtpServer | undefined
let mailer: Mailer | undefined
const extra: Connection[] = []

beforeEach(async () => {
  // runDeadlines acts on every notice in the database: retire other tests'
  // notices so each test's counts are its own, and start from an empty outbox.
  await getDb().updateTable('notice').set({ state: 'closed' }).where('state', 'in', ['sent', 'acknowledged']).execute()
  await getDb().deleteFrom('outbox').execute()
})

afterEach(async () => {
  await mailer?.close()
  await server?.stop()
  mailer = undefined
  server = undefined
  for (const c of extra.splice(0)) await c.close()
})

/** A second (third, ...) connection to the test database, as another instance of the app would have. */
async function otherInstance(): Promise<Connection> {
  const conn = connect(getEnv().database, { poolSize: 2 })
  extra.push(conn)
  if (engine === 'sqlite') {
    // Both connections live in this one process, and better-sqlite3 waits for
    // a lock synchronously: a connection waiting for the other's write lock
    // would block the very thread that has to commit it, for the whole
    // busy_timeout. Keep the wait short; the loser fails its step, which
    // runDeadlines counts as failed and retries on its next run. (Separate
    // processes wait properly and then find the claim taken.)
    await sql`pragma busy_timeout = 50`.execute(conn.db)
  }
  return conn
}

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

async function newProvider(regime: Regime, emails?: string[]) {
  const id = newId()
  const slug = `host-${crypto.randomBytes(4).toString('hex')}`
  const domain = `${slug}.example`
  await getDb()
    .insertInto('provider')
    .values({
      id,
      name: `${slug} Inc.`,
      notice_emails: JSON.stringify(emails ?? [`abuse@${domain}`]),
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
  return { id, name: `${slug} Inc.`, domain }
}

/** A notice sent at `sentAt` for a new case (with a contact address and a signature) to a new provider of `regime`. */
async function sentNotice(regime: Regime, sentAt: number, emails?: string[], requester: Requester = 'self_adult') {
  const staff = await newStaff()
  const provider = await newProvider(regime, emails)
  const url = `https://www.${provider.domain}/p/${crypto.randomBytes(4).toString('hex')}`
  const created = await createCase(getDb(), {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester,
    language: 'en',
    files: [],
    urls: [url],
    shareHashes: false,
    noticesConsent: true,
    contactEmail: SURVIVOR_EMAIL,
    signature: 'Robin Example',
  })
  const locations = await getDb().selectFrom('case_location').select('id').where('case_id', '=', created.caseId).execute()
  const [drafted] = await draftNotices(
    getDb(),
    created.caseId,
    locations.map((l) => l.id),
    staff,
    sentAt - HOUR,
  )
  const sent = await sendNotice(getDb(), drafted!.noticeId, staff, ORG, sentAt)
  return { ...sent, staff, provider, url, caseId: created.caseId, caseNumber: created.caseNumber }
}

const notice = (id: string) => getDb().selectFrom('notice').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const reminders = (noticeId: string) =>
  getDb().selectFrom('outbox').selectAll().where('notice_id', '=', noticeId).where('kind', '=', 'notice.reminder').orderBy('message_id').execute()
const kinds = async (caseId: string, noticeId: string) =>
  (await noticeTimeline(getDb(), caseId)).filter((e) => e.noticeId === noticeId).map((e) => e.kind)
const audit = (noticeId: string, action: string) =>
  getDb().selectFrom('audit_log').selectAll().where('object_id', '=', noticeId).where('action', '=', action).execute()

function sum(results: DeadlineCounts[], key: 'reminded' | 'emails' | 'overdue' | 'failed' | 'notSent'): number {
  return results.reduce((n, r) => n + r[key], 0)
}

const host = () => new URL(getEnv().PUBLIC_URL).hostname

describe(`reminders (${engine})`, () => {
  it('reminds a 48-hour TAKE IT DOWN notice once, at its reminder time, however many runs and instances', async () => {
    const t0 = Date.UTC(2030, 0, 7, 9, 30)
    const emails = ['abuse@tid-host.example', 'legal@tid-host.example']
    const n = await sentNotice('takeitdown', t0, emails)
    expect(n.deadlineAt).toBe(t0 + 48 * HOUR)
    expect(n.reminderDueAt).toBe(t0 + 24 * HOUR)

    // A millisecond early: nothing.
    expect(await runDeadlines(getDb(), ORG, n.reminderDueAt - 1)).toMatchObject({ reminded: 0, emails: 0, overdue: 0 })
    expect(await reminders(n.noticeId)).toEqual([])
    expect((await notice(n.noticeId)).reminded_at).toBeNull()

    // At the reminder time, two instances at once and a third after them, several times over.
    const a = await otherInstance()
    const b = await otherInstance()
    const results: DeadlineCounts[] = []
    for (let round = 0; round < 3; round++) {
      results.push(
        ...(await Promise.all([
          runDeadlines(a.db, ORG, n.reminderDueAt + round),
          runDeadlines(b.db, ORG, n.reminderDueAt + round),
        ])),
      )
      results.push(await runDeadlines(getDb(), ORG, n.reminderDueAt + round))
    }
    results.push(await runDeadlines(getDb(), ORG, n.reminderDueAt + HOUR))
    expect(sum(results, 'reminded')).toBe(1)
    expect(sum(results, 'emails')).toBe(2)
    expect(sum(results, 'overdue')).toBe(0)
    // On PostgreSQL the losers wait for the row lock and then find the claim taken; nothing fails.
    if (engine === 'postgres') expect(sum(results, 'failed')).toBe(0)

    const rows = await reminders(n.noticeId)
    expect(rows.map((r) => decryptPersonal(r.recipient)).sort()).toEqual([...emails].sort())
    expect(rows.map((r) => r.message_id)).toEqual([`<reminder-${n.noticeId}.2@${host()}>`, `<reminder-${n.noticeId}@${host()}>`])
    expect(await notice(n.noticeId)).toMatchObject({ state: 'sent', reminded_at: n.reminderDueAt, overdue_at: null })
    expect(await kinds(n.caseId, n.noticeId)).toEqual(['drafted', 'sent', 'reminder_sent'])
    const [event] = (await noticeTimeline(getDb(), n.caseId)).filter((e) => e.kind === 'reminder_sent')
    expect(event).toMatchObject({ actorType: 'system', actorId: null, createdAt: n.reminderDueAt, detail: { recipients: 2 } })
    const entries = await audit(n.noticeId, 'notice.reminder_sent')
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ actor_type: 'system', actor_id: null, object_type: 'notice' })
    expect(entries[0]!.detail).not.toContain('@')
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })

    // An instance that picked the notice before the claim committed finds it taken.
    expect(await remindNotice(getDb(), n.noticeId, ORG, n.reminderDueAt + 2 * HOUR)).toEqual({ outcome: 'skipped', emails: 0 })
    expect(await reminders(n.noticeId)).toHaveLength(2)
  })

  it('delivers the reminder through SMTP, naming the original reference and the deadline', async () => {
    server = await start()
    mailer = createMailer({ smtpUrl: server.url, dataDir: getEnv().DATA_DIR })
    const t0 = Date.UTC(2030, 1, 3, 22, 15)
    const n = await sentNotice('takeitdown', t0)
    // The notice itself goes out first.
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 })).toMatchObject({ sent: 1 })

    await runDeadlines(getDb(), ORG, n.reminderDueAt)
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: n.reminderDueAt })).toMatchObject({ claimed: 1, sent: 1 })
    expect((await runOutboxOnce(getDb(), mailer, { workerId: 'w2', from: FROM, now: n.reminderDueAt + HOUR })).claimed).toBe(0)
    expect(server.messages).toHaveLength(2)

    const [original, reminder] = server.messages
    expect(reminder!.to).toEqual([`abuse@${n.provider.domain}`])
    expect(reminder!.parsed.subject).toBe(`Reminder: ${original!.parsed.subject}`)
    expect(reminder!.parsed.subject).toBe(`Reminder: Removal request under the TAKE IT DOWN Act – reference ${n.noticeId}`)
    expect(reminder!.parsed.messageId).toBe(`<reminder-${n.noticeId}@${host()}>`)
    expect(reminder!.parsed.messageId).not.toBe(original!.parsed.messageId)
    // Threaded under the notice, and answered to the organisation, as the notice itself is.
    expect(reminder!.parsed.inReplyTo).toBe(`<notice-${n.noticeId}@${host()}>`)
    expect(reminder!.parsed.references).toBe(`<notice-${n.noticeId}@${host()}>`)
    expect(reminder!.parsed.replyTo?.value.map((a) => a.address)).toEqual([ORG.email])
    expect(original!.parsed.replyTo?.value.map((a) => a.address)).toEqual([ORG.email])
    const text = (reminder!.parsed.text ?? '').replace(/\s+/g, ' ')
    const html = (typeof reminder!.parsed.html === 'string' ? reminder!.parsed.html : '').replace(/\s+/g, ' ')
    for (const phrase of [
      `Reference: ${n.noticeId}`,
      `Original notice sent: ${formatUtc(t0)}`,
      `Deadline: ${formatUtc(n.deadlineAt)}`,
      `the 48 hours end on ${formatUtc(n.deadlineAt)}`,
      'not later than 48 hours after receiving it',
      n.url,
      `${getEnv().PUBLIC_URL}/notices/respond/`,
      `quoting reference ${n.noticeId}`,
    ]) {
      expect(text, phrase).toContain(phrase)
    }
    expect(html).toContain(`<a href="${n.url}">`)
    expect(html).toContain(formatUtc(n.deadlineAt))
    for (const body of [text, html, reminder!.parsed.subject ?? '']) {
      expect(body).not.toContain(n.caseNumber)
      expect(body).not.toContain(SURVIVOR_EMAIL)
    }
  })
})

describe(`reminder content and refusals (${engine})`, () => {
  it('keeps a DSA notice about a child anonymous in its reminder too, and says when a deadline has passed', async () => {
    const t0 = Date.UTC(2030, 1, 20, 6, 0)
    const dsa = await sentNotice('dsa', t0, undefined, 'self_minor')
    // Reminded only after the deadline (the worker was down): both happen in one run, reminder first.
    expect(await runDeadlines(getDb(), ORG, dsa.deadlineAt + HOUR)).toMatchObject({ reminded: 1, emails: 1, overdue: 1 })
    const [row] = await reminders(dsa.noticeId)
    expect(row!.subject).toBe(`Reminder: Notice of illegal content under Article 16 of the Digital Services Act – child sexual abuse material – reference ${dsa.noticeId}`)
    for (const body of [row!.text_body, row!.html_body ?? '']) {
      expect(body).toContain(dsa.url)
      expect(body).toContain('child sexual abuse material')
      for (const absent of ['Northside', 'notices@northside.example', 'Harbour Road', 'Robin Example', dsa.caseNumber, SURVIVOR_EMAIL]) {
        expect(body).not.toContain(absent)
      }
    }
    expect(row!.text_body.replace(/\s+/g, ' ')).toContain(`We asked for your answer by ${formatUtc(dsa.deadlineAt)}. That date has passed.`)
    expect(row!.text_body).not.toContain('48 hours')
    // No Reply-To either: the organisation's address would name the notifier.
    expect(JSON.parse(row!.headers!)).toEqual({ 'In-Reply-To': `<notice-${dsa.noticeId}@${host()}>`, References: `<notice-${dsa.noticeId}@${host()}>` })
    const notices = await getDb().selectFrom('outbox').select('headers').where('notice_id', '=', dsa.noticeId).where('kind', '=', 'notice').execute()
    expect(notices.map((r) => r.headers)).toEqual([null])
  })

  it('records a reminder it cannot send, once, when the provider has no usable address left', async () => {
    const t0 = Date.UTC(2030, 1, 25, 6, 0)
    const n = await sentNotice('generic', t0)
    // The directory was edited after sending: the only address is now a header injection.
    await getDb()
      .updateTable('provider')
      .set({ notice_emails: JSON.stringify(['abuse@host.example\r\nBcc: thief@evil.example']) })
      .where('id', '=', n.provider.id)
      .execute()
    expect(await runDeadlines(getDb(), ORG, n.reminderDueAt)).toMatchObject({ reminded: 0, notSent: 1, emails: 0, failed: 0 })
    expect(await runDeadlines(getDb(), ORG, n.reminderDueAt + HOUR)).toMatchObject({ reminded: 0, notSent: 0 })
    expect(await reminders(n.noticeId)).toEqual([])
    const timeline = (await noticeTimeline(getDb(), n.caseId)).filter((e) => e.noticeId === n.noticeId)
    expect(timeline.map((e) => e.kind)).toEqual(['drafted', 'sent', 'reminder_not_sent'])
    expect(timeline[2]!.detail).toEqual({ reason: 'no_usable_address' })
    expect(await audit(n.noticeId, 'notice.reminder_not_sent')).toHaveLength(1)
  })
})

describe(`overdue (${engine})`, () => {
  it('marks an unanswered notice overdue exactly once, at its deadline, with the events on its timeline', async () => {
    const t0 = Date.UTC(2030, 2, 10, 12, 0)
    const n = await sentNotice('takeitdown', t0)
    expect(await runDeadlines(getDb(), ORG, n.reminderDueAt)).toMatchObject({ reminded: 1, overdue: 0 })

    expect(await runDeadlines(getDb(), ORG, n.deadlineAt - 1)).toMatchObject({ reminded: 0, overdue: 0 })
    expect(await notice(n.noticeId)).toMatchObject({ state: 'sent', overdue_at: null })

    const a = await otherInstance()
    const b = await otherInstance()
    const results: DeadlineCounts[] = []
    for (let round = 0; round < 3; round++) {
      results.push(
        ...(await Promise.all([
          runDeadlines(a.db, ORG, n.deadlineAt + round),
          runDeadlines(b.db, ORG, n.deadlineAt + round),
        ])),
      )
      results.push(await runDeadlines(getDb(), ORG, n.deadlineAt + round))
    }
    results.push(await runDeadlines(getDb(), ORG, n.deadlineAt + 7 * DAY))
    expect(sum(results, 'overdue')).toBe(1)
    expect(sum(results, 'reminded')).toBe(0)
    if (engine === 'postgres') expect(sum(results, 'failed')).toBe(0)
    expect(await markOverdue(getDb(), n.noticeId, n.deadlineAt + 8 * DAY)).toBe(false)

    expect(await notice(n.noticeId)).toMatchObject({ state: 'overdue', overdue_at: n.deadlineAt, reminded_at: n.reminderDueAt })
    const timeline = (await noticeTimeline(getDb(), n.caseId)).filter((e) => e.noticeId === n.noticeId)
    expect(timeline.map((e) => [e.kind, e.actorType, e.createdAt])).toEqual([
      ['drafted', 'staff', t0 - HOUR],
      ['sent', 'staff', t0],
      ['reminder_sent', 'system', n.reminderDueAt],
      ['overdue', 'system', n.deadlineAt],
    ])
    expect(timeline[3]!.detail).toEqual({ deadlineAt: n.deadlineAt })
    expect(await audit(n.noticeId, 'notice.overdue')).toHaveLength(1)
    expect(await reminders(n.noticeId)).toHaveLength(1)
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
  })

  it('never reminds or marks overdue a notice answered before its reminder or deadline', async () => {
    const t0 = Date.UTC(2030, 3, 1, 8, 0)
    const early = await sentNotice('takeitdown', t0)
    const later = await sentNotice('takeitdown', t0)
    // One answered before its reminder is due, one after the reminder but before the deadline.
    await getDb().updateTable('notice').set({ state: 'removed', resolved_at: t0 + 10 * HOUR }).where('id', '=', early.noticeId).execute()
    expect(await runDeadlines(getDb(), ORG, later.reminderDueAt)).toMatchObject({ reminded: 1, overdue: 0 })
    await getDb().updateTable('notice').set({ state: 'removed', resolved_at: later.deadlineAt - HOUR }).where('id', '=', later.noticeId).execute()

    for (const now of [early.reminderDueAt, early.deadlineAt, early.deadlineAt + 30 * DAY]) {
      expect(await runDeadlines(getDb(), ORG, now)).toMatchObject({ reminded: 0, overdue: 0, notSent: 0, failed: 0 })
    }
    expect(await markOverdue(getDb(), early.noticeId, early.deadlineAt + DAY)).toBe(false)
    expect(await notice(early.noticeId)).toMatchObject({ state: 'removed', reminded_at: null, overdue_at: null })
    expect(await notice(later.noticeId)).toMatchObject({ state: 'removed', reminded_at: later.reminderDueAt, overdue_at: null })
    expect(await kinds(early.caseId, early.noticeId)).toEqual(['drafted', 'sent'])
    expect(await kinds(later.caseId, later.noticeId)).toEqual(['drafted', 'sent', 'reminder_sent'])
    expect(await reminders(early.noticeId)).toEqual([])
    const listed = (await overdueNotices(getDb(), early.deadlineAt + 30 * DAY)).map((o) => o.noticeId)
    expect(listed).not.toContain(early.noticeId)
    expect(listed).not.toContain(later.noticeId)
  })
})

describe(`overdueNotices (${engine})`, () => {
  it('lists late notices with how late they are and what to do next, and only those', async () => {
    const t0 = Date.UTC(2030, 4, 4, 16, 45)
    const tid = await sentNotice('takeitdown', t0)
    const dmca = await sentNotice('dmca', t0 - 20 * DAY)
    const onTime = await sentNotice('dsa', t0)
    const answered = await sentNotice('takeitdown', t0)
    await getDb().updateTable('notice').set({ state: 'removed', resolved_at: t0 + HOUR }).where('id', '=', answered.noticeId).execute()
    const now = tid.deadlineAt + 5 * HOUR

    // The TAKE IT DOWN notice is marked; the DMCA one's deadline has passed but no run has marked it yet.
    await markOverdue(getDb(), tid.noticeId, tid.deadlineAt)
    const mine = new Set([tid.noticeId, dmca.noticeId, onTime.noticeId, answered.noticeId])
    const list = (await overdueNotices(getDb(), now)).filter((o) => mine.has(o.noticeId))

    expect(list).toEqual([
      {
        noticeId: dmca.noticeId,
        caseId: dmca.caseId,
        providerId: dmca.provider.id,
        providerName: dmca.provider.name,
        regime: 'dmca',
        sentAt: t0 - 20 * DAY,
        deadlineAt: dmca.deadlineAt,
        remindedAt: null,
        overdueAt: null,
        lateMs: now - dmca.deadlineAt,
        nextSteps: ['send_again_to_another_contact', 'escalate'],
      },
      {
        noticeId: tid.noticeId,
        caseId: tid.caseId,
        providerId: tid.provider.id,
        providerName: tid.provider.name,
        regime: 'takeitdown',
        sentAt: t0,
        deadlineAt: t0 + 48 * HOUR,
        remindedAt: null,
        overdueAt: tid.deadlineAt,
        lateMs: 5 * HOUR,
        nextSteps: ['send_again_to_another_contact', 'escalate', 'ftc_complaint'],
      },
    ])
    expect(JSON.stringify(list)).not.toContain(tid.caseNumber)
  })
})

describe(`ftcComplaintPacket (${engine})`, () => {
  it('holds the notice as sent, its UTC timestamps and its timeline, and nothing that identifies the survivor', async () => {
    server = await start()
    mailer = createMailer({ smtpUrl: server.url, dataDir: getEnv().DATA_DIR })
    const t0 = Date.UTC(2030, 5, 1, 7, 0)
    const n = await sentNotice('takeitdown', t0)
    await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: t0 + 1000 })
    await runDeadlines(getDb(), ORG, n.reminderDueAt)
    // A reply from the platform, as the provider-answer feature will record it.
    await getDb()
      .insertInto('notice_event')
      .values({
        id: newId(),
        notice_id: n.noticeId,
        case_id: n.caseId,
        kind: 'provider_reply',
        actor_type: 'provider',
        actor_id: n.provider.id,
        detail: JSON.stringify({ message: 'We are reviewing this report.', caseId: n.caseId }),
        created_at: n.reminderDueAt + HOUR,
      })
      .execute()
    const overdueAt = n.deadlineAt + 30_000
    await runDeadlines(getDb(), ORG, overdueAt)
    const now = n.deadlineAt + 3 * DAY

    const { text, filename } = await ftcComplaintPacket(getDb(), n.noticeId, ORG, now)

    expect(filename).toBe(`ftc-complaint-${n.noticeId}.txt`)
    for (const phrase of [
      // The notice as sent, re-rendered with its stored dates.
      `Subject: Removal request under the TAKE IT DOWN Act – reference ${n.noticeId}`,
      'Section 3 of the TAKE IT DOWN Act (Public Law 119-12, 47 U.S.C. 223a)',
      n.url,
      `the 48 hours end on ${formatUtc(n.deadlineAt)}`,
      'Electronic signature: /s/ Robin Example',
      // The timestamps, in UTC.
      `Request sent: ${formatUtc(t0)}`,
      `Deadline (48 hours after sending): ${formatUtc(n.deadlineAt)}`,
      `Reminder sent: ${formatUtc(n.reminderDueAt)}`,
      `Recorded as overdue: ${formatUtc(overdueAt)}`,
      'Hours past the deadline when this file was prepared: 72',
      `Platform: ${n.provider.name}`,
      // Delivery evidence and the timeline, provider reply included.
      `The request to abuse@${n.provider.domain}, Message-ID <notice-${n.noticeId}@${host()}>: accepted by the receiving mail server on ${formatUtc(t0 + 1000)}`,
      `The reminder to abuse@${n.provider.domain}, Message-ID <reminder-${n.noticeId}@${host()}>: not yet delivered`,
      `- ${formatUtc(n.reminderDueAt + HOUR)}: provider_reply (the platform) (message: We are reviewing this report.)`,
      `- ${formatUtc(t0)}: sent (caseworker) (recipients: 1)`,
      `- ${formatUtc(n.reminderDueAt)}: reminder_sent (Takeback, automatically) (recipients: 1)`,
      `- ${formatUtc(overdueAt)}: overdue (Takeback, automatically) (deadlineAt: ${formatUtc(n.deadlineAt)})`,
      'Email: notices@northside.example',
    ]) {
      expect(text, phrase).toContain(phrase)
    }
    for (const absent of [n.caseNumber, n.caseNumber.replace(/-/g, ''), SURVIVOR_EMAIL, n.caseId, n.staff.staffId]) {
      expect(text).not.toContain(absent)
    }
  })

  it('refuses a DMCA notice, a TAKE IT DOWN notice still within its 48 hours, and an unknown notice', async () => {
    const t0 = Date.UTC(2030, 6, 1, 7, 0)
    const dmca = await sentNotice('dmca', t0)
    await runDeadlines(getDb(), ORG, dmca.deadlineAt)
    expect((await notice(dmca.noticeId)).state).toBe('overdue')
    const refusal = await ftcComplaintPacket(getDb(), dmca.noticeId, ORG, dmca.deadlineAt + DAY).catch((e: unknown) => e)
    expect(refusal).toBeInstanceOf(ValidationError)
    expect((refusal as Error).message).toMatch(/only for requests under the TAKE IT DOWN Act/)

    const fresh = await sentNotice('takeitdown', t0)
    await expect(ftcComplaintPacket(getDb(), fresh.noticeId, ORG, fresh.deadlineAt - 1)).rejects.toThrow(ValidationError)
    await expect(ftcComplaintPacket(getDb(), fresh.noticeId, ORG, fresh.deadlineAt - 1)).rejects.toThrow('This request is not overdue')
    // Late but not yet marked by a run: still refused, since the record of lateness is the overdue mark.
    await expect(ftcComplaintPacket(getDb(), fresh.noticeId, ORG, fresh.deadlineAt + DAY)).rejects.toThrow(ValidationError)
    await expect(ftcComplaintPacket(getDb(), newId(), ORG)).rejects.toThrow(NotFoundError)
  })
})

describe(`startDeadlineWorker (${engine})`, () => {
  it('runs until stopped, on the clock it is given', async () => {
    const t0 = Date.UTC(2030, 7, 1, 10, 0)
    const n = await sentNotice('takeitdown', t0)
    let now = n.reminderDueAt
    const worker = startDeadlineWorker({ db: getDb(), org: ORG, intervalMs: 5, clock: () => now })
    try {
      await vi.waitFor(async () => expect((await notice(n.noticeId)).reminded_at).toBe(n.reminderDueAt), { timeout: 5000, interval: 10 })
      now = n.deadlineAt
      await vi.waitFor(async () => expect((await notice(n.noticeId)).state).toBe('overdue'), { timeout: 5000, interval: 10 })
    } finally {
      await worker.stop()
    }
    expect(await reminders(n.noticeId)).toHaveLength(1)
    expect(await kinds(n.caseId, n.noticeId)).toEqual(['drafted', 'sent', 'reminder_sent', 'overdue'])

    // Stopped: a notice falling due afterwards is left alone.
    const m = await sentNotice('takeitdown', t0)
    now = m.deadlineAt
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await notice(m.noticeId)).toMatchObject({ state: 'sent', reminded_at: null })
  })
})
