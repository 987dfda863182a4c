/**
 * Every kind of answer the real server gives (app/server.ts: Express, then
 * Remix), checked for the security headers and for no-store on anything
 * personal; and everything the server wrote to its log while a whole flow
 * ran, checked for secrets and personal data.
 *
 * The flow: a survivor opens a case with a contact email and a web address,
 * signs in and recovers the secret by email; the first administrator sets up,
 * enrols a second factor and signs in; a caseworker's notice goes out by SMTP
 * with its answer link; the provider answers page opens; the provider calls
 * the API with its key (feed, export, match, notices, feedback).
 */
import crypto from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import { generateTOTP } from '@epic-web/totp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { getDb } from '../../app/lib/db.server'
import en from '../../app/locales/en'
import es from '../../app/locales/es'
import { newId } from '../../app/lib/ids.server'
import { createApiKey, createProvider } from '../../app/models/provider.server'
import { start as startSmtp, type TestSmtpServer } from '../helpers/smtp'
import { closeAgents, rawRequest, startTakebackServer, type RawResponse, type TakebackServer } from '../helpers/takeback-server'

const ORG = {
  ORG_NAME: 'Headers And Logs Test Organisation',
  ORG_EMAIL: 'casework@hl-org.example.net',
  ORG_ADDRESS: '3 Test Lane\\nTestville TE1 3ST',
  ORG_PHONE: '+44 20 7946 0001',
}
const SURVIVOR_EMAIL = 'survivor.contact@mailbox-hl.example.org'
const ADMIN = { email: 'first.admin@hl-org.example.net', password: 'correct horse battery staple admin' }
const PROVIDER_EMAIL = 'abuse@pictures-hl-test.net'
const PROVIDER_DOMAIN = 'pictures-hl-test.net'
const REPORTED_URL = `https://img.${PROVIDER_DOMAIN}/gallery/4711`
const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')

let server: TakebackServer
let httpsServer: TakebackServer
let smtp: TestSmtpServer

/** Every answer seen, by a label saying what it was. */
const seen: { label: string; url: string; res: RawResponse; personal: boolean }[] = []
/** Values that must never appear in a log line. */
const secrets = new Map<string, string>()
/** Case numbers, which must never share a line with a hash value. */
const caseNumbers: string[] = []
const hashValues: string[] = []

async function hit(
  label: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; personal?: boolean } = {},
): Promise<RawResponse> {
  const url = `${server.baseURL}${path}`
  const res = await rawRequest(url, init)
  seen.push({ label, url, res, personal: init.personal ?? true })
  return res
}

/** A header's comma-separated values, trimmed. */
const tokens = (v: string | string[] | undefined) => [v ?? []].flat().flatMap((x) => x.split(',')).map((t) => t.trim()).filter(Boolean)

const cookieOf = (res: RawResponse, name: string) =>
  (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1)

beforeAll(async () => {
  smtp = await startSmtp()
  server = await startTakebackServer({ ...ORG, SMTP_URL: smtp.url, LOG_LEVEL: 'debug' })
  // HSTS and upgrade-insecure-requests are sent only where the public address is https.
  // It shares the database, so its mail worker is off: every email goes through the SMTP server above.
  httpsServer = await startTakebackServer({ ...ORG, PUBLIC_URL: 'https://takeback.example.org', LOG_LEVEL: 'warn', OUTBOX_WORKER: 'off' })
}, 240_000)
afterAll(async () => {
  closeAgents()
  await server?.stop()
  await httpsServer?.stop()
  await smtp?.stop()
})

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the server said:\n${server.output().slice(-3000)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const mailTo = (address: string, match: RegExp) =>
  waitFor(`mail to ${address}`, () => smtp.messages.find((m) => m.to.includes(address) && match.test(m.parsed.text ?? '')))

describe('a whole flow through the real server', () => {
  it('runs: survivor, recovery, staff, notice, provider API', async () => {
    const db = getDb()
    const staffActor = { actorType: 'staff' as const, actorId: newId() }
    const { id: providerId } = await createProvider(
      db,
      { name: 'Pictures HL', domains: [PROVIDER_DOMAIN], noticeEmails: [PROVIDER_EMAIL], hashList: true, regime: 'takeitdown' },
      staffActor,
    )
    const apiKey = (await createApiKey(db, providerId, staffActor)).key
    secrets.set('API key', apiKey)

    // --- Public pages.
    for (const path of ['/', '/request', '/status', '/recover', '/safety', '/hash', '/healthz', '/?lng=es']) {
      expect((await hit(`page ${path}`, path)).status, path).toBe(200)
    }

    // --- A survivor's request, with contact email, a web address and a signature for notices.
    const pdq = hex(32)
    const files = [{ media: 'image', pdq, quality: 100, md5: hex(16), sha256: hex(32) }]
    hashValues.push(pdq, files[0]!.md5, files[0]!.sha256)
    const created = await hit('survivor request (single fetch)', '/request.data', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: server.origin },
      body: JSON.stringify({
        idempotencyKey: crypto.randomBytes(18).toString('base64url'),
        requester: 'self_adult',
        language: 'en',
        files,
        urls: REPORTED_URL,
        shareHashes: true,
        noticesConsent: true,
        contactEmail: SURVIVOR_EMAIL,
        signature: 'Sam Survivor',
      }),
    })
    expect(created.status, created.body).toBe(200)
    const codes = /"([0-9A-Z]{4}-[0-9A-Z]{4})"[^]*?"([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})"/.exec(created.body)!
    const [, caseNumber, secret] = codes as unknown as [string, string, string]
    caseNumbers.push(caseNumber, caseNumber.replace('-', ''))
    secrets.set('case secret', secret).set('case secret (canonical)', secret.replace(/-/g, ''))

    // --- Sign in without and with JavaScript, see the case, sign out.
    const wrong = await hit('sign-in refused', '/status', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'sign-in', caseNumber, secret: 'AAAA-BBBB-CCCC-DDDD' }).toString(),
    })
    expect(wrong.status).toBe(400)
    const signedIn = await hit('sign-in', '/status', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'sign-in', caseNumber, secret }).toString(),
    })
    expect(signedIn.status).toBe(303)
    const caseCookie = cookieOf(signedIn, 'tb_case')!
    secrets.set('survivor session cookie', caseCookie.split('=')[1]!)
    expect((await hit('case page', '/status', { headers: { Cookie: caseCookie } })).status).toBe(200)
    expect((await hit('case data (single fetch)', '/status.data', { headers: { Cookie: caseCookie } })).status).toBe(200)

    // --- Recovery by email: ask, open the link, get a new secret.
    const asked = await hit('recovery request', '/recover', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'request', caseNumber, email: SURVIVOR_EMAIL }).toString(),
    })
    expect(asked.status).toBe(200)
    const recoveryMail = await mailTo(SURVIVOR_EMAIL, /\/recover\?token=/)
    const recoveryToken = /\/recover\?token=([A-Za-z0-9_-]+)/.exec(recoveryMail.parsed.text!)![1]!
    secrets.set('recovery token', recoveryToken)
    expect((await hit('recovery link', `/recover?token=${recoveryToken}`)).status).toBe(200)
    const redeemed = await hit('recovery redeem', '/recover', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'redeem', token: recoveryToken }).toString(),
    })
    expect(redeemed.status).toBe(200)
    const newSecret = /[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(redeemed.body.replace(caseNumber, ''))?.[0]
    expect(newSecret).toBeTruthy()
    secrets.set('new case secret', newSecret!).set('new case secret (canonical)', newSecret!.replace(/-/g, ''))

    // --- The first administrator: set-up link, password, authenticator, signed in.
    // Both servers share this file's database, and the one started last made the live link.
    const setupToken = new URL(httpsServer.setupUrl).searchParams.get('token')!
    expect((await hit('setup page', `/setup?token=${setupToken}`)).status).toBe(200)
    const setup = await hit('setup', `/setup?token=${setupToken}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.origin },
      body: new URLSearchParams({ token: setupToken, email: ADMIN.email, password: ADMIN.password, confirm: ADMIN.password }).toString(),
    })
    expect([302, 303], setup.body.slice(0, 500)).toContain(setup.status)
    secrets.set('staff password', ADMIN.password)
    const password = await hit('staff sign-in', '/staff/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.origin },
      body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password }).toString(),
    })
    expect([302, 303], password.body.slice(0, 500)).toContain(password.status)
    const pending = cookieOf(password, 'tb_staff')!
    secrets.set('pending staff session cookie', pending.split('=')[1]!)
    const enrolPage = await hit('enrol page', '/staff/enrol', { headers: { Cookie: pending } })
    expect(enrolPage.status).toBe(200)
    const manualKey = /<code[^>]*>([A-Z2-7 ]{32,})<\/code>/.exec(enrolPage.body)![1]!.replace(/\s+/g, '')
    secrets.set('TOTP key', manualKey)
    const { otp } = await generateTOTP({ secret: manualKey, period: 30, digits: 6, algorithm: 'SHA-1' })
    const enrolled = await hit('enrol', '/staff/enrol', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.origin, Cookie: pending },
      body: new URLSearchParams({ code: otp }).toString(),
    })
    expect([302, 303], enrolled.body.slice(0, 500)).toContain(enrolled.status)
    const staffCookie = cookieOf(enrolled, 'tb_staff')!
    secrets.set('staff session cookie', staffCookie.split('=')[1]!)
    const staff = { Cookie: staffCookie }

    // --- The case as staff, the contact revealed, a notice drafted, previewed and sent.
    const caseRow = await db.selectFrom('survivor_case').select('id').where('case_number', '=', caseNumber.replace('-', '')).executeTakeFirstOrThrow()
    for (const path of [
      '/staff',
      '/staff/cases',
      `/staff/cases/${caseRow.id}`,
      '/staff/dashboard',
      '/staff/dashboard/scorecard.csv',
      '/staff/review',
      '/staff/admin/audit',
      '/staff/admin/mail',
      '/staff/admin/providers',
      `/staff/admin/providers/${providerId}`,
      '/staff/admin/staff',
      '/staff/cases/new',
    ]) {
      expect((await hit(`staff ${path}`, path, { headers: staff })).status, path).toBe(200)
    }
    const staffPost = (label: string, form: Record<string, string>) =>
      hit(label, `/staff/cases/${caseRow.id}`, {
        method: 'POST',
        headers: { ...staff, 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.origin },
        body: new URLSearchParams(form).toString(),
      })
    const revealed = await staffPost('staff reveal contact', { intent: 'reveal' })
    expect(revealed.status).toBe(200)
    expect(revealed.body).toContain(SURVIVOR_EMAIL)
    const location = await db.selectFrom('case_location').select('id').where('case_id', '=', caseRow.id).executeTakeFirstOrThrow()
    expect((await staffPost('staff draft', { intent: 'draft', locationId: location.id })).status).toBe(200)
    const notice = await db.selectFrom('notice').select('id').where('case_id', '=', caseRow.id).executeTakeFirstOrThrow()
    expect((await staffPost('staff preview', { intent: 'preview', noticeId: notice.id })).status).toBe(200)
    const sent = await staffPost('staff send', { intent: 'send', noticeId: notice.id })
    expect(sent.status, sent.body.slice(0, 500)).toBe(200)
    expect((await hit('staff notice FTC page', `/staff/notices/${notice.id}/ftc`, { headers: staff })).status).toBeLessThan(500)

    // --- The notice arrives by SMTP with its answer link; the provider opens it.
    const noticeMail = await mailTo(PROVIDER_EMAIL, /\/notices\/respond\//)
    const noticeToken = /\/notices\/respond\/([A-Za-z0-9_.~-]+)/.exec(noticeMail.parsed.text!)![1]!
    secrets.set('notice link token', noticeToken)
    expect((await hit('provider answer page', `/notices/respond/${noticeToken}`)).status).toBe(200)
    expect((await hit('notice reference page', `/notices/${notice.id}`, { personal: false })).status).toBe(200)

    // --- The provider API with its key.
    const api = (label: string, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
      hit(label, path, { ...init, headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', ...init.headers } })
    expect((await api('API FetchHashes (StopNCII header)', '/api/v1/FetchHashes?startTimestamp=0&pageSize=10', { headers: { Authorization: '', 'x-functions-key': apiKey } })).status).toBe(200)
    expect((await api('API export', '/api/v1/hashes/export?format=ndjson')).status).toBe(200)
    expect((await api('API notices', '/api/v1/notices')).status).toBe(200)
    expect((await api('API notice', `/api/v1/notices/${notice.id}`)).status).toBe(200)
    const match = await api('API match', '/api/v1/match', { method: 'POST', body: JSON.stringify({ hashes: [{ type: 'pdq', value: pdq }] }) })
    expect([200, 503]).toContain(match.status)
    const feedback = await api('API SubmitFeedback', '/api/v1/SubmitFeedback', {
      method: 'POST',
      body: JSON.stringify({ count: 1, hashFeedbacks: [{ hashValue: pdq, feedbackValue: 'PendingReview', tags: [] }] }),
    })
    expect(feedback.status).toBeLessThan(500)

    // --- Refusals and errors.
    expect((await hit('404 page', '/no-such-page')).status).toBe(404)
    expect([302, 303]).toContain((await hit('staff page signed out', '/staff/cases')).status)
    expect((await hit('staff case not found', `/staff/cases/${newId()}`, { headers: staff })).status).toBe(404)
    expect((await hit('API without key', '/api/v1/notices')).status).toBe(401)
    expect((await api('API bad request', '/api/v1/match', { method: 'POST', body: '{"hashes": "nope"}' })).status).toBe(400)
    expect((await api('API not found', `/api/v1/notices/${newId()}`)).status).toBe(404)
    expect(
      (await hit('cross-site post', '/status', { method: 'POST', headers: { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'intent=sign-in' })).status,
    ).toBe(403)
    expect((await hit('body too large', '/request', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(1024 * 1024 + 1) })).status).toBe(413)
    expect((await hit('provider answer, bad link', '/notices/respond/not-a-real-token')).status).toBeGreaterThanOrEqual(400)
    expect((await hit('sign out', '/staff/sign-out', { method: 'POST', headers: { ...staff, Origin: server.origin } })).status).toBeLessThan(400)
  }, 180_000)
})

describe('security headers on every answer', () => {
  it('are present on every page, API answer, error and asset, with no-store on everything but fingerprinted assets', async () => {
    expect(seen.length).toBeGreaterThan(40)
    // One fingerprinted asset and one plain static file, to cover the static path too.
    const home = seen.find((s) => s.label === 'page /')!
    const asset = /(\/assets\/[^"']+\.js)/.exec(home.res.body)![1]!
    const assetRes = await rawRequest(`${server.baseURL}${asset}`)
    expect(assetRes.status).toBe(200)
    const iconRes = await rawRequest(`${server.baseURL}/favicon.svg`)
    expect(iconRes.status).toBe(200)
    const all = [...seen, { label: 'asset', url: asset, res: assetRes, personal: false }, { label: 'favicon', url: '/favicon.svg', res: iconRes, personal: false }]

    const problems: string[] = []
    for (const { label, res } of all) {
      const h = res.headers
      const csp = String(h['content-security-policy'] ?? '')
      const want: [string, boolean][] = [
        ["CSP default-src 'self'", csp.includes("default-src 'self'")],
        ["CSP frame-ancestors 'none'", csp.includes("frame-ancestors 'none'")],
        ["CSP object-src 'none'", csp.includes("object-src 'none'")],
        ["CSP base-uri 'none'", csp.includes("base-uri 'none'")],
        ['CSP script-src with a nonce and no unsafe-inline', /script-src 'self'[^;]*'nonce-[A-Za-z0-9+/=]{20,}'/.test(csp) && !csp.includes("'unsafe-inline'")],
        ['X-Content-Type-Options nosniff', h['x-content-type-options'] === 'nosniff'],
        // A route may repeat a header the server already set; Node joins the two with a comma.
        ['Referrer-Policy no-referrer', tokens(h['referrer-policy']).length > 0 && tokens(h['referrer-policy']).every((t) => t === 'no-referrer')],
        ['X-Frame-Options DENY', h['x-frame-options'] === 'DENY'],
        ['Permissions-Policy camera=()', String(h['permissions-policy'] ?? '').includes('camera=()')],
        ['Cross-Origin-Opener-Policy same-origin', h['cross-origin-opener-policy'] === 'same-origin'],
        ['Cross-Origin-Resource-Policy same-origin', h['cross-origin-resource-policy'] === 'same-origin'],
        ['no X-Powered-By', h['x-powered-by'] === undefined],
        ['no HSTS over plain http', h['strict-transport-security'] === undefined],
      ]
      if (label === 'asset') want.push(['asset cached for ever', tokens(h['cache-control']).includes('immutable')])
      else want.push(['Cache-Control no-store', tokens(h['cache-control']).includes('no-store') && !tokens(h['cache-control']).some((t) => t.startsWith('max-age'))])
      // An HTML page's inline scripts carry this response's nonce (scripts with src come from our origin, which the CSP allows).
      if (String(h['content-type'] ?? '').startsWith('text/html') && res.body.includes('<script')) {
        const nonce = /'nonce-([^']+)'/.exec(csp)?.[1]
        const inline = [...res.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]).filter((tag) => !/\ssrc=/.test(tag))
        want.push(['inline scripts exist and carry the nonce', inline.length > 0 && inline.every((tag) => nonce !== undefined && tag.includes(`nonce="${nonce}"`))])
      }
      for (const [name, ok] of want) if (!ok) problems.push(`${label} (${res.status}): ${name}`)
    }
    expect(problems).toEqual([])
    // Every nonce is fresh.
    const nonces = all.map((s) => /'nonce-([^']+)'/.exec(String(s.res.headers['content-security-policy']))?.[1])
    expect(new Set(nonces).size).toBe(nonces.length)
  })

  it('adds HSTS and upgrade-insecure-requests where the public address is https', async () => {
    for (const path of ['/', '/api/v1/notices', '/no-such-page']) {
      const res = await rawRequest(`${httpsServer.baseURL}${path}`)
      expect(res.headers['strict-transport-security'], path).toBe('max-age=31536000; includeSubDomains')
      expect(String(res.headers['content-security-policy']), path).toContain('upgrade-insecure-requests')
    }
  })
})

describe('keep-alive', () => {
  // A handler that answers before reading the body (here a 401 for an unknown
  // key) must still let the connection carry the client's next request.
  it('carries the next request on the same connection after an answer given before the body was read', async () => {
    const { hostname, port } = new URL(server.baseURL)
    const socket = net.connect(Number(port), hostname)
    await once(socket, 'connect')
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    const body = JSON.stringify({ hashes: [{ type: 'sha256', value: 'a'.repeat(64) }], pad: 'x'.repeat(600_000) })
    socket.write(`POST /api/v1/match HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer not-a-key\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
    // The answer comes before the body is sent.
    await vi.waitFor(() => expect(received).toMatch(/^HTTP\/1\.1 401 /), { timeout: 10_000 })
    socket.write(body)
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`)
    // Without draining, the server stops reading this socket and the second answer never comes.
    await vi.waitFor(() => expect(received.split('HTTP/1.1 ').length - 1).toBe(2), { timeout: 20_000, interval: 50 })
    expect(received).toMatch(/HTTP\/1\.1 200 [^]*$/)
    socket.destroy()
  }, 40_000)
})

describe('languages', () => {
  // Every request in a language shares one i18n instance (app/i18next.server.ts):
  // pages asked for at the same time must still each come in their own.
  it('answers pages asked for at once in English and Spanish each in its own language', async () => {
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'en' : 'es')).map(async (lng) => ({
        lng,
        res: await rawRequest(`${server.baseURL}/?lng=${lng}`, { headers: { 'accept-language': lng === 'en' ? 'es' : 'en' } }),
      })),
    )
    for (const { lng, res } of answers) {
      expect(res.status).toBe(200)
      expect(res.body).toContain(`<html lang="${lng}"`)
      expect(res.body).toContain((lng === 'en' ? en : es).home.title)
      expect(res.body).not.toContain((lng === 'en' ? es : en).home.title)
    }
  })
})

describe('the log', () => {
  it('holds no secret, email address, key, session, link token, or case number beside a hash', async () => {
    // Let the mail worker's last lines land.
    await new Promise((r) => setTimeout(r, 500))
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.trim())
      // The first administrator's link is printed to the console on purpose (app/server.ts) and is spent by now.
      .filter((l) => !l.includes('/setup?token='))
    expect(lines.filter((l) => l.startsWith('{')).length).toBeGreaterThan(50)
    expect(lines.some((l) => l.includes('"msg":"request"'))).toBe(true)

    const emails = [SURVIVOR_EMAIL, ADMIN.email, PROVIDER_EMAIL]
    const found: string[] = []
    for (const line of lines) {
      const lower = line.toLowerCase()
      for (const [name, value] of secrets) if (line.includes(value)) found.push(`${name}: ${line.slice(0, 200)}`)
      for (const email of emails) if (lower.includes(email.toLowerCase())) found.push(`email address: ${line.slice(0, 200)}`)
      // Any address at all, not only the ones used here.
      if (/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+/.test(line.replace(ORG.ORG_EMAIL, ''))) found.push(`an email address: ${line.slice(0, 200)}`)
      const hasCase = caseNumbers.some((c) => line.includes(c))
      if (hasCase && (hashValues.some((h) => lower.includes(h)) || /\b[0-9a-f]{32,}\b/i.test(line))) found.push(`case number beside a hash: ${line.slice(0, 200)}`)
    }
    expect(found).toEqual([])
  })
})
