/**
 * What a signed-in staff member sees first: how many cases there are in each
 * state. Counts only; nothing that identifies a case or a survivor.
 */
import type { Kysely } from 'kysely'
import type { CaseState, Database } from '../../db/schema'

export const CASE_STATES: readonly CaseState[] = ['open', 'closed', 'withdrawn', 'deleted']

export interface CaseCounts {
  byState: Record<CaseState, number>
  /** Open cases no caseworker has looked at yet. */
  openUnreviewed: number
  /** Open cases assigned to nobody. */
  openUnassigned: number
}

export async function countCasesByState(db: Kysely<Database>): Promise<CaseCounts> {
  const [rows, open] = await Promise.all([
    db.selectFrom('survivor_case').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute(),
    db
      .selectFrom('survivor_case')
      .select((eb) => [
        eb.fn.count<number>(eb.case().when('reviewed_at', 'is', null).then(1).end()).as('unreviewed'),
        eb.fn.count<number>(eb.case().when('assigned_to', 'is', null).then(1).end()).as('unassigned'),
      ])
      .where('state', '=', 'open')
      .executeTakeFirstOrThrow(),
  ])
  const byState = Object.fromEntries(CASE_STATES.map((s) => [s, 0])) as Record<CaseState, number>
  // PostgreSQL's count() is bigint, which the driver may hand over as a string.
  for (const r of rows) byState[r.state] = Number(r.n)
  return { byState, openUnreviewed: Number(open.unreviewed), openUnassigned: Number(open.unassigned) }
}
