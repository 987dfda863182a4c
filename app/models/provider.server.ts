/**
 * Service providers: who they are, the registrable domains they answer for,
 * where notices to them go, and the API keys they fetch the hash list with.
 * Every change appends an audit entry in its own transaction; the detail holds
 * ids, counts and domain names, never an API key or an email address.
 *
 * Functions take `db`, which may be a transaction: a caller that must make
 * several changes together (a provider and its first key) opens one and
 * passes it, and each function then works inside it.
 */
import type { Kysely, Transaction } from 'kysely'
import { getDomain } from 'tldts'
import { z } from 'zod'
import type { Database, Provider, Regime } from '../../db/schema'
import { NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { randomToken, tokenHash } from '../lib/tokens.server'
import { appendAudit, type AuditInput } from './audit.server'
import { UrlSchema } from './case.schema'
import { hasPlaceholderAddress, ProviderSchema, type ProviderData, type ProviderInput } from './provider.schema'

type DB = Kysely<Database>
type Trx = Transaction<Database>

/** Who makes a change, as the audit log records it. */
export type Actor = Pick<AuditInput, 'actorType' | 'actorId'>

export const API_KEY_PREFIX = 'tbk_'
/** Characters of the key after `tbk_` stored in clear, so a provider can tell its keys apart. */
export const API_KEY_SHOWN_CHARS = 8
/** last_used_at is written at most this often per key, so a busy feed client does not write on every request. */
export const API_KEY_TOUCH_MS = 60 * 1000
const API_KEY_PATTERN = /^tbk_[A-Za-z0-9_-]{43}$/

export interface ProviderView {
  id: string
  name: string
  noticeEmails: string[]
  regime: Regime
  hashList: boolean
  /** Its notice addresses are placeholders (seed entries) and must be replaced before notices go out. */
  isPlaceholder: boolean
  disabledAt: number | null
  createdAt: number
  updatedAt: number
}

export interface ProviderListItem extends ProviderView {
  domains: string[]
  /** API keys not revoked. */
  apiKeys: number
}

// ---------------------------------------------------------------------------
// Helpers

/** Run `fn` in `db` if it is already a transaction, else in a new one. */
function inTransaction<T>(db: DB, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Trx) : db.transaction().execute(fn)
}

/** Parse with the provider schema; the first problem becomes a ValidationError on its top-level field. */
function parseProvider(input: ProviderInput): ProviderData {
  const result = ProviderSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  throw new ValidationError(String(issue?.path[0] ?? 'form'), issue?.message ?? 'Something in this form is not right.')
}

const EmailListJson = z.array(z.string())

function toView(row: Provider): ProviderView {
  return {
    id: row.id,
    name: row.name,
    noticeEmails: EmailListJson.parse(JSON.parse(row.notice_emails)),
    regime: row.regime,
    hashList: row.hash_list === 1,
    isPlaceholder: row.is_placeholder === 1,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Claim `domains` for a provider. The primary key on provider_domain is the
 * real check: a domain another provider holds is left alone by the insert and
 * missing from what it returns, which also settles two staff adding the same
 * domain at once.
 */
async function claimDomains(trx: Trx, providerId: string, domains: readonly string[]): Promise<void> {
  if (domains.length === 0) return
  const inserted = await trx
    .insertInto('provider_domain')
    .values(domains.map((domain) => ({ domain, provider_id: providerId })))
    .onConflict((oc) => oc.column('domain').doNothing())
    .returning('domain')
    .execute()
  const claimed = new Set(inserted.map((r) => r.domain))
  const taken = domains.filter((d) => !claimed.has(d))
  if (taken.length > 0) {
    const owners = await trx
      .selectFrom('provider_domain')
      .innerJoin('provider', 'provider.id', 'provider_domain.provider_id')
      .select(['provider_domain.domain', 'provider.name'])
      .where('provider_domain.domain', 'in', taken)
      .execute()
    const owner = owners.find((o) => o.domain === taken[0])
    throw new ValidationError(
      'domains',
      `The domain ${taken[0]} already belongs to ${owner ? `the provider "${owner.name}"` : 'another provider'}. ` +
        'A domain can belong to only one provider: remove it there first, or leave it out here.',
    )
  }
}

function providerAudit(actor: Actor, action: string, providerId: string, detail: Record<string, unknown> | null = null): AuditInput {
  return { ...actor, action, objectType: 'provider', objectId: providerId, detail }
}

// ---------------------------------------------------------------------------
// Providers

/** Add a provider with its domains. A domain already held by another provider is a ValidationError on `domains`. */
export async function createProvider(db: DB, input: ProviderInput, actor: Actor, now = Date.now()): Promise<{ id: string }> {
  const data = parseProvider(input)
  return inTransaction(db, async (trx) => {
    const id = newId()
    await trx
      .insertInto('provider')
      .values({
        id,
        name: data.name,
        notice_emails: JSON.stringify(data.noticeEmails),
        regime: data.regime,
        hash_list: data.hashList ? 1 : 0,
        is_placeholder: hasPlaceholderAddress(data.noticeEmails) ? 1 : 0,
        feed_checkpoint: null,
        feed_last_fetch_at: null,
        created_at: now,
        updated_at: now,
        disabled_at: null,
      })
      .execute()
    await claimDomains(trx, id, data.domains)
    await appendAudit(
      trx,
      providerAudit(actor, 'provider.created', id, {
        domains: data.domains,
        noticeEmails: data.noticeEmails.length,
        regime: data.regime,
        hashList: data.hashList,
      }),
      now,
    )
    return { id }
  })
}

/**
 * Replace a provider's details and domains with `input`, as an edit form
 * sends them. Entering real notice addresses in place of placeholders clears
 * the placeholder flag. Web addresses already reported keep the provider they
 * were matched to.
 */
export async function updateProvider(db: DB, providerId: string, input: ProviderInput, actor: Actor, now = Date.now()): Promise<void> {
  const data = parseProvider(input)
  await inTransaction(db, async (trx) => {
    const before = await trx.selectFrom('provider').selectAll().where('id', '=', providerId).executeTakeFirst()
    if (!before) throw new NotFoundError('This provider does not exist.')
    const held = (await trx.selectFrom('provider_domain').select('domain').where('provider_id', '=', providerId).execute()).map(
      (r) => r.domain,
    )
    const added = data.domains.filter((d) => !held.includes(d))
    const removed = held.filter((d) => !data.domains.includes(d))
    if (removed.length > 0) await trx.deleteFrom('provider_domain').where('provider_id', '=', providerId).where('domain', 'in', removed).execute()
    await claimDomains(trx, providerId, added)

    const emails = JSON.stringify(data.noticeEmails)
    const changed = [
      before.name !== data.name && 'name',
      (added.length > 0 || removed.length > 0) && 'domains',
      before.notice_emails !== emails && 'noticeEmails',
      before.regime !== data.regime && 'regime',
      before.hash_list !== (data.hashList ? 1 : 0) && 'hashList',
    ].filter((f): f is string => typeof f === 'string')
    if (changed.length === 0) return

    await trx
      .updateTable('provider')
      .set({
        name: data.name,
        notice_emails: emails,
        regime: data.regime,
        hash_list: data.hashList ? 1 : 0,
        is_placeholder: hasPlaceholderAddress(data.noticeEmails) ? 1 : 0,
        updated_at: now,
      })
      .where('id', '=', providerId)
      .execute()
    await appendAudit(
      trx,
      providerAudit(actor, 'provider.updated', providerId, { changed, domainsAdded: added, domainsRemoved: removed }),
      now,
    )
  })
}

/**
 * Stop sending to and serving a provider: its API keys stop working and it
 * leaves the hash list. Its domains stay with it, so no one else can claim
 * them by accident. Disabling twice changes nothing the second time.
 */
export async function disableProvider(db: DB, providerId: string, actor: Actor, now = Date.now()): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('provider').select(['id', 'disabled_at']).where('id', '=', providerId).executeTakeFirst()
    if (!row) throw new NotFoundError('This provider does not exist.')
    if (row.disabled_at !== null) return
    await trx.updateTable('provider').set({ disabled_at: now, updated_at: now }).where('id', '=', providerId).execute()
    await appendAudit(trx, providerAudit(actor, 'provider.disabled', providerId), now)
  })
}

/**
 * Undo disableProvider: notices may go to the provider again, its API keys
 * that were not revoked work again, and it is back on the hash list if it
 * takes part. Enabling an enabled provider changes nothing.
 */
export async function enableProvider(db: DB, providerId: string, actor: Actor, now = Date.now()): Promise<void> {
  await inTransaction(db, async (trx) => {
    // Conditional, so of two enables at once only one changes the row and is audited.
    const changed = await trx
      .updateTable('provider')
      .set({ disabled_at: null, updated_at: now })
      .where('id', '=', providerId)
      .where('disabled_at', 'is not', null)
      .executeTakeFirst()
    if (Number(changed.numUpdatedRows) > 0) {
      await appendAudit(trx, providerAudit(actor, 'provider.enabled', providerId), now)
      return
    }
    const exists = await trx.selectFrom('provider').select('id').where('id', '=', providerId).executeTakeFirst()
    if (!exists) throw new NotFoundError('This provider does not exist.')
  })
}

async function listWhere(db: DB, providerId: string | null): Promise<ProviderListItem[]> {
  let query = db.selectFrom('provider').selectAll().orderBy('name').orderBy('id')
  if (providerId !== null) query = query.where('id', '=', providerId)
  const rows = await query.execute()
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const [domains, keys] = await Promise.all([
    db.selectFrom('provider_domain').select(['provider_id', 'domain']).where('provider_id', 'in', ids).orderBy('domain').execute(),
    db
      .selectFrom('provider_api_key')
      .select((eb) => ['provider_id', eb.fn.countAll<number | string>().as('n')])
      .where('provider_id', 'in', ids)
      .where('revoked_at', 'is', null)
      .groupBy('provider_id')
      .execute(),
  ])
  const keyCount = new Map(keys.map((k) => [k.provider_id, Number(k.n)]))
  return rows.map((row) => ({
    ...toView(row),
    domains: domains.filter((d) => d.provider_id === row.id).map((d) => d.domain),
    apiKeys: keyCount.get(row.id) ?? 0,
  }))
}

/** Every provider, disabled ones included, by name, with its domains and number of working API keys. */
export function listProviders(db: DB): Promise<ProviderListItem[]> {
  return listWhere(db, null)
}

/** One provider with its domains and key count, or null. */
export async function findProvider(db: DB, providerId: string): Promise<ProviderListItem | null> {
  return (await listWhere(db, providerId))[0] ?? null
}

/**
 * The provider answering for a web address: the one holding the address's
 * registrable domain (www.example.co.uk -> example.co.uk), or null when none
 * does or the address cannot be read. A disabled provider is still returned,
 * with disabledAt set, so staff see who owns the domain.
 */
export async function findProviderForUrl(db: DB, url: string): Promise<ProviderView | null> {
  const parsed = UrlSchema.safeParse(url)
  if (!parsed.success) return null
  // The same lookup as case.server.ts's insertLocations: tldts over the ICANN
  // suffixes of the URL parser's (lower-case, punycode) host.
  const domain = getDomain(new URL(parsed.data).hostname)
  if (!domain) return null
  const row = await db
    .selectFrom('provider_domain')
    .innerJoin('provider', 'provider.id', 'provider_domain.provider_id')
    .selectAll('provider')
    .where('provider_domain.domain', '=', domain)
    .executeTakeFirst()
  return row ? toView(row) : null
}

// ---------------------------------------------------------------------------
// API keys

/**
 * Make an API key for a provider. The key is returned here once and stored
 * only as its SHA-256, with its first characters in clear to tell keys apart.
 */
export async function createApiKey(
  db: DB,
  providerId: string,
  actor: Actor,
  now = Date.now(),
): Promise<{ id: string; key: string; prefix: string }> {
  return inTransaction(db, async (trx) => {
    const provider = await trx.selectFrom('provider').select(['id', 'disabled_at']).where('id', '=', providerId).executeTakeFirst()
    if (!provider) throw new NotFoundError('This provider does not exist.')
    if (provider.disabled_at !== null) throw new ValidationError('provider', 'This provider is disabled, so it cannot have new API keys.')
    const id = newId()
    const key = API_KEY_PREFIX + randomToken(32)
    const prefix = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + API_KEY_SHOWN_CHARS)
    await trx
      .insertInto('provider_api_key')
      .values({ id, provider_id: providerId, key_hash: tokenHash(key), prefix, created_at: now, revoked_at: null, last_used_at: null })
      .execute()
    await appendAudit(
      trx,
      { ...actor, action: 'provider.api_key_created', objectType: 'provider_api_key', objectId: id, detail: { providerId } },
      now,
    )
    return { id, key, prefix }
  })
}

/** Revoke an API key by its id; it stops working at once. Revoking twice changes nothing the second time. */
export async function revokeApiKey(db: DB, keyId: string, actor: Actor, now = Date.now()): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('provider_api_key').select(['provider_id', 'revoked_at']).where('id', '=', keyId).executeTakeFirst()
    if (!row) throw new NotFoundError('This API key does not exist.')
    if (row.revoked_at !== null) return
    await trx.updateTable('provider_api_key').set({ revoked_at: now }).where('id', '=', keyId).execute()
    await appendAudit(
      trx,
      {
        ...actor,
        action: 'provider.api_key_revoked',
        objectType: 'provider_api_key',
        objectId: keyId,
        detail: { providerId: row.provider_id },
      },
      now,
    )
  })
}

export interface ApiKeyView {
  id: string
  /** The characters after `tbk_` kept in clear; the key itself is never readable again. */
  prefix: string
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}

/** A provider's API keys, newest first, revoked ones included, by prefix only. */
export async function listApiKeys(db: DB, providerId: string): Promise<ApiKeyView[]> {
  const rows = await db
    .selectFrom('provider_api_key')
    .select(['id', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .where('provider_id', '=', providerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
  return rows.map((r) => ({ id: r.id, prefix: r.prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }))
}

/**
 * The provider an API key belongs to, or null for an unknown or revoked key
 * or a disabled provider. Records when the key was last used, at most once a
 * minute; that bookkeeping is not an audited change.
 */
export async function findProviderByApiKey(db: DB, key: string, now = Date.now()): Promise<(ProviderView & { apiKeyId: string }) | null> {
  // A malformed key cannot match: answer without a query.
  if (!API_KEY_PATTERN.test(key)) return null
  const row = await db
    .selectFrom('provider_api_key')
    .innerJoin('provider', 'provider.id', 'provider_api_key.provider_id')
    .selectAll('provider')
    .select(['provider_api_key.id as api_key_id', 'provider_api_key.last_used_at'])
    .where('provider_api_key.key_hash', '=', tokenHash(key))
    .where('provider_api_key.revoked_at', 'is', null)
    .where('provider.disabled_at', 'is', null)
    .executeTakeFirst()
  if (!row) return null
  if (row.last_used_at === null || row.last_used_at <= now - API_KEY_TOUCH_MS) {
    // Conditional, so of several requests in the same minute only one writes.
    await db
      .updateTable('provider_api_key')
      .set({ last_used_at: now })
      .where('id', '=', row.api_key_id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - API_KEY_TOUCH_MS)]))
      .execute()
  }
  const { api_key_id: apiKeyId, last_used_at: _lastUsed, ...provider } = row
  return { ...toView(provider), apiKeyId }
}
