import { describe, expect, it } from 'vitest'
import { loggablePath } from '../../app/lib/log.server'

describe('loggablePath', () => {
  it('keeps ordinary paths and hides token-like segments', () => {
    expect(loggablePath('/healthz')).toBe('/healthz')
    expect(loggablePath('/setup')).toBe('/setup')
    expect(loggablePath('/n/ZIdNd5sEByTT5yKu40Q4HwjDdxMlqauAeL-pegN_9lg/answer')).toBe('/n/:token/answer')
    expect(loggablePath('/api/v1/FetchHashes')).toBe('/api/v1/FetchHashes')
  })
})
