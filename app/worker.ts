/**
 * The outbox and deadline workers as their own process: `npm run worker`. Use it with
 * OUTBOX_WORKER=off on the app, or beside it (claims keep them apart).
 * It never migrates: the app does. Until the outbox table exists it waits,
 * checking every second. SIGTERM or SIGINT stop it after the current delivery.
 */
import { getConnection } from './lib/db.server'
import { EnvError, getEnv } from './lib/env.server'
import { organisationFromEnv } from './lib/organisation.server'
import { startWorkerFromEnv } from './lib/outbox-worker.server'
import { startDeadlineWorker, type DeadlineWorker } from './models/deadline.server'
import { retentionPolicyFromEnv, startRetentionJob, type RetentionJob } from './models/retention.server'

let env
try {
  env = getEnv()
  // Opening the database checks its safety settings (SQLite: WAL, synchronous FULL).
  getConnection()
} catch (error) {
  if (error instanceof EnvError) {
    console.error(error.message)
    process.exit(1)
  }
  throw error
}

const connection = getConnection()
let worker: ReturnType<typeof startWorkerFromEnv> | undefined
let deadlineWorker: DeadlineWorker | undefined
let retentionJob: RetentionJob | undefined
let stopping = false

async function stop(signal: string) {
  if (stopping) return
  stopping = true
  console.log(`Takeback outbox worker stopping (${signal})`)
  await Promise.all([worker?.stop(), deadlineWorker?.stop(), retentionJob?.stop()])
  await connection.close()
  process.exit(0)
}
process.on('SIGTERM', () => void stop('SIGTERM'))
process.on('SIGINT', () => void stop('SIGINT'))

async function outboxExists(): Promise<boolean> {
  try {
    await connection.db.selectFrom('outbox').select('id').limit(1).execute()
    return true
  } catch {
    return false
  }
}

let waited = false
while (!stopping && !(await outboxExists())) {
  if (!waited) {
    console.log('Takeback outbox worker: waiting for the outbox table. Start the app (it migrates the database) or run npm run db:migrate.')
    waited = true
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
}

if (!stopping) {
  try {
    worker = startWorkerFromEnv(connection.db)
    deadlineWorker = startDeadlineWorker({ db: connection.db, org: organisationFromEnv(), intervalMs: 60_000 })
    retentionJob = startRetentionJob({ db: connection.db, policy: retentionPolicyFromEnv() })
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(error.message)
      await connection.close()
      process.exit(1)
    }
    throw error
  }
  console.log(`Takeback worker started: outbox and deadlines (${connection.engine}, ${worker.mode === 'smtp' ? 'SMTP' : `files in ${env.DATA_DIR}/mail`})`)
}
