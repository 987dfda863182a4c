/**
 * The survivor's routes as a browser meets them: real loaders and actions,
 * real requests, a real database (SQLite and PostgreSQL).
 */
import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { getDb } from '../../app/lib/db.server'
import { action as requestAction } from '../../app/routes/request'
import { action as statusAction, loader as statusLoader } from '../../app/routes/status'
import { callRoute } from '../helpers/remix'

const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex')
const image = () => ({ media: 'image', pdq: hex(32), quality: 100, md5: hex(16), sha256: hex(32) })
const submission = (files: unknown[], extra: Record<string, unknown> = {}) => ({
  idempotencyKey: crypto.randomBytes(18).toString('base64url'),
  requester: 'self_adult',
  language: 'en',
  files,
  urls: '',
  shareHashes: true,
  noticesConsent: false,
  contactEmail: '',
  signature: '',
  ...extra,
})

/** The raw body of an action's answer, as the browser would receive it. */
async function rawAnswer(body: unknown) {
  const res = await callRoute(requestAction, '/request', { json: body })
  return { status: res.status, data: res.data as Record<string, unknown>, text: JSON.stringify(res.data) }
}

describe('POST /request', () => {
  it('answers a hash already reported in another case exactly as a new one, but for the codes', async () => {
    const known = image()
    await rawAnswer(submission([known]))
    const again = await rawAnswer(submission([known]))
    const fresh = await rawAnswer(submission([image()]))
    const blank = (r: { text: string; data: Record<string, unknown> }) =>
      r.text.replace(String(r.data.caseNumber), 'NUMBER').replace(String(r.data.secret), 'SECRET')
    expect(again.status).toBe(200)
    expect(fresh.status).toBe(200)
    expect(blank(again)).toBe(blank(fresh))
    expect(blank(again)).toBe('{"ok":true,"caseNumber":"NUMBER","secret":"SECRET","hasContact":false}')
  })

  it('a retried submit with the same key gives the same codes and one case', async () => {
    const body = submission([image()])
    const [a, b] = await Promise.all([rawAnswer(body), rawAnswer(body)])
    expect(a.data).toEqual(b.data)
    const cases = await getDb().selectFrom('survivor_case').select('id').where('case_number', '=', String(a.data.caseNumber).replace('-', '')).execute()
    expect(cases).toHaveLength(1)
  })

  it('refuses malformed and degenerate hashes with field messages, and stores nothing', async () => {
    const before = await getDb().selectFrom('survivor_case').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const cases: [unknown, string][] = [
      [{ ...image(), pdq: '0'.repeat(64) }, 'This picture is all one colour, so it cannot be used to find copies. Choose another picture.'],
      [{ ...image(), md5: 'd41d8cd98f00b204e9800998ecf8427e' }, 'This file is empty. Choose another file.'],
      [{ ...image(), sha256: hex(31) + 'zz' }, "This file's SHA-256 code is broken. It should be 64 characters, each 0-9 or a-f. Try adding the file again."],
      [{ ...image(), pdq: '0x' + hex(31) }, "This file's PDQ code is broken. It should be 64 characters, each 0-9 or a-f. Try adding the file again."],
    ]
    for (const [file, message] of cases) {
      const res = await rawAnswer(submission([file]))
      expect(res.status).toBe(400)
      expect(res.data).toEqual({ ok: false, errors: { files: [message] } })
    }
    const noConsent = await rawAnswer(submission([image()], { shareHashes: false, requester: 'nobody' }))
    expect(noConsent.data.errors).toMatchObject({ requester: ['Choose who this request is for.'] })
    const garbage = await callRoute(requestAction, '/request', { method: 'POST', body: 'not json', headers: { 'Content-Type': 'application/json' } })
    expect(garbage.status).toBe(400)
    const after = await getDb().selectFrom('survivor_case').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })
})

describe('POST /status sign-in', () => {
  it('throttles 100 wrong secrets from one source while the right secret works from another', async () => {
    const created = await rawAnswer(submission([image()]))
    const { caseNumber, secret } = created.data as { caseNumber: string; secret: string }
    const wrong = { intent: 'sign-in', caseNumber, secret: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' }
    const statuses: number[] = []
    for (let i = 0; i < 100; i++) statuses.push((await callRoute(statusAction, '/status', { form: wrong, clientAddress: '203.0.113.7' })).status)
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true)
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true)

    const right = await callRoute(statusAction, '/status', { form: { intent: 'sign-in', caseNumber, secret }, clientAddress: '198.51.100.9' })
    expect(right.status).toBe(303)
    const cookie = right.headers.get('Set-Cookie')!
    expect(cookie).toMatch(/^tb_case=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict$/)

    // The session opens the case page; without it, the page is the sign-in form and sets no cookie.
    const page = await callRoute(statusLoader, '/status', { headers: { Cookie: cookie.split(';')[0]! } })
    expect(page.data.status.caseNumber).toBe(caseNumber)
    const anonymous = await callRoute(statusLoader, '/status')
    expect(anonymous.data.status).toBeNull()
    expect(anonymous.headers.get('Set-Cookie')).toBeNull()
  })

  it('gives the same answer for an unknown case and a wrong secret', async () => {
    const created = await rawAnswer(submission([image()]))
    const { caseNumber } = created.data as { caseNumber: string }
    const unknown = await callRoute(statusAction, '/status', { form: { intent: 'sign-in', caseNumber: 'ZZZZ-ZZZZ', secret: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' }, clientAddress: '192.0.2.1' })
    const wrong = await callRoute(statusAction, '/status', { form: { intent: 'sign-in', caseNumber, secret: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' }, clientAddress: '192.0.2.2' })
    expect(unknown.status).toBe(wrong.status)
    expect(JSON.stringify(unknown.data)).toBe(JSON.stringify(wrong.data))
    expect([...unknown.headers.entries()]).toEqual([...wrong.headers.entries()])
  })

  it('refuses changes without a live session', async () => {
    const res = await callRoute(statusAction, '/status', { form: { intent: 'delete', confirm: 'on' } })
    expect(res.status).toBe(401)
    expect(res.data.errors.form).toEqual(['Your session has ended. Enter your case number and secret again.'])
  })
})
