import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { getDb } from '~/lib/db.server'
import { apiJson, handleApi, readQuery, requireProvider } from '~/lib/provider-api.server'
import { FEED_DEFAULT_PAGE_SIZE, FEED_MAX_PAGE_SIZE, fetchHashes } from '~/models/hash-feed.server'

// Timestamps in the StopNCII format are Unix seconds; a value this large can
// only be milliseconds, which would silently skip everything.
const MAX_SECONDS = 100_000_000_000

const FetchHashesQuery = z.object({
  startTimestamp: z.coerce
    .number({ error: 'must be a whole number of seconds since 1970 (Unix time)' })
    .int('must be a whole number of seconds since 1970 (Unix time)')
    .min(0, 'must not be negative')
    .max(MAX_SECONDS, 'is too large: it must be in seconds, not milliseconds')
    .default(0),
  pageSize: z.coerce
    .number({ error: `must be a whole number from 1 to ${FEED_MAX_PAGE_SIZE}` })
    .int(`must be a whole number from 1 to ${FEED_MAX_PAGE_SIZE}`)
    .min(1, `must be a whole number from 1 to ${FEED_MAX_PAGE_SIZE}`)
    .max(FEED_MAX_PAGE_SIZE, `must be a whole number from 1 to ${FEED_MAX_PAGE_SIZE}`)
    .default(FEED_DEFAULT_PAGE_SIZE),
  nextPageToken: z.string().max(2000, 'is too long to be a token from this server').optional(),
})

/** GET /api/v1/FetchHashes: the hash list in the StopNCII wire format (see app/models/hash-feed.server.ts). */
export function loader({ request }: LoaderFunctionArgs) {
  return handleApi(async () => {
    const provider = await requireProvider(request)
    const query = readQuery(request, FetchHashesQuery)
    const page = await fetchHashes(getDb(), provider, {
      startTimestamp: query.startTimestamp,
      pageSize: query.pageSize,
      nextPageToken: query.nextPageToken || null,
    })
    return apiJson(page)
  })
}
