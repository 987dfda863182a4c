/**
 * A real SMTP server for tests, in the test process: smtp-server on
 * 127.0.0.1, any free port, no TLS and no required authentication. Every
 * message it accepts is kept raw and parsed by mailparser.
 */
import type { AddressInfo, Socket } from 'node:net'
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
  /** Connections made, stalled or not. */
  readonly connections: number
  stop(): Promise<void>
}

export interface StartOptions {
  /**
   * Decide how to answer a transaction; `mailIndex` counts transactions from
   * 0. Null accepts the message.
   */
  respond?: (session: SMTPServerSession, mailIndex: number) => SmtpReply | null
  /** Decide how to answer each RCPT TO by its address. Null accepts it. */
  rejectRecipient?: (address: string) => SmtpReply | null
  /**
   * Close the connection once, right after accepting this many messages in
   * all (the reply goes out first): a server that hangs up mid-queue.
   */
  closeAfterMessages?: number
  /**
   * Greet this many of the first connections, then never read from them
   * again: a server that stalls after its greeting.
   */
  stallAfterGreeting?: number
}

function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code })
}

export async function start(options: StartOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = []
  const decisions = new WeakMap<SMTPServerSession, SmtpReply | null>()
  let transactions = 0
  let connections = 0
  let closed = false
  // The raw sockets, by client port, for the faults that act on the connection itself.
  const sockets = new Map<number, Socket>()
  const socketOf = (session: SMTPServerSession) => sockets.get(session.remotePort)

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    // Let stop() end promptly even if a pooled client is still connected.
    closeTimeout: 100,
    disableReverseLookup: true,
    onConnect(session, callback) {
      const stall = connections < (options.stallAfterGreeting ?? 0)
      connections++
      // The greeting is written inside the callback; after it, stop reading.
      callback()
      const socket = socketOf(session)
      if (stall && socket) {
        socket.unpipe()
        socket.pause()
      }
    },
    onMailFrom(_address, session, callback) {
      decisions.set(session, options.respond?.(session, transactions) ?? null)
      transactions++
      callback()
    },
    onRcptTo(address, session, callback) {
      const decision = decisions.get(session)
      const refusal = options.rejectRecipient?.(address.address) ?? null
      if (refusal) return callback(smtpError(refusal))
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
            if (!closed && options.closeAfterMessages !== undefined && messages.length >= options.closeAfterMessages) {
              closed = true
              const socket = socketOf(session)
              // After the 250 reply has been written.
              setImmediate(() => socket?.end())
            }
          })
          .catch(callback)
      })
    },
  })

  // Before smtp-server's own listener, so onConnect can find the socket.
  server.server.prependListener('connection', (socket: Socket) => {
    const remotePort = socket.remotePort
    if (remotePort === undefined) return
    sockets.set(remotePort, socket)
    socket.once('close', () => {
      if (sockets.get(remotePort) === socket) sockets.delete(remotePort)
    })
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
    get connections() {
      return connections
    },
    stop: () =>
      new Promise<void>((resolve) => {
        // A stalled socket is never read again, so the server cannot end it politely.
        for (const socket of sockets.values()) if (socket.isPaused()) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
