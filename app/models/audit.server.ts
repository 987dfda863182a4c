import crypto from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { ActorType, Database } from '../../db/schema'

export interface AuditInput {
  actorType: ActorType
  actorId: string | null
  action: string
  objectType?: string | null
  objectId?: string | null
  /** Ids, counts and states only: no personal data goes into the audit log. */
  detail?: Record<string, unknown> | null
}

const GENESIS = '0'.repeat(64)

function entryHash(prev: string, e: { seq: number; actor_type: string; actor_id: string | null; action: string; object_type: string | null; object_id: string | null; detail: string | null; created_at: number }): string {
  const fields = [prev, e.seq, e.actor_type, e.actor_id, e.action, e.object_type, e.object_id, e.detail, e.created_at]
  return crypto.createHash('sha256').update(JSON.stringify(fields)).digest('hex')
}

/**
 * Append one entry to the audit chain. Call it inside the transaction that
 * makes the change it records, so the two commit together.
 */
export async function appendAudit(trx: Transaction<Database>, input: AuditInput, now = Date.now()): Promise<void> {
  // Moving the head first serialises appenders on PostgreSQL (row lock) and is
  // a no-op cost on SQLite, which has one writer at a time.
  const head = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'entry_hash'])
    .executeTakeFirstOrThrow()
  const row = {
    seq: Number(head.seq),
    actor_type: input.actorType,
    actor_id: input.actorId,
    action: input.action,
    object_type: input.objectType ?? null,
    object_id: input.objectId ?? null,
    detail: input.detail ? JSON.stringify(input.detail) : null,
    created_at: now,
  }
  const hash = entryHash(head.entry_hash, row)
  await trx.insertInto('audit_log').values({ ...row, prev_hash: head.entry_hash, entry_hash: hash }).execute()
  await trx.updateTable('audit_head').set({ entry_hash: hash }).where('id', '=', 1).execute()
}

export type ChainCheck = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number }

/** Recompute the chain from the first entry; reports the first entry that does not match. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<ChainCheck> {
  let prev = GENESIS
  let count = 0
  let after = 0
  for (;;) {
    const page = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(1000).execute()
    for (const row of page) {
      count++
      if (row.seq !== count || row.prev_hash !== prev || entryHash(prev, row) !== row.entry_hash) {
        return { ok: false, entries: count, brokenAt: row.seq }
      }
      prev = row.entry_hash
      after = row.seq
    }
    if (page.length < 1000) break
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'entry_hash']).where('id', '=', 1).executeTakeFirst()
  if (!head || head.seq !== count || head.entry_hash !== prev) return { ok: false, entries: count, brokenAt: count + 1 }
  return { ok: true, entries: count }
}
