import type { MetaFunction } from '@remix-run/node'

export const meta: MetaFunction = () => [{ title: 'Takeback is set up' }]

export default function SetupDone() {
  return (
    <main className="page narrow">
      <h1>Your administrator account is ready</h1>
      <p>The set-up link no longer works, so nobody else can use it to create an account.</p>
      <p>
        At your first sign-in you will set up a second factor with an authenticator app, so have one ready on your
        phone.
      </p>
    </main>
  )
}
