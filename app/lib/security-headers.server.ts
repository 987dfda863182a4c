import crypto from 'node:crypto'
import type { RequestHandler } from 'express'
import helmet from 'helmet'

/**
 * Security headers for every response, pages, API and assets alike. Scripts
 * run only from our origin or with this response's nonce; nothing is loaded
 * from any other host, so a survivor's visit is seen by no third party.
 */
export function securityHeaders({ dev, https }: { dev: boolean; https: boolean }): RequestHandler[] {
  const nonce: RequestHandler = (_req, res, next) => {
    res.locals.cspNonce = crypto.randomBytes(16).toString('base64')
    next()
  }
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        // 'wasm-unsafe-eval' lets the hashing worker compile its WebAssembly
        // (MD5, SHA-256); it does not allow eval() of JavaScript.
        'script-src': ["'self'", "'wasm-unsafe-eval'", (_req, res) => `'nonce-${(res as unknown as { locals: { cspNonce: string } }).locals.cspNonce}'`],
        'style-src': ["'self'"],
        // blob: for thumbnails and video frames drawn on the survivor's own device.
        'img-src': ["'self'", 'data:', 'blob:'],
        'media-src': ["'self'", 'blob:'],
        'worker-src': ["'self'", 'blob:'],
        'connect-src': ["'self'", ...(dev ? ['ws:'] : [])],
        'font-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    xFrameOptions: { action: 'deny' },
  })
  const rest: RequestHandler = (req, res, next) => {
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()')
    // Pages may hold personal data and devices are often shared: nothing but
    // fingerprinted build assets may be kept in any cache.
    if (!req.path.startsWith('/assets/')) res.setHeader('Cache-Control', 'no-store')
    next()
  }
  return [nonce, headers, rest]
}
