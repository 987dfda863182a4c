import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { withLng } from '~/components/staff'
import { getDb } from '~/lib/db.server'
import { clearStaffSessionCookie, requireSameOrigin, staffTokenFrom } from '~/lib/staff-session.server'
import { signOutStaff } from '~/models/staff-auth.server'

// Signing out changes state, so it is a POST only; a link here just goes home.
export async function loader() {
  return redirect('/staff')
}

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request)
  const token = staffTokenFrom(request)
  if (token) await signOutStaff(getDb(), token)
  return redirect(withLng(request, '/staff/sign-in?notice=signedOut'), { status: 303, headers: { 'Set-Cookie': clearStaffSessionCookie() } })
}
