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
  if (missing.length > 0) {
    if (database.engine === 'postgres' && e.NODE_ENV === 'production') {
      throw new EnvError(
        `Takeback cannot start: ${missing.join(', ')} must be set when running on PostgreSQL in production, ` +
          `because every instance must share them. Make each with: openssl rand -base64 48`,
      )
    }
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
