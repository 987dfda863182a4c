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
  for (const field of ['to', 'subject', 'messageId'] as const) {
    const value = input[field]
    if (value !== undefined && LINE_BREAK.test(value)) {
      throw new ValidationError(field, 'An email header cannot contain a line break.')
    }
  }
  if (input.to.trim() === '') throw new ValidationError('to', 'An email needs a recipient.')
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
      headers: null,
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
