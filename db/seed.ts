/**
 * npm run db:seed
 *
 * A starting directory of large platforms, by their public names and the
 * domains their content is served from, so that web addresses survivors
 * report are matched to a provider from the first day. The notice addresses
 * are placeholders on the reserved .invalid top-level domain, which can never
 * receive mail; each entry is marked is_placeholder until staff enter the
 * platform's real address.
 *
 * Running it again changes nothing: a platform any of whose domains is
 * already in the directory is skipped, whoever added it.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Kysely } from 'kysely'
import { getConnection } from '../app/lib/db.server'
import { getEnv } from '../app/lib/env.server'
import type { ProviderInput } from '../app/models/provider.schema'
import { createProvider, type Actor } from '../app/models/provider.server'
import { migrateToLatest } from './migrator'
import type { Database, Regime } from './schema'

const SEED_ACTOR: Actor = { actorType: 'system', actorId: 'seed' }

function placeholder(domain: string): string[] {
  return [`notices@placeholder.${domain}.invalid`]
}

/**
 * Regime: 'takeitdown' for platforms based in, or run for US users from, the
 * United States (the TAKE IT DOWN Act's 48-hour removal duty); 'dsa' for
 * Aylo, whose Pornhub is run from the EU (Cyprus) and is a designated very
 * large online platform; 'generic' where neither clearly applies (Telegram,
 * based in Dubai; OnlyFans, run from the UK). Staff should check each when
 * they enter the real address.
 */
const DIRECTORY: { name: string; domains: string[]; regime: Regime }[] = [
  {
    name: 'Meta (Facebook, Instagram, Threads)',
    domains: ['facebook.com', 'fb.com', 'fbcdn.net', 'instagram.com', 'cdninstagram.com', 'threads.net', 'threads.com'],
    regime: 'takeitdown',
  },
  { name: 'X (Twitter)', domains: ['x.com', 'twitter.com', 'twimg.com', 't.co'], regime: 'takeitdown' },
  // TikTok's US service is run by a US joint venture.
  { name: 'TikTok', domains: ['tiktok.com'], regime: 'takeitdown' },
  {
    name: 'Google (YouTube, Search, Blogger)',
    domains: ['youtube.com', 'youtu.be', 'ytimg.com', 'google.com', 'googleusercontent.com', 'blogspot.com'],
    regime: 'takeitdown',
  },
  { name: 'Reddit', domains: ['reddit.com', 'redd.it', 'redditmedia.com'], regime: 'takeitdown' },
  { name: 'Snap (Snapchat)', domains: ['snapchat.com'], regime: 'takeitdown' },
  { name: 'Discord', domains: ['discord.com', 'discord.gg', 'discordapp.com', 'discordapp.net'], regime: 'takeitdown' },
  { name: 'Telegram', domains: ['telegram.org', 'telegram.me', 't.me'], regime: 'generic' },
  { name: 'Aylo (Pornhub, YouPorn, RedTube)', domains: ['pornhub.com', 'youporn.com', 'redtube.com'], regime: 'dsa' },
  { name: 'OnlyFans', domains: ['onlyfans.com'], regime: 'generic' },
  { name: 'Microsoft (Bing, OneDrive)', domains: ['bing.com', 'onedrive.com', '1drv.ms'], regime: 'takeitdown' },
  { name: 'Pinterest', domains: ['pinterest.com', 'pinimg.com', 'pin.it'], regime: 'takeitdown' },
  { name: 'Tumblr', domains: ['tumblr.com'], regime: 'takeitdown' },
  { name: 'Twitch', domains: ['twitch.tv'], regime: 'takeitdown' },
  { name: 'Imgur', domains: ['imgur.com'], regime: 'takeitdown' },
]

export const SEED_PROVIDERS: readonly (ProviderInput & { domains: string[] })[] = DIRECTORY.map((p) => ({
  ...p,
  noticeEmails: placeholder(p.domains[0]!),
  hashList: false,
}))

export interface SeedResult {
  created: string[]
  skipped: string[]
}

/** Add the seed directory's platforms that are not there yet, in one transaction. */
export async function seedProviders(db: Kysely<Database>, now = Date.now()): Promise<SeedResult> {
  return db.transaction().execute(async (trx) => {
    const result: SeedResult = { created: [], skipped: [] }
    for (const provider of SEED_PROVIDERS) {
      const existing = await trx.selectFrom('provider_domain').select('domain').where('domain', 'in', provider.domains).executeTakeFirst()
      if (existing) {
        result.skipped.push(provider.name)
        continue
      }
      await createProvider(trx, provider, SEED_ACTOR, now)
      result.created.push(provider.name)
    }
    return result
  })
}

async function main(): Promise<number> {
  const env = getEnv()
  const connection = getConnection()
  const where = env.database.engine === 'sqlite' ? `SQLite file ${env.database.file}` : 'PostgreSQL'
  try {
    // Migrate first, so that seeding works on a fresh machine.
    await migrateToLatest(connection.db)
    const { created, skipped } = await seedProviders(connection.db)
    console.log(
      `${where}: added ${created.length} provider${created.length === 1 ? '' : 's'} with placeholder notice addresses` +
        (skipped.length ? `; ${skipped.length} already present, left as they are` : '') +
        '.',
    )
    return 0
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    return 1
  } finally {
    await connection.close()
  }
}

// Run only as a script: tests import seedProviders without seeding anything.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main()
}
