/**
 * `takeback provider add`: enter a service provider and make its first API
 * key, from the command line of the machine that runs Takeback.
 */
import { parseArgs } from 'node:util'
import type { z } from 'zod'
import { migrateToLatest } from '../../db/migrator'
import { getConnection, type DB } from '../lib/db.server'
import { EnvError } from '../lib/env.server'
import { ValidationError } from '../lib/errors.server'
import { forgetSingleton } from '../lib/singleton.server'
import { ProviderSchema, type ProviderInput } from '../models/provider.schema'
import { createApiKey, createProvider, type Actor } from '../models/provider.server'

/** Changes made from the command line are audited as the system's, marked as coming from here. */
export const CLI_ACTOR: Actor = { actorType: 'system', actorId: 'cli' }

/**
 * Open the database the environment names, bring its schema up to date (so a
 * command works on a fresh machine), run `fn`, and close it. Shared by the
 * commands that use the database.
 */
export async function withDatabase<T>(fn: (db: DB) => Promise<T>): Promise<T> {
  const connection = getConnection()
  try {
    await migrateToLatest(connection.db)
    return await fn(connection.db)
  } finally {
    await connection.close()
    forgetSingleton('db')
  }
}

/** One line per problem, naming the option it concerns (and which of several, for repeated options). */
export function describeIssues(issues: z.ZodError['issues'], optionFor: (field: string) => string, itemLabel?: (field: string, index: number) => string): string {
  return issues
    .map((issue) => {
      const [field, index] = issue.path
      const option = optionFor(String(field ?? 'form'))
      const which = typeof index === 'number' ? ` (${itemLabel ? itemLabel(String(field), index) : ordinal(index + 1)})` : ''
      return `${option}${which}: ${issue.message}\n`
    })
    .join('')
}

export function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')
  return `${n}${suffix}`
}

/** Exit code and message for an error thrown while a command ran. */
export function reportFailure(error: unknown, optionFor: (field: string) => string): number {
  if (error instanceof ValidationError) {
    process.stderr.write(`${optionFor(error.field)}: ${error.message}\nNothing was saved.\n`)
    return 2
  }
  if (error instanceof EnvError) {
    process.stderr.write(`${error.message}\n`)
    return 1
  }
  process.stderr.write(`Failed, and nothing was saved: ${error instanceof Error ? error.message : String(error)}\n`)
  return 1
}

const PROVIDER_OPTIONS: Record<string, string> = {
  name: '--name',
  domains: '--domain',
  noticeEmails: '--email',
  regime: '--regime',
  hashList: '--hash-list',
}
const providerOption = (field: string) => PROVIDER_OPTIONS[field] ?? field

async function addProvider(args: string[], usage: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      domain: { type: 'string', multiple: true },
      email: { type: 'string', multiple: true },
      regime: { type: 'string' },
      'hash-list': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    return 0
  }
  const input: ProviderInput = {
    name: values.name ?? '',
    domains: values.domain ?? [],
    noticeEmails: values.email ?? [],
    regime: values.regime as ProviderInput['regime'],
    hashList: values['hash-list'],
  }
  // Checked before the database is opened, so bad input writes nothing at all.
  const checked = ProviderSchema.safeParse(input)
  if (!checked.success) {
    process.stderr.write(describeIssues(checked.error.issues, providerOption) + 'Nothing was saved.\n')
    return 2
  }

  try {
    const created = await withDatabase((db) =>
      // One transaction: a provider is never left without the key printed for it.
      db.transaction().execute(async (trx) => {
        const { id } = await createProvider(trx, input, CLI_ACTOR)
        const { key } = await createApiKey(trx, id, CLI_ACTOR)
        return { id, apiKey: key }
      }),
    )
    process.stdout.write(JSON.stringify(created) + '\n')
    process.stderr.write('Provider added. Copy the API key now: it is shown only this once and stored only as a hash.\n')
    return 0
  } catch (error) {
    return reportFailure(error, providerOption)
  }
}

/** `takeback provider SUBCOMMAND ...` */
export async function providerCommand(args: string[], usage: string): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'add') return addProvider(rest, usage)
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(usage)
    return 0
  }
  process.stderr.write(`${sub ? `Unknown provider command "${sub}".` : 'Say what to do: provider add.'}\n\n${usage}`)
  return 2
}
