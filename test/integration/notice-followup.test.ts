/**
 * The caseworker's next steps on an overdue notice, on a real, migrated
 * database (SQLite and PostgreSQL), through the real case-page action and
 * packet routes: send again to another contact (delivered through a real SMTP
 * server, threaded under the original, with a new deadline), escalate with a
 * note, the FTC complaint packet as a page and a text file (audited), and the
 * refusals: bad addresses, a missing note, a notice under another law, a
 * cross-site POST.
 */
import crypto from 'node:crypto'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import type { Regime } from '../../db/schema'
import { formatUtc } from '../../emails/notice'
import { decryptPersonal } from '../../app/lib/crypto.server'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { createMailer, type Mailer } from '../../app/lib/mailer.server'
import { organisationFromEnv } from '../../app/lib/organisation.server'
import { runOutboxOnce } from '../../app/lib/outbox-worker.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { createCase } from '../../app/models/case.server'
import { ftcComplaintPacket, markOverdue, remindNotice } from '../../app/models/deadline.server'
import { draftNotices, noticeTimeline, sendNotice } from '../../app/models/notice.server'
import { action as caseAction, loader as caseLoader } from '../../app/routes/staff.cases.$caseId'
import { loader as ftcPageLoader } from '../../app/routes/staff.notices.$noticeId.ftc'
import { loader as ftcTextLoader } from '../../app/routes/staff.notices.$noticeId.ftc[.txt]'
import { callRoute } from '../helpers/remix'
import { start, type TestSmtpServer } from '../helpers/smtp'

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR
const FROM = 'Takeback <noreply@takeback.test>'
const SURVIVOR_EMAIL = 'sam.private@mailbox.example'
const engine = inject('engine')

let server: TestSmtpServer | undefined
let mailer: Mailer | undefined

beforeEach(async () => {
  // runOutboxOnce sends every due row: start each test from an empty outbox.
  await getDb().deleteFrom('outbox').execute()
})

afterEach(async () => {
  await mailer?.close()
  await server?.stop()
  mailer = undefined
  server = undefined
})

const org = () => organisationFromEnv()
const host = () => new URL(getEnv().PUBLIC_URL).hostname
const origin = () => new URL(getEnv().PUBLIC_URL).origin

async function smtp() {
  server = await start()
  mailer = createMailer({ smtpUrl: server.url, dataDir: getEnv().DATA_DIR })
  return { server, mailer }
}

/** A caseworker with a full session (both factors done), as the browser's cookie and Origin. */
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
  return { id, headers: { Origin: origin(), Cookie: `tb_staff=${token}` } }
}

/**
 * A notice of `regime` sent at `sentAt` (to `emails`, the provider's
 * directory) for a new case, marked overdue at its deadline unless `late` is false.
 */
async function overdueNotice(regime: Regime, options: { sentAt?: number; emails?: string[]; late?: boolean } = {}) {
  const staff = await caseworker()
  const slug = `host-${crypto.randomBytes(4).toString('hex')}`
  const domain = `${slug}.example`
  const providerId = newId()
  const emails = options.emails ?? [`abuse@${domain}`]
  await getDb()
    .insertInto('provider')
    .values({
      id: providerId,
      name: `${slug} Inc.`,
      notice_emails: JSON.stringify(emails),
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
  await getDb().insertInto('provider_domain').values({ domain, provider_id: providerId }).execute()
  const url = `https://www.${domain}/p/${crypto.randomBytes(4).toString('hex')}`
  const created = await createCase(getDb(), {
    idempotencyKey: crypto.randomBytes(18).toString('base64url'),
    requester: 'self_adult',
    language: 'en',
    files: [],
    urls: [url],
    shareHashes: false,
    noticesConsent: true,
    contactEmail: SURVIVOR_EMAIL,
    signature: 'Sam Example',
  })
  const sentAt = options.sentAt ?? Date.now() - (regime === 'takeitdown' ? 3 * DAY : 20 * DAY)
  const locations = await getDb().selectFrom('case_location').select('id').where('case_id', '=', created.caseId).execute()
  const [drafted] = await draftNotices(getDb(), created.caseId, locations.map((l) => l.id), { staffId: staff.id }, sentAt - HOUR)
  const sent = await sendNotice(getDb(), drafted!.noticeId, { staffId: staff.id }, org(), sentAt)
  if (options.late !== false) expect(await markOverdue(getDb(), sent.noticeId, sent.deadlineAt)).toBe(true)
  return { ...sent, staff, domain, providerId, url, caseId: created.caseId, caseNumber: created.caseNumber }
}

type Notice = Awaited<ReturnType<typeof overdueNotice>>

const noticeRow = (id: string) => getDb().selectFrom('notice').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const outboxOf = (id: string) => getDb().selectFrom('outbox').selectAll().where('notice_id', '=', id).orderBy('created_at').orderBy('id').execute()
const auditOf = (id: string, action: string) =>
  getDb().selectFrom('audit_log').selectAll().where('object_id', '=', id).where('action', '=', action).orderBy('seq').execute()
const kinds = async (n: Notice) => (await noticeTimeline(getDb(), n.caseId)).filter((e) => e.noticeId === n.noticeId).map((e) => e.kind)

function post(n: Notice, form: Record<string, string>, headers: Record<string, string> = n.staff.headers) {
  return callRoute(caseAction, `/staff/cases/${n.caseId}`, { headers, form }, { caseId: n.caseId })
}

describe(`send again to another contact (${engine})`, () => {
  it('sends the same notice once to a typed address through SMTP, threaded under the original, with a new deadline', async () => {
    const { server, mailer } = await smtp()
    const n = await overdueNotice('takeitdown')
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: n.sentAt })).toMatchObject({ sent: 1 })
    const original = server.messages[0]!
    expect(original.parsed.replyTo?.value.map((a) => a.address)).toEqual([org().email])

    const page = await callRoute(caseLoader, `/staff/cases/${n.caseId}`, { headers: n.staff.headers }, { caseId: n.caseId })
    expect(page.data.followUps[n.noticeId]).toEqual({ noticeId: n.noticeId, otherAddresses: [], ftcPacket: true })

    const before = Date.now()
    const res = await post(n, { intent: 'send-again', noticeId: n.noticeId, otherTo: ` legal@${n.domain} ` })
    const after = Date.now()
    expect(res.status).toBe(200)
    expect(res.data.followUp).toEqual({ noticeId: n.noticeId, done: 'sent_again' })

    const row = await noticeRow(n.noticeId)
    expect(row).toMatchObject({ state: 'sent', overdue_at: null, reminded_at: null, message_id: `<notice-${n.noticeId}@${host()}>` })
    expect(row.sent_at).toBeGreaterThanOrEqual(before)
    expect(row.sent_at).toBeLessThanOrEqual(after)
    expect(row.deadline_at).toBe(row.sent_at! + 48 * HOUR)
    expect(row.reminder_due_at).toBe(row.sent_at! + 24 * HOUR)

    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w1', from: FROM, now: after })).toMatchObject({ claimed: 1, sent: 1 })
    expect(await runOutboxOnce(getDb(), mailer, { workerId: 'w2', from: FROM, now: after + HOUR })).toMatchObject({ claimed: 0 })
    expect(server.messages).toHaveLength(2)
    const again = server.messages[1]!
    expect(again.to).toEqual([`legal@${n.domain}`])
    expect(again.parsed.messageId).toBe(`<notice-${n.noticeId}.2@${host()}>`)
    expect(again.parsed.inReplyTo).toBe(original.parsed.messageId)
    expect(again.parsed.references).toBe(original.parsed.messageId)
    expect(again.parsed.replyTo?.value.map((a) => a.address)).toEqual([org().email])
    expect(again.parsed.subject).toBe(original.parsed.subject)
    const text = (again.parsed.text ?? '').replace(/\s+/g, ' ')
    expect(text).toContain(n.url)
    expect(text).toContain(`This request was sent on ${formatUtc(row.sent_at!)}. Counted from then, the 48 hours end on ${formatUtc(row.deadline_at!)}.`)
    expect(text).not.toContain(n.caseNumber)

    expect(await kinds(n)).toEqual(['drafted', 'sent', 'overdue', 'sent_again'])
    const [entry] = await auditOf(n.noticeId, 'notice.sent_again')
    expect(entry).toMatchObject({ actor_type: 'staff', actor_id: n.staff.id })
    expect(JSON.parse(entry!.detail!)).toMatchObject({ index: 1, fromDirectory: false, deadlineAt: row.deadline_at })
    expect(entry!.detail).not.toContain('@')
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })

    // No longer late: the next steps are gone until the new deadline passes.
    const reloaded = await callRoute(caseLoader, `/staff/cases/${n.caseId}`, { headers: n.staff.headers }, { caseId: n.caseId })
    expect(reloaded.data.followUps[n.noticeId]).toBeUndefined()

    // The reminder follows the notice to its new address, in the new copy's thread.
    expect(await remindNotice(getDb(), n.noticeId, org(), row.reminder_due_at!)).toEqual({ outcome: 'reminded', emails: 1 })
    const reminder = (await outboxOf(n.noticeId)).find((r) => r.kind === 'notice.reminder')!
    expect(decryptPersonal(reminder.recipient)).toBe(`legal@${n.domain}`)
    expect(reminder.message_id).toBe(`<reminder-${n.noticeId}@${host()}>`)
    expect(JSON.parse(reminder.headers!)).toEqual({
      'Reply-To': org().email,
      'In-Reply-To': `<notice-${n.noticeId}.2@${host()}>`,
      References: `<notice-${n.noticeId}@${host()}> <notice-${n.noticeId}.2@${host()}>`,
    })

    // Late again: the packet tells both sendings apart.
    expect(await markOverdue(getDb(), n.noticeId, row.deadline_at!)).toBe(true)
    const { text: packet } = await ftcComplaintPacket(getDb(), n.noticeId, org(), row.deadline_at! + HOUR)
    for (const phrase of [
      `Request first sent: ${formatUtc(n.sentAt)}`,
      `Sent again to another contact: ${formatUtc(row.sent_at!)}`,
      `Deadline (48 hours after it was last sent): ${formatUtc(row.deadline_at!)}`,
      `- The request to abuse@${n.domain}, Message-ID <notice-${n.noticeId}@${host()}>: accepted by the receiving mail server on ${formatUtc(n.sentAt)}`,
      `- The request, sent again, to legal@${n.domain}, Message-ID <notice-${n.noticeId}.2@${host()}>: accepted by the receiving mail server on ${formatUtc(after)}`,
    ]) {
      expect(packet, phrase).toContain(phrase)
    }
  })

  it("offers the directory's addresses that have not had the notice, and refuses one that has", async () => {
    const n = await overdueNotice('dmca')
    // The directory gained a legal desk after the notice went out.
    await getDb()
      .updateTable('provider')
      .set({ notice_emails: JSON.stringify([`abuse@${n.domain}`, `legal@${n.domain}`]) })
      .where('id', '=', n.providerId)
      .execute()
    const page = await callRoute(caseLoader, `/staff/cases/${n.caseId}`, { headers: n.staff.headers }, { caseId: n.caseId })
    // A DMCA notice has no FTC step.
    expect(page.data.followUps[n.noticeId]).toEqual({ noticeId: n.noticeId, otherAddresses: [`legal@${n.domain}`], ftcPacket: false })

    const again = await post(n, { intent: 'send-again', noticeId: n.noticeId, to: `ABUSE@${n.domain}`, otherTo: '' })
    expect(again.status).toBe(400)
    expect(again.data.followUp).toEqual({
      noticeId: n.noticeId,
      field: 'to',
      error: 'This notice already went to that address. Choose another contact.',
    })
    expect((await noticeRow(n.noticeId)).state).toBe('overdue')
    expect((await outboxOf(n.noticeId)).map((r) => r.kind)).toEqual(['notice'])

    const ok = await post(n, { intent: 'send-again', noticeId: n.noticeId, to: `legal@${n.domain}`, otherTo: '' })
    expect(ok.data.followUp).toEqual({ noticeId: n.noticeId, done: 'sent_again' })
    const rows = await outboxOf(n.noticeId)
    expect(rows.map((r) => [r.kind, decryptPersonal(r.recipient), r.message_id])).toEqual([
      ['notice', `abuse@${n.domain}`, `<notice-${n.noticeId}@${host()}>`],
      ['notice.resend', `legal@${n.domain}`, `<notice-${n.noticeId}.2@${host()}>`],
    ])
    const row = await noticeRow(n.noticeId)
    // The DMCA's configured period, counted from this sending.
    expect(row.deadline_at).toBe(row.sent_at! + 14 * DAY)
    expect(JSON.parse((await auditOf(n.noticeId, 'notice.sent_again'))[0]!.detail!)).toMatchObject({ fromDirectory: true, regime: 'dmca' })
  })

  const badAddresses: Array<[string, Record<string, string>, string]> = [
    ['nothing chosen or typed', { to: '', otherTo: '  ' }, "Choose one of the provider's addresses, or type another."],
    ['a line break', { otherTo: 'legal@host.example\r\nBcc: thief@evil.example' }, 'Enter one email address, on one line.'],
    ['a U+2028 line separator', { otherTo: 'legal@host.example\u2028Bcc: thief@evil.example' }, 'Enter one email address, on one line.'],
    ['not an address', { otherTo: 'the legal team' }, 'Enter an email address like name@example.org.'],
    ['two addresses', { otherTo: 'legal@host.example, thief@evil.example' }, 'Enter an email address like name@example.org.'],
    ['a display name', { otherTo: 'Legal <legal@host.example>' }, 'Enter an email address like name@example.org.'],
  ]

  it.each(badAddresses)('refuses %s with a message on the field, and changes nothing', async (_name, fields, message) => {
    const n = await overdueNotice('takeitdown')
    const before = await noticeRow(n.noticeId)
    const res = await post(n, { intent: 'send-again', noticeId: n.noticeId, ...fields })
    expect(res.status).toBe(400)
    expect(res.data.followUp).toEqual({ noticeId: n.noticeId, field: 'to', error: message })
    expect(await noticeRow(n.noticeId)).toEqual(before)
    expect((await outboxOf(n.noticeId)).map((r) => r.kind)).toEqual(['notice'])
    expect(await auditOf(n.noticeId, 'notice.sent_again')).toEqual([])
    expect(await kinds(n)).toEqual(['drafted', 'sent', 'overdue'])
  })

  it('refuses a notice still within its deadline, and a notice of another case', async () => {
    const fresh = await overdueNotice('takeitdown', { sentAt: Date.now() - HOUR, late: false })
    const res = await post(fresh, { intent: 'send-again', noticeId: fresh.noticeId, otherTo: `legal@${fresh.domain}` })
    expect(res.status).toBe(400)
    expect(res.data.followUp).toEqual({
      noticeId: fresh.noticeId,
      field: 'noticeId',
      error: 'This notice is not past its deadline, so there is nothing to follow up yet.',
    })
    expect((await outboxOf(fresh.noticeId)).map((r) => r.kind)).toEqual(['notice'])

    const other = await overdueNotice('takeitdown')
    // Posted on the fresh notice's case page, naming another case's notice.
    const crossed = await post(fresh, { intent: 'escalate', noticeId: other.noticeId, note: 'reported to the host' })
    expect(crossed.status).toBe(404)
    expect(crossed.data.error).toBe('This notice is not part of this case. Reload the page.')
    expect((await noticeRow(other.noticeId)).state).toBe('overdue')
  })
})

describe(`escalate (${engine})`, () => {
  it('needs a note, and shows it on the timeline', async () => {
    const n = await overdueNotice('takeitdown')
    for (const note of ['', '   \n  ']) {
      const res = await post(n, { intent: 'escalate', noticeId: n.noticeId, note })
      expect(res.status).toBe(400)
      expect(res.data.followUp).toEqual({
        noticeId: n.noticeId,
        field: 'note',
        error: 'Write what you did to escalate, for example "reported to the hosting provider".',
      })
    }
    const missing = await post(n, { intent: 'escalate', noticeId: n.noticeId })
    expect(missing.data.followUp).toMatchObject({ field: 'note' })
    const tooLong = await post(n, { intent: 'escalate', noticeId: n.noticeId, note: 'x'.repeat(2001) })
    expect(tooLong.data.followUp).toMatchObject({ field: 'note', error: 'The note can be at most 2,000 characters.' })
    expect((await noticeRow(n.noticeId)).state).toBe('overdue')
    expect(await auditOf(n.noticeId, 'notice.escalated')).toEqual([])

    const note = 'Reported to the hosting provider <ticket 4471>'
    const res = await post(n, { intent: 'escalate', noticeId: n.noticeId, note: `  ${note} ` })
    expect(res.status).toBe(200)
    expect(res.data.followUp).toEqual({ noticeId: n.noticeId, done: 'escalated' })
    expect((await noticeRow(n.noticeId)).state).toBe('escalated')
    // Escalating sends nothing.
    expect((await outboxOf(n.noticeId)).map((r) => r.kind)).toEqual(['notice'])

    const page = await callRoute(caseLoader, `/staff/cases/${n.caseId}`, { headers: n.staff.headers }, { caseId: n.caseId })
    const event = page.data.detail.timeline.find((e: { kind: string }) => e.kind === 'escalated')
    expect(event).toMatchObject({ noticeId: n.noticeId, actorType: 'staff', actorId: n.staff.id, detail: { note } })
    // Still open to the next steps, the FTC packet included.
    expect(page.data.followUps[n.noticeId]).toMatchObject({ ftcPacket: true })

    const [entry] = await auditOf(n.noticeId, 'notice.escalated')
    expect(JSON.parse(entry!.detail!)).toEqual({ caseId: n.caseId, regime: 'takeitdown', length: note.length })

    // A further step is a further note.
    await post(n, { intent: 'escalate', noticeId: n.noticeId, note: 'Reported to the registrar' })
    expect(await kinds(n)).toEqual(['drafted', 'sent', 'overdue', 'escalated', 'escalated'])
    const { text } = await ftcComplaintPacket(getDb(), n.noticeId, org())
    expect(text).toContain(`escalated (caseworker) (note: ${note})`)
  })
})

describe(`the FTC complaint packet (${engine})`, () => {
  it('opens as a printable page and as a text file for a TAKE IT DOWN notice, audited each time', async () => {
    const n = await overdueNotice('takeitdown')
    const page = await callRoute(ftcPageLoader, `/staff/notices/${n.noticeId}/ftc`, { headers: n.staff.headers }, { noticeId: n.noticeId })
    expect(page.status).toBe(200)
    expect(page.data.caseId).toBe(n.caseId)
    const titles = page.data.sections.map((s: { title: string }) => s.title)
    expect(titles).toEqual([
      'Facts for a complaint to the Federal Trade Commission',
      'The platform and the request',
      'Timeline (all times UTC)',
      'Delivery of our emails',
      'Replies from the platform',
      "Everything on the request's timeline",
      'Who to contact about this complaint',
      'The request as sent',
    ])
    const shown = JSON.stringify(page.data.sections)
    for (const phrase of [n.url, `Request sent: ${formatUtc(n.sentAt)}`, `Recorded as overdue: ${formatUtc(n.deadlineAt)}`, 'Electronic signature: /s/ Sam Example']) {
      expect(shown).toContain(phrase)
    }

    const file = await callRoute(ftcTextLoader, `/staff/notices/${n.noticeId}/ftc.txt`, { headers: n.staff.headers }, { noticeId: n.noticeId })
    expect(file.status).toBe(200)
    expect(file.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
    expect(file.headers.get('Content-Disposition')).toBe(`attachment; filename="ftc-complaint-${n.noticeId}.txt"`)
    expect(file.headers.get('Cache-Control')).toBe('no-store')
    expect(file.data).toContain('The request as sent')
    expect(file.data).toContain(n.url)
    for (const absent of [n.caseNumber, SURVIVOR_EMAIL, n.caseId]) {
      expect(file.data).not.toContain(absent)
      expect(shown).not.toContain(absent)
      expect(file.headers.get('Content-Disposition')).not.toContain(absent)
    }

    const entries = await auditOf(n.noticeId, 'notice.ftc_packet_opened')
    expect(entries.map((e) => [e.actor_type, e.actor_id, JSON.parse(e.detail!).format])).toEqual([
      ['staff', n.staff.id, 'page'],
      ['staff', n.staff.id, 'text'],
    ])
    expect(await kinds(n)).toEqual(['drafted', 'sent', 'overdue', 'ftc_packet_opened', 'ftc_packet_opened'])
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
  })

  it('answers a DMCA notice with a 400 and an unknown one with a 404, recording nothing', async () => {
    const n = await overdueNotice('dmca')
    const reason = 'An FTC complaint is only for requests under the TAKE IT DOWN Act; this notice was sent under another law.'
    const page = await callRoute(ftcPageLoader, `/staff/notices/${n.noticeId}/ftc`, { headers: n.staff.headers }, { noticeId: n.noticeId })
    expect(page).toMatchObject({ status: 400, thrown: true, data: reason })
    const file = await callRoute(ftcTextLoader, `/staff/notices/${n.noticeId}/ftc.txt`, { headers: n.staff.headers }, { noticeId: n.noticeId })
    expect(file).toMatchObject({ status: 400, data: reason })
    expect(file.headers.get('Content-Disposition')).toBeNull()

    const unknown = newId()
    expect((await callRoute(ftcPageLoader, `/staff/notices/${unknown}/ftc`, { headers: n.staff.headers }, { noticeId: unknown })).status).toBe(404)
    expect((await callRoute(ftcTextLoader, `/staff/notices/${unknown}/ftc.txt`, { headers: n.staff.headers }, { noticeId: unknown })).status).toBe(404)
    expect(await auditOf(n.noticeId, 'notice.ftc_packet_opened')).toEqual([])
    expect(await kinds(n)).toEqual(['drafted', 'sent', 'overdue'])
  })

  it('is for signed-in staff only', async () => {
    const n = await overdueNotice('takeitdown')
    for (const [fn, path] of [
      [ftcPageLoader, `/staff/notices/${n.noticeId}/ftc`],
      [ftcTextLoader, `/staff/notices/${n.noticeId}/ftc.txt`],
    ] as const) {
      const res = await callRoute(fn, path, {}, { noticeId: n.noticeId })
      expect(res.status).toBe(302)
      expect(res.headers.get('Location')).toBe('/staff/sign-in')
    }
    expect(await auditOf(n.noticeId, 'notice.ftc_packet_opened')).toEqual([])
  })
})

describe(`cross-site requests (${engine})`, () => {
  it('refuses a send-again or escalate posted from another site, and changes nothing', async () => {
    const n = await overdueNotice('takeitdown')
    const before = await noticeRow(n.noticeId)
    const forms: Array<Record<string, string>> = [
      { intent: 'send-again', noticeId: n.noticeId, otherTo: `legal@${n.domain}` },
      { intent: 'escalate', noticeId: n.noticeId, note: 'reported to the host' },
    ]
    for (const form of forms) {
      const res = await post(n, form, { ...n.staff.headers, Origin: 'https://evil.example' })
      expect(res.status).toBe(403)
      const noOrigin = await post(n, form, { Cookie: n.staff.headers.Cookie })
      expect(noOrigin.status).toBe(403)
    }
    expect(await noticeRow(n.noticeId)).toEqual(before)
    expect((await outboxOf(n.noticeId)).map((r) => r.kind)).toEqual(['notice'])
    expect(await kinds(n)).toEqual(['drafted', 'sent', 'overdue'])
  })
})
