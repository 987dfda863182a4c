// Frozen in time: this migration imports nothing from the app and types the
// database as Kysely<any>, so later changes to the app cannot change what it does.
import type { Kysely } from 'kysely'

// A notice's links are looked up by notice when its final answer spends them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('notice_link_notice').on('notice_link').column('notice_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('notice_link_notice').execute()
}
