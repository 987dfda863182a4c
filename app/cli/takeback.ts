/**
 * The Takeback command line: `npm run --silent takeback -- COMMAND ...`.
 *
 *   hash [--json] [--orient] [--seconds-per-hash N] FILE...
 *       Hash photos and videos on this machine. Prints one JSON object per
 *       line per file. Nothing is sent anywhere.
 *   provider add ...   enter a service provider and make its API key
 *   case create ...    open a case from the output of `hash`
 *   scan --feed ...    match the images and videos in a folder against a hash list
 *
 * Exit codes: 0 done, 1 failed (a file could not be hashed, the database
 * could not be reached), 2 wrong usage or bad input (nothing was saved).
 */
import { parseArgs } from 'node:util'
import { hashFile, UnreadableFile } from './hash-file'
import { Progress } from './progress'

const USAGE = `Usage: npm run --silent takeback -- COMMAND [options]

Commands:
  hash [--json] [--orient] [--seconds-per-hash N] FILE...
      Hash photos and videos on this machine; nothing is sent anywhere.
      Prints one JSON object per line per file: file, kind, bytes, md5, sha256,
      and pdq, quality, dihedral for images or vpdq frames for videos.
      --orient               apply EXIF orientation / video rotation first, as
                             browsers display the file (default: as stored,
                             which is what providers' reference hashers do)
      --seconds-per-hash N   vPDQ sampling interval (default 1; 0 = every frame)

  provider add --name NAME --domain DOMAIN [--domain ...] --email ADDRESS
               [--email ...] [--regime takeitdown|dmca|dsa|generic] [--hash-list]
      Enter a service provider with the registrable domains it answers for
      (example.com, not www.example.com) and the addresses notices go to, and
      make its API key. Prints {"id", "apiKey"} as one JSON line; the key is
      shown only this once. --regime defaults to generic.

  case create --hashes FILE.jsonl [--url URL ...]
              [--requester self_minor|self_adult|helper] [--share] [--notices]
      Open a case from the output of "hash" (one JSON object per line; lines
      reporting an error are skipped with a warning, and file names are never
      read). --share records the survivor's consent to share the hashes and is
      needed when there are any; --notices records their consent to removal
      notices and is needed with --url. --requester defaults to helper.
      Prints {"caseNumber", "secret"} as one JSON line; give both to the
      survivor: the secret is shown only this once.

  scan --feed EXPORT.ndjson [--max-distance N] DIR
      Hash every image and video under DIR on this machine and match them
      against a native hash export (GET /api/v1/hashes/export); nothing is sent.
      Prints one JSON line per match: file (relative to DIR), kind (pdq, md5,
      sha256, or vpdq for a video frame), value, and matched {type, value,
      distance}. PDQ matches within --max-distance bits (default and most 31);
      MD5 and SHA-256 match exactly; only active hashes count. A summary goes to
      standard error.

  provider and case use the database that DATABASE_URL (or DATA_DIR) names,
  and bring its schema up to date first.
`

async function hashCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      orient: { type: 'boolean', default: false },
      'seconds-per-hash': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  if (positionals.length === 0) {
    process.stderr.write('Name at least one file to hash.\n\n' + USAGE)
    return 2
  }
  const secondsPerHash = values['seconds-per-hash'] === undefined ? undefined : Number(values['seconds-per-hash'])
  if (secondsPerHash !== undefined && !(secondsPerHash >= 0 && secondsPerHash <= 3600)) {
    process.stderr.write('--seconds-per-hash takes a number of seconds from 0 to 3600.\n')
    return 2
  }

  const progress = new Progress(positionals.length)
  let failed = 0
  for (const [i, file] of positionals.entries()) {
    progress.start(i, file)
    try {
      const result = await hashFile(file, { orient: values.orient, secondsPerHash, onProgress: (f) => progress.update(f) })
      progress.clear()
      process.stdout.write(JSON.stringify(result) + '\n')
    } catch (error) {
      failed++
      progress.clear()
      const message = error instanceof UnreadableFile ? error.message : `Unexpected error: ${error instanceof Error ? error.message : String(error)}`
      process.stdout.write(JSON.stringify({ file, error: message }) + '\n')
    }
  }
  progress.done(failed)
  return failed > 0 ? 1 : 0
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  hash: hashCommand,
  // Loaded when used: hashing needs no database driver, argon2 or settings.
  provider: async (args) => (await import('./provider-command')).providerCommand(args, USAGE),
  case: async (args) => (await import('./case-command')).caseCommand(args, USAGE),
  scan: async (args) => (await import('./scan')).scanCommand(args, USAGE),
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE)
    return command ? 0 : 2
  }
  const run = COMMANDS[command]
  if (!run) {
    process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`)
    return 2
  }
  try {
    return await run(rest)
  } catch (error) {
    // Argument errors from parseArgs read well as they are.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    return 2
  }
}

process.exitCode = await main(process.argv.slice(2))
