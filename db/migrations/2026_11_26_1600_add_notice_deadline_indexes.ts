// Frozen in time: this migration imports nothing from the app and types the
// database as Kysely<any>, so later changes to the app cannot change what it does.
import type { Kysely } from 'kysely'

// The deadline worker looks for unanswered notices whose reminder is due
// (`state in (...) and reminder_due_at <= now`) on every run; without this it
// reads every notice ever sent. Its overdue query, on (state, deadline_at),
// already has notice_deadline from the first migration.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('notice_reminder_due').on('notice').columns(['state', 'reminder_due_at']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('notice_reminder_due').execute()
}
