// Frozen in time: this migration imports nothing from the app and types the
// database as Kysely<any>, so later changes to the app cannot change what it does.
import { sql, type Kysely, type CreateTableBuilder } from 'kysely'

// Column types that mean the same on SQLite and PostgreSQL (see db/schema.ts).
const TIME = 'bigint' // epoch milliseconds
const BOOL = 'integer' // 0 or 1

function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`)
}
function bool(column: string) {
  return sql.raw(`${column} in (0, 1)`)
}
function timestamps<T extends string, C extends string>(t: CreateTableBuilder<T, C>) {
  return t.addColumn('created_at', TIME, (c) => c.notNull()).addColumn('updated_at', TIME, (c) => c.notNull())
}

const ACTORS = ['staff', 'provider', 'survivor', 'system']
const REGIMES = ['takeitdown', 'dmca', 'dsa', 'generic']
const ROLES = ['caseworker', 'admin']

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('staff_user')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('totp_secret', 'text')
    .addColumn('totp_last_step', 'bigint')
    .addColumn('disabled_at', TIME)
    .addColumn('last_sign_in_at', TIME)
    .$call(timestamps)
    .addCheckConstraint('staff_user_role', oneOf('role', ROLES))
    .execute()

  await db.schema
    .createTable('staff_invite')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text', (c) => c.references('staff_user.id'))
    .addColumn('expires_at', TIME, (c) => c.notNull())
    .addColumn('used_at', TIME)
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addCheckConstraint('staff_invite_role', oneOf('role', ROLES))
    .execute()

  await db.schema
    .createTable('survivor_case')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_number', 'text', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'text')
    .addColumn('secret_updated_at', TIME)
    .addColumn('contact_ciphertext', 'text')
    .addColumn('contact_updated_at', TIME)
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('share_hashes', BOOL, (c) => c.notNull().defaultTo(0))
    .addColumn('notices_consent', BOOL, (c) => c.notNull().defaultTo(0))
    .addColumn('signature_ciphertext', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('web'))
    .addColumn('reviewed_at', TIME)
    .addColumn('assigned_to', 'text', (c) => c.references('staff_user.id'))
    .$call(timestamps)
    .addColumn('closed_at', TIME)
    .addColumn('withdrawn_at', TIME)
    .addColumn('deleted_at', TIME)
    .addCheckConstraint('survivor_case_requester', oneOf('requester', ['self_minor', 'self_adult', 'helper']))
    .addCheckConstraint('survivor_case_state', oneOf('state', ['open', 'closed', 'withdrawn', 'deleted']))
    .addCheckConstraint('survivor_case_source', oneOf('source', ['web', 'assisted', 'import']))
    .addCheckConstraint('survivor_case_share_hashes', bool('share_hashes'))
    .addCheckConstraint('survivor_case_notices_consent', bool('notices_consent'))
    .execute()
  await db.schema.createIndex('survivor_case_state_created').on('survivor_case').columns(['state', 'created_at']).execute()

  await db.schema
    .createTable('case_hash')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('survivor_case.id').onDelete('cascade'))
    .addColumn('item', 'integer', (c) => c.notNull())
    .addColumn('media', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('quality', 'integer')
    .addColumn('frame_number', 'integer')
    .addColumn('frame_ms', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('review_state', 'text', (c) => c.notNull().defaultTo('none'))
    .$call(timestamps)
    .addColumn('withdrawn_at', TIME)
    .addColumn('disabled_at', TIME)
    .addCheckConstraint('case_hash_media', oneOf('media', ['image', 'video']))
    .addCheckConstraint('case_hash_kind', oneOf('kind', ['pdq', 'md5', 'sha256', 'vpdq']))
    .addCheckConstraint('case_hash_status', oneOf('status', ['active', 'withdrawn', 'disabled']))
    .addCheckConstraint('case_hash_review', oneOf('review_state', ['none', 'pending', 'kept', 'disabled']))
    .execute()
  await db.schema.createIndex('case_hash_case').on('case_hash').column('case_id').execute()
  await db.schema.createIndex('case_hash_value').on('case_hash').columns(['kind', 'value']).execute()
  // The provider feed pages by (updated_at, id): an index, never OFFSET.
  await db.schema.createIndex('case_hash_feed').on('case_hash').columns(['updated_at', 'id']).execute()

  await db.schema
    .createTable('provider')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('notice_emails', 'text', (c) => c.notNull())
    .addColumn('regime', 'text', (c) => c.notNull())
    .addColumn('hash_list', BOOL, (c) => c.notNull().defaultTo(0))
    .addColumn('is_placeholder', BOOL, (c) => c.notNull().defaultTo(0))
    .addColumn('feed_checkpoint', TIME)
    .addColumn('feed_last_fetch_at', TIME)
    .$call(timestamps)
    .addColumn('disabled_at', TIME)
    .addCheckConstraint('provider_regime', oneOf('regime', REGIMES))
    .addCheckConstraint('provider_hash_list', bool('hash_list'))
    .addCheckConstraint('provider_is_placeholder', bool('is_placeholder'))
    .execute()

  await db.schema
    .createTable('provider_domain')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('provider_id', 'text', (c) => c.notNull().references('provider.id').onDelete('cascade'))
    .execute()
  await db.schema.createIndex('provider_domain_provider').on('provider_domain').column('provider_id').execute()

  await db.schema
    .createTable('provider_api_key')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('provider_id', 'text', (c) => c.notNull().references('provider.id').onDelete('cascade'))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('revoked_at', TIME)
    .addColumn('last_used_at', TIME)
    .execute()

  await db.schema
    .createTable('case_location')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('survivor_case.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('registrable_domain', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.references('provider.id'))
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('reported'))
    .$call(timestamps)
    .addCheckConstraint('case_location_added_by', oneOf('added_by', ['survivor', 'staff']))
    .addCheckConstraint('case_location_state', oneOf('state', ['reported', 'removed', 'not_found', 'withdrawn']))
    .execute()
  await db.schema.createIndex('case_location_case').on('case_location').column('case_id').execute()

  await db.schema
    .createTable('case_note')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('survivor_case.id').onDelete('cascade'))
    .addColumn('staff_id', 'text', (c) => c.notNull().references('staff_user.id'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .execute()
  await db.schema.createIndex('case_note_case').on('case_note').column('case_id').execute()

  await db.schema
    .createTable('case_recovery')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('survivor_case.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', TIME, (c) => c.notNull())
    .addColumn('used_at', TIME)
    .addColumn('created_at', TIME, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('notice')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('survivor_case.id').onDelete('cascade'))
    .addColumn('provider_id', 'text', (c) => c.notNull().references('provider.id'))
    .addColumn('regime', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('draft'))
    .addColumn('explanation', 'text')
    .addColumn('message_id', 'text', (c) => c.unique())
    .addColumn('created_by', 'text', (c) => c.references('staff_user.id'))
    .addColumn('sent_at', TIME)
    .addColumn('delivered_at', TIME)
    .addColumn('acknowledged_at', TIME)
    .addColumn('resolved_at', TIME)
    .addColumn('deadline_at', TIME)
    .addColumn('reminder_due_at', TIME)
    .addColumn('reminded_at', TIME)
    .addColumn('overdue_at', TIME)
    .$call(timestamps)
    .addCheckConstraint('notice_regime', oneOf('regime', REGIMES))
    .addCheckConstraint(
      'notice_state',
      oneOf('state', [
        'draft',
        'queued',
        'sent',
        'acknowledged',
        'removed',
        'partially_removed',
        'not_found',
        'declined',
        'not_ours',
        'overdue',
        'escalated',
        'closed',
      ]),
    )
    .execute()
  await db.schema.createIndex('notice_case').on('notice').column('case_id').execute()
  await db.schema.createIndex('notice_provider').on('notice').columns(['provider_id', 'state']).execute()
  await db.schema.createIndex('notice_deadline').on('notice').columns(['state', 'deadline_at']).execute()

  await db.schema
    .createTable('notice_location')
    .addColumn('notice_id', 'text', (c) => c.notNull().references('notice.id').onDelete('cascade'))
    .addColumn('location_id', 'text', (c) => c.notNull().references('case_location.id').onDelete('cascade'))
    .addColumn('outcome', 'text')
    .addPrimaryKeyConstraint('notice_location_pk', ['notice_id', 'location_id'])
    .addCheckConstraint('notice_location_outcome', sql`outcome is null or outcome in ('removed', 'not_found', 'kept')`)
    .execute()

  await db.schema
    .createTable('notice_event')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('notice_id', 'text', (c) => c.references('notice.id').onDelete('cascade'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('survivor_case.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('detail', 'text')
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addCheckConstraint('notice_event_actor', oneOf('actor_type', ACTORS))
    .execute()
  await db.schema.createIndex('notice_event_case').on('notice_event').columns(['case_id', 'created_at']).execute()

  await db.schema
    .createTable('notice_link')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('notice_id', 'text', (c) => c.notNull().references('notice.id').onDelete('cascade'))
    .addColumn('expires_at', TIME, (c) => c.notNull())
    .addColumn('used_at', TIME)
    .addColumn('created_at', TIME, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('notice_id', 'text', (c) => c.references('notice.id').onDelete('set null'))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text')
    .addColumn('headers', 'text')
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', TIME, (c) => c.notNull())
    .addColumn('claimed_at', TIME)
    .addColumn('claimed_by', 'text')
    .addColumn('sent_at', TIME)
    .addColumn('dead_at', TIME)
    .addColumn('last_error', 'text')
    .$call(timestamps)
    .execute()
  // The worker's claim query: rows neither sent nor dead, due first.
  await db.schema.createIndex('outbox_due').on('outbox').columns(['sent_at', 'dead_at', 'next_attempt_at']).execute()

  await db.schema
    .createTable('session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('staff_id', 'text', (c) => c.references('staff_user.id').onDelete('cascade'))
    .addColumn('case_id', 'text', (c) => c.references('survivor_case.id').onDelete('cascade'))
    .addColumn('data', 'text')
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('last_seen_at', TIME, (c) => c.notNull())
    .addColumn('expires_at', TIME, (c) => c.notNull())
    .addCheckConstraint('session_kind', oneOf('kind', ['staff', 'survivor']))
    .execute()
  await db.schema.createIndex('session_staff').on('session').column('staff_id').execute()
  await db.schema.createIndex('session_expires').on('session').column('expires_at').execute()

  await db.schema
    .createTable('hash_feedback')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hash_id', 'text', (c) => c.notNull().references('case_hash.id').onDelete('cascade'))
    .addColumn('provider_id', 'text', (c) => c.notNull().references('provider.id').onDelete('cascade'))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('tags', 'text')
    .$call(timestamps)
    .addUniqueConstraint('hash_feedback_one_per_provider', ['hash_id', 'provider_id'])
    .addCheckConstraint(
      'hash_feedback_value',
      oneOf('value', [
        'Unknown',
        'None',
        'QualityUnknown',
        'PendingReview',
        'Blocked',
        'NotBlocked',
        'Withdrawn',
        'Deleted',
      ]),
    )
    .execute()

  await db.schema
    .createTable('rate_limit')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('reset_at', TIME, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('idempotency_key')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('response', 'text')
    .addColumn('created_at', TIME, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('prev_hash', 'text', (c) => c.notNull().unique())
    .addColumn('entry_hash', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text')
    .addColumn('object_id', 'text')
    .addColumn('detail', 'text')
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addCheckConstraint('audit_log_actor', oneOf('actor_type', ACTORS))
    .execute()

  // One row holding the chain's head. Appending updates it first, which takes
  // a row lock on PostgreSQL, so concurrent appends queue instead of racing
  // for the same predecessor; SQLite runs one writer at a time anyway.
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('entry_hash', 'text', (c) => c.notNull())
    .addCheckConstraint('audit_head_single_row', sql`id = 1`)
    .execute()
  await db.insertInto('audit_head').values({ id: 1, seq: 0, entry_hash: '0'.repeat(64) }).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  // Children before parents, so foreign keys never block a drop.
  for (const table of [
    'audit_head',
    'audit_log',
    'idempotency_key',
    'rate_limit',
    'hash_feedback',
    'session',
    'outbox',
    'notice_link',
    'notice_event',
    'notice_location',
    'notice',
    'case_recovery',
    'case_note',
    'case_location',
    'provider_api_key',
    'provider_domain',
    'provider',
    'case_hash',
    'survivor_case',
    'staff_invite',
    'staff_user',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
