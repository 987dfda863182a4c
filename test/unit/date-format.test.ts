import { describe, expect, it } from 'vitest'
import { formatDateTime } from '../../app/lib/date-format'

describe('formatDateTime', () => {
  const moments = [0, Date.UTC(2026, 10, 27, 3, 4, 5), Date.UTC(1999, 11, 31, 23, 59, 59)]

  it('writes what toLocaleString writes with the same options, in each language', () => {
    for (const language of ['en', 'es']) {
      for (const ms of moments) {
        expect(formatDateTime(language, ms)).toBe(new Date(ms).toLocaleString(language, { dateStyle: 'medium', timeStyle: 'short' }))
      }
    }
  })

  it('keeps each language apart, whichever comes first', () => {
    const ms = moments[1]!
    const es = formatDateTime('es', ms)
    const en = formatDateTime('en', ms)
    expect(en).not.toBe(es)
    expect(formatDateTime('es', ms)).toBe(es)
    expect(en).toMatch(/Nov/)
    expect(es).toMatch(/nov/)
  })
})
