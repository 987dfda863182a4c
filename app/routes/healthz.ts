import { isDatabaseReachable } from '~/lib/db.server'

/** For load balancers and monitors: 200 when the database answers, 503 when it does not. */
export async function loader() {
  const ok = await isDatabaseReachable()
  return new Response(ok ? 'ok\n' : 'database unreachable\n', {
    status: ok ? 200 : 503,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  })
}
