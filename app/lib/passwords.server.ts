import argon2 from 'argon2'

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane) scaled up a little:
// the server hashes a password only at sign-in and set-up, never in bulk.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 3, parallelism: 1 } as const

/** argon2id hash of a password or case secret, in PHC string form. */
export function hashPassword(plain: string): Promise<string> {
  return argon2.hash(plain, OPTIONS)
}

export async function verifyPassword(hash: string, plain: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, plain)
  } catch {
    return false
  }
}
