/**
 * The provider directory pages through their real loaders and actions, on
 * SQLite and PostgreSQL: an administrator adds, edits and disables providers
 * and makes and revokes API keys; bad input is reported on its field and
 * changes nothing; caseworkers and other sites are refused.
 */
import crypto from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { Database, StaffRole } from '../../db/schema'
import { getDb } from '../../app/lib/db.server'
import { getEnv } from '../../app/lib/env.server'
import { newId } from '../../app/lib/ids.server'
import { createStaffSession } from '../../app/lib/staff-session.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { createApiKey, createProvider, findProvider, findProviderByApiKey, revokeApiKey } from '../../app/models/provider.server'
import { action as providerAction, loader as providerLoader } from '../../app/routes/staff.admin.providers.$providerId'
import { action as listAction, loader as listLoader } from '../../app/routes/staff.admin.providers._index'
import { callRoute } from '../helpers/remix'

const origin = () => new URL(getEnv().PUBLIC_URL).origin

/** A staff member with a full session, written straight to the tables. */
async function signedIn(role: StaffRole) {
  const id = newId()
  await getDb()
    .insertInto('staff_user')
    .values({
      id,
      email: `${role}-${id}@takeback.test`,
      role,
      password_hash: '$argon2id$v=19$m=19456,p=1,t=3$unused$unused',
      totp_secret: null,
      totp_last_step: null,
      disabled_at: null,
      last_sign_in_at: null,
      created_at: 1,
      updated_at: 1,
    })
    .execute()
  const { token } = await createStaffSession(getDb(), id, null)
  return { id, headers: { Origin: origin(), Cookie: `tb_staff=${token}` } }
}

const label = () => `p${crypto.randomBytes(4).toString('hex')}`
/** The form the pages post, for a provider no other test uses. */
function providerForm(over: Record<string, string> = {}) {
  const name = label()
  return { name: `Provider ${name}`, domains: `${name}.com\n${name}.net`, noticeEmails: `abuse@${name}.com`, regime: 'dmca', ...over }
}

async function count(table: keyof Database): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(getDb())
  return Number(result.rows[0]?.n)
}
async function counts() {
  const tables = ['provider', 'provider_domain', 'provider_api_key', 'audit_log'] as const
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t)] as const)))
}
const auditOf = (objectId: string) => getDb().selectFrom('audit_log').selectAll().where('object_id', '=', objectId).orderBy('seq').execute()
const providerUrl = (id: string) => `/staff/admin/providers/${id}`

async function addProvider(admin: { id: string }) {
  const name = label()
  const { id } = await createProvider(
    getDb(),
    { name: `Provider ${name}`, domains: [`${name}.com`], noticeEmails: [`abuse@${name}.com`], regime: 'takeitdown' },
    { actorType: 'staff', actorId: admin.id },
  )
  return { id, domain: `${name}.com` }
}

describe('an administrator', () => {
  it('adds a provider from the list page, and sees it listed with its details', async () => {
    const admin = await signedIn('admin')
    const form = providerForm({ name: '  Example Video  ', domains: 'Example-Video.COM\n\nexample-video.co.uk\n', hashList: 'on' })
    const res = await callRoute(listAction, '/staff/admin/providers?lng=es', { form, headers: admin.headers })
    expect(res.status).toBe(302)
    const location = res.headers.get('Location')!
    expect(location).toMatch(/^\/staff\/admin\/providers\/[0-9a-f-]{36}\?created=1&lng=es$/)
    const id = location.split('/').pop()!.split('?')[0]!

    const stored = await findProvider(getDb(), id)
    expect(stored).toMatchObject({
      name: 'Example Video',
      domains: ['example-video.co.uk', 'example-video.com'],
      noticeEmails: [form.noticeEmails],
      regime: 'dmca',
      hashList: true,
      isPlaceholder: false,
      disabledAt: null,
    })
    expect(await auditOf(id)).toMatchObject([{ actor_type: 'staff', actor_id: admin.id, action: 'provider.created' }])

    const list = await callRoute(listLoader, '/staff/admin/providers', { headers: admin.headers })
    expect(list.status).toBe(200)
    expect(list.data.providers).toContainEqual(expect.objectContaining({ id, name: 'Example Video', hashList: true, apiKeys: 0 }))

    const page = await callRoute(providerLoader, location, { headers: admin.headers }, { providerId: id })
    expect(page.status).toBe(200)
    expect(page.data).toMatchObject({ created: true, keys: [], provider: { id, regime: 'dmca' } })
  })

  it('sees a placeholder address flagged, and clears the flag by entering a real one', async () => {
    const admin = await signedIn('admin')
    const form = providerForm()
    const res = await callRoute(listAction, '/staff/admin/providers', { form: { ...form, noticeEmails: 'abuse@placeholder.invalid' }, headers: admin.headers })
    const id = res.headers.get('Location')!.split('/').pop()!.split('?')[0]!
    const list = await callRoute(listLoader, '/staff/admin/providers', { headers: admin.headers })
    expect(list.data.providers.find((p: { id: string }) => p.id === id)).toMatchObject({ isPlaceholder: true })

    const edited = await callRoute(providerAction, providerUrl(id), { form: { ...form, intent: 'update' }, headers: admin.headers }, { providerId: id })
    expect(edited.status).toBe(200)
    expect(edited.data.done).toBe('updated')
    expect((await findProvider(getDb(), id))!.isPlaceholder).toBe(false)
  })

  it('edits every detail of a provider, and the change is audited', async () => {
    const admin = await signedIn('admin')
    const { id, domain } = await addProvider(admin)
    const next = label()
    const form = {
      intent: 'update',
      name: 'Renamed provider',
      domains: `${domain}\n${next}.org`,
      noticeEmails: `Legal@${next}.org\nabuse@${domain}`,
      regime: 'dsa',
      hashList: 'on',
    }
    const res = await callRoute(providerAction, providerUrl(id), { form, headers: admin.headers }, { providerId: id })
    expect(res.status).toBe(200)
    expect(res.data).toMatchObject({ done: 'updated', error: null })
    expect(await findProvider(getDb(), id)).toMatchObject({
      name: 'Renamed provider',
      domains: [domain, `${next}.org`].sort(),
      noticeEmails: [`legal@${next}.org`, `abuse@${domain}`],
      regime: 'dsa',
      hashList: true,
    })
    const audit = await auditOf(id)
    expect(audit.map((a) => a.action)).toEqual(['provider.created', 'provider.updated'])
    expect(audit[1]).toMatchObject({ actor_type: 'staff', actor_id: admin.id })
    // The audit names fields and domains, never an address.
    expect(audit[1]!.detail).not.toContain('@')

    const page = await callRoute(providerLoader, providerUrl(id), { headers: admin.headers }, { providerId: id })
    expect(page.data.provider).toMatchObject({ name: 'Renamed provider', regime: 'dsa' })
  })

  it('gets a message on the field for a bad domain or email address, and nothing changes', async () => {
    const admin = await signedIn('admin')
    const { id } = await addProvider(admin)
    const before = await findProvider(getDb(), id)
    const start = await counts()
    const form = providerForm({ intent: 'update' })

    const url = await callRoute(providerAction, providerUrl(id), { form: { ...form, domains: 'https://www.example.com/page' }, headers: admin.headers }, { providerId: id })
    expect(url.status).toBe(400)
    expect(url.data.result.error).toEqual({ domains: [expect.stringContaining('Enter a domain name only, like example.com')] })

    const sub = await callRoute(providerAction, providerUrl(id), { form: { ...form, domains: 'video.example.co.uk' }, headers: admin.headers }, { providerId: id })
    expect(sub.status).toBe(400)
    expect(sub.data.result.error.domains).toEqual([expect.stringContaining('Enter the registrable domain example.co.uk instead')])

    const email = await callRoute(providerAction, providerUrl(id), { form: { ...form, noticeEmails: 'abuse@\nlegal@example.org' }, headers: admin.headers }, { providerId: id })
    expect(email.status).toBe(400)
    expect(email.data.result.error).toEqual({ noticeEmails: ['Enter an email address like name@example.org.'] })

    const none = await callRoute(providerAction, providerUrl(id), { form: { ...form, domains: '', name: '' }, headers: admin.headers }, { providerId: id })
    expect(none.status).toBe(400)
    expect(none.data.result.error).toEqual({ name: ["Enter the provider's name."], domains: ['Add at least one domain, like example.com.'] })

    // A domain another provider holds is found by the database, and reported on the same field.
    const other = await addProvider(admin)
    const taken = await callRoute(
      providerAction,
      providerUrl(id),
      { form: { ...form, domains: `${label()}.com\n${other.domain}` }, headers: admin.headers },
      { providerId: id },
    )
    expect(taken.status).toBe(400)
    expect(taken.data.result.error).toEqual({ domains: [expect.stringContaining(`The domain ${other.domain} already belongs to`)] })

    expect(await findProvider(getDb(), id)).toEqual(before)
    const after = await counts()
    // Only the second provider, with its one domain and audit entry, was added.
    expect(after).toEqual({ ...start, provider: start.provider! + 1, provider_domain: start.provider_domain! + 1, audit_log: start.audit_log! + 1 })

    // The list page refuses the same way, and adds nothing.
    const listed = await counts()
    const bad = await callRoute(listAction, '/staff/admin/providers', { form: providerForm({ noticeEmails: 'abuse@example.org\r\nBcc: x@evil.example' }), headers: admin.headers })
    expect(bad.status).toBe(400)
    expect(bad.data.result.error.noticeEmails).toEqual(['Enter an email address like name@example.org.'])
    expect(await counts()).toEqual(listed)
  })

  it('makes an API key that is shown once, then only by its prefix, and revokes it', async () => {
    const admin = await signedIn('admin')
    const { id } = await addProvider(admin)

    const made = await callRoute(providerAction, providerUrl(id), { form: { intent: 'create-key' }, headers: admin.headers }, { providerId: id })
    expect(made.status).toBe(200)
    expect(made.data.done).toBe('keyCreated')
    const { key, prefix } = made.data.newKey
    expect(key).toMatch(/^tbk_[A-Za-z0-9_-]{43}$/)
    expect(prefix).toBe(key.slice(4, 12))
    expect((await findProviderByApiKey(getDb(), key))?.id).toBe(id)

    // Stored hashed: no column holds the key.
    const row = await getDb().selectFrom('provider_api_key').selectAll().where('provider_id', '=', id).executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(key)
    expect((await auditOf(row.id)).map((a) => [a.action, a.actor_id])).toEqual([['provider.api_key_created', admin.id]])

    // Every later view shows the prefix, when it was made and last used, and never the key.
    const page = await callRoute(providerLoader, providerUrl(id), { headers: admin.headers }, { providerId: id })
    expect(JSON.stringify(page.data)).not.toContain(key)
    expect(page.data.keys).toEqual([{ id: row.id, prefix, createdAt: row.created_at, lastUsedAt: expect.any(Number), revokedAt: null }])
    const list = await callRoute(listLoader, '/staff/admin/providers', { headers: admin.headers })
    expect(JSON.stringify(list.data)).not.toContain(key)
    expect(list.data.providers.find((p: { id: string }) => p.id === id).apiKeys).toBe(1)

    const revoked = await callRoute(providerAction, providerUrl(id), { form: { intent: 'revoke-key', keyId: row.id }, headers: admin.headers }, { providerId: id })
    expect(revoked.status).toBe(200)
    expect(revoked.data.done).toBe('keyRevoked')
    expect(await findProviderByApiKey(getDb(), key)).toBeNull()
    expect((await auditOf(row.id)).map((a) => a.action)).toEqual(['provider.api_key_created', 'provider.api_key_revoked'])
    const later = await callRoute(providerLoader, providerUrl(id), { headers: admin.headers }, { providerId: id })
    expect(later.data.keys[0].revokedAt).toEqual(expect.any(Number))
  })

  it("cannot revoke another provider's key from this provider's page", async () => {
    const admin = await signedIn('admin')
    const mine = await addProvider(admin)
    const theirs = await addProvider(admin)
    const { id: keyId, key } = await createApiKey(getDb(), theirs.id, { actorType: 'staff', actorId: admin.id })
    const res = await callRoute(providerAction, providerUrl(mine.id), { form: { intent: 'revoke-key', keyId }, headers: admin.headers }, { providerId: mine.id })
    expect(res.status).toBe(400)
    expect((await findProviderByApiKey(getDb(), key))?.id).toBe(theirs.id)
  })

  it('disables a provider: its keys stop working, and it can have no new ones', async () => {
    const admin = await signedIn('admin')
    const { id } = await addProvider(admin)
    const { key } = await createApiKey(getDb(), id, { actorType: 'staff', actorId: admin.id })

    const res = await callRoute(providerAction, providerUrl(id), { form: { intent: 'disable' }, headers: admin.headers }, { providerId: id })
    expect(res.status).toBe(200)
    expect(res.data.done).toBe('disabled')
    expect((await findProvider(getDb(), id))!.disabledAt).toEqual(expect.any(Number))
    expect(await findProviderByApiKey(getDb(), key)).toBeNull()
    expect((await auditOf(id)).map((a) => [a.action, a.actor_id])).toContainEqual(['provider.disabled', admin.id])

    const list = await callRoute(listLoader, '/staff/admin/providers', { headers: admin.headers })
    expect(list.data.providers.find((p: { id: string }) => p.id === id).disabledAt).toEqual(expect.any(Number))

    const before = await counts()
    const key2 = await callRoute(providerAction, providerUrl(id), { form: { intent: 'create-key' }, headers: admin.headers }, { providerId: id })
    expect(key2.status).toBe(400)
    expect(key2.data.error).toBe('This provider is disabled, so it cannot have new API keys.')
    expect(key2.data.newKey).toBeUndefined()
    expect(await counts()).toEqual(before)
  })

  it('enables a disabled provider again: its unrevoked keys work again, a revoked one does not, and only the change is audited', async () => {
    const admin = await signedIn('admin')
    const caseworker = await signedIn('caseworker')
    const { id } = await addProvider(admin)
    const actor = { actorType: 'staff' as const, actorId: admin.id }
    const { key } = await createApiKey(getDb(), id, actor)
    const { id: revokedId, key: revoked } = await createApiKey(getDb(), id, actor)
    await revokeApiKey(getDb(), revokedId, actor)
    await callRoute(providerAction, providerUrl(id), { form: { intent: 'disable' }, headers: admin.headers }, { providerId: id })
    const page = await callRoute(providerLoader, providerUrl(id), { headers: admin.headers }, { providerId: id })
    expect(page.data.provider.disabledAt).toEqual(expect.any(Number))

    // Not by a caseworker, nor from another site.
    const before = await counts()
    const asCaseworker = await callRoute(providerAction, providerUrl(id), { form: { intent: 'enable' }, headers: caseworker.headers }, { providerId: id })
    expect(asCaseworker.status).toBe(403)
    const crossSite = { ...admin.headers, Origin: 'https://evil.example' }
    expect((await callRoute(providerAction, providerUrl(id), { form: { intent: 'enable' }, headers: crossSite }, { providerId: id })).status).toBe(403)
    expect(await counts()).toEqual(before)
    expect(await findProviderByApiKey(getDb(), key)).toBeNull()

    const res = await callRoute(providerAction, providerUrl(id), { form: { intent: 'enable' }, headers: admin.headers }, { providerId: id })
    expect(res.status).toBe(200)
    expect(res.data.done).toBe('enabled')
    expect((await findProvider(getDb(), id))!.disabledAt).toBeNull()
    expect((await findProviderByApiKey(getDb(), key))?.id).toBe(id)
    expect(await findProviderByApiKey(getDb(), revoked)).toBeNull()
    const again = await callRoute(providerAction, providerUrl(id), { form: { intent: 'enable' }, headers: admin.headers }, { providerId: id })
    expect(again.status).toBe(200)
    expect((await auditOf(id)).map((a) => [a.action, a.actor_id]).filter(([action]) => action === 'provider.enabled')).toEqual([['provider.enabled', admin.id]])

    const missing = newId()
    expect((await callRoute(providerAction, providerUrl(missing), { form: { intent: 'enable' }, headers: admin.headers }, { providerId: missing })).status).toBe(404)
  })

  it('gets 404 for a provider that does not exist, and an unknown intent changes nothing', async () => {
    const admin = await signedIn('admin')
    const missing = newId()
    expect((await callRoute(providerLoader, providerUrl(missing), { headers: admin.headers }, { providerId: missing })).status).toBe(404)
    const disable = await callRoute(providerAction, providerUrl(missing), { form: { intent: 'disable' }, headers: admin.headers }, { providerId: missing })
    expect(disable.status).toBe(404)

    const { id } = await addProvider(admin)
    const before = await counts()
    const odd = await callRoute(providerAction, providerUrl(id), { form: { intent: 'delete' }, headers: admin.headers }, { providerId: id })
    expect(odd.status).toBe(400)
    expect(await counts()).toEqual(before)
  })
})

describe('the provider pages refuse', () => {
  it('a caseworker, with 403 on every loader and action, changing nothing', async () => {
    const admin = await signedIn('admin')
    const caseworker = await signedIn('caseworker')
    const { id } = await addProvider(admin)
    const { id: keyId } = await createApiKey(getDb(), id, { actorType: 'staff', actorId: admin.id })
    const before = await counts()
    const provider = await findProvider(getDb(), id)

    expect((await callRoute(listLoader, '/staff/admin/providers', { headers: caseworker.headers })).status).toBe(403)
    expect((await callRoute(listAction, '/staff/admin/providers', { form: providerForm(), headers: caseworker.headers })).status).toBe(403)
    expect((await callRoute(providerLoader, providerUrl(id), { headers: caseworker.headers }, { providerId: id })).status).toBe(403)
    const forms: Record<string, string>[] = [{ intent: 'update', ...providerForm() }, { intent: 'disable' }, { intent: 'create-key' }, { intent: 'revoke-key', keyId }]
    for (const form of forms) {
      const res = await callRoute(providerAction, providerUrl(id), { form, headers: caseworker.headers }, { providerId: id })
      expect(res.status, form.intent).toBe(403)
      expect(res.data, form.intent).toBe('')
    }
    expect(await counts()).toEqual(before)
    expect(await findProvider(getDb(), id)).toEqual(provider)
  })

  it('a POST from another site, or with no origin at all, even with an administrator session', async () => {
    const admin = await signedIn('admin')
    const { id } = await addProvider(admin)
    const before = await counts()
    const crossSite = { ...admin.headers, Origin: 'https://evil.example' }
    expect((await callRoute(listAction, '/staff/admin/providers', { form: providerForm(), headers: crossSite })).status).toBe(403)
    for (const intent of ['disable', 'create-key']) {
      expect((await callRoute(providerAction, providerUrl(id), { form: { intent }, headers: crossSite }, { providerId: id })).status).toBe(403)
    }
    const { Origin: _origin, ...noOrigin } = admin.headers
    expect((await callRoute(providerAction, providerUrl(id), { form: { intent: 'disable' }, headers: noOrigin }, { providerId: id })).status).toBe(403)
    expect(await counts()).toEqual(before)
    expect((await findProvider(getDb(), id))!.disabledAt).toBeNull()
  })

  it('someone not signed in, with a redirect to sign-in', async () => {
    const res = await callRoute(listLoader, '/staff/admin/providers')
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe('/staff/sign-in')
    const post = await callRoute(listAction, '/staff/admin/providers', { form: providerForm(), headers: { Origin: origin() } })
    expect(post.status).toBe(302)
  })

  it('and the audit chain still verifies after all of the above', async () => {
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
  })
})
