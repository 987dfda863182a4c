/**
 * The native export through the real HTTP stack (app/http-app.server.ts over
 * the production build, in this process so the server's side of the socket
 * can be watched): when a provider's client stops reading, the server stops
 * reading the database, instead of queueing the rest of the export in
 * memory. Remix writes a streamed body without waiting for the socket; the
 * load context's whenWritable is what makes the export wait.
 */
import crypto from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createHttpApp } from '../../app/http-app.server'
import { getDb } from '../../app/lib/db.server'
import { createCase } from '../../app/models/case.server'
import { EXPORT_BATCH_SIZE } from '../../app/models/hash-feed.server'
import { createApiKey, createProvider } from '../../app/models/provider.server'
import { hashRow, insertHashRows } from '../helpers/hash-rows'
import { ensureBuild } from '../helpers/takeback-server'
import { freePort } from '../setup/postgres'

const ROOT = path.resolve(import.meta.dirname, '../..')
/** Enough that the export (about 230 bytes a line) is many times what the kernel's socket buffers hold. */
const ROWS = 150_000
const base = Date.now() - 60 * 60 * 1000
const bulkValue = (i: number) => crypto.createHash('sha256').update(`bulk-export-${i}`).digest('hex')

let server: http.Server
let port: number
let key: string
/** The server's answer to the export request, to see how much of it waits in memory. */
let exportAnswer: http.ServerResponse | null = null

beforeAll(async () => {
  await ensureBuild()
  const build = (await import(pathToFileURL(path.join(ROOT, 'build/server/index.js')).href)) as ServerBuild
  port = await freePort()
  const app = createHttpApp({ build, mode: 'production', publicUrl: `http://127.0.0.1:${port}`, dev: false, root: ROOT })
  server = http.createServer(app)
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url?.startsWith('/api/v1/hashes/export')) exportAnswer = res
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')

  const db = getDb()
  const staff = { actorType: 'staff' as const, actorId: 'staff-1' }
  const { id: providerId } = await createProvider(db, { name: 'Bulk Host', domains: ['bulk-host-test.net'], noticeEmails: ['abuse@bulk-host-test.net'], hashList: true }, staff)
  key = (await createApiKey(db, providerId, staff)).key
  const { caseId } = await createCase(
    db,
    {
      idempotencyKey: crypto.randomBytes(18).toString('base64url'),
      requester: 'self_adult',
      files: [{ media: 'image', pdq: crypto.randomBytes(32).toString('hex'), quality: 90, md5: crypto.randomBytes(16).toString('hex'), sha256: crypto.randomBytes(32).toString('hex') }],
      urls: [],
      shareHashes: true,
      noticesConsent: false,
    },
    base,
  )
  const rows = Array.from({ length: ROWS }, (_, i) => hashRow(caseId, 10 + i, 'sha256', 'image', bulkValue(i), base + Math.floor(i / 100)))
  await insertHashRows(rows, 2000)
}, 180_000)

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('the export over HTTP', () => {
  it('stops reading the database while the client does not read, and sends every line once it does', async () => {
    const socket = net.connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.pause()
    // HTTP/1.0, so the body comes unchunked and ends when the connection does.
    socket.write(`GET /api/v1/hashes/export?format=ndjson HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${key}\r\n\r\n`)

    // Let the server write until it can write no more: the kernel's buffers
    // on both sides are full, and whatever is still to send waits in memory.
    // First something waits in the server (the first batch can take a while
    // on a loaded machine), then nothing changes for two seconds.
    await vi.waitFor(() => expect(exportAnswer?.writableLength ?? 0).toBeGreaterThan(0), { timeout: 60_000, interval: 50 })
    const answer = exportAnswer!
    let last = -1
    let sameFor = 0
    while (sameFor < 20) {
      await new Promise((r) => setTimeout(r, 100))
      sameFor = answer.writableLength === last ? sameFor + 1 : 0
      last = answer.writableLength
    }
    // One batch of 5,000 lines is about 1.2 MB. Without the wait, the whole
    // export but what the kernel took (some 35 MB in all) was queued here.
    const batchBytes = EXPORT_BATCH_SIZE * 240
    expect(answer.writableLength).toBeLessThan(2 * batchBytes)

    // Reading again, the client gets the whole export.
    socket.setEncoding('latin1')
    let received = ''
    socket.on('data', (chunk: string) => (received += chunk))
    socket.resume()
    await once(socket, 'end')
    const body = received.slice(received.indexOf('\r\n\r\n') + 4)
    expect(received).toMatch(/^HTTP\/1\.1 200 /)
    const lines = body.trimEnd().split('\n')
    const values = new Set(lines.map((l) => (JSON.parse(l) as { value: string }).value))
    // The bulk rows and the case's own three (PDQ, MD5, SHA-256), each once.
    expect(lines.length).toBe(ROWS + 3)
    expect(values.size).toBe(ROWS + 3)
    for (const i of [0, 1, ROWS / 2, ROWS - 1]) expect(values.has(bulkValue(i))).toBe(true)
  }, 120_000)
})
