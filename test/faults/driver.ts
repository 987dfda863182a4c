/**
 * The SIGKILL driver of the fault suite (test/integration/faults.test.ts).
 * It opens cases and sends removal notices in a loop, through the app's own
 * models, on the database DATABASE_URL names, until its parent kills it.
 *
 * Every step is acknowledged only after its commit has returned: a line
 * appended to FAULT_ACK_FILE and fsync'd, so what the parent reads back after
 * the kill is exactly what a client could have been told. A line `begin KEY`
 * goes out before each case, and a fresh driver first retries every key that
 * was begun and never acknowledged, with the same idempotency key, as a
 * survivor's browser would after losing the answer.
 *
 * Environment: DATABASE_URL, DATA_DIR (the shared keys), FAULT_ACK_FILE,
 * FAULT_STAFF_ID (a caseworker), FAULT_DOMAIN (a provider's website), and
 * FAULT_FINISH=1 to only finish what was begun, then exit.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { getDb } from '../../app/lib/db.server'
import type { Organisation } from '../../app/lib/organisation.server'
import type { NewRequestInput } from '../../app/models/case.schema'
import { createCase } from '../../app/models/case.server'
import { draftNotices, sendNotice } from '../../app/models/notice.server'

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

const ackFile = required('FAULT_ACK_FILE')
const staff = { staffId: required('FAULT_STAFF_ID') }
const domain = required('FAULT_DOMAIN')

const ORG: Organisation = {
  name: 'Fault Suite Helpline',
  email: 'notices@helpline.example',
  postalAddress: '1 Test Street\nTestville',
  phone: '+44 117 496 0000',
  website: 'https://helpline.example',
}

const ack = fs.openSync(ackFile, 'a')
function record(...fields: string[]): void {
  fs.writeSync(ack, `${fields.join(' ')}\n`)
  fs.fsyncSync(ack)
  // Tells the parent a step is done, so its kills land across every step however slow the machine.
  process.stdout.write('step\n')
}

const hex = (seed: string, what: string, length: number) =>
  crypto.createHash('sha256').update(`${what}:${seed}`).digest('hex').repeat(2).slice(0, length)

/** The same request for the same key, so a retry is the same submission. */
function requestFor(key: string): NewRequestInput {
  return {
    idempotencyKey: key,
    requester: 'self_adult',
    language: 'en',
    files: [{ media: 'image', pdq: hex(key, 'pdq', 64), quality: 90, md5: hex(key, 'md5', 32), sha256: hex(key, 'sha256', 64) }],
    urls: `https://www.${domain}/fault/${key}`,
    shareHashes: true,
    noticesConsent: true,
  }
}

/** Open the case for `key` (or get the one already opened), then draft and send its notice. */
async function submitAndSend(key: string): Promise<void> {
  const db = getDb()
  const created = await createCase(db, requestFor(key))
  record('case', key, created.caseId)
  const locations = await db.selectFrom('case_location').select('id').where('case_id', '=', created.caseId).execute()
  const open = await db.selectFrom('notice').select(['id', 'state']).where('case_id', '=', created.caseId).execute()
  let noticeId = open[0]?.id
  if (!noticeId) {
    const [drafted] = await draftNotices(db, created.caseId, locations.map((l) => l.id), staff)
    noticeId = drafted!.noticeId
    record('draft', noticeId)
  }
  if ((open[0]?.state ?? 'draft') === 'draft') {
    await sendNotice(db, noticeId, staff, ORG)
  }
  record('notice', noticeId)
}

async function main(): Promise<void> {
  const lines = fs.readFileSync(ackFile, 'utf8').split('\n')
  const begun = new Set<string>()
  const done = new Set<string>()
  for (const line of lines) {
    const [kind, key] = line.split(' ')
    if (kind === 'begin' && key) begun.add(key)
    // A key is done once its notice is acknowledged; a case without one is finished on retry.
    if (kind === 'done' && key) done.add(key)
  }
  // Warm up (connection, prepared modules) before telling the parent we are working.
  await getDb().selectFrom('audit_head').select('seq').execute()
  process.stdout.write('ready\n')

  for (const key of begun) {
    if (done.has(key)) continue
    await submitAndSend(key)
    record('done', key)
  }
  if (process.env.FAULT_FINISH === '1') process.exit(0)
  for (;;) {
    const key = crypto.randomBytes(18).toString('base64url')
    record('begin', key)
    await submitAndSend(key)
    record('done', key)
  }
}

main().catch((error: unknown) => {
  // The parent reads this and fails the test: only SIGKILL may end a driver.
  const code = (error as { code?: unknown } | null)?.code
  process.stderr.write(`driver failed (${String(code)}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
