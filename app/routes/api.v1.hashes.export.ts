import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { getDb } from '~/lib/db.server'
import { handleApi, readQuery, requireProvider } from '~/lib/provider-api.server'
import { exportHashes } from '~/models/hash-feed.server'

const ExportQuery = z.object({
  since: z.coerce
    .number({ error: 'must be a whole number of milliseconds since 1970' })
    .int('must be a whole number of milliseconds since 1970')
    .min(0, 'must not be negative')
    .default(0),
  format: z.enum(['ndjson', 'csv'], { error: 'must be ndjson or csv' }).default('ndjson'),
})

/**
 * GET /api/v1/hashes/export?since=<ms>&format=ndjson|csv: every hash kind
 * changed since `since`, streamed. The Takeback-Next-Since header says what
 * to pass as `since` next time.
 */
export function loader({ request, context }: LoaderFunctionArgs) {
  return handleApi(async () => {
    const provider = await requireProvider(request)
    const query = readQuery(request, ExportQuery)
    const result = await exportHashes(getDb(), provider, { since: query.since, format: query.format, beforeBatch: context.whenWritable })
    return new Response(result.stream, {
      headers: {
        'Content-Type': result.contentType,
        'Cache-Control': 'no-store',
        'Takeback-Next-Since': String(result.nextSince),
        'Content-Disposition': `inline; filename="takeback-hashes.${query.format}"`,
      },
    })
  })
}
