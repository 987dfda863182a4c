import type { LoaderFunctionArgs } from '@remix-run/node'
import { getDb } from '~/lib/db.server'
import { DomainError, toResponse } from '~/lib/errors.server'
import { organisationFromEnv } from '~/lib/organisation.server'
import { requireStaff } from '~/lib/staff-session.server'
import { openFtcPacket } from '~/models/notice-followup.server'

/**
 * The FTC complaint packet as a plain-text download. Named after the notice
 * id, never the case number. Audited like the printable page. no-store: it
 * holds personal data, and no cache may hand it to the next person at the desk.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  try {
    const packet = await openFtcPacket(getDb(), params.noticeId ?? '', { staffId: staff.id }, organisationFromEnv(), 'text')
    return new Response(packet.text, {
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Disposition': `attachment; filename="${packet.filename}"`,
        'Cache-Control': 'no-store',
      },
    })
  } catch (error) {
    // A notice under another law (400) or an unknown one (404), with the reason.
    if (error instanceof DomainError) return toResponse(error)
    throw error
  }
}
