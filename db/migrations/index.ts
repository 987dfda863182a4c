/**
 * Every migration, listed by name. A static list rather than a folder scan:
 * Kysely's FileMigrationProvider imports files at run time, which cannot load
 * `.ts` under Vite and vitest on Node 20, while a static import works the same
 * in dev, tests, the built server and the command line. A unit test checks
 * that every file in this folder is listed here.
 */
import type { Migration } from 'kysely'
import * as createSchema from './2026_11_26_1240_create_schema'
import * as addNoticeDeadlineIndexes from './2026_11_26_1600_add_notice_deadline_indexes'
import * as addNoticeLinkIndex from './2026_11_26_1610_add_notice_link_index'
import * as addFeedIndexes from './2026_11_26_1620_add_feed_indexes'
import * as addHashReview from './2026_11_26_1630_add_hash_review'

export const migrations: Record<string, Migration> = {
  '2026_11_26_1240_create_schema': createSchema,
  '2026_11_26_1600_add_notice_deadline_indexes': addNoticeDeadlineIndexes,
  '2026_11_26_1610_add_notice_link_index': addNoticeLinkIndex,
  '2026_11_26_1620_add_feed_indexes': addFeedIndexes,
  '2026_11_26_1630_add_hash_review': addHashReview,
}
