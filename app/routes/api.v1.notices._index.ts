import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import type { NoticeState } from '../../db/schema'
import { getDb } from '~/lib/db.server'
import { apiError, apiJson, handleApi, readQuery, requireProvider } from '~/lib/provider-api.server'
import { decodeNoticeCursor, encodeNoticeCursor, listProviderNotices, noticeForApi } from '~/models/notice-answer.server'

const MAX_LIMIT = 100
const STATES: readonly NoticeState[] = ['queued', 'sent', 'acknowledged', 'removed', 'partially_removed', 'not_found', 'declined', 'not_ours', 'overdue', 'escalated', 'closed']

const ListQuery = z.object({
  state: z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .refine((list) => list.every((v) => (STATES as readonly string[]).includes(v)), `must be one or more of ${STATES.join(', ')}, separated by commas`)
    .transform((list) => list as NoticeState[])
    .optional(),
  since: z
    .string()
    .transform((s, ctx) => {
      // Epoch milliseconds, or an ISO 8601 date-time.
      const ms = /^\d+$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN
      if (!Number.isSafeInteger(ms)) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time (2026-12-01T09:00:00Z) or milliseconds since 1970' })
        return z.NEVER
      }
      return ms
    })
    .optional(),
  limit: z.coerce
    .number({ error: `must be a whole number from 1 to ${MAX_LIMIT}` })
    .int(`must be a whole number from 1 to ${MAX_LIMIT}`)
    .min(1, `must be a whole number from 1 to ${MAX_LIMIT}`)
    .max(MAX_LIMIT, `must be a whole number from 1 to ${MAX_LIMIT}`)
    .default(50),
  cursor: z.string().max(500, 'is too long to be a cursor from this server').optional(),
})

/**
 * GET /api/v1/notices?state=&since=&limit=&cursor=: the provider's own sent
 * notices, oldest first. `nextCursor` (null on the last page) continues the
 * list; paging is by (created_at, id), so notices arriving meanwhile are
 * neither skipped nor repeated.
 */
export function loader({ request }: LoaderFunctionArgs) {
  return handleApi(async () => {
    const provider = await requireProvider(request)
    const query = readQuery(request, ListQuery)
    const after = query.cursor ? decodeNoticeCursor(query.cursor) : undefined
    if (after === null) return apiError(400, 'invalid_query', 'cursor: is not a cursor from this server; pass nextCursor from the previous page as it was')
    const page = await listProviderNotices(getDb(), provider.id, { state: query.state, since: query.since, limit: query.limit, after })
    return apiJson({ notices: page.notices.map(noticeForApi), nextCursor: page.next ? encodeNoticeCursor(page.next) : null })
  })
}
