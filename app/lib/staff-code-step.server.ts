import { parseWithZod } from '@conform-to/zod/v4'
import { data, redirect } from '@remix-run/node'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema'
import { withLng } from '../components/staff'
import { TotpCodeSchema } from '../models/staff-auth.schema'
import type { CodeStepResult } from '../models/staff-auth.server'
import { getDb } from './db.server'
import { clearStaffSessionCookie, requireSameOrigin, staffSessionCookie, staffTokenFrom } from './staff-session.server'
import { readFormData } from './form-data.server'

type CodeCheck = (db: Kysely<Database>, token: string, code: string) => Promise<CodeStepResult>

/**
 * The action behind both second-factor steps, enrolment and sign-in: they
 * differ only in which check the code goes through. A good code finishes
 * the sign-in on a new session; a spent pending session starts over.
 */
export async function codeStepAction(request: Request, check: CodeCheck) {
  requireSameOrigin(request)
  const token = staffTokenFrom(request)
  const submission = parseWithZod(await readFormData(request), { schema: TotpCodeSchema })
  if (submission.status !== 'success') return data({ result: submission.reply({ hideFields: ['code'] }) }, { status: 400 })
  const result = token ? await check(getDb(), token, submission.value.code) : ({ ok: false, reason: 'expired' } as const)
  if (result.ok) {
    return redirect(withLng(request, '/staff'), { status: 303, headers: { 'Set-Cookie': staffSessionCookie(result.token) } })
  }
  if (result.reason === 'expired') {
    throw redirect(withLng(request, '/staff/sign-in?notice=expired'), { status: 303, headers: { 'Set-Cookie': clearStaffSessionCookie() } })
  }
  const throttled = result.reason === 'throttled'
  return data(
    { result: submission.reply({ formErrors: [throttled ? 'staff.code.throttled' : 'staff.code.invalid'], hideFields: ['code'] }) },
    { status: throttled ? 429 : 400 },
  )
}
