/**
 * The outbox: an email is a row written in the transaction that causes it,
 * so the change and its email commit together or not at all. A worker sends
 * the rows later. Recipients are stored encrypted (see crypto.server.ts).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema'
import { encryptPersonal } from './crypto.server'
import { ValidationError } from './errors.server'
import { newId } from './ids.server'

/** Characters that end a header line in some mail software: CR, LF, NEL, LS, PS. */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/

export interface EmailInput {
  /** What the email is for, e.g. `case.recovery`; never personal data. */
  kind: string
  to: string
  subject: string
  text: string
  html?: string | null
  noticeId?: string | null
  /** `<...>`; made from the row id when not given. */
  messageId?: string
  /** Where replies should go (Reply-To): one plain address. */
  replyTo?: string
  /** The Message-ID this email answers or follows up (In-Reply-To): `<local@domain>`. */
  inReplyTo?: string
  /** The thread so far, oldest first (References): each `<local@domain>`. */
  references?: readonly string[]
}

/** One plain address, as the mailer will accept it: no display name, no list. */
const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/
const MESSAGE_ID = /^<[^\s<>@]+@[^\s<>@]+>$/

/**
 * The threading and reply headers of `input` as the JSON stored in
 * outbox.headers (null when there are none). Header names are the ones the
 * mailer hands to nodemailer unchanged, so the worker needs no mapping.
 */
function threadHeaders(input: EmailInput): string | null {
  const headers: Record<string, string> = {}
  if (input.replyTo !== undefined) {
    if (!SINGLE_ADDRESS.test(input.replyTo)) throw new ValidationError('replyTo', 'Reply-To must be one plain email address.')
    headers['Reply-To'] = input.replyTo
  }
  if (input.inReplyTo !== undefined) {
    if (!MESSAGE_ID.test(input.inReplyTo)) throw new ValidationError('inReplyTo', 'In-Reply-To must be one Message-ID of the form <local@domain>.')
    headers['In-Reply-To'] = input.inReplyTo
  }
  if (input.references !== undefined && input.references.length > 0) {
    if (!input.references.every((r) => MESSAGE_ID.test(r))) {
      throw new ValidationError('references', 'Each of References must be a Message-ID of the form <local@domain>.')
    }
    headers.References = input.references.join(' ')
  }
  return Object.keys(headers).length > 0 ? JSON.stringify(headers) : null
}

/**
 * Queue an email in `trx` (pass the caller's transaction). Refuses header
 * values that could add headers before anything is written.
 */
export async function enqueueEmail(
  trx: Kysely<Database>,
  input: EmailInput,
  now = Date.now(),
): Promise<{ id: string; messageId: string }> {
  for (const field of ['to', 'subject', 'messageId', 'replyTo', 'inReplyTo'] as const) {
    const value = input[field]
    if (value !== undefined && LINE_BREAK.test(value)) {
      throw new ValidationError(field, 'An email header cannot contain a line break.')
    }
  }
  if (input.references?.some((r) => LINE_BREAK.test(r))) throw new ValidationError('references', 'An email header cannot contain a line break.')
  if (input.to.trim() === '') throw new ValidationError('to', 'An email needs a recipient.')
  // Checked before the insert: a refused header leaves nothing behind.
  const headers = threadHeaders(input)
  const id = newId()
  const messageId = input.messageId ?? `<${id}@takeback.invalid>`
  await trx
    .insertInto('outbox')
    .values({
      id,
      kind: input.kind,
      notice_id: input.noticeId ?? null,
      recipient: encryptPersonal(input.to),
      subject: input.subject,
      text_body: input.text,
      html_body: input.html ?? null,
      headers,
      message_id: messageId,
      next_attempt_at: now,
      claimed_at: null,
      claimed_by: null,
      sent_at: null,
      dead_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .execute()
  return { id, messageId }
}
