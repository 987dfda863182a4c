import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import net from 'node:net'
import { z } from 'zod'
import { singleton } from './singleton.server'

/** A comma-separated list of keys, newest first; older keys still verify and decrypt. */
const keyList = z
  .string()
  .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
  .refine((keys) => keys.length > 0, 'must hold at least one key, e.g. the output of openssl rand -base64 48')
  .refine((keys) => keys.every((k) => k.length >= 32), 'each key must be at least 32 characters long, e.g. the output of openssl rand -base64 48')

/**
 * A whole number in [min, max]. Every way of getting it wrong (not a number,
 * a fraction, out of range) gets the one message that states the range and
 * shows a good value, so the operator can fix it in one go.
 */
function wholeNumber(min: number, max: number, example: number, messages: { tooSmall?: string } = {}) {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`
  const error = `must be a whole number ${range}, e.g. ${example}`
  return z.coerce
    .number({ error })
    .int({ error })
    .min(min, { error: messages.tooSmall ?? error })
    .max(max, { error })
}
const atLeast = (min: number, example: number) => wholeNumber(min, Number.MAX_SAFE_INTEGER, example)

/** Compose files and shells often set a variable to nothing: that means "unset" for these. */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/
/** What checkMessage (mailer.server.ts) refuses in a header: a sender holding one would fail every send. */
// eslint-disable-next-line no-control-regex
const HEADER_BREAKER = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const LogLevelSchema = z.enum(LOG_LEVELS, { error: 'must be fatal, error, warn, info, debug, trace or silent, e.g. info' })
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * The log level for log.server.ts, which builds its logger on import, before
 * the environment is checked: a bad LOG_LEVEL falls back to the default here
 * (so the import cannot fail) and parseEnv reports it at start.
 */
export function logLevelFrom(source: Record<string, string | undefined> = process.env): LogLevel {
  const parsed = LogLevelSchema.safeParse(source.LOG_LEVEL)
  return parsed.success ? parsed.data : source.NODE_ENV === 'test' ? 'silent' : 'info'
}

/**
 * What is wrong with an SMTP_URL, or null. Read by smtpOptionsFromUrl
 * (mailer.server.ts) too, so the start and the transport agree. The message
 * never echoes the URL: it may hold a password.
 */
export function smtpUrlProblem(smtpUrl: string): string | null {
  let url: URL
  try {
    url = new URL(smtpUrl)
  } catch {
    return 'must be a URL, e.g. smtp://user:pass@mail.example.org:587 or smtps://user:pass@mail.example.org:465'
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return 'must start with smtp:// or smtps://, e.g. smtps://user:pass@mail.example.org:465'
  if (!url.hostname) return 'must name a host, e.g. smtp://user:pass@mail.example.org:587'
  const tls = url.searchParams.get('tls')
  if (tls !== null && tls !== 'none' && tls !== 'starttls') return 'tls= must be none or starttls, e.g. smtp://relay.internal:25?tls=none'
  if (url.protocol === 'smtps:' && tls !== null) return 'smtps:// always uses TLS: drop the tls= parameter, e.g. smtps://user:pass@mail.example.org:465'
  return null
}

const TRUST_PROXY_ERROR = 'must be true, a number of proxies in front (e.g. 1), or comma-separated addresses and subnets (e.g. loopback, 10.0.0.0/8)'

/** One entry of a trust-proxy list, as Express (proxy-addr) reads it. */
function isProxyAddress(entry: string): boolean {
  if (entry === 'loopback' || entry === 'linklocal' || entry === 'uniquelocal') return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = net.isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  if (/^\d+$/.test(prefix)) return Number(prefix) <= (family === 4 ? 32 : 128)
  return family === 4 && net.isIPv4(prefix)
}

/**
 * Express's `trust proxy`. A count is made a number, because Express reads
 * the string "1" as the address 0.0.0.1 and so would trust no real proxy.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((s, ctx): boolean | number | string => {
    if (s === 'true') return true
    if (s === 'false') return false
    if (/^\d+$/.test(s)) return Number(s)
    if (s.split(',').every((entry) => isProxyAddress(entry.trim()))) return s
    ctx.addIssue({ code: 'custom', message: TRUST_PROXY_ERROR })
    return z.NEVER
  })

/**
 * The example organisation: a first run works without setup, and the values
 * say "example" in plain sight and use reserved domains, so a notice sent
 * with them is obviously not from a real organisation and its email bounces.
 */
export const EXAMPLE_ORGANISATION = {
  name: 'Takeback (example organisation)',
  email: 'notices@example.org',
  postalAddress: '1 Example Street, Example City (example address)',
} as const

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'must be production, development or test, e.g. production' }).default('production'),
  HOST: z.string().min(1, 'must not be empty, e.g. 127.0.0.1 or 0.0.0.0').default('127.0.0.1'),
  PORT: wholeNumber(0, 65535, 3000).default(3000),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http or https URL, e.g. https://takeback.example.org' }).optional(),
  DATA_DIR: z.string().min(1, 'must not be empty, e.g. ./data or /var/lib/takeback').default('./data'),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: wholeNumber(1, 200, 10).default(10),
  /** Default `info`, or `silent` under NODE_ENV=test (see parseEnv and logLevelFrom). */
  LOG_LEVEL: LogLevelSchema.optional(),
  /** Express's `trust proxy`, for running behind a load balancer; unset trusts no proxy. */
  TRUST_PROXY: z.preprocess(blankToUndefined, trustProxy.optional()),
  SESSION_SECRET: keyList.optional(),
  CONTACT_KEY: keyList.optional(),
  LINK_SIGNING_KEY: keyList.optional(),
  /** Days a provider's link to answer a notice stays valid (see app/lib/notice-link.server.ts). */
  NOTICE_LINK_DAYS: wholeNumber(1, 365, 30).default(30),
  /**
   * Caps on new hashes, counted in stored values (3 per picture, 2 plus one per
   * sampled second per video). Per case: 20,000 is ten full submissions, or
   * about five hours of video, far beyond any one person's need, yet it stops
   * one case from flooding the list that providers check every upload against.
   * Per day (the whole service, a rolling 24 hours): 200,000 is a hundred
   * full-size submissions, far above a normal day's intake, so it bites only
   * on a flood, and bounds what a flood adds before anyone can look at it.
   */
  HASH_CAP_PER_CASE: atLeast(1, 20_000).default(20_000),
  HASH_CAP_PER_DAY: atLeast(1, 200_000).default(200_000),
  /** How often each instance's match index reads changed hashes from the database. */
  MATCH_REFRESH_MS: wholeNumber(100, 3_600_000, 2_000).default(2_000),
  /**
   * Retention (app/models/retention.server.ts). A withdrawn hash must stay in
   * the feed long enough for every provider to see it: they pull at least
   * daily, so a week is the floor and 90 days rides out long outages.
   */
  RETENTION_WITHDRAWN_HASH_DAYS: wholeNumber(7, 3650, 90, {
    tooSmall: 'must be at least 7, so every provider sees a withdrawal before it leaves the feed, e.g. 90',
  }).default(90),
  RETENTION_NOTICE_DAYS: wholeNumber(1, 3650, 180).default(180),
  RETENTION_MAIL_DAYS: wholeNumber(1, 3650, 30).default(30),
  /** Mail transport (mailer.server.ts): unset writes `.eml` files under DATA_DIR/mail instead. */
  SMTP_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .superRefine((s, ctx) => {
        const problem = smtpUrlProblem(s)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      })
      .optional(),
  ),
  /** The sender of every email; parseEnv makes the default from PUBLIC_URL. */
  MAIL_FROM: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine((s) => !HEADER_BREAKER.test(s), 'must be one line, e.g. Takeback <noreply@your-organisation.org>')
      .optional(),
  ),
  /**
   * The outbox worker (outbox-worker.server.ts). The defaults are the worker's
   * own DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS and DEFAULT_BACKOFF (a unit test
   * keeps them equal).
   */
  OUTBOX_WORKER: z.enum(['on', 'off'], { error: 'must be on or off, e.g. off when npm run worker delivers the mail' }).default('on'),
  OUTBOX_INTERVAL_MS: atLeast(100, 5_000).default(5_000),
  OUTBOX_BATCH_SIZE: wholeNumber(1, 1000, 10).default(10),
  OUTBOX_LEASE_MS: atLeast(10_000, 600_000).default(600_000),
  OUTBOX_MAX_ATTEMPTS: wholeNumber(1, 1000, 20).default(20),
  OUTBOX_BACKOFF_BASE_MS: atLeast(0, 60_000).default(60_000),
  OUTBOX_BACKOFF_MAX_MS: atLeast(0, 3_600_000).default(3_600_000),
  /**
   * The organisation that sends removal notices and is their contact
   * (organisation.server.ts). Blank means the example value.
   */
  ORG_NAME: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .max(200, 'must be at most 200 characters, e.g. Example Support Service')
      .refine((s) => !CONTROL.test(s), 'must be one line, with no control characters, e.g. Example Support Service')
      .default(EXAMPLE_ORGANISATION.name),
  ),
  ORG_EMAIL: z.preprocess(blankToUndefined, z.email('must be one email address, e.g. notices@your-organisation.org').default(EXAMPLE_ORGANISATION.email)),
  // Shell variables cannot easily hold line breaks, so "\n" written out
  // also starts a new line of the address.
  ORG_ADDRESS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((s) => s.replace(/\\n/g, '\n').trim())
      .pipe(
        z
          .string()
          .min(1, 'must hold an address, e.g. 1 High Street\\nLondon N1 1AA')
          .max(500, 'must be at most 500 characters, e.g. 1 High Street\\nLondon N1 1AA')
          .refine((s) => !CONTROL_BUT_NEWLINE.test(s), 'must hold no control characters, e.g. 1 High Street\\nLondon N1 1AA'),
      )
      .default(EXAMPLE_ORGANISATION.postalAddress),
  ),
  ORG_PHONE: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(/^\+?[0-9][0-9 ().-]{4,29}$/, 'must be a telephone number, e.g. +44 20 7946 0000')
      .optional(),
  ),
  /** Default PUBLIC_URL (see organisationFromEnv). */
  ORG_WEBSITE: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http or https URL, e.g. https://your-organisation.org' }).optional(),
  ),
})

const SECRET_NAMES = ['SESSION_SECRET', 'CONTACT_KEY', 'LINK_SIGNING_KEY'] as const
type SecretName = (typeof SECRET_NAMES)[number]

/** The name of every variable the server and the worker read: the operator's guide lists exactly these. */
export const ENV_VARIABLES = Object.keys(EnvSchema.shape) as ReadonlyArray<keyof typeof EnvSchema.shape>

export type Env = Omit<z.infer<typeof EnvSchema>, SecretName | 'PUBLIC_URL' | 'MAIL_FROM' | 'LOG_LEVEL'> & {
  PUBLIC_URL: string
  MAIL_FROM: string
  LOG_LEVEL: LogLevel
  database: { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string }
} & Record<SecretName, string[]>

export class EnvError extends Error {}

/** Parse and check the environment; throws EnvError with one line per bad value. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = EnvSchema.safeParse(source)
  if (!parsed.success) {
    // Every bad value at once, each once (a value can fail two checks with one message).
    const lines = [...new Set(parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`))]
    throw new EnvError(`Takeback cannot start: the environment has bad values.\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const url = e.DATABASE_URL?.trim()
  const database: Env['database'] =
    url && /^postgres(ql)?:\/\//.test(url)
      ? { engine: 'postgres', url }
      : { engine: 'sqlite', file: url ? url.replace(/^(sqlite|file):/, '') : path.join(e.DATA_DIR, 'takeback.db') }

  const secrets = {} as Record<SecretName, string[]>
  const missing = SECRET_NAMES.filter((n) => !e[n])
  let generated: Partial<Record<SecretName, string>> = {}
  const problems = unsafeSettings(e)
  if (missing.length > 0 && database.engine === 'postgres' && e.NODE_ENV === 'production') {
    problems.push(
      `${missing.join(', ')} must be set when running on PostgreSQL in production, ` +
        `because every instance must share them. Make each with: openssl rand -base64 48`,
    )
  }
  if (problems.length > 0) throw new EnvError(`Takeback cannot start: its settings are unsafe.\n${problems.map((p) => `  ${p}`).join('\n')}`)
  if (missing.length > 0) {
    // The embedded default keeps generated keys beside its database file:
    // whoever can read one can read the other, and a first start needs no setup.
    generated = loadOrCreateSecretsFile(path.join(e.DATA_DIR, 'secrets.json'), missing)
  }
  for (const n of SECRET_NAMES) secrets[n] = e[n] ?? [generated[n]!]

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '')
  return {
    ...e,
    ...secrets,
    PUBLIC_URL: publicUrl,
    MAIL_FROM: e.MAIL_FROM ?? `Takeback <noreply@${mailDomain(publicUrl)}>`,
    LOG_LEVEL: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    database,
  }
}

/** The host of PUBLIC_URL for the default sender; an IP address is not a mail domain, localhost at least well-formed. */
function mailDomain(publicUrl: string): string {
  const h = new URL(publicUrl).hostname
  return h && !/^[\d.]+$/.test(h) && !h.includes(':') && !h.startsWith('[') ? h : 'localhost'
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/

/** Settings that parse but must not run, one plain sentence each. */
function unsafeSettings(e: z.infer<typeof EnvSchema>): string[] {
  const problems: string[] = []
  if (e.NODE_ENV === 'production') {
    const publicHost = e.PUBLIC_URL ? new URL(e.PUBLIC_URL).hostname : null
    if (publicHost === null && !LOOPBACK.test(e.HOST)) {
      problems.push(`PUBLIC_URL must be set in production when HOST (${e.HOST}) is not 127.0.0.1 or localhost: links in emails and the origin check depend on it.`)
    } else if (publicHost !== null && e.PUBLIC_URL!.startsWith('http:') && !LOOPBACK.test(publicHost)) {
      problems.push('PUBLIC_URL must start with https:// in production (only 127.0.0.1 or localhost may use http): session cookies and signed links must not travel in clear text.')
    }
  }
  // One key serving two purposes means one leak opens both.
  const owner = new Map<string, SecretName>()
  for (const name of SECRET_NAMES) {
    for (const key of e[name] ?? []) {
      const first = owner.get(key)
      const problem = `${first} and ${name} share a key; give each its own (openssl rand -base64 48), so one leaking does not expose the other.`
      if (first && first !== name && !problems.includes(problem)) problems.push(problem)
      owner.set(key, first ?? name)
    }
  }
  return problems
}

function loadOrCreateSecretsFile(file: string, names: readonly SecretName[]): Partial<Record<SecretName, string>> {
  let stored: Partial<Record<SecretName, string>> = {}
  if (fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof stored
  const missing = names.filter((n) => !stored[n])
  if (missing.length > 0) {
    for (const n of missing) stored[n] = crypto.randomBytes(48).toString('base64url')
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    fs.writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 })
  }
  return stored
}

/** The environment of this process, parsed once. */
export function getEnv(): Env {
  return singleton('env', () => parseEnv())
}
