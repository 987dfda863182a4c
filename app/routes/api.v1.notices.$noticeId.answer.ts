import type { ActionFunctionArgs } from '@remix-run/node'
import { getDb } from '~/lib/db.server'
import { apiError, apiJson, handleApi, readJsonBody, requireProvider } from '~/lib/provider-api.server'
import {
  answerNoticeForApi,
  IdempotencyKeyReused,
  IdempotencyKeySchema,
  NoticeAnswerConflict,
  noticeAnswerSchema,
  noticeForApi,
} from '~/models/notice-answer.server'

/** An answer is a few fields; a declined reason of 2,000 characters fits many times over. */
const MAX_ANSWER_BYTES = 64 * 1024

/**
 * POST /api/v1/notices/:noticeId/answer with a JSON answer (the same answers
 * as the notice's link page; see noticeAnswerSchema). With an
 * `Idempotency-Key` header, a retry gets the first answer's response again
 * (`Idempotent-Replayed: true`) and nothing is recorded twice.
 */
export function action({ request, params }: ActionFunctionArgs) {
  return handleApi(async () => {
    if (request.method !== 'POST') return apiError(405, 'method_not_allowed', 'Use POST.', undefined, { Allow: 'POST' })
    const provider = await requireProvider(request)
    const rawKey = request.headers.get('idempotency-key')
    let key: string | null = null
    if (rawKey !== null) {
      const parsed = IdempotencyKeySchema.safeParse(rawKey.trim())
      if (!parsed.success) return apiError(400, 'invalid_idempotency_key', parsed.error.issues[0]?.message ?? 'The Idempotency-Key header is not right.')
      key = parsed.data
    }
    const answer = await readJsonBody(request, noticeAnswerSchema, MAX_ANSWER_BYTES)
    try {
      const result = await answerNoticeForApi(getDb(), params.noticeId ?? '', answer, provider.id, key, (n) => ({ notice: noticeForApi(n) }))
      return apiJson(result.body, { status: result.status, headers: result.replayed ? { 'Idempotent-Replayed': 'true' } : undefined })
    } catch (error) {
      if (error instanceof NoticeAnswerConflict) return apiError(409, 'answer_conflict', error.message, { state: error.state })
      if (error instanceof IdempotencyKeyReused) return apiError(422, 'idempotency_key_reused', error.message)
      throw error
    }
  })
}

export function loader() {
  return apiError(405, 'method_not_allowed', 'Send an answer with POST.', undefined, { Allow: 'POST' })
}
