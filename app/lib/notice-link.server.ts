/**
 * Signed links that let a provider answer one notice without an account.
 *
 * A token is base64url of 73 bytes:
 *   version (1) | jti (16 random bytes) | notice id (16, the UUID) | expiry (8, epoch ms, big-endian) | HMAC-SHA-256 (32)
 * The HMAC covers everything before it, under a label, with the first key of
 * LINK_SIGNING_KEY; verifying tries every listed key (in constant time each,
 * and always all of them), so keys can be rotated without breaking links in
 * inboxes. The notice id is inside the signature and the jti's row names the
 * same notice, so a token made for one notice can never act on another.
 *
 * The token itself is not stored: only its jti, with the notice, the expiry
 * and when it was spent (`notice_link`). A link is valid for
 * NOTICE_LINK_DAYS (30 by default), long enough for a provider's legal team
 * to reach it, and it is spent once its notice has a final answer (removed
 * from every address, not found, declined, not theirs) or is closed: after
 * that it still shows the notice and its state, but answers nothing. A newer
 * link does not spend older ones, so the link in the original notice keeps
 * working after a reminder brings a second one.
 */
import crypto from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema'
import { getEnv } from './env.server'

const VERSION = 1
const JTI_BYTES = 16
const HEADER_BYTES = 1 + JTI_BYTES + 16 + 8
const MAC_BYTES = 32
const TOKEN_BYTES = HEADER_BYTES + MAC_BYTES
/** Domain separation: a MAC made here can never be mistaken for one made elsewhere with the same key. */
const LABEL = Buffer.from('takeback/notice-link/v1\0', 'utf8')
const DAY = 24 * 60 * 60 * 1000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The shape of a token in a URL: exactly what base64url of TOKEN_BYTES looks like. */
export const NOTICE_LINK_TOKEN = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((TOKEN_BYTES * 4) / 3)}}$`)

export type NoticeLinkCheck =
  | { ok: true; noticeId: string; linkId: string }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'expired' | 'used'; noticeId: string }

export interface IssuedNoticeLink {
  url: string
  token: string
  expiresAt: number
}

function mac(key: string, header: Buffer): Buffer {
  return crypto.createHmac('sha256', key).update(LABEL).update(header).digest()
}

function uuidBytes(id: string): Buffer {
  const lower = id.toLowerCase()
  if (!UUID.test(lower)) throw new Error('A notice id must be a UUID.')
  return Buffer.from(lower.replace(/-/g, ''), 'hex')
}

function uuidText(bytes: Buffer): string {
  const h = bytes.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Sign a token for (jti, notice, expiry) with the newest key. */
export function signNoticeLinkToken(jti: Buffer, noticeId: string, expiresAt: number, keys: readonly string[] = getEnv().LINK_SIGNING_KEY): string {
  const newest = keys[0]
  if (newest === undefined) throw new Error('No link signing key is configured (LINK_SIGNING_KEY).')
  if (jti.length !== JTI_BYTES) throw new Error(`A jti is ${JTI_BYTES} bytes.`)
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt8(VERSION, 0)
  jti.copy(header, 1)
  uuidBytes(noticeId).copy(header, 1 + JTI_BYTES)
  header.writeBigUInt64BE(BigInt(expiresAt), 1 + JTI_BYTES + 16)
  return Buffer.concat([header, mac(newest, header)]).toString('base64url')
}

/** What a token says, if one of `keys` signed it; null for anything else. Touches no database. */
export function readNoticeLinkToken(token: string, keys: readonly string[] = getEnv().LINK_SIGNING_KEY): { jti: string; noticeId: string; expiresAt: number } | null {
  if (typeof token !== 'string' || !NOTICE_LINK_TOKEN.test(token)) return null
  const raw = Buffer.from(token, 'base64url')
  // base64url decoding ignores stray trailing bits; re-encoding catches a token altered there.
  if (raw.length !== TOKEN_BYTES || raw.toString('base64url') !== token) return null
  const header = raw.subarray(0, HEADER_BYTES)
  const given = raw.subarray(HEADER_BYTES)
  let valid = false
  // Every key, every time: how long this takes says nothing about which key (if any) matched.
  for (const key of keys) valid = crypto.timingSafeEqual(mac(key, header), given) || valid
  if (!valid || header.readUInt8(0) !== VERSION) return null
  return {
    jti: header.subarray(1, 1 + JTI_BYTES).toString('hex'),
    noticeId: uuidText(header.subarray(1 + JTI_BYTES, 1 + JTI_BYTES + 16)),
    expiresAt: Number(header.readBigUInt64BE(1 + JTI_BYTES + 16)),
  }
}

/** The URL a token opens. */
export function noticeLinkUrl(token: string, publicUrl: string = getEnv().PUBLIC_URL): string {
  return `${publicUrl.replace(/\/+$/, '')}/notices/respond/${token}`
}

/**
 * Make a new link for `noticeId`, valid for NOTICE_LINK_DAYS from `now`, and
 * record its jti in `trx` (pass the transaction that sends the email, so the
 * link exists exactly when the email does).
 */
export async function issueNoticeLink(trx: Kysely<Database>, noticeId: string, now = Date.now(), days: number = getEnv().NOTICE_LINK_DAYS): Promise<IssuedNoticeLink> {
  const jti = crypto.randomBytes(JTI_BYTES)
  const expiresAt = now + days * DAY
  const token = signNoticeLinkToken(jti, noticeId, expiresAt)
  await trx.insertInto('notice_link').values({ id: jti.toString('hex'), notice_id: noticeId, expires_at: expiresAt, used_at: null, created_at: now }).execute()
  return { url: noticeLinkUrl(token), token, expiresAt }
}

/**
 * Check a token: signed by one of our keys, for a link we issued for the
 * notice it names, not spent and not expired. A spent or expired link still
 * names its notice, so the page can show the notice's state and offer a
 * fresh link; anything else is `invalid` and names nothing.
 */
export async function verifyNoticeLink(db: Kysely<Database>, token: string, now = Date.now()): Promise<NoticeLinkCheck> {
  const claims = readNoticeLinkToken(token)
  if (!claims) return { ok: false, reason: 'invalid' }
  const row = await db.selectFrom('notice_link').select(['id', 'notice_id', 'expires_at', 'used_at']).where('id', '=', claims.jti).executeTakeFirst()
  if (!row || row.notice_id !== claims.noticeId) return { ok: false, reason: 'invalid' }
  if (row.used_at !== null) return { ok: false, reason: 'used', noticeId: row.notice_id }
  if (row.expires_at <= now || claims.expiresAt <= now) return { ok: false, reason: 'expired', noticeId: row.notice_id }
  return { ok: true, noticeId: row.notice_id, linkId: row.id }
}

/** Spend every live link of a notice (it has its final answer). Call inside the transaction that records the answer. */
export async function spendNoticeLinks(trx: Kysely<Database>, noticeId: string, now = Date.now()): Promise<void> {
  await trx.updateTable('notice_link').set({ used_at: now }).where('notice_id', '=', noticeId).where('used_at', 'is', null).execute()
}
