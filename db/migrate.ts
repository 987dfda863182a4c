/**
 * npm run db:migrate [-- up | down | reset | status]
 *   up (default): apply every pending migration
 *   down:   revert the most recent one
 *   reset:  revert all of them (an empty database)
 *   status: list migrations and when each ran
 */
import { connect } from '../app/lib/db.server'
import { getEnv } from '../app/lib/env.server'
import { migrateDown, migrateToEmpty, migrateToLatest, migrationStatus } from './migrator'

const command = process.argv[2] ?? 'up'
if (!['up', 'down', 'reset', 'status'].includes(command)) {
  console.error(`Unknown command "${command}". Use one of: up, down, reset, status.`)
  process.exit(2)
}
const env = getEnv()
const { db, close } = connect(env.database, { poolSize: 1 })
const where = env.database.engine === 'sqlite' ? `SQLite file ${env.database.file}` : 'PostgreSQL'
try {
  let lines: string[]
  if (command === 'up') lines = await migrateToLatest(db)
  else if (command === 'down') lines = await migrateDown(db)
  else if (command === 'reset') lines = await migrateToEmpty(db)
  else lines = (await migrationStatus(db)).map((m) => `${m.executedAt ? 'applied' : 'pending'}  ${m.name}`)
  console.log(`${where}: ${lines.length ? '\n  ' + lines.join('\n  ') : 'nothing to do'}`)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await close()
}
