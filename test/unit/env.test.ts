import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { connect } from '../../app/lib/db.server'
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
    const env = parseEnv({ DATA_DIR: tmp(), SESSION_SECRET: `${KEY}a, ${KEY}b`, CONTACT_KEY: `${KEY}c`, LINK_SIGNING_KEY: `${KEY}l` })
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

describe('start-up safety', () => {
  const problems = (source: Record<string, string>) => {
    try {
      parseEnv({ DATA_DIR: tmp(), ...source })
      return null
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError)
      return (error as Error).message
    }
  }

  it('wants https in production, except on this machine', () => {
    expect(problems({ NODE_ENV: 'production', PUBLIC_URL: 'http://takeback.example.org' })).toContain(
      'PUBLIC_URL must start with https:// in production (only 127.0.0.1 or localhost may use http)',
    )
    expect(problems({ NODE_ENV: 'production', PUBLIC_URL: 'https://takeback.example.org' })).toBeNull()
    expect(problems({ NODE_ENV: 'production', PUBLIC_URL: 'http://127.0.0.1:3000' })).toBeNull()
    expect(problems({ NODE_ENV: 'production', PUBLIC_URL: 'http://localhost:3000' })).toBeNull()
    expect(problems({ NODE_ENV: 'development', PUBLIC_URL: 'http://takeback.example.org' })).toBeNull()
  })

  it('wants PUBLIC_URL in production when listening beyond this machine', () => {
    expect(problems({ NODE_ENV: 'production', HOST: '0.0.0.0' })).toContain('PUBLIC_URL must be set in production when HOST (0.0.0.0) is not 127.0.0.1 or localhost')
    expect(problems({ NODE_ENV: 'production', HOST: '0.0.0.0', PUBLIC_URL: 'https://takeback.example.org' })).toBeNull()
    expect(problems({ NODE_ENV: 'production' })).toBeNull()
  })

  it('refuses one key used for two purposes, naming both', () => {
    const message = problems({ SESSION_SECRET: `${KEY}new,${KEY}old`, CONTACT_KEY: `${KEY}old`, LINK_SIGNING_KEY: `${KEY}link` })
    expect(message).toContain('SESSION_SECRET and CONTACT_KEY share a key')
    expect(message).not.toContain(KEY)
  })

  it('lists every unsafe setting, one line each', () => {
    const message = problems({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/t', PUBLIC_URL: 'http://takeback.example.org' })!
    const lines = message.split('\n').slice(1)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('PUBLIC_URL must start with https://')
    expect(lines[1]).toContain('SESSION_SECRET, CONTACT_KEY, LINK_SIGNING_KEY must be set')
  })

  it('validates the retention periods, and keeps withdrawn hashes at least a week', () => {
    const env = parseEnv({ DATA_DIR: tmp() })
    expect([env.RETENTION_WITHDRAWN_HASH_DAYS, env.RETENTION_NOTICE_DAYS, env.RETENTION_MAIL_DAYS]).toEqual([90, 180, 30])
    expect(problems({ RETENTION_WITHDRAWN_HASH_DAYS: '6' })).toContain(
      'RETENTION_WITHDRAWN_HASH_DAYS: must be at least 7, so every provider sees a withdrawal before it leaves the feed',
    )
    expect(problems({ RETENTION_NOTICE_DAYS: 'forever' })).toContain('RETENTION_NOTICE_DAYS:')
    expect(problems({ RETENTION_MAIL_DAYS: '0' })).toContain('RETENTION_MAIL_DAYS:')
  })

  it('opens SQLite only in WAL mode with synchronous FULL, and says why otherwise', () => {
    const file = path.join(tmp(), 'ok.db')
    const ok = connect({ engine: 'sqlite', file })
    void ok.close()
    // An in-memory database cannot use WAL: exactly the kind of setting that must stop the start.
    expect(() => connect({ engine: 'sqlite', file: ':memory:' })).toThrow(
      /journal_mode=memory .* must run with journal_mode=WAL and synchronous=FULL \(2\), or a crash or power cut could lose or corrupt cases/,
    )
  })
})
