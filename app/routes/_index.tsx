import type { MetaFunction } from '@remix-run/node'

export const meta: MetaFunction = () => [{ title: 'Takeback: get intimate images taken down' }]

export default function Index() {
  return (
    <main className="page">
      <h1>Get intimate images taken down, without sending them to anyone</h1>
      <p className="lead">
        Takeback helps people whose intimate images were shared, or threatened to be shared, without their consent, and
        people whose images were taken when they were under 18.
      </p>
      <ul className="points">
        <li>
          Your photos and videos stay on your device. Your browser turns each one into a <strong>hash</strong>, a short
          code like a fingerprint. Only the hash is sent.
        </li>
        <li>Platforms that take part use the hashes to find and remove copies.</li>
        <li>Our caseworkers can send removal notices to websites where you saw your images.</li>
        <li>You do not need an account. You get a case number and a secret to follow your case.</li>
      </ul>
      <div className="notice-box">
        <p>
          <strong>Takeback cannot remove images from the whole internet.</strong> It works with the platforms that take
          part and the websites we can send notices to.
        </p>
      </div>
    </main>
  )
}
