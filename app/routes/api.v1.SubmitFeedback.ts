import type { ActionFunctionArgs } from '@remix-run/node'
import { getDb } from '~/lib/db.server'
import { apiError, apiJson, handleApi, readJsonBody, requireProvider } from '~/lib/provider-api.server'
import { MAX_FEEDBACK_BYTES, submitFeedback, SubmitFeedbackSchema } from '~/models/feedback.server'

/**
 * POST /api/v1/SubmitFeedback: `{count, hashFeedbacks: [{hashValue, feedbackValue, tags}]}`.
 * A malformed body is refused whole (400, nothing stored); a well-formed
 * value not in the provider's feed is reported per item as not_found.
 */
export function action({ request }: ActionFunctionArgs) {
  return handleApi(async () => {
    if (request.method !== 'POST') return apiError(405, 'method_not_allowed', 'Use POST.', undefined, { Allow: 'POST' })
    const provider = await requireProvider(request)
    const body = await readJsonBody(request, SubmitFeedbackSchema, MAX_FEEDBACK_BYTES)
    return apiJson(await submitFeedback(getDb(), provider, body))
  })
}

export function loader() {
  return apiError(405, 'method_not_allowed', 'Send feedback with POST.', undefined, { Allow: 'POST' })
}
