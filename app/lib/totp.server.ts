/**
 * Time-based one-time codes (RFC 6238) for the staff second factor, through
 * @epic-web/totp: 6 digits, 30-second steps, SHA-1 (what every authenticator
 * app understands), and one step either side accepted for clock drift.
 *
 * The library reads the wall clock itself (Date.now); it takes no `now`.
 * Tests that need another time move the clock with vi.setSystemTime.
 */
import crypto from 'node:crypto'
import { generateTOTP, getTOTPAuthUri, verifyTOTP } from '@epic-web/totp'
import QRCode from 'qrcode'

export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
export const TOTP_ALGORITHM = 'SHA-1'
export const TOTP_WINDOW = 1
export const TOTP_ISSUER = 'Takeback'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 without padding, as authenticator apps expect secrets. */
function base32(bytes: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/**
 * A new base32 secret of 160 bits: RFC 4226 recommends 160, and the
 * library's own default is only 80.
 */
export function newTotpSecret(): string {
  return base32(crypto.randomBytes(20))
}

/** The time step the library's clock is in now. */
export function currentTotpStep(now = Date.now()): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS)
}

/**
 * The time step whose code `otp` is, within the window around now, or null.
 * The library reads the clock itself and reports only an offset from the step
 * it saw; if a step boundary passes while it works we cannot tell which step
 * it saw, so we ask again (this happens at most once in 30 seconds).
 */
export async function matchTotpStep(secret: string, otp: string): Promise<number | null> {
  if (!/^\d{6}$/.test(otp)) return null
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = currentTotpStep()
    const result = await verifyTOTP({ otp, secret, period: TOTP_PERIOD_SECONDS, digits: TOTP_DIGITS, algorithm: TOTP_ALGORITHM, window: TOTP_WINDOW })
    if (currentTotpStep() === before) return result ? before + result.delta : null
  }
  return null
}

/** The code an authenticator app would show now (for tests and tooling). */
export async function totpCodeNow(secret: string): Promise<string> {
  const { otp } = await generateTOTP({ secret, period: TOTP_PERIOD_SECONDS, digits: TOTP_DIGITS, algorithm: TOTP_ALGORITHM })
  return otp
}

/** The otpauth:// address an authenticator app reads from the QR code. */
export function totpAuthUri(secret: string, accountName: string): string {
  return getTOTPAuthUri({
    secret,
    accountName,
    issuer: TOTP_ISSUER,
    period: TOTP_PERIOD_SECONDS,
    digits: TOTP_DIGITS,
    algorithm: TOTP_ALGORITHM,
  })
}

/**
 * The QR code as SVG markup to inline in the page. The Content-Security-Policy
 * forbids inline scripts and styles, not inline SVG; the markup holds only
 * paths made by the qrcode library (no text from the person), so it is safe
 * to insert as HTML.
 */
export function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 224, color: { dark: '#000000', light: '#ffffff' } })
}

/** The secret in groups of four, easier to type into an app by hand. */
export function formatTotpSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ')
}
