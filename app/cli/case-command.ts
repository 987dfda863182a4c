/**
 * `takeback case create`: open a case from the output of `takeback hash`, for
 * a caseworker helping someone whose files were hashed on a computer rather
 * than in the browser. The case is opened by the same model function as the
 * web form (createCase), so it is checked, stored and audited the same way.
 *
 * Each line of `takeback hash` names the file it came from. The name says
 * nothing Takeback needs and may say much about the person, so it is never
 * read: a line becomes item 1, 2, ... of the case in the order of the lines,
 * and messages name lines by number only.
 */
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { randomToken } from '../lib/tokens.server'
import { NewRequestSchema, REQUESTERS, type NewRequestInput } from '../models/case.schema'
import { createCase } from '../models/case.server'
import { readHashLines, type HashLines } from '../models/hash-lines'
import { CLI_ACTOR, describeIssues, ordinal, reportFailure, withDatabase } from './provider-command'

const DEFAULT_REQUESTER = 'helper'

/** The lines of a `takeback hash` output as a case's items, or the first reason they cannot be used, worded for the terminal. */
function readLines(text: string): ({ ok: true; warnings: string[] } & Omit<HashLines, 'warnings'>) | { ok: false; message: string } {
  const read = readHashLines(text)
  if ('problem' in read) {
    const n = read.line
    const message = {
      notObject: `--hashes line ${n} is not a JSON object. Give the output of "takeback hash" as it is.`,
      noHashes: `--hashes line ${n} has no hashes in it. Give the output of "takeback hash" as it is.`,
      kind: `--hashes line ${n} is neither an image nor a video ("kind" must be "image" or "video").`,
      invalid: `--hashes line ${n}: ${read.detail ?? 'its hashes are not valid.'}`,
    }[read.problem]
    return { ok: false, message }
  }
  const warnings = read.warnings.map((w) =>
    w.kind === 'error'
      ? `line ${w.line}: skipped: "takeback hash" could not hash this file.`
      : w.kind === 'duplicate'
        ? `line ${w.line}: skipped: the same file as line ${w.first}.`
        : `line ${w.line}: this video has no frame hashes (FFmpeg was missing), so only exact copies of it can be found.`,
  )
  return { ok: true, items: read.items, lineOfItem: read.lineOfItem, warnings }
}

const CASE_OPTIONS: Record<string, string> = {
  files: '--hashes',
  urls: '--url',
  requester: '--requester',
  shareHashes: '--share',
  noticesConsent: '--notices',
}
const caseOption = (field: string) => CASE_OPTIONS[field] ?? field

/**
 * The web form's consent messages speak to the survivor ("Tick this box");
 * here the person typing is helping them, so say which option records it.
 */
const CONSENT_MESSAGES: Record<string, string> = {
  shareHashes:
    'the survivor must agree to their hashes being shared with websites that block copies. Add --share once they have agreed.',
  noticesConsent:
    'the survivor must agree to removal notices being sent for these web addresses. Add --notices once they have agreed.',
}

async function createCaseCommand(args: string[], usage: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      hashes: { type: 'string' },
      url: { type: 'string', multiple: true },
      requester: { type: 'string', default: DEFAULT_REQUESTER },
      share: { type: 'boolean', default: false },
      notices: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    return 0
  }
  if (!values.hashes) {
    process.stderr.write(`--hashes: name the file holding the output of "takeback hash".\n\n${usage}`)
    return 2
  }
  let text: string
  try {
    text = fs.readFileSync(values.hashes, 'utf8')
  } catch {
    process.stderr.write(`--hashes: ${values.hashes} cannot be read. Check the name and that it is a file.\n`)
    return 2
  }
  const read = readLines(text)
  if (!read.ok) {
    process.stderr.write(`${read.message}\nNothing was saved.\n`)
    return 2
  }
  for (const warning of read.warnings) process.stderr.write(`Warning: ${warning}\n`)

  const request: NewRequestInput = {
    // A fresh key per run: running the command twice opens two cases, as
    // sending the web form twice from two fresh pages does.
    idempotencyKey: randomToken(18),
    requester: values.requester as NewRequestInput['requester'],
    language: 'en',
    files: read.items,
    urls: values.url ?? [],
    shareHashes: values.share,
    noticesConsent: values.notices,
  }
  // Checked before the database is opened, so bad input writes nothing at all.
  const checked = NewRequestSchema.safeParse(request)
  if (!checked.success) {
    const issues = checked.error.issues.map((issue) => {
      const field = String(issue.path[0])
      if (field === 'requester') return { ...issue, message: `choose one of ${REQUESTERS.join(', ')}.` }
      const consent = CONSENT_MESSAGES[field]
      return consent ? { ...issue, message: consent } : issue
    })
    const label = (field: string, index: number) => (field === 'files' ? `line ${read.lineOfItem[index]}` : `the ${ordinal(index + 1)}`)
    process.stderr.write(describeIssues(issues, caseOption, label) + 'Nothing was saved.\n')
    return 2
  }

  try {
    const created = await withDatabase((db) => createCase(db, request, Date.now(), { source: 'import', actor: { actorType: 'system', actorId: CLI_ACTOR.actorId } }))
    process.stdout.write(JSON.stringify({ caseNumber: created.caseNumber, secret: created.secret }) + '\n')
    const urls = checked.data.urls.length
    const items = read.lineOfItem.map((line, i) => `item ${i + 1} = line ${line}`).join(', ')
    process.stderr.write(
      `Case opened with ${read.items.length} file${read.items.length === 1 ? '' : 's'}${items ? ` (${items})` : ''}` +
        ` and ${urls} web address${urls === 1 ? '' : 'es'}.\n` +
        'Give the survivor the case number and secret. The secret is shown only this once.\n',
    )
    return 0
  } catch (error) {
    return reportFailure(error, caseOption)
  }
}

/** `takeback case SUBCOMMAND ...` */
export async function caseCommand(args: string[], usage: string): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'create') return createCaseCommand(rest, usage)
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(usage)
    return 0
  }
  process.stderr.write(`${sub ? `Unknown case command "${sub}".` : 'Say what to do: case create.'}\n\n${usage}`)
  return 2
}
