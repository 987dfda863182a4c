import type { LoaderFunctionArgs } from '@remix-run/node'
import { getDb } from '~/lib/db.server'
import { requireStaff } from '~/lib/staff-session.server'
import { providerScorecard, scorecardCsv } from '~/models/scorecard.server'

/**
 * The provider scorecard as a CSV download. `dashboard_` keeps this resource
 * route out of the dashboard's layout. no-store: it is staff data, and a
 * shared or browser cache must not hand it to the next person at the desk.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireStaff(request)
  const csv = scorecardCsv(await providerScorecard(getDb()))
  const day = new Date().toISOString().slice(0, 10)
  return new Response(csv, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8; header=present',
      'Content-Disposition': `attachment; filename="provider-scorecard-${day}.csv"`,
      'Cache-Control': 'no-store',
    },
  })
}
