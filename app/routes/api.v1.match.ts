import type { ActionFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { apiError, apiJson, handleApi, readJsonBody, requireProvider } from '~/lib/provider-api.server'
import { getMatchIndex, type MatchIndex } from '~/matching/match-index.server'
import { PDQ_MAX_RADIUS } from '~/matching/pdq-index'
import { requireParticipant } from '~/models/hash-feed.server'

export const MAX_MATCH_HASHES = 1000
/** 1,000 SHA-256 items are about 95 KB of JSON; leave room for spaces and line breaks. */
export const MAX_MATCH_BYTES = 256 * 1024
/** How long a request waits for a first load still running (a fresh instance) before answering 503. */
const READY_WAIT_MS = 10_000

const HEX_LENGTH = { pdq: 64, md5: 32, sha256: 64 } as const

const MatchItemSchema = z
  .object({
    type: z.enum(['pdq', 'md5', 'sha256'], { error: 'must be "pdq", "md5" or "sha256"' }),
    value: z.string({ error: 'must be a string of hexadecimal digits' }),
  })
  .superRefine((item, ctx) => {
    const length = HEX_LENGTH[item.type]
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(item.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `must be ${length} hexadecimal characters (0-9, a-f) for a ${item.type} hash` })
    }
  })

const distanceMessage = `must be a whole number from 0 to ${PDQ_MAX_RADIUS}: PDQ hashes further apart than ${PDQ_MAX_RADIUS} bits are not reliably the same image`

export const MatchRequestSchema = z.object({
  hashes: z
    .array(MatchItemSchema, { error: 'must be a list of {"type", "value"} objects' })
    .min(1, 'must hold at least one hash')
    .max(MAX_MATCH_HASHES, `can hold at most ${MAX_MATCH_HASHES.toLocaleString('en')} hashes; send the rest in another request`),
  maxDistance: z
    .number({ error: distanceMessage })
    .int(distanceMessage)
    .min(0, distanceMessage)
    .max(PDQ_MAX_RADIUS, distanceMessage)
    .default(PDQ_MAX_RADIUS),
})

async function readyWithin(index: MatchIndex, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
    timer.unref()
  })
  try {
    return await Promise.race([index.ready().then(() => true as const), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * POST /api/v1/match: `{"hashes": [{"type", "value"}], "maxDistance"?}` ->
 * `{"results": [{"type", "value", "matches": [{"type", "value", "distance"}]}]}`
 * in query order, over active list hashes only, from this instance's match
 * index (app/matching/match-index.server.ts). Nothing about cases is returned.
 *
 * Only providers that take part in the hash list may ask: a match answers
 * with list hash values, so the endpoint is a way of reading the list, and
 * survivors agreed to share their hashes with participating providers only.
 */
export function action({ request }: ActionFunctionArgs) {
  return handleApi(async () => {
    if (request.method !== 'POST') return apiError(405, 'method_not_allowed', 'Use POST.', undefined, { Allow: 'POST' })
    const provider = await requireProvider(request)
    requireParticipant(provider)
    const body = await readJsonBody(request, MatchRequestSchema, MAX_MATCH_BYTES)
    const index = getMatchIndex()
    if (!(await readyWithin(index, READY_WAIT_MS))) {
      return apiError(503, 'index_loading', 'The match index is still loading on this server. Try again in a minute.', undefined, {
        'Retry-After': '60',
      })
    }
    return apiJson({ results: index.match(body.hashes, body.maxDistance) })
  })
}

export function loader() {
  return apiError(405, 'method_not_allowed', 'Send match queries with POST.', undefined, { Allow: 'POST' })
}
