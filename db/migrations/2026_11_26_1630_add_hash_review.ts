// Frozen in time: this migration imports nothing from the app and types the
// database as Kysely<any>, so later changes to the app cannot change what it does.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // When a caseworker last decided a hash's review: a kept hash goes back to
  // review only on feedback given after that decision.
  await db.schema.alterTable('case_hash').addColumn('review_at', 'bigint').execute()
  // The review queue and the staff bar's count look up the few pending rows
  // of a table that may hold millions.
  await db.schema.createIndex('case_hash_review_state').on('case_hash').column('review_state').execute()
  // The daily cap on new hashes counts the rows created in the last 24 hours.
  await db.schema.createIndex('case_hash_created').on('case_hash').column('created_at').execute()
  // The match index re-reads cases changed since its last refresh (consent or
  // deletion), by (updated_at, id) as it does for hashes.
  await db.schema.createIndex('survivor_case_updated').on('survivor_case').columns(['updated_at', 'id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('survivor_case_updated').execute()
  await db.schema.dropIndex('case_hash_created').execute()
  await db.schema.dropIndex('case_hash_review_state').execute()
  await db.schema.alterTable('case_hash').dropColumn('review_at').execute()
}
