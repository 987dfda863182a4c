import { describe, expect, it } from 'vitest'
import {
  CROCKFORD,
  formatCaseNumber,
  formatCaseSecret,
  newCaseNumber,
  newCaseSecret,
  normaliseCaseNumber,
  normaliseCaseSecret,
  normaliseCode,
} from '../../app/lib/case-codes.server'
import { CaseNumberSchema, CaseSecretSchema } from '../../app/models/case.schema'

const CROCKFORD_ONLY = /^[0-9A-HJKMNP-TV-Z]+$/

describe('case numbers and secrets', () => {
  it('draws 8 and 16 Crockford characters, never I, L, O or U', () => {
    for (let i = 0; i < 200; i++) {
      const number = newCaseNumber()
      const secret = newCaseSecret()
      expect(number).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/)
      expect(secret).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/)
    }
  })

  it('uses every symbol in every position, so no bits are lost to a packing mistake', () => {
    const seen = Array.from({ length: 16 }, () => new Set<string>())
    for (let i = 0; i < 3000; i++) {
      const secret = newCaseSecret()
      for (let p = 0; p < 16; p++) seen[p]!.add(secret[p]!)
    }
    for (const position of seen) expect(position.size).toBe(32)
  })

  it('does not repeat itself', () => {
    const secrets = new Set(Array.from({ length: 5000 }, () => newCaseSecret()))
    expect(secrets.size).toBe(5000)
  })

  it('shows codes in groups of four', () => {
    expect(formatCaseNumber('ABCD2345')).toBe('ABCD-2345')
    expect(formatCaseSecret('ABCD2345EFGH6789')).toBe('ABCD-2345-EFGH-6789')
  })

  it('reads what people type: any case, spaces, hyphens and phone dashes, I/L as 1 and O as 0', () => {
    expect(normaliseCaseNumber(' abcd-2345 ')).toBe('ABCD2345')
    expect(normaliseCaseNumber('abcd 2345')).toBe('ABCD2345')
    expect(normaliseCaseNumber('ABCD\u20132345')).toBe('ABCD2345')
    expect(normaliseCaseNumber('IiLl-OoAB')).toBe('111100AB')
    expect(normaliseCaseSecret('abcd-2345-efgh-6789')).toBe('ABCD2345EFGH6789')
    expect(normaliseCode('o-l-i')).toBe('011')
  })

  it('refuses what cannot be a code', () => {
    expect(normaliseCaseNumber('ABCD-234')).toBeNull()
    expect(normaliseCaseNumber('ABCD-23456')).toBeNull()
    expect(normaliseCaseNumber('ABCU-2345')).toBeNull()
    expect(normaliseCaseNumber('ABC!-2345')).toBeNull()
    expect(normaliseCaseNumber('')).toBeNull()
    expect(normaliseCaseSecret('ABCD2345')).toBeNull()
  })

  it('round-trips every drawn code through its shown form', () => {
    for (let i = 0; i < 100; i++) {
      const number = newCaseNumber()
      const secret = newCaseSecret()
      expect(normaliseCaseNumber(formatCaseNumber(number).toLowerCase())).toBe(number)
      expect(normaliseCaseSecret(formatCaseSecret(secret))).toBe(secret)
    }
  })

  it('the client-safe form schema accepts exactly what the server can normalise', () => {
    const inputs = [
      'ABCD-2345',
      'abcd2345',
      ' il0o-abcd ',
      'ABCD\u20142345',
      'ABCU-2345',
      'ABCD-234',
      'ABCD-23456',
      'ÀBCD-2345',
      'ABCD_2345',
      'ABCD-2345-EFGH-6789',
      'abcd 2345 efgh 6789',
      'ABCD-2345-EFGH-678U',
      'ABCD-2345-EFGH-678',
    ]
    for (const input of inputs) {
      expect(CaseNumberSchema.safeParse(input).success, input).toBe(normaliseCaseNumber(input.trim()) !== null)
      expect(CaseSecretSchema.safeParse(input).success, input).toBe(normaliseCaseSecret(input.trim()) !== null)
    }
    expect(CROCKFORD).toMatch(CROCKFORD_ONLY)
    expect(CROCKFORD).toHaveLength(32)
  })
})
