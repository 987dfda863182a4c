/**
 * Encryption of personal data that must be read back (contact email, typed
 * signature, mail recipients, replayable responses): AES-256-GCM under
 * CONTACT_KEY. The only module that holds these keys.
 *
 * Ciphertext format: `v1.<key id>.<base64url(iv | ciphertext | tag)>`. The key
 * is SHA-256 of a configured key string; the key id is the first 8 hex digits
 * of SHA-256 of that key, so it names the key without revealing it. CONTACT_KEY
 * lists keys newest first: we encrypt with the first and decrypt with whichever
 * key the id names, so keys can be rotated without re-encrypting at once.
 */
import crypto from 'node:crypto'
import { getEnv } from './env.server'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

interface DerivedKey {
  id: string
  key: Buffer
}

function deriveKey(secret: string): DerivedKey {
  const key = crypto.createHash('sha256').update(secret, 'utf8').digest()
  const id = crypto.createHash('sha256').update(key).digest('hex').slice(0, 8)
  return { id, key }
}

/** Thrown when a ciphertext is malformed, was tampered with, or names no configured key. */
export class DecryptionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DecryptionError'
  }
}

/** Encrypt `plain` with the newest key. Each call uses a fresh random IV. */
export function encryptPersonal(plain: string, keys: readonly string[] = getEnv().CONTACT_KEY): string {
  const newest = keys[0]
  if (newest === undefined) throw new Error('No encryption key is configured (CONTACT_KEY).')
  const { id, key } = deriveKey(newest)
  const iv = crypto.randomBytes(IV_BYTES)
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  const payload = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
  return `${VERSION}.${id}.${payload}`
}

/** Decrypt a value made by encryptPersonal with any of `keys`; throws DecryptionError otherwise. */
export function decryptPersonal(ciphertext: string, keys: readonly string[] = getEnv().CONTACT_KEY): string {
  const [version, id, payload, ...rest] = ciphertext.split('.')
  if (version !== VERSION || !id || payload === undefined || rest.length > 0) {
    throw new DecryptionError('Not a recognised ciphertext.')
  }
  const match = keys.map(deriveKey).find((k) => k.id === id)
  if (!match) throw new DecryptionError('No configured key matches this ciphertext.')
  const raw = Buffer.from(payload, 'base64url')
  if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('Ciphertext is too short.')
  const decipher = crypto.createDecipheriv('aes-256-gcm', match.key, raw.subarray(0, IV_BYTES))
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')
  } catch {
    throw new DecryptionError('Ciphertext failed authentication.')
  }
}

/** SHA-256 hex of a string: for hashing rate-limit keys and idempotency keys before storage. */
export function sha256Hex(value: string): string {
  return crypto.createHash('sha256').update(value, 'utf8').digest('hex')
}

/** Compare two strings in time that does not depend on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Hashing first gives equal-length inputs, so the length is not revealed either.
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(a).digest(), crypto.createHash('sha256').update(b).digest())
}
