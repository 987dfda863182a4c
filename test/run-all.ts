/**
 * `npm test`: every check the project has, in one command, continuing past a
 * failure so one run reports everything: typecheck, lint, the production
 * build, unit and integration tests (SQLite and PostgreSQL) with vitest, and
 * e2e tests in Chromium with Playwright. Ends with one line `N passed, N
 * failed` counting every test (typecheck, lint and build count as one check
 * each).
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const RESULTS = path.resolve('test-results')
fs.mkdirSync(RESULTS, { recursive: true })

interface Step {
  name: string
  passed: number
  failed: number
  skipped: number
}
const steps: Step[] = []

function run(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const started = Date.now()
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } })
  console.log(`  (${cmd} ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)} s)`)
  return result.status ?? 1
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T
  } catch {
    return null
  }
}

/**
 * A Debian package the tests need (Chromium for e2e, FFmpeg for vPDQ).
 * Installed here when running as root, as on CI; otherwise the exact command
 * is printed.
 */
function ensureDebianPackage(binary: string, pkg: string, why: string): boolean {
  if (fs.existsSync(binary)) return true
  if (process.getuid?.() === 0) {
    console.log(`${binary} is missing; installing Debian's ${pkg} package ${why}.`)
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    const install = spawnSync('apt-get', ['install', '-y', '-qq', pkg], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
    if (update.status === 0 && install.status === 0 && fs.existsSync(binary)) return true
  }
  console.error(`The tests need ${binary} ${why}. Install it with:\n\n  sudo apt-get update && sudo apt-get install -y ${pkg}\n`)
  return false
}

function check(name: string, cmd: string, args: string[]) {
  console.log(`\n== ${name}`)
  const ok = run(cmd, args) === 0
  steps.push({ name, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 })
}

// A missing package fails its tests with a clear message rather than stopping the run.
ensureDebianPackage('/usr/bin/ffmpeg', 'ffmpeg', 'for the vPDQ tests')
ensureDebianPackage('/usr/bin/pg_dump', 'postgresql-client', 'for the PostgreSQL backup and restore test')

check('typecheck', 'npx', ['tsc', '--noEmit'])
check('lint', 'npx', ['eslint', '.'])
// Before vitest: the multi-instance test serves this build, and would
// otherwise make it while other test files may be starting a server from it.
check('build', 'npx', ['remix', 'vite:build', '--logLevel', 'warn'])

console.log('\n== unit and integration tests (vitest: unit, integration and isolated, each on SQLite and PostgreSQL)')
const vitestReport = path.join(RESULTS, 'vitest-report.json')
fs.rmSync(vitestReport, { force: true })
const vitestStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`])
const vitest = readJson<{ numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number }>(vitestReport)
steps.push({
  name: 'vitest',
  passed: vitest?.numPassedTests ?? 0,
  // A run that crashed before reporting still counts as a failure.
  failed: vitest ? vitest.numFailedTests + (vitestStatus !== 0 && vitest.numFailedTests === 0 ? 1 : 0) : 1,
  skipped: (vitest?.numPendingTests ?? 0) + (vitest?.numTodoTests ?? 0),
})

console.log('\n== end-to-end tests (Playwright, Chromium)')
if (ensureDebianPackage('/usr/bin/chromium', 'chromium', 'for the browser tests')) {
  const e2eReport = path.join(RESULTS, 'e2e-report.json')
  fs.rmSync(e2eReport, { force: true })
  const e2eStatus = run('npx', ['playwright', 'test'])
  const e2e = readJson<{ stats: { expected: number; unexpected: number; flaky: number; skipped: number } }>(e2eReport)
  steps.push({
    name: 'e2e',
    passed: e2e ? e2e.stats.expected + e2e.stats.flaky : 0,
    failed: e2e ? e2e.stats.unexpected + (e2eStatus !== 0 && e2e.stats.unexpected === 0 ? 1 : 0) : 1,
    skipped: e2e?.stats.skipped ?? 0,
  })
} else {
  steps.push({ name: 'e2e', passed: 0, failed: 1, skipped: 0 })
}

const total = steps.reduce((t, s) => ({ passed: t.passed + s.passed, failed: t.failed + s.failed, skipped: t.skipped + s.skipped }), {
  passed: 0,
  failed: 0,
  skipped: 0,
})
console.log('\n== summary')
for (const s of steps) console.log(`  ${s.name.padEnd(10)} ${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}`)
const line = `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`
fs.writeFileSync(path.join(RESULTS, 'totals.txt'), line + '\n')
console.log(line)
process.exitCode = total.failed > 0 ? 1 : 0
