import { describe, expect, it } from 'vitest'
import { locales, supportedLanguages } from '../../app/i18n'
import { NewRequestSchema, RecoveryRequestSchema, SignInSchema, AddUrlsSchema, WithdrawHashesSchema } from '../../app/models/case.schema'
import { SetupSchema } from '../../app/models/staff.schema'

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix]
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k))
}

/** Messages a person can meet: every schema fed the mistakes people make. */
function messagesPeopleSee(): string[] {
  const attempts: [{ safeParse: (v: unknown) => { success: boolean; error?: { issues: { message: string }[] } } }, unknown][] = [
    [NewRequestSchema, {}],
    [NewRequestSchema, { idempotencyKey: 'k'.repeat(20), requester: 'self_adult', files: [{ media: 'image', pdq: '0'.repeat(64), quality: 100, md5: 'd41d8cd98f00b204e9800998ecf8427e', sha256: 'a'.repeat(64) }] }],
    [NewRequestSchema, { idempotencyKey: 'k'.repeat(20), requester: 'self_adult', urls: 'javascript:alert(1)\nhttps://u:p@example.com/x', contactEmail: 'a@b.org, c@d.org' }],
    [NewRequestSchema, { idempotencyKey: 'k'.repeat(20), requester: 'self_adult', urls: 'https://example.com/x', contactEmail: 'not-an-address' }],
    [SignInSchema, { caseNumber: '', secret: '' }],
    [SignInSchema, { caseNumber: 'AB', secret: 'CD' }],
    [RecoveryRequestSchema, { caseNumber: 'ABCD-2345', email: 'x' }],
    [AddUrlsSchema, { urls: '' }],
    [WithdrawHashesSchema, { hashIds: [] }],
    [SetupSchema, { token: 't', email: '', password: 'short', confirm: 'x' }],
  ]
  return [...new Set(attempts.flatMap(([schema, value]) => schema.safeParse(value).error?.issues.map((i) => i.message) ?? []))]
}

describe('languages', () => {
  it('English and Spanish are both there', () => {
    expect(supportedLanguages).toEqual(['en', 'es'])
  })

  for (const lng of Object.keys(locales).filter((l) => l !== 'en')) {
    it(`${lng} has exactly the keys English has, none empty`, () => {
      expect(keys(locales[lng]!.default).sort()).toEqual(keys(locales.en!.default).sort())
      expect(keys(locales[lng]!.default).filter((k) => k.split('.').reduce<any>((o, p) => o[p], locales[lng]!.default) === '')).toEqual([])
    })

    it(`${lng} translates every validation message people meet`, () => {
      const seen = messagesPeopleSee()
      expect(seen.length).toBeGreaterThan(12)
      const missing = seen.filter((m) => !locales[lng]!.validation?.[m])
      expect(missing).toEqual([])
    })
  }
})
