import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { z } from 'zod'
import { singleton } from './singleton.server'

/** A comma-separated list of keys, newest first; older keys still verify and decrypt. */
const keyList = z
  .string()
  .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
  .refine((keys) => keys.length > 0, 'must hold at least one key')
  .refine((keys) => keys.every((k) => k.length >= 32), 'each key must be at least 32 characters long')

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http or https URL, e.g. https://takeback.example.org' }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_SECRET: keyList.optional(),
  CONTACT_KEY: keyList.optional(),
  LINK_SIGNING_KEY: keyList.optional(),
  /** Days a provider's link to answer a notice stays valid (see app/lib/notice-link.server.ts). */
  NOTICE_LINK_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /**
   * Caps on new hashes, counted in stored values (3 per picture, 2 plus one per
   * sampled second per video). Per case: 20,000 is ten full submissions, or
   * about five hours of video, far beyond any one person's need, yet it stops
   * one case from flooding the list that providers check every upload against.
   * Per day (the whole service, a rolling 24 hours): 200,000 is a hundred
   * full-size submissions, far above a normal day's intake, so it bites only
   * on a flood, and bounds what a flood adds before anyone can look at it.
   */
  HASH_CAP_PER_CASE: z.coerce.number().int().min(1).default(20_000),
  HASH_CAP_PER_DAY: z.coerce.number().int().min(1).default(200_000),
  /** How often each instance's match index reads changed hashes from the database. */
  MATCH_REFRESH_MS: z.coerce.number().int().min(100).max(3_600_000).default(2_000),
  /**
   * Retention (app/models/retention.server.ts). A withdrawn hash must stay in
   * the feed long enough for every provider to see it: they pull at least
   * daily, so a week is the floor and 90 days rides out long outages.
   */
  RETENTION_WITHDRAWN_HASH_DAYS: z.coerce.number().int().min(7, 'must be at least 7, so every provider sees a withdrawal before it leaves the feed').max(3650).default(90),
  RETENTION_NOTICE_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  RETENTION_MAIL_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
})

const SECRET_NAMES = ['SESSION_SECRET', 'CONTACT_KEY', 'LINK_SIGNING_KEY'] as const
type SecretName = (typeof SECRET_NAMES)[number]

export type Env = Omit<z.infer<typeof EnvSchema>, SecretName | 'PUBLIC_URL'> & {
  PUBLIC_URL: string
  database: { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string }
} & Record<SecretName, string[]>

export class EnvError extends Error {}

/** Parse and check the environment; throws EnvError with one line per bad value. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = EnvSchema.safeParse(source)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
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

  return {
    ...e,
    ...secrets,
    PUBLIC_URL: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    database,
  }
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
