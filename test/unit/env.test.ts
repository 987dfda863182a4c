import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { connect } from '../../app/lib/db.server'
import { ENV_VARIABLES, EnvError, EXAMPLE_ORGANISATION, logLevelFrom, parseEnv } from '../../app/lib/env.server'
import { organisationFromEnv } from '../../app/lib/organisation.server'
import { DEFAULT_BACKOFF, DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS, readOutboxSettings } from '../../app/lib/outbox-worker.server'

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

describe('mail, outbox, organisation, proxy and log settings', () => {
  const message = (source: Record<string, string>) => {
    try {
      parseEnv({ DATA_DIR: tmp(), ...source })
      return null
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError)
      return (error as Error).message
    }
  }

  it('keeps their defaults: files instead of SMTP, a sender from PUBLIC_URL, the worker on, the example organisation', () => {
    const env = parseEnv({ DATA_DIR: tmp(), PUBLIC_URL: 'https://takeback.example.org/' })
    expect(env.SMTP_URL).toBeUndefined()
    expect(env.MAIL_FROM).toBe('Takeback <noreply@takeback.example.org>')
    expect(parseEnv({ DATA_DIR: tmp(), PUBLIC_URL: 'http://127.0.0.1:3000' }).MAIL_FROM).toBe('Takeback <noreply@localhost>')
    // The schema's defaults are the worker's own, used when options are passed directly.
    expect(readOutboxSettings(env)).toEqual({
      inProcess: true,
      intervalMs: 5_000,
      limit: 10,
      leaseMs: DEFAULT_LEASE_MS,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      backoff: DEFAULT_BACKOFF,
    })
    expect(organisationFromEnv(env)).toEqual({
      name: EXAMPLE_ORGANISATION.name,
      email: EXAMPLE_ORGANISATION.email,
      postalAddress: EXAMPLE_ORGANISATION.postalAddress,
      phone: null,
      website: 'https://takeback.example.org',
    })
    expect(env.TRUST_PROXY).toBeUndefined()
    expect(env.LOG_LEVEL).toBe('info')
    expect(parseEnv({ DATA_DIR: tmp(), NODE_ENV: 'test' }).LOG_LEVEL).toBe('silent')
  })

  it('reads given values, blanks as unset', () => {
    const env = parseEnv({
      DATA_DIR: tmp(),
      SMTP_URL: ' smtps://u:p@mail.example.org:465 ',
      MAIL_FROM: 'Helpline <help@example.net>',
      OUTBOX_WORKER: 'off',
      OUTBOX_BACKOFF_BASE_MS: '5000',
      OUTBOX_BACKOFF_MAX_MS: '1000',
      ORG_NAME: '  ',
      ORG_EMAIL: 'Casework@Example.NET',
      ORG_ADDRESS: '2 Test Lane\\nTestville',
      ORG_PHONE: '+44 20 7946 0000',
      ORG_WEBSITE: 'https://example.net',
    })
    expect(env.SMTP_URL).toBe('smtps://u:p@mail.example.org:465')
    expect(env.MAIL_FROM).toBe('Helpline <help@example.net>')
    const outbox = readOutboxSettings(env)
    expect(outbox.inProcess).toBe(false)
    // A maximum below the base is raised to it.
    expect(outbox.backoff).toMatchObject({ baseMs: 5000, maxMs: 5000 })
    expect(organisationFromEnv(env)).toEqual({
      name: EXAMPLE_ORGANISATION.name,
      email: 'casework@example.net',
      postalAddress: '2 Test Lane\nTestville',
      phone: '+44 20 7946 0000',
      website: 'https://example.net',
    })
  })

  it('gives a bad SMTP_URL its own message, without echoing the password', () => {
    const m = message({ SMTP_URL: 'http://user:hunter22@mail.example.org' })!
    expect(m).toContain('SMTP_URL: must start with smtp:// or smtps://, e.g. smtps://user:pass@mail.example.org:465')
    expect(m).not.toContain('hunter22')
    expect(message({ SMTP_URL: 'smtp://u:p@mail.example.org?tls=maybe' })).toContain('SMTP_URL: tls= must be none or starttls, e.g. smtp://relay.internal:25?tls=none')
    expect(message({ SMTP_URL: 'mail.example.org hunter22' })).toMatch(/SMTP_URL: must be a URL, e.g. smtp:\/\/user:pass@mail.example.org:587/)
    expect(message({ MAIL_FROM: 'Takeback <a@example.org>\r\nBcc: b@example.org' })).toContain(
      'MAIL_FROM: must be one line, e.g. Takeback <noreply@your-organisation.org>',
    )
  })

  it('gives a bad ORG_ value its own message', () => {
    expect(message({ ORG_EMAIL: 'notices at example.org' })).toContain('ORG_EMAIL: must be one email address, e.g. notices@your-organisation.org')
    expect(message({ ORG_PHONE: 'call us' })).toContain('ORG_PHONE: must be a telephone number, e.g. +44 20 7946 0000')
    expect(message({ ORG_WEBSITE: 'example.org' })).toContain('ORG_WEBSITE: must be an http or https URL, e.g. https://your-organisation.org')
    expect(message({ ORG_NAME: 'Line one\nLine two' })).toContain('ORG_NAME: must be one line, with no control characters')
  })

  it('gives a bad OUTBOX_ value its own message', () => {
    expect(message({ OUTBOX_BATCH_SIZE: '0' })).toContain('OUTBOX_BATCH_SIZE: must be a whole number from 1 to 1000, e.g. 10')
    expect(message({ OUTBOX_LEASE_MS: 'ten minutes' })).toContain('OUTBOX_LEASE_MS: must be a whole number of at least 10000, e.g. 600000')
    expect(message({ OUTBOX_WORKER: 'no' })).toContain('OUTBOX_WORKER: must be on or off')
  })

  it('reads TRUST_PROXY as Express means it: a count of proxies as a number', () => {
    const trust = (value: string) => parseEnv({ DATA_DIR: tmp(), TRUST_PROXY: value }).TRUST_PROXY
    expect(trust('1')).toBe(1)
    expect(trust('true')).toBe(true)
    expect(trust('loopback, 10.0.0.0/8, 192.168.0.1/255.255.0.0, ::1/128')).toBe('loopback, 10.0.0.0/8, 192.168.0.1/255.255.0.0, ::1/128')
    expect(trust('')).toBeUndefined()
    expect(message({ TRUST_PROXY: 'the load balancer' })).toContain('TRUST_PROXY: must be true, a number of proxies in front (e.g. 1)')
    expect(message({ TRUST_PROXY: '10.0.0.0/33' })).toContain('TRUST_PROXY:')
  })

  it('reports a bad LOG_LEVEL at start, while the logger falls back instead of failing on import', () => {
    expect(message({ LOG_LEVEL: 'loud' })).toContain('LOG_LEVEL: must be fatal, error, warn, info, debug, trace or silent, e.g. info')
    expect(logLevelFrom({ LOG_LEVEL: 'loud' })).toBe('info')
    expect(logLevelFrom({ LOG_LEVEL: 'loud', NODE_ENV: 'test' })).toBe('silent')
    expect(logLevelFrom({ LOG_LEVEL: 'debug' })).toBe('debug')
  })

  it('reports every bad value at once, one line each, naming it and showing a good value', () => {
    // One bad value for every variable that can have one (DATABASE_URL takes any path).
    const bad: Record<string, string> = {
      NODE_ENV: 'staging',
      HOST: '',
      PORT: 'eighty',
      PUBLIC_URL: 'ftp://takeback.example.org',
      DATA_DIR: '',
      DATABASE_POOL_SIZE: '0',
      LOG_LEVEL: 'loud',
      TRUST_PROXY: 'the load balancer',
      SESSION_SECRET: 'short',
      CONTACT_KEY: ',',
      LINK_SIGNING_KEY: 'short',
      NOTICE_LINK_DAYS: '400',
      HASH_CAP_PER_CASE: '0',
      HASH_CAP_PER_DAY: '-1.5',
      MATCH_REFRESH_MS: '1.5',
      RETENTION_WITHDRAWN_HASH_DAYS: '6',
      RETENTION_NOTICE_DAYS: 'forever',
      RETENTION_MAIL_DAYS: '0',
      SMTP_URL: 'mail.example.org',
      MAIL_FROM: 'a\nb',
      OUTBOX_WORKER: 'no',
      OUTBOX_INTERVAL_MS: '10',
      OUTBOX_BATCH_SIZE: '0',
      OUTBOX_LEASE_MS: '1000',
      OUTBOX_MAX_ATTEMPTS: '1001',
      OUTBOX_BACKOFF_BASE_MS: '-1',
      OUTBOX_BACKOFF_MAX_MS: 'an hour',
      ORG_NAME: 'a\tb',
      ORG_EMAIL: 'nobody',
      ORG_ADDRESS: 'a\u0007b',
      ORG_PHONE: 'call us',
      ORG_WEBSITE: 'example.org',
    }
    // Keeps this list in step with the schema.
    expect(Object.keys(bad).sort()).toEqual(ENV_VARIABLES.filter((n) => n !== 'DATABASE_URL').sort())
    const lines = message(bad)!.split('\n').slice(1)
    expect(lines.map((l) => /^ {2}([A-Z_]+): /.exec(l)?.[1])).toEqual(Object.keys(bad))
    for (const line of lines) expect(line).toMatch(/^ {2}[A-Z_]+: \S.*e\.g\. \S/)
  })
})
