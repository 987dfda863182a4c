/**
 * The Express application every request goes through: security headers,
 * the request log, the cross-site check, the body limit, static files and
 * the Remix handler. Built here rather than in app/server.ts so tests can
 * serve the same stack in-process (test/integration/hostile-input.test.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { createRequestHandler } from '@remix-run/express'
import type { ServerBuild } from '@remix-run/node'
import express, { type RequestHandler } from 'express'
import { log, loggablePath } from './lib/log.server'
import { rateLimitSource } from './lib/rate-limit.server'
import { securityHeaders } from './lib/security-headers.server'

/**
 * The largest request body any page or API accepts, in bytes. The biggest
 * legitimate one is a request of 2,000 hash values (about 300 KB of JSON);
 * API routes set smaller limits of their own.
 */
export const MAX_BODY_BYTES = 1024 * 1024

export interface HttpAppOptions {
  build: ServerBuild | (() => Promise<ServerBuild>)
  mode: string
  publicUrl: string
  dev: boolean
  /** Express `trust proxy`, when behind a load balancer (TRUST_PROXY, as env.server.ts reads it). */
  trustProxy?: boolean | number | string
  /** Vite's middlewares in development; otherwise files are served from `root`/build/client. */
  devMiddlewares?: RequestHandler
  root: string
}

/**
 * A body larger than MAX_BODY_BYTES is refused with 413 before any of it is
 * read, and a body of unknown length (chunked) with 411, so no handler ever
 * buffers an unbounded body. Node's parser never reads past Content-Length.
 */
export const bodyLimit: RequestHandler = (req, res, next) => {
  const declared = req.get('content-length')
  const refuse = (status: number, message: string) => {
    // Close rather than drain what the client is still sending.
    res.set('Connection', 'close')
    res.status(status).type('text/plain').send(message)
  }
  if (declared === undefined) {
    if (req.get('transfer-encoding')) return refuse(411, 'Send the request with a Content-Length header.\n')
    return next()
  }
  if (!/^\d+$/.test(declared) || Number(declared) > MAX_BODY_BYTES) {
    return refuse(413, `The request is too large. It can be at most ${MAX_BODY_BYTES.toLocaleString('en')} bytes.\n`)
  }
  next()
}

/**
 * A handler may answer before it has read the body (a 401 for a bad key, a
 * 413 from a route's own smaller limit). Remix has by then wrapped the body in
 * a web stream that nobody reads, so Node stops reading the socket, and a
 * keep-alive client's next request on it waits until the connection times
 * out (two minutes, seen in the hostile-input suite). Once the answer is
 * sent, the rest of the body is read and dropped; bodyLimit has capped it at
 * MAX_BODY_BYTES, so this costs at most that much reading.
 */
export const drainUnreadBody: RequestHandler = (req, res, next) => {
  res.on('finish', () => {
    if (req.complete || req.destroyed) return
    req.removeAllListeners('data')
    req.resume()
  })
  next()
}

export function createHttpApp(options: HttpAppOptions): express.Express {
  const { build, mode, publicUrl, dev, trustProxy, devMiddlewares, root } = options
  const app = express()
  app.disable('x-powered-by')
  // Behind a load balancer, the client address comes from X-Forwarded-For; only trust it when told to.
  if (trustProxy) app.set('trust proxy', trustProxy)
  app.use(securityHeaders({ dev, https: publicUrl.startsWith('https:') }))

  app.use((req, res, next) => {
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      log.info({ method: req.method, path: loggablePath(req.path), status: res.statusCode, ms: Math.round(ms) }, 'request')
    })
    next()
  })

  // A state-changing request from another site is refused here with a plain
  // 403. (Remix's own origin check would otherwise answer it with a 500.)
  // 'null' is let through: with Referrer-Policy no-referrer, Chromium sends
  // Origin: null on our own form posts; staff routes check Origin themselves.
  // No Origin at all is let through too: that is how server-side clients of the
  // provider API (/api/v1, HMA) post, and they authenticate with a key in a
  // header, never a cookie, so there is nothing for another site to ride on
  // (see app/lib/provider-api.server.ts).
  const ownOrigins = new Set([new URL(publicUrl).origin])
  app.use((req, res, next) => {
    const origin = req.get('origin')
    if (req.method === 'GET' || req.method === 'HEAD' || !origin || origin === 'null') return next()
    if (ownOrigins.has(origin) || origin === `${req.protocol}://${req.get('host')}`) return next()
    res.status(403).type('text/plain').send('This request came from another website, so it was refused.\n')
  })

  app.use(bodyLimit)
  app.use(drainUnreadBody)

  // A NUL in the address can never name anything here, and PostgreSQL fails
  // any query that carries one: refuse it before a route looks it up.
  app.use((req, res, next) => {
    if (req.originalUrl.includes('%00') || req.originalUrl.includes('\u0000')) return res.status(400).type('text/plain').send('This address holds a character that cannot be used (NUL).\n')
    next()
  })

  if (devMiddlewares) {
    app.use(devMiddlewares)
  } else {
    app.use('/assets', express.static(path.join(root, 'build/client/assets'), { immutable: true, maxAge: '1y', index: false }))
    // The few files at the top of build/client (copied from public/) are
    // listed once here, so a page request goes straight to Remix: serve-static
    // on its own asks the file system about every path first, and that stat
    // and the error it makes cost more than the empty route's whole answer.
    const clientRoot = path.join(root, 'build/client')
    const rootFiles = new Set(
      fs.existsSync(clientRoot) ? fs.readdirSync(clientRoot, { withFileTypes: true }).filter((f) => f.isFile()).map((f) => `/${f.name}`) : [],
    )
    const serveRootFile = express.static(clientRoot, { maxAge: '1h', index: false })
    app.use((req, res, next) => (rootFiles.has(req.path) ? serveRootFile(req, res, next) : next()))
  }

  app.all(
    '*',
    createRequestHandler({
      build,
      mode,
      // The address only ever becomes a hashed rate-limit key; an IPv6 client counts by its /64.
      getLoadContext: (req, res) => ({
        cspNonce: res.locals.cspNonce as string,
        clientAddress: rateLimitSource(req.ip),
        whenWritable: () =>
          new Promise<void>((resolve) => {
            if (!res.writableNeedDrain || res.destroyed) return resolve()
            const go = () => {
              res.off('drain', go)
              res.off('close', go)
              resolve()
            }
            res.on('drain', go)
            res.on('close', go)
          }),
      }),
    }),
  )
  return app
}
