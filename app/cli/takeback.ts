/**
 * The Takeback command line: `npm run --silent takeback -- COMMAND ...`.
 *
 *   hash [--json] [--orient] [--seconds-per-hash N] FILE...
 *       Hash photos and videos on this machine. Prints one JSON object per
 *       line per file. Nothing is sent anywhere.
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

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { hash: hashCommand }

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
