/**
 * case_hash rows written straight into the table, for tests that need more
 * hashes than creating cases through the model would make in good time
 * (feed paging, long exports). The rows are what the model would write for
 * the same values; the case must exist.
 */
import type { Insertable } from 'kysely'
import type { CaseHashTable, HashKind, MediaKind } from '../../db/schema'
import { getDb } from '../../app/lib/db.server'
import { newId } from '../../app/lib/ids.server'

export function hashRow(
  caseId: string,
  item: number,
  kind: HashKind,
  media: MediaKind,
  value: string,
  at: number,
  status: 'active' | 'withdrawn' | 'disabled' = 'active',
): Insertable<CaseHashTable> {
  return {
    id: newId(),
    case_id: caseId,
    item,
    media,
    kind,
    value,
    quality: kind === 'pdq' || kind === 'vpdq' ? 80 : null,
    frame_number: kind === 'vpdq' ? item : null,
    frame_ms: kind === 'vpdq' ? item * 1000 : null,
    status,
    created_at: at,
    updated_at: at,
    withdrawn_at: status === 'withdrawn' ? at : null,
    disabled_at: status === 'disabled' ? at : null,
  }
}

/** Insert in statements of `perStatement` rows: both engines cap a statement's parameters (15 a row). */
export async function insertHashRows(rows: readonly Insertable<CaseHashTable>[], perStatement = 400): Promise<void> {
  for (let i = 0; i < rows.length; i += perStatement) await getDb().insertInto('case_hash').values(rows.slice(i, i + perStatement)).execute()
}
