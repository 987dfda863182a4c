/**
 * Plumbing shared by the provider API (`/api/v1/...`): API-key
 * authentication, per-key rate limits, JSON answers and bounded, validated
 * JSON bodies. Errors are thrown as Responses (the `require*` habit), so a
 * route reads as: authenticate, parse, call one model, answer.
 *
 * Every answer is JSON of the shape `{ "error": { "code", "message",
 * "details"? } }` on failure, and is never cached.
 *
 * Why these routes need no Origin/CSRF check: app/server.ts refuses a
 * state-changing request whose Origin names another site, and lets through a
 * request with no Origin at all, which is what a server-side client (HMA,
 * curl, python-threatexchange) sends. That is safe for the API because it is
 * authenticated only by a key the caller puts in a header itself. A browser
 * never adds that header on its own, and the API reads no cookie, so a page
 * on another site cannot make a visitor's browser act with anyone's
 * authority (there is nothing ambient to ride on). A browser that did send
 * the key cross-site would send an Origin too, and be refused there.
 */
import type { z } from 'zod'
import { getDb, type DB } from './db.server'
import { DomainError, ValidationError } from './errors.server'
import { hitRateLimit, type RateLimit } from './rate-limit.server'
import { findProviderByApiKey, type ProviderView } from '../models/provider.server'

export type ApiProvider = ProviderView & { apiKeyId: string }

/** Requests one API key may make per window, shared by every instance. */
export const API_RATE_LIMIT: RateLimit = { limit: 600, windowMs: 60 * 1000 }

const NO_STORE = 'no-store'

/** A JSON answer that is never cached. */
export function apiJson(data: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers)
  headers.set('Content-Type', 'application/json; charset=utf-8')
  headers.set('Cache-Control', NO_STORE)
  return new Response(JSON.stringify(data), { ...init, headers })
}

/** A JSON error answer: `{ error: { code, message, details? } }`. Throw it or return it. */
export function apiError(status: number, code: string, message: string, details?: unknown, headers?: HeadersInit): Response {
  const error: Record<string, unknown> = { code, message }
  if (details !== undefined) error.details = details
  return apiJson({ error }, { status, headers })
}

/** The API key a request carries: `Authorization: Bearer <key>` or `x-functions-key: <key>` (the StopNCII header). */
export function apiKeyFrom(request: Request): string | null {
  const auth = request.headers.get('authorization')
  if (auth) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth)
    if (match?.[1]) return match[1]
  }
  const functionsKey = request.headers.get('x-functions-key')?.trim()
  return functionsKey ? functionsKey : null
}

function unauthorized(message: string): Response {
  return apiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer' })
}

/**
 * The provider whose API key the request carries, or a thrown 401 (missing,
 * unknown or revoked key, or a disabled provider; the answer says nothing
 * more, so it cannot be used to probe keys). Each call counts one request
 * against the key's rate limit; over it, a thrown 429 with Retry-After.
 */
export async function requireProvider(request: Request, db: DB = getDb(), now = Date.now()): Promise<ApiProvider> {
  const key = apiKeyFrom(request)
  if (!key) throw unauthorized('This API needs a key: send it as "Authorization: Bearer <key>" or in the x-functions-key header.')
  const provider = await findProviderByApiKey(db, key, now)
  if (!provider) throw unauthorized('This API key is not valid. It may have been revoked; ask the organisation for a new one.')
  const limit = await hitRateLimit(db, `api-key:${provider.apiKeyId}`, API_RATE_LIMIT, now)
  if (!limit.allowed) {
    const seconds = Math.max(1, Math.ceil(limit.retryAfterMs / 1000))
    throw apiError(
      429,
      'rate_limited',
      `Too many requests with this API key. Wait ${seconds} seconds, then try again.`,
      { retryAfterSeconds: seconds },
      { 'Retry-After': String(seconds) },
    )
  }
  return provider
}

/** `path` of a zod issue as people write it: `hashFeedbacks[2].feedbackValue`. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out
}

/** Read at most `maxBytes` of the body; a longer body is a thrown 413 before the rest is read. */
async function readLimited(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    apiError(413, 'body_too_large', `The request body is larger than ${maxBytes} bytes. Send fewer items per request.`, { maxBytes })
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge()
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The request's JSON body, checked by `schema`. Throws a 413 when the body is
 * over `maxBytes`, and a 400 when it is not JSON or does not fit the schema;
 * the 400's message names the first bad field, and `details` lists them all.
 */
export async function readJsonBody<S extends z.ZodType>(request: Request, schema: S, maxBytes: number): Promise<z.output<S>> {
  const text = await readLimited(request, maxBytes)
  if (text.trim() === '') throw apiError(400, 'invalid_body', 'The request has no body. Send a JSON object.')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw apiError(400, 'invalid_json', 'The request body is not valid JSON.')
  }
  const parsed = schema.safeParse(json)
  if (parsed.success) return parsed.data
  const details = parsed.error.issues.slice(0, 20).map((issue) => ({ field: issuePath(issue.path), message: issue.message }))
  const first = details[0]
  const message = first ? (first.field ? `${first.field}: ${first.message}` : first.message) : 'The request body is not right.'
  throw apiError(400, 'invalid_body', message, details)
}

/**
 * The request's query string, checked by `schema` (given the parameters as an
 * object of strings; a parameter sent twice counts once, the last). A bad
 * one is a thrown 400 naming it.
 */
export function readQuery<S extends z.ZodType>(request: Request, schema: S): z.output<S> {
  const params = Object.fromEntries(new URL(request.url).searchParams)
  const parsed = schema.safeParse(params)
  if (parsed.success) return parsed.data
  const details = parsed.error.issues.slice(0, 20).map((issue) => ({ field: issuePath(issue.path), message: issue.message }))
  const first = details[0]
  throw apiError(400, 'invalid_query', first ? `${first.field || 'query'}: ${first.message}` : 'The query string is not right.', details)
}

const CODE_FOR_STATUS: Record<number, string> = { 400: 'invalid_request', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 410: 'gone' }

/**
 * Run an API handler, answering a domain error (NotFoundError, a refusal, ...)
 * as JSON with its status and message, and a thrown Response as itself.
 */
export async function handleApi(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof Response) return error
    if (error instanceof DomainError) {
      const field = error instanceof ValidationError ? { field: error.field } : undefined
      return apiError(error.status, CODE_FOR_STATUS[error.status] ?? 'error', error.message, field)
    }
    throw error
  }
}
