/**
 * The cookies that carry a session token (survivors' and staff's): always
 * HttpOnly, Path=/, Secure when Takeback is served over https, and no
 * Max-Age, so the cookie also ends with the browser while the server
 * enforces the real time limits.
 */
export interface SessionCookieSettings {
  name: string
  httpOnly: true
  sameSite: 'Strict' | 'Lax'
  path: '/'
  secure: boolean
}

export function sessionCookieSettings(name: string, sameSite: 'Strict' | 'Lax', publicUrl: string): SessionCookieSettings {
  return { name, httpOnly: true, sameSite, path: '/', secure: publicUrl.startsWith('https:') }
}

function attributes(s: SessionCookieSettings): string {
  return `Path=${s.path}; HttpOnly; SameSite=${s.sameSite}${s.secure ? '; Secure' : ''}`
}

/** The Set-Cookie header value that stores `token`. */
export function setSessionCookie(token: string, settings: SessionCookieSettings): string {
  return `${settings.name}=${token}; ${attributes(settings)}`
}

/** The Set-Cookie header value that removes the cookie. */
export function clearSessionCookie(settings: SessionCookieSettings): string {
  return `${settings.name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${attributes(settings)}`
}

/** The token in the named cookie of a Cookie header, or null when absent or not token-shaped. */
export function readSessionToken(cookieHeader: string | null, settings: SessionCookieSettings): string | null {
  if (!cookieHeader) return null
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === settings.name) {
      const value = part.slice(eq + 1).trim()
      return /^[A-Za-z0-9_-]{20,}$/.test(value) ? value : null
    }
  }
  return null
}
