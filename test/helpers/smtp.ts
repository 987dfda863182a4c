/**
 * A real SMTP server for tests, in the test process: smtp-server on
 * 127.0.0.1, any free port, no TLS and no required authentication. Every
 * message it accepts is kept raw and parsed by mailparser.
 */
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer, type SMTPServerSession } from 'smtp-server'

export interface SmtpReply {
  /** e.g. 451 or 550. */
  code: number
  message: string
  /** When to refuse: at RCPT TO, or after the message is sent (DATA, the default). */
  at?: 'rcpt' | 'data'
}

export interface ReceivedMail {
  raw: Buffer
  parsed: ParsedMail
  /** The envelope: what MAIL FROM and RCPT TO said. */
  from: string | null
  to: string[]
}

export interface TestSmtpServer {
  port: number
  /** smtp://127.0.0.1:port (loopback: the mailer sends without STARTTLS). */
  url: string
  /** Messages accepted, in order. */
  messages: ReceivedMail[]
  /** Mail transactions begun (MAIL FROM), accepted or not. */
  readonly transactions: number
  stop(): Promise<void>
}

export interface StartOptions {
  /**
   * Decide how to answer a transaction; `mailIndex` counts transactions from
   * 0. Null accepts the message.
   */
  respond?: (session: SMTPServerSession, mailIndex: number) => SmtpReply | null
}

function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code })
}

export async function start(options: StartOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = []
  const decisions = new WeakMap<SMTPServerSession, SmtpReply | null>()
  let transactions = 0

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    // Let stop() end promptly even if a pooled client is still connected.
    closeTimeout: 100,
    onMailFrom(_address, session, callback) {
      decisions.set(session, options.respond?.(session, transactions) ?? null)
      transactions++
      callback()
    },
    onRcptTo(_address, session, callback) {
      const decision = decisions.get(session)
      callback(decision && decision.at === 'rcpt' ? smtpError(decision) : undefined)
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('error', callback)
      stream.on('end', () => {
        const decision = decisions.get(session)
        if (decision && decision.at !== 'rcpt') return callback(smtpError(decision))
        const raw = Buffer.concat(chunks)
        const envelopeFrom = session.envelope.mailFrom
        simpleParser(raw)
          .then((parsed) => {
            messages.push({
              raw,
              parsed,
              from: envelopeFrom ? envelopeFrom.address : null,
              to: session.envelope.rcptTo.map((r) => r.address),
            })
            callback()
          })
          .catch(callback)
      })
    },
  })

  const port = await new Promise<number>((resolve, reject) => {
    server.on('error', reject)
    const listener = server.listen(0, '127.0.0.1', () => resolve((listener.address() as AddressInfo).port))
  })

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get transactions() {
      return transactions
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
