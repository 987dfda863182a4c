/**
 * Reading the JSON-lines output of `takeback hash` as the items of a case,
 * for assisted intake (app/routes/staff.cases.new.tsx) and the command line
 * (`takeback case create`, app/cli/case-command.ts). Client-safe: nothing
 * here touches the server, so the page and the command read lines alike.
 *
 * Each line names the file it came from. The name says nothing Takeback
 * needs and may say much about the person, so it is never read: a line
 * becomes item 1, 2, ... of the case in the order of the lines, and problems
 * name lines by number only. The caller words every message.
 */
import { HashItemSchema, type NewRequestInput } from './case.schema'

/** One item of a new case, as NewRequestSchema takes it (checked again there). */
export type HashLineItem = Extract<NewRequestInput['files'], unknown[]>[number]

/** Why a line stops everything: not a JSON object, no hashes, neither image nor video, or hashes that fail HashItemSchema. */
export type HashLineProblem = 'notObject' | 'noHashes' | 'kind' | 'invalid'

/** A line read but not kept as it is: a file `takeback hash` could not hash, a file seen on an earlier line, or a video without frame hashes. */
export type HashLineWarning = { kind: 'error'; line: number } | { kind: 'duplicate'; line: number; first: number } | { kind: 'noFrames'; line: number }

export interface HashLines {
  items: HashLineItem[]
  /** The line (from 1) each item came from, to name it in later messages. */
  lineOfItem: number[]
  warnings: HashLineWarning[]
}

export interface HashLinesRefused {
  problem: HashLineProblem
  /** From 1. */
  line: number
  /** For `invalid`: HashItemSchema's message, an English sentence keyed in the `validation` map. */
  detail?: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The hashes of one line, by field, leaving everything else (the file name first of all) behind. */
function toItem(line: Record<string, unknown>): HashLineItem | null {
  const { kind, md5, sha256 } = line
  if (kind === 'image') return { media: 'image', pdq: line.pdq, quality: line.quality, md5, sha256 } as HashLineItem
  // vpdq is null when FFmpeg was missing: the file's MD5 and SHA-256 still find exact copies.
  if (kind === 'video') return { media: 'video', md5, sha256, vpdq: line.vpdq ?? [] } as HashLineItem
  return null
}

/**
 * The items in `text`, or the first line that cannot be used. Blank lines are
 * ignored; a line reporting an error is skipped, and the same file twice
 * (by SHA-256) is kept once, each with a warning.
 */
export function readHashLines(text: string): HashLines | HashLinesRefused {
  const items: HashLineItem[] = []
  const lineOfItem: number[] = []
  const warnings: HashLineWarning[] = []
  const seen = new Map<string, number>()
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = index + 1
    if (raw.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      value = undefined
    }
    if (!isObject(value)) return { problem: 'notObject', line }
    if ('error' in value) {
      warnings.push({ kind: 'error', line })
      continue
    }
    if (value.md5 === undefined && value.sha256 === undefined && value.pdq === undefined && value.vpdq === undefined) {
      return { problem: 'noHashes', line }
    }
    const item = toItem(value)
    if (!item) return { problem: 'kind', line }
    const checked = HashItemSchema.safeParse(item)
    if (!checked.success) return { problem: 'invalid', line, detail: checked.error.issues[0]?.message }
    // The same file hashed twice would be two items of one case; keep the first.
    const first = seen.get(checked.data.sha256)
    if (first !== undefined) {
      warnings.push({ kind: 'duplicate', line, first })
      continue
    }
    seen.set(checked.data.sha256, line)
    if (item.media === 'video' && value.vpdq == null) warnings.push({ kind: 'noFrames', line })
    items.push(item)
    lineOfItem.push(line)
  }
  return { items, lineOfItem, warnings }
}
