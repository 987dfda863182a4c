/**
 * The caseworker's day, end to end in Chromium: the first administrator
 * invites a caseworker; the caseworker sets a password, enrols an
 * authenticator, signs in with a fresh code, opens a survivor's case, drafts,
 * previews, explains and sends a TAKE IT DOWN notice, and finds it on the
 * timeline, in the written mail and on the dashboard.
 *
 * It runs on a server of its own (own-server.ts): creating staff accounts on
 * the shared server would spend the set-up link foundation.spec.ts tests, and
 * sending needs real (non-example) organisation details.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { generateTOTP } from '@epic-web/totp'
import type { Browser, BrowserContext, Page } from '@playwright/test'
import { simpleParser, type ParsedMail } from 'mailparser'
import { vectorPath } from '../helpers/vectors'
import { seriousViolations } from './axe'
import { expect, screenshots, test as base, VIEWPORTS } from './fixtures'
import { startOwnServer, type OwnServer } from './own-server'

const ORG = {
  ORG_NAME: 'Takeback End-to-End Test Organisation',
  ORG_EMAIL: 'casework@e2e-org.example.net',
  ORG_ADDRESS: '2 Test Lane\\nTestville TE1 2ST',
  ORG_PHONE: '+44 20 7946 0000',
}
const PROVIDER = { name: 'Picture Host Example', domain: 'example.net', email: 'abuse@example.net' }
const REPORTED_URL = 'https://images.example.net/gallery/4711'
const ADMIN = { email: 'first-admin@e2e-org.example.net', password: 'correct horse battery staple admin' }
const CASEWORKER = { email: 'caseworker@e2e-org.example.net', password: 'a long caseworker passphrase' }
const SIGNATURE = 'Alex Example'
const EXPLANATION = 'The survivor reported this page on 1 December. The image was posted by a former partner.'

// What every authenticator app does with a key it is given by hand (RFC 6238 defaults).
const TOTP = { period: 30, digits: 6, algorithm: 'SHA-1' } as const

const test = base.extend<object, { own: OwnServer }>({
  own: [
    async ({}, use) => {
      const own = await startOwnServer(ORG)
      await use(own)
      await own.stop()
    },
    { scope: 'worker' },
  ],
  server: async ({ own }, use) => use({ baseURL: own.baseURL, setupUrl: own.setupUrl, pid: own.pid, dataDir: own.dataDir }),
})

// A step that cannot happen fails in seconds, not at the end of the test's long budget.
test.use({ actionTimeout: 20_000, navigationTimeout: 30_000 })

const currentStep = () => Math.floor(Date.now() / 1000 / TOTP.period)

/**
 * The code an authenticator shows for `manualKey` now, in a time step later
 * than `after`. A code works once, so a second sign-in waits for the app's
 * next code, as a person would.
 */
async function totpCode(manualKey: string, after = -1): Promise<{ code: string; step: number }> {
  while (currentStep() <= after) {
    const nextStepAt = (currentStep() + 1) * TOTP.period * 1000
    await new Promise((r) => setTimeout(r, Math.max(50, nextStepAt - Date.now() + 50)))
  }
  const step = currentStep()
  const { otp } = await generateTOTP({ secret: manualKey.replace(/\s+/g, ''), ...TOTP })
  // The clock may have moved into the next step while the code was made: make it again.
  return currentStep() === step ? { code: otp, step } : totpCode(manualKey, after)
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

/** Serious and critical axe findings on `url`, seen by the person signed in to `from`. */
async function axeOn(browser: Browser, from: BrowserContext, baseURL: string, url: string) {
  // axe is injected as a script, which the CSP refuses; a context of its own bypasses it for this check only.
  const context = await browser.newContext({ baseURL, bypassCSP: true, storageState: await from.storageState() })
  try {
    const page = await context.newPage()
    await page.goto(url)
    return await seriousViolations(page)
  } finally {
    await context.close()
  }
}

/** Save the page at both widths, and check that on a phone it does not scroll sideways. */
async function look(page: Page, name: string) {
  await screenshots(page, name)
  const original = page.viewportSize()
  await page.setViewportSize(VIEWPORTS.phone)
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  if (original) await page.setViewportSize(original)
  expect(overflow, `${name} scrolls sideways on a phone by ${overflow}px`).toBeLessThanOrEqual(0)
}

async function readMail(dataDir: string): Promise<{ name: string; raw: string; mail: ParsedMail }[]> {
  const dir = path.join(dataDir, 'mail')
  if (!fs.existsSync(dir)) return []
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.'))
  return Promise.all(
    names.map(async (name) => {
      const raw = fs.readFileSync(path.join(dir, name), 'utf8')
      return { name, raw, mail: await simpleParser(raw) }
    }),
  )
}

const recipients = (mail: ParsedMail) => [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address))

/** The one written message to `to` that `match` accepts, once the mail worker has written it. */
async function waitForMail(dataDir: string, to: string, match: (m: ParsedMail) => boolean = () => true) {
  let found: Awaited<ReturnType<typeof readMail>> = []
  await expect
    .poll(
      async () => {
        found = (await readMail(dataDir)).filter((m) => recipients(m.mail).includes(to) && match(m.mail))
        return found.length
      },
      { message: `an email to ${to} is written`, timeout: 30_000 },
    )
    .toBe(1)
  return found[0]!
}

/** Password, then the code step: enrolment on a first sign-in, a code from the app after that. */
async function signInWithPassword(page: Page, who: { email: string; password: string }) {
  await page.goto('/staff/sign-in')
  await page.getByLabel('Email address').fill(who.email)
  await page.getByLabel('Password', { exact: true }).fill(who.password)
  await page.getByRole('button', { name: 'Continue' }).click()
}

/** On the enrolment page: read the key an app would be given, and confirm with its code. */
async function enrol(page: Page, shotName?: string): Promise<{ manualKey: string; code: string; step: number }> {
  await expect(page.locator('h1')).toHaveText('Set up your authenticator app')
  await expect(page.getByRole('img', { name: /QR code to add Takeback/ }).locator('svg')).toBeVisible()
  await page.getByText('Cannot scan the code?').click()
  const manualKey = (await page.locator('details code').textContent())!.trim()
  expect(manualKey.replace(/\s+/g, '')).toMatch(/^[A-Z2-7]{32}$/)
  if (shotName) await look(page, shotName)
  const { code, step } = await totpCode(manualKey)
  await page.getByRole('textbox', { name: 'Code' }).fill(code)
  await page.getByRole('button', { name: 'Confirm and sign in' }).click()
  await expect(page.locator('h1')).toHaveText('Staff home')
  return { manualKey, code, step }
}

test('an admin invites a caseworker, who enrols, opens a case, sends a notice and follows it', async ({ page: admin, browser, own, requests }) => {
  test.setTimeout(300_000)
  const origin = new URL(own.baseURL).origin

  // The provider the reported address belongs to, entered as an operator would.
  const added = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'app/cli/takeback.ts', 'provider', 'add', '--name', PROVIDER.name, '--domain', PROVIDER.domain, '--email', PROVIDER.email, '--regime', 'takeitdown'],
    { env: own.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
  expect(JSON.parse(added.trim().split('\n').pop()!)).toHaveProperty('id')

  // --- The first administrator, from the printed set-up link.
  await admin.goto(own.setupUrl)
  await admin.getByLabel('Email address').fill(ADMIN.email)
  await admin.getByLabel('Password', { exact: true }).fill(ADMIN.password)
  await admin.getByLabel('Password again').fill(ADMIN.password)
  await admin.getByRole('button', { name: 'Create account' }).click()
  await expect(admin.locator('h1')).toHaveText('Your administrator account is ready')
  await signInWithPassword(admin, ADMIN)
  await enrol(admin)

  // --- The administrator invites a caseworker.
  await admin.getByRole('link', { name: 'Manage staff accounts' }).click()
  await expect(admin.locator('h1')).toHaveText('Staff accounts')
  await admin.getByLabel('Email address').fill(CASEWORKER.email)
  await expect(admin.getByLabel('Caseworker')).toBeChecked()
  await admin.getByRole('button', { name: 'Send invitation' }).click()
  await expect(admin.getByRole('status')).toHaveText('Invitation sent.')
  await expect(admin.getByRole('region', { name: 'Invitations not yet used' })).toContainText(CASEWORKER.email)
  await look(admin, 'staff-admin-invited')

  const invite = await waitForMail(own.dataDir, CASEWORKER.email)
  expect(invite.mail.subject).toBe('Your invitation to Takeback')
  const inviteLink = invite.mail.text?.match(/(http\S+\/staff\/invite\/accept\?token=[A-Za-z0-9_-]+)/)?.[1]
  expect(inviteLink, 'the invitation carries its link').toBeTruthy()
  expect(inviteLink!.startsWith(`${own.baseURL}/`)).toBe(true)

  // --- The caseworker, in a browser of their own.
  const workerContext = await browser.newContext({ baseURL: own.baseURL })
  const workerForeign = watchForeignRequests(workerContext, origin)
  const worker = await workerContext.newPage()
  await worker.goto(inviteLink!)
  await expect(worker.locator('h1')).toHaveText('Create your staff account')
  await expect(worker.locator('main')).toContainText(`as Caseworker, with the address ${CASEWORKER.email}`)
  await worker.getByLabel('Choose a password').fill(CASEWORKER.password)
  await worker.getByLabel('Password again').fill(CASEWORKER.password)
  await worker.getByRole('button', { name: 'Create account' }).click()
  await expect(worker.getByRole('status')).toHaveText('Your account is ready. Sign in to set up your authenticator app.')

  await signInWithPassword(worker, CASEWORKER)
  const enrolled = await enrol(worker, 'staff-enrol')
  await expect(worker.locator('main')).toContainText(`Signed in as ${CASEWORKER.email}`)
  await expect(worker.locator('main')).toContainText('Role: Caseworker')

  // Signing in again: the code used to enrol is spent; the app's next code works.
  await worker.getByRole('button', { name: 'Sign out' }).click()
  await expect(worker.getByRole('status')).toHaveText('You have signed out.')
  await signInWithPassword(worker, CASEWORKER)
  await expect(worker.locator('h1')).toHaveText('Enter the code from your authenticator app')
  // Refused whether its step is still in the window (spent) or has left it (too old): it never works twice.
  await worker.getByRole('textbox', { name: 'Code' }).fill(enrolled.code)
  await worker.getByRole('button', { name: 'Sign in' }).click()
  await expect(worker.getByText('That code did not work. Each code works once: wait for the next one and try again.')).toBeVisible()
  const next = await totpCode(enrolled.manualKey, enrolled.step)
  await worker.getByRole('textbox', { name: 'Code' }).fill(next.code)
  await worker.getByRole('button', { name: 'Sign in' }).click()
  await expect(worker.locator('h1')).toHaveText('Staff home')
  // A caseworker does not manage staff.
  await expect(worker.getByRole('link', { name: 'Manage staff accounts' })).toHaveCount(0)
  expect((await worker.goto('/staff/admin/staff'))?.status()).toBe(403)

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
  await survivorContext.close()

  // --- The caseworker finds the case in the queue.
  await worker.goto('/staff')
  // From the staff bar, on every staff page.
  const staffBar = worker.getByRole('navigation', { name: 'Staff' })
  await staffBar.getByRole('link', { name: 'Cases', exact: true }).click()
  await expect(worker.locator('h1')).toHaveText('Cases')
  const row = worker.locator('.queue-table tbody tr').filter({ hasText: caseNumber })
  await expect(row).toHaveCount(1)
  await expect(row).toContainText('(new)')
  await expect(row).toContainText('Survivor, adult')
  await look(worker, 'staff-queue')
  expect(await axeOn(browser, workerContext, own.baseURL, '/staff/cases')).toEqual([])

  await row.getByRole('link', { name: caseNumber }).click()
  await expect(worker.locator('h1')).toHaveText(`Case ${caseNumber}`)
  const urls = worker.getByRole('region', { name: 'Web addresses' })
  await expect(urls).toContainText(REPORTED_URL)
  await expect(urls).toContainText(`${PROVIDER.name} · Reported`)
  // Sending is allowed: the organisation details are real ones, not the examples.
  await expect(worker.getByText('Sending is switched off')).toHaveCount(0)
  await look(worker, 'staff-case')
  // Each hash's switch says which hash it switches off.
  await expect(worker.getByRole('button', { name: "Switch off file 1's PDQ hash" })).toHaveCount(1)
  await expect(worker.getByRole('button', { name: "Switch off file 1's MD5 hash" })).toHaveCount(1)

  // A note keeps its line breaks: a class from the stylesheet, which the Content-Security-Policy allows.
  await worker.getByLabel(/Add a note for caseworkers/).fill('Called the survivor.\nCall back on Monday.')
  await worker.getByRole('button', { name: 'Add note' }).click()
  await expect(worker.getByRole('status')).toHaveText('Note added.')
  const note = worker.getByRole('region', { name: 'Notes' }).locator('.note-body')
  await expect(note).toHaveText('Called the survivor.\nCall back on Monday.')
  expect(await note.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap')

  // --- Draft, preview, explain, send.
  await worker.getByLabel(REPORTED_URL).check()
  await worker.getByRole('button', { name: 'Draft notices' }).click()
  await expect(worker.getByRole('status')).toHaveText('Notices drafted. Review each one below before sending.')
  const notice = worker.locator('[data-notice-id]')
  await expect(notice).toHaveCount(1)
  const noticeId = (await notice.getAttribute('data-notice-id'))!
  await expect(notice).toContainText('TAKE IT DOWN Act · Draft')
  await expect(notice).toContainText(PROVIDER.email)
  expect(await axeOn(browser, workerContext, own.baseURL, worker.url())).toEqual([])

  await notice.getByRole('button', { name: 'Preview' }).click()
  const preview = worker.getByTestId('notice-preview')
  await expect(preview).toContainText(`To: ${PROVIDER.email}`)
  await expect(preview).toContainText(`Subject: Removal request under the TAKE IT DOWN Act – reference ${noticeId}`)
  // The elements 47 U.S.C. 223a requires, and the platform's duty.
  for (const element of [
    'Identification and location of the intimate visual depiction',
    `1. ${REPORTED_URL}`,
    'Statement of good faith',
    'not later than 48 hours',
    'known identical copies',
    'Contact information',
    `Email: ${ORG.ORG_EMAIL}`,
    `Electronic signature: /s/ ${SIGNATURE}`,
  ]) {
    await expect(preview).toContainText(element)
  }
  await expect(preview).not.toContainText(caseNumber)
  await preview.scrollIntoViewIfNeeded()
  await look(worker, 'staff-notice-preview')

  await notice.getByLabel('Explanation for the website (optional, plain text)').fill(EXPLANATION)
  await notice.getByRole('button', { name: 'Save explanation' }).click()
  await expect(worker.getByRole('status')).toHaveText('Explanation saved.')
  await notice.getByRole('button', { name: 'Preview' }).click()
  await expect(worker.getByTestId('notice-preview')).toContainText(`> ${EXPLANATION}`)

  await notice.getByRole('button', { name: 'Send', exact: true }).click()
  await expect(worker.getByRole('status')).toHaveText('Notice sent. Its emails are queued.')
  await expect(notice).toContainText('TAKE IT DOWN Act · Sent')
  await expect(notice.getByRole('button', { name: 'Send', exact: true })).toHaveCount(0)
  const timeline = worker.getByRole('region', { name: 'Timeline' })
  await expect(timeline.getByRole('listitem').filter({ hasText: 'Notice drafted by a caseworker' })).toHaveCount(1)
  await expect(timeline.getByRole('listitem').filter({ hasText: 'Notice sent by a caseworker' })).toContainText(PROVIDER.name)
  await look(worker, 'staff-case-sent')
  expect(await axeOn(browser, workerContext, own.baseURL, worker.url())).toEqual([])

  // --- The notice leaves through the outbox: one message to the provider, with every element.
  const sent = await waitForMail(own.dataDir, PROVIDER.email)
  expect(sent.mail.messageId).toMatch(new RegExp(`^<notice-${noticeId}@`))
  expect(sent.mail.subject).toBe(`Removal request under the TAKE IT DOWN Act – reference ${noticeId}`)
  for (const element of [
    REPORTED_URL,
    'Statement of good faith',
    'not later than 48 hours',
    'known identical copies',
    `Email: ${ORG.ORG_EMAIL}`,
    `/s/ ${SIGNATURE}`,
    EXPLANATION,
  ]) {
    expect(sent.mail.text).toContain(element)
  }
  expect(sent.mail.html).toContain(`<a href="${REPORTED_URL}">`)
  // The provider learns neither the survivor's case number nor how to reach them.
  expect(sent.raw).not.toContain(caseNumber)
  expect(sent.raw).not.toContain(caseNumber.replace('-', ''))

  // The administrator sees both written messages on the Mail page.
  await admin.goto('/staff/admin/mail')
  await expect(admin.locator('h1')).toHaveText('Written mail')
  const files = admin.getByTestId('mail-files')
  await expect(files).toContainText(sent.name)
  await expect(files).toContainText(invite.name)
  await look(admin, 'staff-admin-mail')

  // --- The dashboard counts the notice and charts the provider.
  await worker.goto('/staff')
  await staffBar.getByRole('link', { name: 'Dashboard', exact: true }).click()
  await expect(worker.locator('h1')).toHaveText('Dashboard')
  await expect(worker.locator('[data-testid="notice-counts"] [data-count="sent"]')).toHaveText('1')
  const score = worker.getByTestId('scorecard').getByRole('row', { name: new RegExp(PROVIDER.name) })
  await expect(score.getByRole('cell').first()).toHaveText('1')
  const chart = worker.getByRole('img', { name: 'Share of notices removed within 48 hours, by provider' })
  await expect(chart).toBeVisible()
  expect(await chart.evaluate((el) => el.tagName.toLowerCase())).toBe('svg')
  await expect(chart.locator('text').filter({ hasText: PROVIDER.name })).toHaveCount(1)
  await look(worker, 'staff-dashboard')
  expect(await axeOn(browser, workerContext, own.baseURL, '/staff/dashboard')).toEqual([])

  await workerContext.close()
  expect(workerForeign, 'requests to another host (caseworker)').toEqual([])
  expect(survivorForeign, 'requests to another host (survivor)').toEqual([])
  expect(requests.length).toBeGreaterThan(0)
})
