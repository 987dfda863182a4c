import { describe, expect, it } from 'vitest'
import { createLogger, loggablePath, scrub } from '../../app/lib/log.server'

describe('loggablePath', () => {
  it('keeps ordinary paths and hides token-like segments', () => {
    expect(loggablePath('/healthz')).toBe('/healthz')
    expect(loggablePath('/setup')).toBe('/setup')
    expect(loggablePath('/n/ZIdNd5sEByTT5yKu40Q4HwjDdxMlqauAeL-pegN_9lg/answer')).toBe('/n/:token/answer')
    expect(loggablePath('/api/v1/FetchHashes')).toBe('/api/v1/FetchHashes')
  })
})

describe('scrub', () => {
  it('masks addresses, hashes, codes and tokens in free text', () => {
    const line = scrub(
      'duplicate key: Key (email)=(ana.perez@example.org) exists; md5 d41d8cd98f00b204e9800998ecf8427e case 4HZ7-QRK4 secret Z9FF-KGQ5-9NRM-WRGY token ZIdNd5sEByTT5yKu40Q4HwjDdxMlqauAeL-pegN_9lg',
    )
    expect(line).toBe('duplicate key: Key (email)=([email]) exists; md5 [hex] case [code] secret [code] token [token]')
  })
})

describe('the logger', () => {
  it('redacts named fields and scrubs free text, errors included', () => {
    const lines: string[] = []
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) })
    logger.info({ email: 'a@b.org', caseNumber: 'ABCD-2345', nested: { note: 'mail x.y@z.org' } }, 'sent to someone@example.org')
    logger.error({ err: new Error('Key (email)=(ana@example.org) already exists') }, 'failed')
    const text = lines.join('')
    expect(text).not.toMatch(/a@b\.org|ABCD-2345|x\.y@z\.org|someone@example\.org|ana@example\.org/)
    expect(JSON.parse(lines[0]!)).toMatchObject({ email: '[redacted]', caseNumber: '[redacted]', nested: { note: 'mail [email]' }, msg: 'sent to [email]' })
    expect(JSON.parse(lines[1]!).err.message).toBe('Key (email)=([email]) already exists')
  })
})
