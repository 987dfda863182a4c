/**
 * Client-safe schemas of the case page's forms, shared by the form (Conform)
 * and the action, so both sides check the same limits.
 */
import { z } from 'zod'

export const QUEUE_FILTERS = ['new', 'needs_notices', 'waiting', 'overdue', 'closed', 'all'] as const
export type QueueFilter = (typeof QUEUE_FILTERS)[number]

export const MAX_NOTE_LENGTH = 4000

export const NoteSchema = z.object({
  body: z
    .string({ error: 'Write the note.' })
    .trim()
    .min(1, 'Write the note.')
    .max(MAX_NOTE_LENGTH, `A note can be at most ${MAX_NOTE_LENGTH.toLocaleString('en')} characters.`)
    // Line breaks are fine in a note; other control characters are not (PostgreSQL cannot store NUL at all).
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'The note contains characters that cannot be stored; retype it.'),
})

/** The queue's query string; anything unknown falls back to the default rather than failing the page. */
export const QueueQuerySchema = z.object({
  filter: z.enum(QUEUE_FILTERS).catch('all'),
  q: z.string().max(64).optional().catch(undefined),
  after: z.string().max(64).optional().catch(undefined),
})

/** The buttons of the case page that act on one notice. */
export const NoticeIntentSchema = z.object({
  intent: z.enum(['explanation', 'preview', 'send']),
  noticeId: z.string().min(1).max(64),
  explanation: z.string().max(10_000).optional(),
})
