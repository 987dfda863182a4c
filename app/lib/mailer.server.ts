/**
 * The mail transport: SMTP when SMTP_URL is set, otherwise `.eml` files under
 * `${DATA_DIR}/mail/`, so a first run (and every test) needs no mail server.
 *
 * `send` never throws for a refusal by the mail server: it returns whether the
 * message was accepted, the server's reply (with email addresses redacted), and
 * whether the failure is permanent. It throws InvalidMessageError, before
 * anything reaches nodemailer, for an address or header value that could add
 * headers or recipients.
 */
import fs from 'node:fs'
import path from 'node:path'
import nodemailer from 'nodemailer'
import type SMTPPool from 'nodemailer/lib/smtp-pool'
import { smtpUrlProblem } from './env.server'

export interface MailMessage {
  from: string
  to: string
  subject: string
  text: string
  html?: string | null
  /** `<...@...>`; kept across retries so receivers can drop duplicates. */
  messageId: string
  headers?: Record<string, string>
  /** The outbox row's id: names the `.eml` file when mail goes to files. */
  outboxId?: string
}

export interface SendResult {
  accepted: boolean
  /** The server's reply, or what went wrong, with email addresses redacted. */
  response: string
  /** True when trying again cannot help (a 5xx reply to this message). */
  permanent?: boolean
  /** The SMTP reply code, when there was one: safe to log. */
  code?: number
}

export interface Mailer {
  /** 'smtp' or 'files': safe to log. */
  readonly mode: 'smtp' | 'files'
  send(message: MailMessage): Promise<SendResult>
  close(): Promise<void>
}

export interface MailerConfig {
  /** smtp://user:pass@host:587 or smtps://...; null or absent writes `.eml` files instead. */
  smtpUrl?: string | null
  /** Where `mail/` is made when there is no SMTP_URL. */
  dataDir: string
  connectionTimeoutMs?: number
  greetingTimeoutMs?: number
  socketTimeoutMs?: number
  /**
   * An upper bound on one `send`, whatever the server does. Keep it well
   * under the outbox lease, or a slow send could be claimed by a second worker.
   */
  sendTimeoutMs?: number
  maxConnections?: number
}

/** A message that must not be handed to nodemailer; the message never names the bad value. */
export class InvalidMessageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidMessageError'
  }
}

/**
 * Characters that end a header line somewhere: CR and LF for SMTP, NEL, LS and
 * PS for mail software that follows Unicode line breaking; and the other C0
 * controls (but TAB, which folded headers use), which have no place in a header.
 */
// eslint-disable-next-line no-control-regex
const HEADER_BREAKER = /[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/

/** One plain address: no display name, no list, no comment, no route. */
const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/
const MESSAGE_ID = /^<[^\s<>@]+@[^\s<>@]+>$/
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/
/**
 * Headers nodemailer builds from the message itself; an extra header with one
 * of these names would change who receives the message or how it is read.
 */
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'sender',
  'subject',
  'message-id',
  'date',
  'mime-version',
  'return-path',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
])

/** Refuse anything that could smuggle a header or a recipient into the message. */
export function checkMessage(message: MailMessage): void {
  const fields: Array<[string, string]> = [
    ['sender (MAIL_FROM)', message.from],
    ['recipient', message.to],
    ['subject', message.subject],
    ['Message-ID', message.messageId],
  ]
  for (const [name, value] of fields) {
    if (HEADER_BREAKER.test(value)) {
      throw new InvalidMessageError(`The ${name} contains a line break or control character; refused before sending.`)
    }
  }
  if (!SINGLE_ADDRESS.test(message.to)) {
    throw new InvalidMessageError('The recipient is not a single plain email address; refused before sending.')
  }
  if (!MESSAGE_ID.test(message.messageId)) {
    throw new InvalidMessageError('The Message-ID is not of the form <local@domain>; refused before sending.')
  }
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw new InvalidMessageError('An extra header has an invalid name; refused before sending.')
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new InvalidMessageError(`The extra header ${name} would override the message's own; refused before sending.`)
    }
    if (typeof value !== 'string' || HEADER_BREAKER.test(value)) {
      throw new InvalidMessageError(`The extra header ${name} contains a line break or control character; refused before sending.`)
    }
  }
}

const ADDRESS_LIKE = /[^\s<>()[\],;:"'`]+@[^\s<>()[\],;:"'`]+/g

/**
 * Replace anything that looks like an email address, and each of `known`
 * (e.g. the recipient, and its local part, which some servers quote alone).
 * Also caps the length: the result is stored in last_error.
 */
export function redactAddresses(text: string, known: readonly string[] = []): string {
  let out = text
  for (const value of known) {
    for (const part of [value, value.split('@')[0] ?? '']) {
      // A very short local part ("a@...") would redact ordinary words.
      if (part.length >= 3) out = out.replace(new RegExp(escapeRegExp(part), 'gi'), '[redacted]')
    }
  }
  out = out.replace(ADDRESS_LIKE, '[redacted]')
  return out.length > 1000 ? `${out.slice(0, 1000)}…` : out
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/**
 * Read SMTP_URL. smtps:// is TLS from the first byte (default port 465).
 * smtp:// (default port 587) requires STARTTLS, because the URL carries a
 * password that must not cross a network in clear; except to a loopback
 * address (a local relay, or a test server), or with `?tls=none` for a
 * trusted relay on a private network, where the connection stays plain.
 * `?tls=starttls` forces STARTTLS even on loopback.
 */
export function smtpOptionsFromUrl(smtpUrl: string): Pick<
  SMTPPool.Options,
  'host' | 'port' | 'secure' | 'auth' | 'requireTLS' | 'ignoreTLS'
> {
  // The same rules the start checks SMTP_URL with; the message never echoes the URL (it may hold a password).
  const problem = smtpUrlProblem(smtpUrl)
  if (problem) throw new Error(`SMTP_URL: ${problem}`)
  const url = new URL(smtpUrl)
  const implicitTls = url.protocol === 'smtps:'
  const tls = url.searchParams.get('tls')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const plain = !implicitTls && (tls === 'none' || (tls === null && LOOPBACK.has(url.hostname)))
  const user = decodeURIComponent(url.username)
  return {
    host,
    port: url.port ? Number(url.port) : implicitTls ? 465 : 587,
    secure: implicitTls,
    requireTLS: !implicitTls && !plain,
    ignoreTLS: plain,
    auth: user ? { user, pass: decodeURIComponent(url.password) } : undefined,
  }
}

/** Make the transport that `config` asks for. */
export function createMailer(config: MailerConfig): Mailer {
  return config.smtpUrl ? createSmtpMailer(config, config.smtpUrl) : createFileMailer(config)
}

function toNodemailer(message: MailMessage) {
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html ?? undefined,
    messageId: message.messageId,
    headers: message.headers,
  }
}

/** SMTP reply codes are three digits; anything else is not a reply code. */
function replyCode(error: unknown): number | undefined {
  const code = (error as { responseCode?: unknown }).responseCode
  return typeof code === 'number' && code >= 200 && code < 600 ? code : undefined
}

/**
 * Permanent only when the server refused *this message* with a 5xx (at RCPT
 * or DATA), or nodemailer found the envelope or message unusable. A 5xx to
 * the greeting, AUTH or MAIL FROM is about our server settings, not the
 * message: retrying lets the operator fix them without losing the queue.
 * 4xx, timeouts and connection errors are temporary.
 */
export function isPermanentFailure(error: unknown): boolean {
  const { code, command } = error as { code?: unknown; command?: unknown }
  if (code === 'EAUTH') return false
  const status = replyCode(error)
  if (status !== undefined) {
    if (status < 500) return false
    return command !== 'CONN' && command !== 'EHLO' && command !== 'MAIL FROM' && command !== 'STARTTLS'
  }
  // No reply code: nodemailer refused the envelope or message itself.
  return code === 'EENVELOPE' || code === 'EMESSAGE'
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function createSmtpMailer(config: MailerConfig, smtpUrl: string): Mailer {
  const sendTimeoutMs = config.sendTimeoutMs ?? 120_000
  // When a connection closes mid-send, the pool re-sends the message itself,
  // by default without limit and outside our backoff. Allow one re-send (a
  // pooled connection the server had already dropped); after that the
  // failure comes back to the outbox, which counts and spaces the attempts.
  // (Not in @types/nodemailer, hence the separate object.)
  const requeue = { maxRequeues: 1 }
  const transport = nodemailer.createTransport({
    pool: true,
    ...smtpOptionsFromUrl(smtpUrl),
    ...requeue,
    maxConnections: config.maxConnections ?? 2,
    connectionTimeout: config.connectionTimeoutMs ?? 10_000,
    greetingTimeout: config.greetingTimeoutMs ?? 10_000,
    socketTimeout: config.socketTimeoutMs ?? 30_000,
    // Message content comes from our templates, but a path or URL in it must
    // never make the server read a local file or fetch from the network.
    disableFileAccess: true,
    disableUrlAccess: true,
    // nodemailer's own logger would print addresses.
    logger: false,
    debug: false,
  })
  return {
    mode: 'smtp',
    async send(message) {
      checkMessage(message)
      const known = [message.to]
      try {
        const outcome = await withTimeout(transport.sendMail(toNodemailer(message)), sendTimeoutMs)
        if (outcome === 'timeout') {
          return { accepted: false, permanent: false, response: `No answer from the mail server within ${sendTimeoutMs} ms.` }
        }
        const response = redactAddresses(String(outcome.response ?? ''), known)
        const code = Number(/^\d{3}/.exec(response)?.[0]) || undefined
        // One recipient: it was accepted unless the server listed it as rejected.
        if (outcome.rejected.length > 0) return { accepted: false, permanent: true, response, code }
        return { accepted: true, response, code }
      } catch (error) {
        const err = error as Error & { response?: unknown }
        const text = typeof err.response === 'string' && err.response ? err.response : (err.message ?? String(error))
        return {
          accepted: false,
          permanent: isPermanentFailure(error),
          response: redactAddresses(text, known),
          code: replyCode(error),
        }
      }
    },
    async close() {
      transport.close()
    },
  }
}

/** The folder that holds written messages when there is no SMTP server. */
export function mailDir(dataDir: string): string {
  return path.join(dataDir, 'mail')
}

function createFileMailer(config: MailerConfig): Mailer {
  // streamTransport only builds the RFC 5322 message; we write it ourselves.
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  const dir = mailDir(config.dataDir)
  return {
    mode: 'files',
    async send(message) {
      checkMessage(message)
      const info = await transport.sendMail(toNodemailer(message))
      const raw = info.message
      if (!Buffer.isBuffer(raw)) throw new Error('The mail builder did not return a buffer.')
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 })
      // mkdir's mode is ignored for a folder that already exists: these files
      // hold recipients and notice text, so make sure only we can read them.
      await fs.promises.chmod(dir, 0o700)
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      const id = (message.outboxId ?? message.messageId).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80)
      const name = `${stamp}-${id}.eml`
      // Write under a hidden name and rename, so a reader never sees half a file.
      const temp = path.join(dir, `.${name}.tmp`)
      await fs.promises.writeFile(temp, raw, { mode: 0o600, flag: 'wx' })
      await fs.promises.rename(temp, path.join(dir, name))
      return { accepted: true, response: `Written to mail/${name}` }
    },
    async close() {},
  }
}

export interface MailFile {
  name: string
  path: string
  size: number
  mtimeMs: number
}

/** The `.eml` files written without SMTP, newest first; empty when there are none. */
export async function listMailFiles(dataDir: string): Promise<MailFile[]> {
  const dir = mailDir(dataDir)
  let names: string[]
  try {
    names = await fs.promises.readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const files = await Promise.all(
    names
      .filter((n) => n.endsWith('.eml') && !n.startsWith('.'))
      .map(async (name) => {
        const full = path.join(dir, name)
        const stat = await fs.promises.stat(full)
        return { name, path: full, size: stat.size, mtimeMs: stat.mtimeMs }
      }),
  )
  return files.sort((a, b) => b.mtimeMs - a.mtimeMs || b.name.localeCompare(a.name))
}
