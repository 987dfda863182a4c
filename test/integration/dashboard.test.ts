/**
 * The staff dashboard on a real, migrated database (SQLite and PostgreSQL):
 * the provider scorecard's figures on known notices, the CSV download and its
 * guard against spreadsheet formulas, "send again" for a dead letter through
 * the real action (with its audit entry), the admin-only audit and mail
 * pages, and the server-rendered SVG chart.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { afterEach, describe, expect, it } from 'vitest'
import type { NoticeState } from '../../db/schema'
import { BarChart, CHART } from '../../app/components/bar-chart'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { mailDir } from '../../app/lib/mailer.server'
import { forgetSingleton } from '../../app/lib/singleton.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import {
  csvCell,
  deadLetters,
  median,
  noticeCountsByState,
  providerScorecard,
  scorecardCsv,
  type ProviderScore,
} from '../../app/models/scorecard.server'
import { loader as auditLoader } from '../../app/routes/staff.admin.audit'
import { loader as mailLoader } from '../../app/routes/staff.admin.mail'
import { action as dashboardAction, loader as dashboardLoader } from '../../app/routes/staff.dashboard'
import { loader as csvLoader } from '../../app/routes/staff.dashboard_.scorecard[.csv]'
import { callRoute } from '../helpers/remix'

const HOUR = 60 * 60 * 1000
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0)

afterEach(() => {
  delete process.env.SMTP_URL
  forgetSingleton('env')
})

const origin = () => new URL(getEnv().PUBLIC_URL).origin

/** A signed-in staff member: an account row and a full session (both factors done), as the browser's cookie. */
async function signedIn(role: 'caseworker' | 'admin') {
  const db = getDb()
  const id = newId()
  const now = Date.now()
  await db
    .insertInto('staff_user')
    .values({
      id,
      email: `${role}-${crypto.randomBytes(4).toString('hex')}@example.org`,
      role,
      // Never checked: the session below is made directly, as after a sign-in.
      password_hash: 'not-a-real-hash',
      totp_secret: null,
      totp_last_step: null,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
  const { token } = await createStaffSession(db, id, null, now)
  return { id, headers: { Origin: origin(), Cookie: `tb_staff=${token}` } }
}

async function makeProvider(name: string): Promise<string> {
  const id = newId()
  await getDb()
    .insertInto('provider')
    .values({
      id,
      name,
      notice_emails: JSON.stringify(['abuse@provider.example']),
      regime: 'takeitdown',
      feed_checkpoint: null,
      feed_last_fetch_at: null,
      created_at: T0,
      updated_at: T0,
      disabled_at: null,
    })
    .execute()
  return id
}

async function makeCase(): Promise<string> {
  const id = newId()
  await getDb()
    .insertInto('survivor_case')
    .values({
      id,
      case_number: `T${crypto.randomBytes(5).toString('hex').toUpperCase()}`,
      secret_hash: null,
      secret_updated_at: null,
      contact_ciphertext: null,
      contact_updated_at: null,
      language: 'en',
      requester: 'self_adult',
      signature_ciphertext: null,
      reviewed_at: null,
      assigned_to: null,
      created_at: T0,
      updated_at: T0,
      closed_at: null,
      withdrawn_at: null,
      deleted_at: null,
    })
    .execute()
  return id
}

/** A notice sent at T0 + `sentH` hours; other times are hours after sending. */
async function makeNotice(
  caseId: string,
  providerId: string,
  n: { state: NoticeState; sentH?: number | null; ackH?: number | null; resolvedH?: number | null; deadlineH?: number | null },
): Promise<string> {
  const id = newId()
  const sent = n.sentH === null ? null : T0 + (n.sentH ?? 0) * HOUR
  const after = (h: number | null | undefined) => (h === null || h === undefined || sent === null ? null : sent + h * HOUR)
  await getDb()
    .insertInto('notice')
    .values({
      id,
      case_id: caseId,
      provider_id: providerId,
      regime: 'takeitdown',
      state: n.state,
      explanation: null,
      message_id: null,
      created_by: null,
      sent_at: sent,
      delivered_at: null,
      acknowledged_at: after(n.ackH),
      resolved_at: after(n.resolvedH),
      deadline_at: after(n.deadlineH === undefined ? 48 : n.deadlineH),
      reminder_due_at: null,
      reminded_at: null,
      overdue_at: null,
      created_at: T0,
      updated_at: T0,
    })
    .execute()
  return id
}

describe('provider scorecard', () => {
  it('gives exact medians, the 48-hour share and the overdue count per provider', async () => {
    const caseId = await makeCase()
    const alpha = await makeProvider('Alpha Video')
    const bravo = await makeProvider('Bravo Pics')
    const idle = await makeProvider('Charlie Never Sent')

    // Alpha: acknowledged after 2, 4 and 1 hours (median 2); removed after 10,
    // 60 (partly) and 30 hours (median 30); 10 and 30 are within 48 of 4 sent.
    await makeNotice(caseId, alpha, { state: 'removed', ackH: 2, resolvedH: 10 })
    await makeNotice(caseId, alpha, { state: 'partially_removed', ackH: 4, resolvedH: 60 })
    await makeNotice(caseId, alpha, { state: 'sent', deadlineH: 48 }) // unanswered, past its deadline at `now`
    await makeNotice(caseId, alpha, { state: 'removed', ackH: 1, resolvedH: 30 })
    // Bravo: acknowledged after 3 and 6 hours (median 4.5); one removal after 50 hours, outside the window.
    await makeNotice(caseId, bravo, { state: 'removed', ackH: 3, resolvedH: 50 })
    await makeNotice(caseId, bravo, { state: 'acknowledged', ackH: 6, deadlineH: 1000 })
    // "Not found" is resolved but not a removal: no removal time, not in the share's numerator.
    await makeNotice(caseId, bravo, { state: 'not_found', ackH: null, resolvedH: 5 })
    // Charlie: a draft was never sent and counts nowhere.
    await makeNotice(caseId, idle, { state: 'draft', sentH: null, deadlineH: null })

    const now = T0 + 100 * HOUR
    const scores = await providerScorecard(getDb(), { now })
    const mine = scores.filter((s) => [alpha, bravo, idle].includes(s.providerId))
    expect(mine).toEqual([
      {
        providerId: alpha,
        providerName: 'Alpha Video',
        sent: 4,
        medianAckMs: 2 * HOUR,
        medianRemovalMs: 30 * HOUR,
        removedWithin48hShare: 0.5,
        removedWithin48h: 2,
        overdue: 1,
      },
      {
        providerId: bravo,
        providerName: 'Bravo Pics',
        sent: 3,
        medianAckMs: 4.5 * HOUR,
        medianRemovalMs: 50 * HOUR,
        removedWithin48hShare: 0,
        removedWithin48h: 0,
        overdue: 0,
      },
    ])

    // `since` counts only notices sent from then on.
    await makeNotice(caseId, bravo, { state: 'removed', sentH: 200, ackH: 1, resolvedH: 2, deadlineH: 48 })
    const recent = (await providerScorecard(getDb(), { since: T0 + 150 * HOUR, now })).filter((s) => s.providerId === bravo)
    expect(recent).toEqual([
      { providerId: bravo, providerName: 'Bravo Pics', sent: 1, medianAckMs: HOUR, medianRemovalMs: 2 * HOUR, removedWithin48hShare: 1, removedWithin48h: 1, overdue: 0 },
    ])

    const counts = await noticeCountsByState(getDb())
    expect(Object.keys(counts)).toHaveLength(12)
    expect(counts.draft).toBeGreaterThanOrEqual(1)
    expect(counts.removed).toBeGreaterThanOrEqual(4)
    expect(typeof counts.escalated).toBe('number')
  })

  it('takes the mean of the two middle values for an even count', () => {
    expect(median([])).toBeNull()
    expect(median([5])).toBe(5)
    expect(median([9, 1, 5])).toBe(5)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })
})

describe('scorecard CSV', () => {
  const row = (providerName: string, over: Partial<ProviderScore> = {}): ProviderScore => ({
    providerId: 'p',
    providerName,
    sent: 3,
    medianAckMs: 7_200_000,
    medianRemovalMs: null,
    removedWithin48hShare: 2 / 3,
    removedWithin48h: 2,
    overdue: 0,
    ...over,
  })

  it('quotes by RFC 4180 and defuses cells a spreadsheet would run as formulas', () => {
    const csv = scorecardCsv([
      row('Plain'),
      row('Comma, Inc.'),
      row('Say "hi"'),
      row('Two\r\nlines'),
      row('=HYPERLINK("http://evil.example","x")'),
      row('+1 Media'),
      row('-minus'),
      row('@SUM(A1)'),
    ])
    const lines = csv.split('\r\n')
    expect(lines[0]).toBe('provider,notices_sent,median_ms_to_acknowledge,median_ms_to_removal,removed_within_48h,share_removed_within_48h_percent,overdue')
    expect(csv.endsWith('\r\n')).toBe(true)
    expect(csv).toContain('\r\nPlain,3,7200000,,2,66.7,0\r\n')
    expect(csv).toContain('\r\n"Comma, Inc.",3,')
    expect(csv).toContain('\r\n"Say ""hi""",3,')
    expect(csv).toContain('\r\n"Two\r\nlines",3,')
    expect(csv).toContain('\r\n"\'=HYPERLINK(""http://evil.example"",""x"")",3,')
    expect(csv).toContain("\r\n'+1 Media,3,")
    expect(csv).toContain("\r\n'-minus,3,")
    expect(csv).toContain("\r\n'@SUM(A1),3,")
    // Numbers are not text: a negative figure keeps its sign.
    expect(csvCell(-5)).toBe('-5')
    expect(csvCell(null)).toBe('')
  })

  it('is served as an attachment, never cached, to staff only', async () => {
    const caseworker = await signedIn('caseworker')
    const res = await callRoute(csvLoader, '/staff/dashboard/scorecard.csv', { headers: caseworker.headers })
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/csv/)
    expect(res.headers.get('Content-Disposition')).toMatch(/^attachment; filename="provider-scorecard-\d{4}-\d{2}-\d{2}\.csv"$/)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(String(res.data).split('\r\n')[0]).toMatch(/^provider,notices_sent,/)

    const anonymous = await callRoute(csvLoader, '/staff/dashboard/scorecard.csv')
    expect(anonymous.status).toBe(302)
    expect(anonymous.headers.get('Location')).toBe('/staff/sign-in')
  })
})

describe('dead letters', () => {
  async function deadRow(recipient: string): Promise<string> {
    const id = newId()
    const now = Date.now()
    await getDb()
      .insertInto('outbox')
      .values({
        id,
        kind: 'notice',
        notice_id: null,
        recipient,
        subject: 'Removal request',
        text_body: 'body',
        html_body: null,
        headers: null,
        message_id: `<${id}@takeback.test>`,
        attempts: 20,
        next_attempt_at: now,
        claimed_at: null,
        claimed_by: null,
        sent_at: null,
        dead_at: now - 1000,
        last_error: '550 mailbox unavailable for [redacted]',
        created_at: now - HOUR,
        updated_at: now - 1000,
      })
      .execute()
    return id
  }

  it('lists dead letters without the recipient, and "send again" revives one and audits it', async () => {
    const recipient = 'ciphertext-of-the-recipient-address'
    const outboxId = await deadRow(recipient)
    const staff = await signedIn('caseworker')

    const page = await callRoute(dashboardLoader, '/staff/dashboard', { headers: staff.headers })
    expect(page.status).toBe(200)
    const listed = page.data.dead.find((d: { id: string }) => d.id === outboxId)
    expect(listed).toMatchObject({ id: outboxId, kind: 'notice', noticeId: null, attempts: 20, lastError: '550 mailbox unavailable for [redacted]' })
    expect(JSON.stringify(page.data)).not.toContain(recipient)
    expect(Object.keys((await deadLetters(getDb()))[0]!)).not.toContain('recipient')

    // From another site: refused before anything changes.
    const forged = await callRoute(dashboardAction, '/staff/dashboard', {
      headers: { ...staff.headers, Origin: 'https://evil.example' },
      form: { intent: 'send-again', outboxId },
    })
    expect(forged.status).toBe(403)

    const res = await callRoute(dashboardAction, '/staff/dashboard', { headers: staff.headers, form: { intent: 'send-again', outboxId } })
    expect(res.status).toBe(200)
    expect(res.data).toEqual({ done: true, error: null })
    const row = await getDb().selectFrom('outbox').selectAll().where('id', '=', outboxId).executeTakeFirstOrThrow()
    expect(row.dead_at).toBeNull()
    expect(Number(row.attempts)).toBe(0)
    expect((await deadLetters(getDb())).map((d) => d.id)).not.toContain(outboxId)

    const audit = await getDb().selectFrom('audit_log').selectAll().where('action', '=', 'outbox.sent_again').where('object_id', '=', outboxId).execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor_type: 'staff', actor_id: staff.id, object_type: 'outbox' })
    expect(audit[0]!.detail).not.toContain(recipient)
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })

    // A second click finds nothing dead: a 404 with a message, and no second audit entry.
    const again = await callRoute(dashboardAction, '/staff/dashboard', { headers: staff.headers, form: { intent: 'send-again', outboxId } })
    expect(again.status).toBe(404)
    expect(again.data).toEqual({ done: false, error: 'dashboard.sendAgainGone' })
    const bad = await callRoute(dashboardAction, '/staff/dashboard', { headers: staff.headers, form: { intent: 'other', outboxId } })
    expect(bad.status).toBe(400)
    expect(await getDb().selectFrom('audit_log').select('seq').where('action', '=', 'outbox.sent_again').where('object_id', '=', outboxId).execute()).toHaveLength(1)
  })
})

describe('admin pages', () => {
  it('refuse a caseworker with 403', async () => {
    const caseworker = await signedIn('caseworker')
    const audit = await callRoute(auditLoader, '/staff/admin/audit', { headers: caseworker.headers })
    expect(audit).toMatchObject({ status: 403, thrown: true })
    const mail = await callRoute(mailLoader, '/staff/admin/mail', { headers: caseworker.headers })
    expect(mail).toMatchObject({ status: 403, thrown: true })
  })

  it('show an admin the latest audit entries and the chain check', async () => {
    const admin = await signedIn('admin')
    const res = await callRoute(auditLoader, '/staff/admin/audit', { headers: admin.headers })
    expect(res.status).toBe(200)
    expect(res.data.chain).toEqual(await verifyAuditChain(getDb()))
    expect(res.data.chain.ok).toBe(true)
    const seqs: number[] = res.data.entries.map((e: { seq: number }) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
    expect(seqs.length).toBeLessThanOrEqual(200)
    for (const e of res.data.entries) expect(Object.keys(e).sort()).toEqual(['action', 'actorType', 'createdAt', 'objectId', 'objectType', 'seq'])
  })

  it('show an admin the written mail files, or say that SMTP is set', async () => {
    const admin = await signedIn('admin')
    const dir = mailDir(getEnv().DATA_DIR)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, '2026-01-05T09-00-00-000Z-abc.eml'), 'Subject: x\r\n\r\nhello')
    fs.writeFileSync(path.join(dir, '.hidden.tmp'), 'half')

    const res = await callRoute(mailLoader, '/staff/admin/mail', { headers: admin.headers })
    expect(res.status).toBe(200)
    expect(res.data.smtpSet).toBe(false)
    expect(res.data.files).toEqual([{ name: '2026-01-05T09-00-00-000Z-abc.eml', mtimeMs: expect.any(Number), size: 19 }])

    process.env.SMTP_URL = 'smtp://mail.example:587'
    forgetSingleton('env')
    const withSmtp = await callRoute(mailLoader, '/staff/admin/mail', { headers: admin.headers })
    expect(withSmtp.data).toMatchObject({ smtpSet: true, files: [] })
  })
})

describe('bar chart', () => {
  it('draws one labelled bar per provider, as wide as its share, and no script', () => {
    const svg = renderToStaticMarkup(
      createElement(BarChart, {
        title: 'Removed within 48 hours',
        description: 'One bar per provider.',
        bars: [
          { label: 'Alpha Video', value: 0.5 },
          { label: 'Bravo <Pics>', value: 0 },
          { label: 'Charlie', value: 1 },
          { label: 'Delta', value: null },
        ],
      }),
    )
    expect(svg).toMatch(/^<svg role="img" aria-labelledby="[^"]+"/)
    expect(svg).toMatch(/<title id="[^"]+">Removed within 48 hours<\/title><desc id="[^"]+">One bar per provider\.<\/desc>/)
    expect(svg).not.toMatch(/<script|on[a-z]+=|style=/i)

    // Bars in percent of the width, each below its label line.
    const bars = [...svg.matchAll(/<rect class="bar" x="(\d+)" y="(\d+(?:\.\d+)?)" width="(\d+(?:\.\d+)?)%" height="(\d+)"/g)].map((m) => m.slice(1).map(Number))
    const step = CHART.labelHeight + CHART.barHeight + CHART.gap
    const barTop = CHART.padding + CHART.labelHeight
    expect(bars).toEqual([
      [0, barTop, 50, CHART.barHeight],
      [0, barTop + step, 0, CHART.barHeight],
      [0, barTop + 2 * step, 100, CHART.barHeight],
      [0, barTop + 3 * step, 0, CHART.barHeight],
    ])
    for (const text of ['Alpha Video', 'Bravo &lt;Pics&gt;', 'Charlie', 'Delta', '50%', '0%', '100%', '–']) expect(svg).toContain(`>${text}</text>`)
    // Not scaled to the page: text is drawn at its size in CSS pixels on a phone too.
    expect(svg).not.toContain('viewBox')
    expect(svg).toContain(`height="${2 * CHART.padding + 4 * step - CHART.gap}"`)
    expect([...svg.matchAll(/font-size="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(Array(8).fill(CHART.fontSize))
    expect(CHART.fontSize).toBeGreaterThanOrEqual(14)
  })
})
