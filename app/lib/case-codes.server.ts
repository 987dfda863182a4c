/**
 * Case numbers and case secrets: random Crockford base32, so they carry no
 * order or time, avoid look-alike letters, and survive being read aloud or
 * typed on a phone. Stored canonical (upper case, no hyphens); shown grouped.
 * Neither is ever logged.
 */
import crypto from 'node:crypto'

/** Crockford's base32 alphabet: no I, L, O or U. */
export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** 8 characters = 40 bits: a public label, looked up by a unique index. */
export const CASE_NUMBER_LENGTH = 8
/** 16 characters = 80 bits from the CSPRNG, stored only as argon2id. */
export const CASE_SECRET_LENGTH = 16

/** Crockford base32 of random bytes, 5 bits per character. */
function randomCrockford(length: number): string {
  const bytes = crypto.randomBytes(Math.ceil((length * 5) / 8))
  let bits = 0
  let buffer = 0
  let out = ''
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < length) {
      bits -= 5
      out += CROCKFORD[(buffer >> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  return out
}

/** A new case number, canonical form (8 characters, no hyphen). */
export function newCaseNumber(): string {
  return randomCrockford(CASE_NUMBER_LENGTH)
}

/** A new case secret, canonical form (16 characters, no hyphens). */
export function newCaseSecret(): string {
  return randomCrockford(CASE_SECRET_LENGTH)
}

function group(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code
}

/** "ABCD1234" -> "ABCD-1234". */
export function formatCaseNumber(canonical: string): string {
  return group(canonical)
}

/** "ABCD1234EFGH5678" -> "ABCD-1234-EFGH-5678". */
export function formatCaseSecret(canonical: string): string {
  return group(canonical)
}

/**
 * What a person typed, in canonical form: upper case, without spaces or
 * hyphens (including the dashes phones substitute), with I and L read as 1
 * and O as 0, as Crockford's decoding rules say.
 */
export function normaliseCode(input: string): string {
  return input
    .toUpperCase()
    .replace(/[\s\-\u2010-\u2015\u2212]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0')
}

function canonical(input: string, length: number): string | null {
  const code = normaliseCode(input)
  if (code.length !== length) return null
  for (const ch of code) if (!CROCKFORD.includes(ch)) return null
  return code
}

/** The canonical case number, or null when the input cannot be one. */
export function normaliseCaseNumber(input: string): string | null {
  return canonical(input, CASE_NUMBER_LENGTH)
}

/** The canonical case secret, or null when the input cannot be one. */
export function normaliseCaseSecret(input: string): string | null {
  return canonical(input, CASE_SECRET_LENGTH)
}
