import type { LoaderFunctionArgs } from '@remix-run/node'
import { getDb } from '~/lib/db.server'
import { apiError, apiJson, handleApi, requireProvider } from '~/lib/provider-api.server'
import { findProviderNotice, noticeForApi } from '~/models/notice-answer.server'

/** GET /api/v1/notices/:noticeId: one of the provider's own notices. Another provider's is 404, like one that does not exist. */
export function loader({ request, params }: LoaderFunctionArgs) {
  return handleApi(async () => {
    const provider = await requireProvider(request)
    const notice = await findProviderNotice(getDb(), params.noticeId ?? '', provider.id)
    if (!notice) return apiError(404, 'not_found', 'This notice does not exist.')
    return apiJson({ notice: noticeForApi(notice) })
  })
}
