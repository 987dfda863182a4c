import crypto from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { Database } from '../../db/schema'
import { seedProviders, SEED_PROVIDERS } from '../../db/seed'
import { getDb } from '../../app/lib/db.server'
import { NotFoundError, ValidationError } from '../../app/lib/errors.server'
import { tokenHash } from '../../app/lib/tokens.server'
import { verifyAuditChain } from '../../app/models/audit.server'
import { createCase } from '../../app/models/case.server'
import { ProviderSchema, type ProviderInput } from '../../app/models/provider.schema'
import {
  API_KEY_TOUCH_MS,
  createApiKey,
  createProvider,
  disableProvider,
  findProvider,
  findProviderByApiKey,
  findProviderForUrl,
  listProviders,
  revokeApiKey,
  updateProvider,
  type Actor,
} from '../../app/models/provider.server'

const STAFF: Actor = { actorType: 'staff', actorId: 'staff-1' }
const NOW = 1_800_000_000_000

/** A registrable name no other test (or the seed directory) uses. */
const unique = (label = 'p') => `${label}-${crypto.randomBytes(4).toString('hex')}`
const provider = (over: Partial<ProviderInput> = {}): ProviderInput => {
  const name = unique()
  return { name: `Provider ${name}`, domains: [`${name}.com`], noticeEmails: [`abuse@${name}.com`], ...over }
}

async function count(table: keyof Database): Promise<number> {
  const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(getDb())
  return Number(result.rows[0]?.n)
}
async function counts() {
  const tables = ['provider', 'provider_domain', 'provider_api_key', 'audit_log'] as const
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t)] as const)))
}
async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

describe('the provider schema', () => {
  const parse = (over: Partial<ProviderInput>) => ProviderSchema.safeParse({ ...provider(), ...over })
  const messages = (over: Partial<ProviderInput>) => {
    const result = parse(over)
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
  }

  it('keeps registrable domains, lower-cased, in ASCII, once each', () => {
    const result = parse({ domains: ['Example.CO.UK', 'example.co.uk', 'bücher.de', 'example.com.'] })
    expect(result.success && result.data.domains).toEqual(['example.co.uk', 'xn--bcher-kva.de', 'example.com'])
  })

  it('refuses IP addresses, bare suffixes, subdomains, URLs and unknown endings, naming each', () => {
    expect(messages({ domains: ['1.2.3.4'] })).toEqual(['domains.0: "1.2.3.4" is an IP address. Enter the provider\'s domain name, like example.com.'])
    expect(messages({ domains: ['co.uk'] })[0]).toMatch(/"co.uk" is a public suffix .* like example.co.uk\.$/)
    expect(messages({ domains: ['com'] })[0]).toMatch(/"com" is a public suffix/)
    expect(messages({ domains: ['www.example.co.uk'] })[0]).toMatch(/"www.example.co.uk" is a subdomain. Enter the registrable domain example.co.uk/)
    for (const url of ['https://example.com', 'example.com/page', 'example.com:8080', 'me@example.com', 'exa mple.com']) {
      expect(messages({ domains: [url] })[0]).toContain('Enter a domain name only, like example.com')
    }
    expect(messages({ domains: ['facebook.con'] })[0]).toMatch(/does not end in a known top-level domain/)
    expect(messages({ domains: ['localhost'] })[0]).toMatch(/does not end in a known top-level domain/)
    expect(messages({ domains: ['a_b.com'] })[0]).toMatch(/characters a domain name cannot have/)
    expect(messages({ domains: [] })).toEqual(['domains: Add at least one domain, like example.com.'])
    expect(messages({ domains: Array.from({ length: 51 }, (_, i) => `d${i}.com`) })).toEqual(['domains: A provider can have at most 50 domains.'])
  })

  it('refuses notice addresses with line breaks of any kind, and more than ten', () => {
    for (const brk of ['\r\n', '\n', '\r', '\u0085', '\u2028', '\u2029']) {
      expect(messages({ noticeEmails: [`abuse@example.com${brk}Bcc: someone@example.net`] })).toEqual([
        'noticeEmails.0: An email address must be on one line. Take out the line break.',
      ])
      // A trailing break alone is refused too, though a trim would have hidden it.
      expect(messages({ noticeEmails: [`abuse@example.com${brk}`] })).toHaveLength(1)
    }
    expect(messages({ noticeEmails: ['not an address'] })).toEqual(['noticeEmails.0: Enter an email address like name@example.org.'])
    expect(messages({ noticeEmails: Array.from({ length: 11 }, (_, i) => `a${i}@example.com`) })).toEqual([
      'noticeEmails: A provider can have at most 10 notice addresses.',
    ])
    expect(messages({ name: 'Two\nlines' })).toEqual(['name: Write the name on one line, without tabs or other control characters.'])
    expect(messages({ name: 'x'.repeat(121) })).toEqual(['name: A name can be at most 120 characters.'])
  })

  it('defaults the regime to generic and the hash list to off', () => {
    const result = ProviderSchema.parse({ name: 'P', domains: ['example.org'], noticeEmails: ['A@Example.org'] })
    expect(result).toEqual({ name: 'P', domains: ['example.org'], noticeEmails: ['a@example.org'], regime: 'generic', hashList: false })
  })
})

describe('providers', () => {
  it('creates a provider with its domains and lists it', async () => {
    const name = unique()
    const { id } = await createProvider(
      getDb(),
      { name: 'Example Ltd', domains: [`${name}.co.uk`, `${name}.com`], noticeEmails: [`Abuse@${name}.com`], regime: 'dsa', hashList: true },
      STAFF,
      NOW,
    )
    const found = await findProvider(getDb(), id)
    expect(found).toMatchObject({
      id,
      name: 'Example Ltd',
      domains: [`${name}.co.uk`, `${name}.com`].sort(),
      noticeEmails: [`abuse@${name}.com`],
      regime: 'dsa',
      hashList: true,
      isPlaceholder: false,
      disabledAt: null,
      apiKeys: 0,
      createdAt: NOW,
    })
    expect((await listProviders(getDb())).map((p) => p.id)).toContain(id)
    const audit = await getDb().selectFrom('audit_log').selectAll().where('object_id', '=', id).execute()
    expect(audit).toMatchObject([{ action: 'provider.created', actor_type: 'staff', actor_id: 'staff-1', object_type: 'provider' }])
  })

  it('refuses a domain another provider holds, naming it, and writes nothing', async () => {
    const first = provider()
    await createProvider(getDb(), first, STAFF, NOW)
    const before = await counts()
    const taken = first.domains[0]!
    const error = await caught(createProvider(getDb(), provider({ domains: [`free-${unique()}.com`, taken.toUpperCase()] }), STAFF, NOW))
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toMatchObject({ field: 'domains' })
    expect((error as Error).message).toContain(`The domain ${taken} already belongs to the provider "${first.name}"`)
    expect(await counts()).toEqual(before)
  })

  it('gives each domain to one provider even when two claim it at once', async () => {
    const domain = `${unique()}.com`
    const results = await Promise.allSettled([
      createProvider(getDb(), provider({ domains: [domain] }), STAFF, NOW),
      createProvider(getDb(), provider({ domains: [domain] }), STAFF, NOW),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = results.find((r) => r.status === 'rejected')
    expect(rejected?.reason).toBeInstanceOf(ValidationError)
  })

  it('updates details and domains, and clears the placeholder flag once real addresses are entered', async () => {
    const name = unique()
    const { id } = await createProvider(
      getDb(),
      { name: 'Old', domains: [`${name}.com`, `${name}.net`], noticeEmails: [`notices@placeholder.${name}.com.invalid`] },
      STAFF,
      NOW,
    )
    expect((await findProvider(getDb(), id))?.isPlaceholder).toBe(true)
    await updateProvider(
      getDb(),
      id,
      { name: 'New', domains: [`${name}.com`, `${name}.org`], noticeEmails: [`legal@${name}.com`], regime: 'takeitdown' },
      STAFF,
      NOW + 1,
    )
    expect(await findProvider(getDb(), id)).toMatchObject({
      name: 'New',
      domains: [`${name}.com`, `${name}.org`],
      noticeEmails: [`legal@${name}.com`],
      regime: 'takeitdown',
      isPlaceholder: false,
      updatedAt: NOW + 1,
    })
    // The domain given up is free for another provider.
    await createProvider(getDb(), provider({ domains: [`${name}.net`] }), STAFF, NOW)
    const audit = await getDb().selectFrom('audit_log').select(['action', 'detail']).where('object_id', '=', id).orderBy('seq').execute()
    expect(audit.map((a) => a.action)).toEqual(['provider.created', 'provider.updated'])
    expect(JSON.parse(audit[1]!.detail!)).toEqual({
      changed: ['name', 'domains', 'noticeEmails', 'regime'],
      domainsAdded: [`${name}.org`],
      domainsRemoved: [`${name}.net`],
    })

    const taken = provider()
    await createProvider(getDb(), taken, STAFF, NOW)
    const error = await caught(updateProvider(getDb(), id, { name: 'New', domains: [taken.domains[0]!], noticeEmails: ['a@example.org'] }, STAFF))
    expect(error).toMatchObject({ field: 'domains' })
    expect((await findProvider(getDb(), id))?.domains).toEqual([`${name}.com`, `${name}.org`])
    await expect(updateProvider(getDb(), 'no-such-id', provider(), STAFF)).rejects.toBeInstanceOf(NotFoundError)
  })
})

describe('finding the provider for a web address', () => {
  it('matches subdomains and multi-part suffixes to the registrable domain, and nothing else', async () => {
    const name = unique()
    const { id } = await createProvider(getDb(), provider({ domains: [`${name}.co.uk`, `${name}.com`] }), STAFF, NOW)
    const idFor = async (url: string) => (await findProviderForUrl(getDb(), url))?.id ?? null

    expect(await idFor(`https://${name}.co.uk/a/picture.jpg`)).toBe(id)
    expect(await idFor(`https://cdn.images.${name}.co.uk/x?y=1`)).toBe(id)
    expect(await idFor(`HTTP://WWW.${name.toUpperCase()}.COM:8443/p`)).toBe(id)
    expect(await idFor(`${name}.com/page`)).toBe(id)

    expect(await idFor(`https://other-${name}.co.uk/`)).toBeNull()
    expect(await idFor(`https://${name}.co.uk.attacker.net/`)).toBeNull()
    expect(await idFor(`https://${name}.org/`)).toBeNull()
    expect(await idFor('https://co.uk/')).toBeNull()
    expect(await idFor('https://192.0.2.1/picture.jpg')).toBeNull()
    expect(await idFor('not a web address')).toBeNull()
    expect(await idFor('ftp://example.com/')).toBeNull()
  })

  it('agrees with the provider a new case records for the same address', async () => {
    const name = unique()
    const { id } = await createProvider(getDb(), provider({ domains: [`${name}.co.uk`] }), STAFF, NOW)
    const url = `https://m.${name}.co.uk/post/1`
    const created = await createCase(getDb(), {
      idempotencyKey: crypto.randomBytes(18).toString('base64url'),
      requester: 'self_adult',
      urls: [url],
      noticesConsent: true,
    })
    const location = await getDb().selectFrom('case_location').selectAll().where('case_id', '=', created.caseId).executeTakeFirstOrThrow()
    expect(location.provider_id).toBe(id)
    expect((await findProviderForUrl(getDb(), url))?.id).toBe(location.provider_id)
  })
})

describe('API keys', () => {
  it('shows a key once, stores only its hash, and finds the provider by it', async () => {
    const { id: providerId } = await createProvider(getDb(), provider(), STAFF, NOW)
    const { id, key, prefix } = await createApiKey(getDb(), providerId, STAFF, NOW)
    expect(key).toMatch(/^tbk_[A-Za-z0-9_-]{43}$/)
    expect(prefix).toBe(key.slice(4, 12))

    const row = await getDb().selectFrom('provider_api_key').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ provider_id: providerId, key_hash: tokenHash(key), prefix, revoked_at: null, last_used_at: null })
    expect(JSON.stringify(row)).not.toContain(key.slice(4))

    expect(await findProviderByApiKey(getDb(), key, NOW + 1000)).toMatchObject({ id: providerId, apiKeyId: id })
    expect((await findProvider(getDb(), providerId))?.apiKeys).toBe(1)
    expect(await findProviderByApiKey(getDb(), key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), NOW)).toBeNull()
    expect(await findProviderByApiKey(getDb(), key.slice(4), NOW)).toBeNull()
    expect(await findProviderByApiKey(getDb(), '', NOW)).toBeNull()
  })

  it('records when a key was last used, at most once a minute', async () => {
    const { id: providerId } = await createProvider(getDb(), provider(), STAFF, NOW)
    const { id, key } = await createApiKey(getDb(), providerId, STAFF, NOW)
    const lastUsed = async () =>
      (await getDb().selectFrom('provider_api_key').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at
    await findProviderByApiKey(getDb(), key, NOW + 1000)
    expect(await lastUsed()).toBe(NOW + 1000)
    await findProviderByApiKey(getDb(), key, NOW + 1000 + API_KEY_TOUCH_MS - 1)
    expect(await lastUsed()).toBe(NOW + 1000)
    await findProviderByApiKey(getDb(), key, NOW + 1000 + API_KEY_TOUCH_MS)
    expect(await lastUsed()).toBe(NOW + 1000 + API_KEY_TOUCH_MS)
  })

  it('refuses a revoked key and every key of a disabled provider', async () => {
    const { id: providerId } = await createProvider(getDb(), provider(), STAFF, NOW)
    const revoked = await createApiKey(getDb(), providerId, STAFF, NOW)
    const kept = await createApiKey(getDb(), providerId, STAFF, NOW)
    await revokeApiKey(getDb(), revoked.id, STAFF, NOW + 1)
    await revokeApiKey(getDb(), revoked.id, STAFF, NOW + 2)
    expect(await findProviderByApiKey(getDb(), revoked.key, NOW + 3)).toBeNull()
    expect(await findProviderByApiKey(getDb(), kept.key, NOW + 3)).toMatchObject({ id: providerId })
    expect((await findProvider(getDb(), providerId))?.apiKeys).toBe(1)

    await disableProvider(getDb(), providerId, STAFF, NOW + 4)
    await disableProvider(getDb(), providerId, STAFF, NOW + 5)
    expect(await findProviderByApiKey(getDb(), kept.key, NOW + 6)).toBeNull()
    expect((await findProvider(getDb(), providerId))?.disabledAt).toBe(NOW + 4)
    await expect(createApiKey(getDb(), providerId, STAFF, NOW + 7)).rejects.toMatchObject({ field: 'provider' })
    await expect(revokeApiKey(getDb(), 'no-such-key', STAFF)).rejects.toBeInstanceOf(NotFoundError)

    const actions = await getDb()
      .selectFrom('audit_log')
      .select('action')
      .where((eb) => eb.or([eb('object_id', '=', providerId), eb('object_id', 'in', [revoked.id, kept.id])]))
      .orderBy('seq')
      .execute()
    // Repeating a revocation or a disabling records nothing new.
    expect(actions.map((a) => a.action)).toEqual([
      'provider.created',
      'provider.api_key_created',
      'provider.api_key_created',
      'provider.api_key_revoked',
      'provider.disabled',
    ])
  })
})

describe('the seed directory', () => {
  it('adds the platforms once, as placeholders on .invalid addresses, skipping any already entered', async () => {
    // Someone entered one platform before the seed ran: its entry is kept as it is.
    await createProvider(getDb(), { name: 'Imgur (real contact)', domains: ['imgur.com'], noticeEmails: ['legal@imgur.com'] }, STAFF, NOW)
    const imgur = SEED_PROVIDERS.find((p) => p.domains.includes('imgur.com'))!.name

    const first = await seedProviders(getDb(), NOW)
    expect(first.skipped).toEqual([imgur])
    expect(first.created).toHaveLength(SEED_PROVIDERS.length - 1)
    expect(first.created.length).toBeGreaterThanOrEqual(14)
    const after = await counts()
    const second = await seedProviders(getDb(), NOW + 1)
    expect(second.created).toEqual([])
    expect(second.skipped).toHaveLength(SEED_PROVIDERS.length)
    expect(await counts()).toEqual(after)

    const seeded = (await listProviders(getDb())).filter((p) => first.created.includes(p.name))
    expect(seeded).toHaveLength(first.created.length)
    for (const p of seeded) {
      expect(p).toMatchObject({ isPlaceholder: true, hashList: false, disabledAt: null, apiKeys: 0 })
      expect(p.noticeEmails.length).toBeGreaterThan(0)
      expect(p.noticeEmails.every((e) => /^notices@placeholder\.[a-z0-9.-]+\.invalid$/.test(e))).toBe(true)
    }
    const nameFor = async (url: string) => (await findProviderForUrl(getDb(), url))?.name
    expect(await nameFor('https://i.imgur.com/x.png')).toBe('Imgur (real contact)')
    expect(await nameFor('https://www.instagram.com/p/abc/')).toMatch(/^Meta/)
    expect(await nameFor('https://scontent-lhr8-1.xx.fbcdn.net/v/t39/x.jpg')).toMatch(/^Meta/)
    expect(await nameFor('https://twitter.com/someone/status/1')).toBe('X (Twitter)')
    expect(await nameFor('https://someone.blogspot.com/2024/01/post.html')).toMatch(/^Google/)
    expect((await findProviderForUrl(getDb(), 'https://www.pornhub.com/view_video.php?viewkey=x'))?.regime).toBe('dsa')
  })
})

describe('the audit trail of provider changes', () => {
  it('verifies, and holds no API key or email address', async () => {
    const { id } = await createProvider(getDb(), provider({ noticeEmails: ['secret-inbox@example.org'] }), STAFF, NOW)
    const { key } = await createApiKey(getDb(), id, STAFF, NOW)
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true })
    const rows = await getDb().selectFrom('audit_log').selectAll().where('action', 'like', 'provider.%').execute()
    expect(rows.length).toBeGreaterThan(10)
    const text = JSON.stringify(rows)
    expect(text).not.toContain('@')
    expect(text).not.toContain(key.slice(4, 12))
    expect(text).not.toContain(tokenHash(key))
  })
})
