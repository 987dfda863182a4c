/**
 * A provider answers a notice without an account, end to end in Chromium: a
 * caseworker sends a TAKE IT DOWN notice, the outbox worker delivers it over
 * SMTP to a real SMTP server in this process, and the provider opens the link
 * in that email in a browser with no cookies, reads the notice, acknowledges
 * it and then records the removal. The caseworker's timeline and the
 * survivor's status page show both answers.
 *
 * It runs on a server of its own (own-server.ts): it needs staff accounts
 * (which would spend the shared server's set-up link), real organisation
 * details to send a notice, and SMTP_URL pointing at the test SMTP server.
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { generateTOTP } from '@epic-web/totp'
import type { Browser, BrowserContext, Page } from '@playwright/test'
import Database from 'better-sqlite3'
import { formatUtc } from '../../emails/notice'
import { start, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp'
import { vectorPath } from '../helpers/vectors'
import { seriousViolations } from './axe'
import { expect, screenshots, test as base, VIEWPORTS } from './fixtures'
import { startOwnServer, type OwnServer } from './own-server'

const ORG = {
  ORG_NAME: 'Takeback Provider Test Organisation',
  ORG_EMAIL: 'casework@provider-e2e-org.example.net',
  ORG_ADDRESS: '3 Test Lane\\nTestville TE1 3ST',
  ORG_PHONE: '+44 20 7946 0001',
}
const PROVIDER = { name: 'Photo Share Example', domain: 'example.org', email: 'abuse@example.org' }
const REPORTED_URL = 'https://cdn.example.org/u/88/p/2024'
const ADMIN = { email: 'admin@provider-e2e-org.example.net', password: 'correct horse battery staple provider admin' }
const CASEWORKER = { email: 'caseworker@provider-e2e-org.example.net', password: 'another long caseworker passphrase' }
const SIGNATURE = 'Robin Example'

// What every authenticator app does with a key it is given by hand (RFC 6238 defaults).
const TOTP = { period: 30, digits: 6, algorithm: 'SHA-1' } as const

const test = base.extend<object, { smtp: TestSmtpServer; own: OwnServer }>({
  smtp: [
    async ({}, use) => {
      const smtp = await start()
      await use(smtp)
      await smtp.stop()
    },
    { scope: 'worker' },
  ],
  own: [
    async ({ smtp }, use) => {
      const own = await startOwnServer({ ...ORG, SMTP_URL: smtp.url })
      await use(own)
      await own.stop()
    },
    { scope: 'worker' },
  ],
  server: async ({ own }, use) => use({ baseURL: own.baseURL, setupUrl: own.setupUrl, pid: own.pid, dataDir: own.dataDir }),
})

// A step that cannot happen fails in seconds, not at the end of the test's long budget.
test.use({ actionTimeout: 20_000, navigationTimeout: 30_000 })

/** The code an authenticator shows for `manualKey` now. */
async function totpCode(manualKey: string): Promise<string> {
  const step = () => Math.floor(Date.now() / 1000 / TOTP.period)
  const before = step()
  const { otp } = await generateTOTP({ secret: manualKey.replace(/\s+/g, ''), ...TOTP })
  // The clock may have moved into the next step while the code was made: make it again.
  return step() === before ? otp : totpCode(manualKey)
}

/** Password, then enrolment of an authenticator app (a first sign-in), ending on the staff home page. */
async function signInAndEnrol(page: Page, who: { email: string; password: string }) {
  await page.goto('/staff/sign-in')
  await page.getByLabel('Email address').fill(who.email)
  await page.getByLabel('Password', { exact: true }).fill(who.password)
  await page.getByRole('button', { name: 'Continue' }).click()
  await expect(page.locator('h1')).toHaveText('Set up your authenticator app')
  await page.getByText('Cannot scan the code?').click()
  const manualKey = (await page.locator('details code').textContent())!.trim()
  await page.getByRole('textbox', { name: 'Code' }).fill(await totpCode(manualKey))
  await page.getByRole('button', { name: 'Confirm and sign in' }).click()
  await expect(page.locator('h1')).toHaveText('Staff home')
}

/** Every request a context makes that leaves our origin. */
function watchForeignRequests(context: BrowserContext, origin: string): string[] {
  const foreign: string[] = []
  context.on('request', (r) => {
    const u = r.url()
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) foreign.push(u)
  })
  return foreign
}

/** Serious and critical axe findings on `url` at phone and desktop widths, in a context of its own (axe needs the CSP bypassed). */
async function axeAtBothWidths(browser: Browser, baseURL: string, url: string) {
  const context = await browser.newContext({ baseURL, bypassCSP: true })
  try {
    const page = await context.newPage()
    const found: Record<string, unknown[]> = {}
    for (const [label, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size)
      await page.goto(url)
      found[label] = await seriousViolations(page)
    }
    return found
  } finally {
    await context.close()
  }
}

/** The one message the test SMTP server received for `to` whose subject `match` accepts, once the outbox worker has sent it. */
async function waitForMessage(smtp: TestSmtpServer, to: string, match: (m: ReceivedMail) => boolean = () => true): Promise<ReceivedMail> {
  const found = () => smtp.messages.filter((m) => m.to.includes(to) && match(m))
  await expect.poll(() => found().length, { message: `an email to ${to} arrives over SMTP`, timeout: 30_000 }).toBe(1)
  return found()[0]!
}

/** What the database holds for the notice: its row, its web addresses' outcomes, and its events. */
function noticeState(dataDir: string, noticeId: string) {
  const db = new Database(path.join(dataDir, 'takeback.db'), { readonly: true })
  try {
    return {
      notice: db.prepare('select state, acknowledged_at, resolved_at, updated_at, deadline_at from notice where id = ?').get(noticeId) as {
        state: string
        acknowledged_at: number | null
        resolved_at: number | null
        updated_at: number
        deadline_at: number
      },
      outcomes: db.prepare('select location_id, outcome from notice_location where notice_id = ? order by location_id').all(noticeId),
      events: db.prepare('select kind, actor_type from notice_event where notice_id = ? order by created_at, id').all(noticeId),
      links: db.prepare('select used_at from notice_link where notice_id = ?').all(noticeId),
    }
  } finally {
    db.close()
  }
}

test('a provider opens the link from the notice email, acknowledges, then records the removal', async ({ page: admin, browser, own, smtp, requests }) => {
  test.setTimeout(240_000)
  const origin = new URL(own.baseURL).origin

  // The provider the reported address belongs to, entered as an operator would.
  const added = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'app/cli/takeback.ts', 'provider', 'add', '--name', PROVIDER.name, '--domain', PROVIDER.domain, '--email', PROVIDER.email, '--regime', 'takeitdown'],
    { env: own.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
  expect(JSON.parse(added.trim().split('\n').pop()!)).toHaveProperty('id')

  // --- Staff: the first administrator, who invites a caseworker (the invitation also travels over SMTP).
  await admin.goto(own.setupUrl)
  await admin.getByLabel('Email address').fill(ADMIN.email)
  await admin.getByLabel('Password', { exact: true }).fill(ADMIN.password)
  await admin.getByLabel('Password again').fill(ADMIN.password)
  await admin.getByRole('button', { name: 'Create account' }).click()
  await expect(admin.locator('h1')).toHaveText('Your administrator account is ready')
  await signInAndEnrol(admin, ADMIN)
  await admin.getByRole('link', { name: 'Manage staff accounts' }).click()
  await admin.getByLabel('Email address').fill(CASEWORKER.email)
  await admin.getByRole('button', { name: 'Send invitation' }).click()
  await expect(admin.getByRole('status')).toHaveText('Invitation sent.')
  const invite = await waitForMessage(smtp, CASEWORKER.email)
  const inviteLink = invite.parsed.text?.match(/(http\S+\/staff\/invite\/accept\?token=[A-Za-z0-9_-]+)/)?.[1]
  expect(inviteLink, 'the invitation carries its link').toBeTruthy()

  const workerContext = await browser.newContext({ baseURL: own.baseURL })
  const workerForeign = watchForeignRequests(workerContext, origin)
  const worker = await workerContext.newPage()
  await worker.goto(inviteLink!)
  await worker.getByLabel('Choose a password').fill(CASEWORKER.password)
  await worker.getByLabel('Password again').fill(CASEWORKER.password)
  await worker.getByRole('button', { name: 'Create account' }).click()
  await expect(worker.getByRole('status')).toHaveText('Your account is ready. Sign in to set up your authenticator app.')
  await signInAndEnrol(worker, CASEWORKER)

  // --- A survivor asks for removal of an image at an address on the provider's site.
  const survivorContext = await browser.newContext({ baseURL: own.baseURL })
  const survivorForeign = watchForeignRequests(survivorContext, origin)
  const survivor = await survivorContext.newPage()
  await survivor.goto('/request')
  await survivor.getByLabel('Me, and I was 18 or over').check()
  await survivor.locator('#files').setInputFiles([vectorPath('images/misc-images/c.png')])
  await expect(survivor.getByText('1 of 1 file done')).toBeVisible({ timeout: 60_000 })
  await survivor.getByLabel('Web addresses').fill(REPORTED_URL)
  await survivor.getByLabel('Share the hashes of my files').check()
  await survivor.getByLabel('Ask the websites I listed to take the images down for me.').check()
  await survivor.getByLabel('Your full name').fill(SIGNATURE)
  await survivor.getByRole('button', { name: 'Send the request' }).click()
  await expect(survivor.locator('h1')).toHaveText('Your request is in')
  const caseNumber = (await survivor.getByTestId('case-number').textContent())!.trim()
  const secret = (await survivor.getByTestId('case-secret').textContent())!.trim()

  // --- The caseworker drafts and sends the notice.
  await worker.goto('/staff/cases')
  await worker.locator('.queue-table tbody tr').filter({ hasText: caseNumber }).getByRole('link', { name: caseNumber }).click()
  await expect(worker.locator('h1')).toHaveText(`Case ${caseNumber}`)
  const caseUrl = worker.url()
  await worker.getByLabel(REPORTED_URL).check()
  await worker.getByRole('button', { name: 'Draft notices' }).click()
  const notice = worker.locator('[data-notice-id]')
  await expect(notice).toHaveCount(1)
  const noticeId = (await notice.getAttribute('data-notice-id'))!
  await notice.getByRole('button', { name: 'Send', exact: true }).click()
  await expect(worker.getByRole('status')).toHaveText('Notice sent. Its emails are queued.')

  // --- The outbox worker delivers it over SMTP; the answer link is in the message.
  const sent = await waitForMessage(smtp, PROVIDER.email)
  expect(sent.parsed.subject).toBe(`Removal request under the TAKE IT DOWN Act – reference ${noticeId}`)
  expect(sent.parsed.text).toContain(REPORTED_URL)
  const answerLink = sent.parsed.text?.match(/(http\S+\/notices\/respond\/[A-Za-z0-9_-]+)/)?.[1]
  expect(answerLink, 'the notice email carries its answer link').toBeTruthy()
  expect(answerLink!.startsWith(`${own.baseURL}/notices/respond/`)).toBe(true)
  expect(sent.parsed.html, 'the HTML part carries the same link').toContain(answerLink!)
  // The provider learns nothing that leads to the survivor.
  expect(sent.raw.toString('utf8')).not.toContain(caseNumber)

  // --- The provider, in a browser with no cookies and no account.
  const providerContext = await browser.newContext({ baseURL: own.baseURL })
  const providerForeign = watchForeignRequests(providerContext, origin)
  const provider = await providerContext.newPage()
  const before = noticeState(own.dataDir, noticeId)
  expect(before.notice.state).toBe('sent')
  expect((await provider.goto(answerLink!))?.status()).toBe(200)
  await expect(provider.locator('h1')).toHaveText(`Removal notice to ${PROVIDER.name}`)
  const facts = provider.locator('dl.codes')
  await expect(facts).toContainText(noticeId)
  await expect(facts).toContainText('US TAKE IT DOWN Act (47 U.S.C. 223a)')
  await expect(facts).toContainText(formatUtc(before.notice.deadline_at))
  await expect(facts).toContainText(/\d+ hours left/)
  await expect(provider.getByTestId('notice-state')).toHaveText('Sent, no answer yet')
  await expect(provider.getByRole('region', { name: 'What is asked of you' })).toContainText('within 48 hours')
  await expect(provider.getByRole('region', { name: 'Web addresses in this notice' })).toContainText(`${REPORTED_URL} — no answer yet`)
  await screenshots(provider, 'provider-answer')

  // Opening the link (twice, as a mail scanner and then a person might) changed nothing.
  await provider.reload()
  await expect(provider.getByTestId('notice-state')).toHaveText('Sent, no answer yet')
  await expect(provider.getByRole('button', { name: 'Confirm we received it' })).toBeVisible()
  expect(noticeState(own.dataDir, noticeId)).toEqual(before)
  expect(await providerContext.cookies(), 'the answer page sets no cookie').toEqual([])

  expect(await axeAtBothWidths(browser, own.baseURL, answerLink!)).toEqual({ phone: [], desktop: [] })
  expect(noticeState(own.dataDir, noticeId), 'nor did the accessibility check').toEqual(before)

  // --- Acknowledge.
  await provider.getByRole('button', { name: 'Confirm we received it' }).click()
  const done = provider.getByRole('status')
  await expect(done).toContainText('Your answer is recorded')
  await expect(done).toContainText('We recorded that you received the notice.')
  await expect(provider.getByTestId('notice-state')).toHaveText('You confirmed you received it')
  await expect(provider.getByRole('button', { name: 'Confirm we received it' })).toHaveCount(0)
  await screenshots(provider, 'provider-acknowledged')
  expect(noticeState(own.dataDir, noticeId).notice.state).toBe('acknowledged')

  // --- Then record the removal, with every address ticked (as the form starts).
  const removedForm = provider.locator('form').filter({ has: provider.getByRole('button', { name: 'Record as removed' }) })
  await expect(removedForm.getByRole('checkbox', { name: REPORTED_URL })).toBeChecked()
  await removedForm.getByRole('button', { name: 'Record as removed' }).click()
  await expect(done).toContainText('We recorded that you removed the material from the addresses you ticked.')
  await expect(done).toContainText('Nothing more is needed from you')
  await expect(provider.getByTestId('notice-state')).toHaveText('Removed')
  await expect(provider.getByRole('region', { name: 'Web addresses in this notice' })).toContainText(`${REPORTED_URL} — removed`)
  await expect(provider.getByRole('region', { name: 'Your answer' })).toHaveCount(0)
  // The page's own heading comes first, and with no buttons left the lead no longer speaks of them.
  await expect(provider.locator('main').getByRole('heading').first()).toHaveText(`Removal notice to ${PROVIDER.name}`)
  await expect(provider.locator('p.lead')).not.toContainText('buttons below')
  await screenshots(provider, 'provider-removed')
  const after = noticeState(own.dataDir, noticeId)
  expect(after.notice.state).toBe('removed')
  expect(after.outcomes).toEqual([expect.objectContaining({ outcome: 'removed' })])
  expect(after.events).toEqual([
    { kind: 'drafted', actor_type: 'staff' },
    { kind: 'sent', actor_type: 'staff' },
    { kind: 'acknowledged', actor_type: 'provider' },
    { kind: 'removed', actor_type: 'provider' },
  ])
  // The final answer spends the link: opened again, it still shows the notice, and answers nothing.
  expect(after.links.every((l) => (l as { used_at: number | null }).used_at !== null)).toBe(true)
  await provider.reload()
  await expect(provider.getByRole('heading', { name: 'This link has already been used' })).toBeVisible()
  await expect(provider.getByTestId('notice-state')).toHaveText('Removed')
  await expect(provider.getByRole('button', { name: 'Record as removed' })).toHaveCount(0)
  expect(await providerContext.cookies()).toEqual([])
  await providerContext.close()

  // --- The caseworker's timeline words both answers.
  await worker.goto(caseUrl)
  await expect(notice).toContainText('TAKE IT DOWN Act · Removed')
  const timeline = worker.getByRole('region', { name: 'Timeline' })
  const acknowledged = timeline.getByRole('listitem').filter({ hasText: 'Provider acknowledged the notice' })
  await expect(acknowledged).toContainText(PROVIDER.name)
  await expect(acknowledged).toContainText('The provider confirmed it has the notice. Through the link in the notice email.')
  const removed = timeline.getByRole('listitem').filter({ hasText: 'Provider reported a removal' })
  await expect(removed).toContainText('The provider says it removed the material at 1 web address. Through the link in the notice email.')
  await expect(worker.getByRole('region', { name: 'Web addresses' })).toContainText(`${PROVIDER.name} · Removed`)
  await timeline.scrollIntoViewIfNeeded()
  await screenshots(worker, 'provider-case-timeline')
  await workerContext.close()

  // --- The survivor sees the removal in plain words.
  await survivor.goto('/status')
  await survivor.getByLabel('Case number').fill(caseNumber)
  await survivor.getByLabel('Secret').fill(secret)
  await survivor.getByRole('button', { name: 'Open my case' }).click()
  await expect(survivor.locator('h1')).toContainText(caseNumber)
  await expect(survivor.locator('.url-list')).toContainText(`${REPORTED_URL} · removed`)
  const survivorNotice = survivor.locator('.notice-list > li').filter({ hasText: PROVIDER.name })
  await expect(survivorNotice).toHaveCount(1)
  await expect(survivorNotice.locator('.file-head')).toContainText('removed')
  await screenshots(survivor, 'provider-survivor-status')
  await survivorContext.close()

  expect(providerForeign, 'requests to another host (provider)').toEqual([])
  expect(workerForeign, 'requests to another host (caseworker)').toEqual([])
  expect(survivorForeign, 'requests to another host (survivor)').toEqual([])
  expect(requests.length).toBeGreaterThan(0)
})
