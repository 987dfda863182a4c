import { describe, expect, it } from 'vitest'
import { getDb } from '../../app/lib/db.server'
import { verifyPassword } from '../../app/lib/passwords.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { openSetupLink } from '../../app/models/staff.server'
import { loader as healthz } from '../../app/routes/healthz'
import { action as setupAction, loader as setupLoader } from '../../app/routes/setup'
import { callRoute } from '../helpers/remix'

const goodForm = (token: string) => ({
  token,
  email: '  First.Admin@Example.org ',
  password: 'correct horse battery staple',
  confirm: 'correct horse battery staple',
})

describe('/healthz', () => {
  it('answers 200 when the database is reachable', async () => {
    const res = await callRoute(healthz, '/healthz')
    expect(res.status).toBe(200)
    expect(res.data).toBe('ok\n')
  })
})

describe('first administrator set-up link', () => {
  // Runs first: the file shares one database, and the next test creates the admin.
  it('refuses an expired link', async () => {
    const db = getDb()
    const dayAgo = Date.now() - 24 * 60 * 60 * 1000 - 1
    const token = await openSetupLink(db, dayAgo)
    expect((await callRoute(setupLoader, `/setup?token=${token}`)).status).toBe(410)
    const res = await callRoute(setupAction, '/setup', { form: goodForm(token!) })
    expect(res.status).toBe(410)
    expect(await db.selectFrom('staff_user').select('id').execute()).toEqual([])
  })
  it('creates exactly one admin, once, and changes nothing on bad input', async () => {
    const db = getDb()
    const stale = await openSetupLink(db)
    const token = await openSetupLink(db)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)

    // A newer link replaces the older unused one.
    expect((await callRoute(setupLoader, `/setup?token=${stale}`)).status).toBe(410)
    expect(await callRoute(setupLoader, `/setup?token=${token}`)).toMatchObject({ status: 200, data: { token } })
    expect((await callRoute(setupLoader, '/setup')).status).toBe(404)

    // Bad input: field messages, nothing stored.
    const bad = await callRoute(setupAction, '/setup', {
      form: { token: token!, email: 'not-an-email', password: 'short', confirm: 'other' },
    })
    expect(bad.status).toBe(400)
    expect(bad.data.result.error).toEqual({
      email: ['Enter an email address like name@example.org.'],
      password: ['Use at least 12 characters.'],
      confirm: ['The two passwords are not the same.'],
    })
    expect(await db.selectFrom('staff_user').selectAll().execute()).toEqual([])

    const tooLong = await callRoute(setupAction, '/setup', {
      form: { ...goodForm(token!), password: 'x'.repeat(129), confirm: 'x'.repeat(129) },
    })
    expect(tooLong.data.result.error).toEqual({ password: ['Use at most 128 characters.'] })

    const ok = await callRoute(setupAction, '/setup', { form: goodForm(token!) })
    expect(ok.status).toBe(302)
    expect(ok.headers.get('Location')).toBe('/setup/done')
    const staff = await db.selectFrom('staff_user').selectAll().execute()
    expect(staff).toHaveLength(1)
    expect(staff[0]).toMatchObject({ email: 'first.admin@example.org', role: 'admin', totp_secret: null })
    expect(staff[0]!.password_hash).toMatch(/^\$argon2id\$/)
    expect(await verifyPassword(staff[0]!.password_hash, 'correct horse battery staple')).toBe(true)

    // The link is spent, and no new one is made once an account exists.
    const again = await callRoute(setupAction, '/setup', { form: { ...goodForm(token!), email: 'second@example.org' } })
    expect(again.status).toBe(410)
    expect(String(again.data)).toContain('has been used or has expired')
    expect(await db.selectFrom('staff_user').select('id').execute()).toHaveLength(1)
    expect(await openSetupLink(db)).toBeNull()

    const chain = await verifyAuditChain(db)
    expect(chain).toEqual({ ok: true, entries: 1 })
  })

})
