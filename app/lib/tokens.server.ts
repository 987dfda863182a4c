import crypto from 'node:crypto'

/** A random token for a link or key: 32 bytes (256 bits) from the CSPRNG, base64url. */
export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url')
}

/**
 * SHA-256 of a high-entropy token, as stored in the database. Tokens are long
 * random strings, so a fast hash is enough and lets us look them up; passwords
 * and case secrets use argon2id instead (see passwords.server.ts).
 */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex')
}
