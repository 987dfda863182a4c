import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { EnvError, parseEnv } from '../../app/lib/env.server'

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-env-'))
const KEY = 'k'.repeat(40)

describe('parseEnv', () => {
  it('defaults to SQLite under DATA_DIR, bound to 127.0.0.1:3000', () => {
    const dir = tmp()
    const env = parseEnv({ DATA_DIR: dir })
    expect(env.database).toEqual({ engine: 'sqlite', file: path.join(dir, 'takeback.db') })
    expect(env.HOST).toBe('127.0.0.1')
    expect(env.PORT).toBe(3000)
    expect(env.PUBLIC_URL).toBe('http://localhost:3000')
  })

  it('picks PostgreSQL from a postgres:// URL and a file for anything else', () => {
    const dir = tmp()
    expect(parseEnv({ NODE_ENV: 'test', DATA_DIR: dir, DATABASE_URL: 'postgresql://u:p@db/takeback' }).database.engine).toBe('postgres')
    expect(parseEnv({ DATA_DIR: dir, DATABASE_URL: 'file:./x.db' }).database).toEqual({ engine: 'sqlite', file: './x.db' })
  })

  it('generates missing keys once for the embedded default and keeps them beside the database', () => {
    const dir = tmp()
    const first = parseEnv({ DATA_DIR: dir })
    const second = parseEnv({ DATA_DIR: dir })
    expect(first.SESSION_SECRET[0]!.length).toBeGreaterThanOrEqual(32)
    expect(second.SESSION_SECRET).toEqual(first.SESSION_SECRET)
    expect(first.CONTACT_KEY).not.toEqual(first.SESSION_SECRET)
    expect(fs.statSync(path.join(dir, 'secrets.json')).mode & 0o777).toBe(0o600)
  })

  it('reads key lists newest first, for rotation', () => {
    const env = parseEnv({ DATA_DIR: tmp(), SESSION_SECRET: `${KEY}a, ${KEY}b`, CONTACT_KEY: KEY, LINK_SIGNING_KEY: KEY })
    expect(env.SESSION_SECRET).toEqual([`${KEY}a`, `${KEY}b`])
  })

  it('names every bad value in one message', () => {
    expect(() => parseEnv({ PORT: 'eighty', PUBLIC_URL: 'ftp://x', SESSION_SECRET: 'short' })).toThrow(EnvError)
    try {
      parseEnv({ PORT: 'eighty', PUBLIC_URL: 'ftp://x', SESSION_SECRET: 'short' })
    } catch (error) {
      const message = (error as Error).message
      expect(message).toContain('PORT:')
      expect(message).toContain('PUBLIC_URL: must be an http or https URL')
      expect(message).toContain('SESSION_SECRET: each key must be at least 32 characters long')
    }
  })

  it('refuses to start on PostgreSQL in production without shared keys', () => {
    expect(() => parseEnv({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/t', DATA_DIR: tmp() })).toThrow(
      /SESSION_SECRET, CONTACT_KEY, LINK_SIGNING_KEY must be set/,
    )
  })
})
