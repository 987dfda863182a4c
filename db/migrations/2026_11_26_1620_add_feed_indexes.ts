// Frozen in time: this migration imports nothing from the app and types the
// database as Kysely<any>, so later changes to the app cannot change what it does.
import { sql, type Kysely, type SqlBool } from 'kysely'

// The StopNCII feed pages through case_hash by (updated_at, id) but carries
// only image PDQ and video MD5, a small part of the table once videos add a
// vPDQ row per second. The first migration's case_hash_feed index on
// (updated_at, id) serves the native export, which carries every kind; this
// partial index holds only the feed's rows, so a page reads those and nothing
// else. Both engines use a partial index when the query repeats its WHERE
// text, which app/models/hash-feed.server.ts does. The test is a CASE rather
// than an OR of (kind, media) pairs because SQLite, seeing an OR over the
// indexed kind column, would rather read every PDQ by case_hash_value and
// sort them than walk this index in order.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('case_hash_stopncii_feed')
    .on('case_hash')
    .columns(['updated_at', 'id'])
    .where(sql.raw<SqlBool>(`(case when kind = 'pdq' and media = 'image' then 1 when kind = 'md5' and media = 'video' then 1 else 0 end) = 1`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('case_hash_stopncii_feed').execute()
}
