import { describe, expect, it } from 'vitest'
import { constantTimeEqual, decryptPersonal, DecryptionError, encryptPersonal } from '../../app/lib/crypto.server'

const OLD = 'o'.repeat(40)
const NEW = 'n'.repeat(40)

describe('encryptPersonal / decryptPersonal', () => {
  it('round-trips text, with a fresh IV every time and no plaintext in the output', () => {
    const plain = 'survivor+tag@example.org — ñ 名前'
    const a = encryptPersonal(plain, [NEW])
    const b = encryptPersonal(plain, [NEW])
    expect(a).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/)
    expect(a).not.toBe(b)
    expect(a).not.toContain('survivor')
    expect(decryptPersonal(a, [NEW])).toBe(plain)
    expect(decryptPersonal(b, [NEW])).toBe(plain)
    expect(decryptPersonal(encryptPersonal('', [NEW]), [NEW])).toBe('')
  })

  it('encrypts with the newest key and still decrypts what older keys made', () => {
    const before = encryptPersonal('a@example.org', [OLD])
    const after = encryptPersonal('a@example.org', [NEW, OLD])
    const idOf = (c: string) => c.split('.')[1]
    expect(idOf(after)).not.toBe(idOf(before))
    expect(idOf(after)).toBe(idOf(encryptPersonal('x', [NEW])))
    expect(decryptPersonal(before, [NEW, OLD])).toBe('a@example.org')
    expect(decryptPersonal(after, [NEW, OLD])).toBe('a@example.org')
    // Once the old key is dropped, what it made can no longer be read.
    expect(() => decryptPersonal(before, [NEW])).toThrow(DecryptionError)
  })

  it('the key id does not give the key away', () => {
    const id = encryptPersonal('x', [NEW]).split('.')[1]!
    expect(NEW).not.toContain(id)
    expect(Buffer.from(NEW).toString('hex')).not.toContain(id)
  })

  it('refuses tampered, truncated, foreign and malformed ciphertexts', () => {
    const good = encryptPersonal('a@example.org', [NEW])
    const [v, id, payload] = good.split('.') as [string, string, string]
    const raw = Buffer.from(payload, 'base64url')
    raw[raw.length - 20]! ^= 1
    expect(() => decryptPersonal(`${v}.${id}.${raw.toString('base64url')}`, [NEW])).toThrow(DecryptionError)
    expect(() => decryptPersonal(`${v}.${id}.${payload.slice(0, 20)}`, [NEW])).toThrow(DecryptionError)
    expect(() => decryptPersonal(`${v}.deadbeef.${payload}`, [NEW])).toThrow(DecryptionError)
    expect(() => decryptPersonal(`v2.${id}.${payload}`, [NEW])).toThrow(DecryptionError)
    expect(() => decryptPersonal('a@example.org', [NEW])).toThrow(DecryptionError)
    expect(() => decryptPersonal(`${good}.extra`, [NEW])).toThrow(DecryptionError)
  })

  it('needs a key', () => {
    expect(() => encryptPersonal('x', [])).toThrow(/CONTACT_KEY/)
  })
})

describe('constantTimeEqual', () => {
  it('compares strings of any length', () => {
    expect(constantTimeEqual('a@example.org', 'a@example.org')).toBe(true)
    expect(constantTimeEqual('a@example.org', 'b@example.org')).toBe(false)
    expect(constantTimeEqual('a@example.org', 'a@example.org ')).toBe(false)
    expect(constantTimeEqual('', '')).toBe(true)
  })
})
