/**
 * Reading the audit log for the administrators' page. Separate from
 * audit.server.ts, which owns writing and verifying the chain.
 */
import type { Kysely } from 'kysely'
import type { ActorType, Database } from '../../db/schema'

export interface AuditEntryView {
  seq: number
  createdAt: number
  actorType: ActorType
  action: string
  objectType: string | null
  objectId: string | null
}

/**
 * The newest `limit` entries, newest first. `detail` and `actor_id` are left
 * out: the page lists what happened to what, and details stay in the database.
 */
export async function latestAuditEntries(db: Kysely<Database>, limit = 200): Promise<AuditEntryView[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['seq', 'created_at', 'actor_type', 'action', 'object_type', 'object_id'])
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    seq: Number(r.seq),
    createdAt: Number(r.created_at),
    actorType: r.actor_type,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
  }))
}
