import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { connect } from '../../app/lib/db.server'
import { tokenHash } from '../../app/lib/tokens.server'
import { readCsv, vectorPath } from '../helpers/vectors'

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'takeback-cli-admin-'))
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))

/** A fresh machine: an empty folder for the data and a database file that does not exist yet. */
function freshMachine(label: string) {
  const dir = fs.mkdtempSync(path.join(scratch, `${label}-`))
  return { dir, file: path.join(dir, 'takeback.db') }
}

/** Run `npm run --silent takeback -- ...` the way a person does, against `machine`'s database. */
function takeback(args: string[], machine: { dir: string; file: string }) {
  const env = { ...process.env, DATABASE_URL: machine.file, DATA_DIR: machine.dir }
  const out = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli/takeback.ts', ...args], { encoding: 'utf8', env })
  const lines = out.stdout.trim() ? out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>) : []
  return { status: out.status, stdout: out.stdout, lines, stderr: out.stderr }
}

/** Read the database a command left behind. */
async function inspect<T>(file: string, fn: (db: ReturnType<typeof connect>['db']) => Promise<T>): Promise<T> {
  const connection = connect({ engine: 'sqlite', file })
  try {
    return await fn(connection.db)
  } finally {
    await connection.close()
  }
}

describe('takeback provider add', { timeout: 120_000 }, () => {
  it('migrates a fresh database, adds the provider and prints its id and an API key shown once', async () => {
    const machine = freshMachine('provider')
    const { status, lines, stderr } = takeback(
      ['provider', 'add', '--name', 'Example Social', '--domain', 'Example.co.uk', '--domain', 'example-cdn.net', '--email', 'Abuse@Example.co.uk', '--regime', 'dsa', '--hash-list'],
      machine,
    )
    expect(stderr).toContain('shown only this once')
    expect(status).toBe(0)
    expect(lines).toHaveLength(1)
    const { id, apiKey } = lines[0]!
    expect(Object.keys(lines[0]!)).toEqual(['id', 'apiKey'])
    expect(apiKey).toMatch(/^tbk_[A-Za-z0-9_-]{43}$/)

    await inspect(machine.file, async (db) => {
      expect(await db.selectFrom('provider').select(['name', 'notice_emails', 'regime', 'hash_list', 'is_placeholder']).where('id', '=', id).executeTakeFirst()).toEqual({
        name: 'Example Social',
        notice_emails: '["abuse@example.co.uk"]',
        regime: 'dsa',
        hash_list: 1,
        is_placeholder: 0,
      })
      const domains = await db.selectFrom('provider_domain').select('domain').where('provider_id', '=', id).orderBy('domain').execute()
      expect(domains.map((d) => d.domain)).toEqual(['example-cdn.net', 'example.co.uk'])
      const key = await db.selectFrom('provider_api_key').selectAll().where('provider_id', '=', id).executeTakeFirstOrThrow()
      expect(key.key_hash).toBe(tokenHash(apiKey))
      expect(key.prefix).toBe(apiKey.slice(4, 12))
      const audit = await db.selectFrom('audit_log').select(['action', 'actor_type', 'detail']).orderBy('seq').execute()
      expect(audit.map((a) => [a.action, a.actor_type])).toEqual([
        ['provider.created', 'system'],
        ['provider.api_key_created', 'system'],
      ])
      expect(JSON.stringify(audit)).not.toMatch(/@|tbk_/)
    })

    // The same domain again is refused by name, and nothing is added.
    const again = takeback(['provider', 'add', '--name', 'Copycat', '--domain', 'www2.example-cdn.net', '--email', 'a@copycat.org'], machine)
    expect(again.status).toBe(2)
    expect(again.stderr).toContain('"www2.example-cdn.net" is a subdomain')
    const taken = takeback(['provider', 'add', '--name', 'Copycat', '--domain', 'example-cdn.net', '--email', 'a@copycat.org'], machine)
    expect(taken.status).toBe(2)
    expect(taken.lines).toEqual([])
    expect(taken.stderr).toContain('--domain: The domain example-cdn.net already belongs to the provider "Example Social"')
    await inspect(machine.file, async (db) => {
      expect(await db.selectFrom('provider').select('name').execute()).toEqual([{ name: 'Example Social' }])
      expect(await db.selectFrom('provider_api_key').select('id').execute()).toHaveLength(1)
    })
  })

  it('refuses a bad email address with exit 2 and a message naming the option, writing nothing', async () => {
    const machine = freshMachine('bad-email')
    const { status, stdout, stderr } = takeback(
      ['provider', 'add', '--name', 'Example', '--domain', 'example.org', '--email', 'abuse@example.org', '--email', 'abuse at example.org'],
      machine,
    )
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('--email (2nd): Enter an email address like name@example.org.')
    expect(stderr).toContain('Nothing was saved.')
    // Checked before the database is opened: not even a file was made.
    expect(fs.readdirSync(machine.dir)).toEqual([])

    // And on a database that exists, nothing is added to it.
    expect(takeback(['provider', 'add', '--name', 'First', '--domain', 'first.org', '--email', 'a@first.org'], machine).status).toBe(0)
    const crlf = takeback(['provider', 'add', '--name', 'Second', '--domain', 'second.org', '--email', 'a@second.org\r\nBcc: b@elsewhere.org'], machine)
    expect(crlf.status).toBe(2)
    expect(crlf.stderr).toContain('--email (1st): An email address must be on one line.')
    await inspect(machine.file, async (db) => {
      expect(await db.selectFrom('provider').select('name').execute()).toEqual([{ name: 'First' }])
      expect(await db.selectFrom('audit_log').select('seq').execute()).toHaveLength(2)
    })
  })

  it('explains what is missing', () => {
    const machine = freshMachine('usage')
    const none = takeback(['provider', 'add'], machine)
    expect(none.status).toBe(2)
    expect(none.stderr).toContain("--name: Enter the provider's name.")
    expect(none.stderr).toContain('--domain: Add at least one domain, like example.com.')
    expect(none.stderr).toContain('--email: Add at least one email address that receives notices.')
    expect(takeback(['provider', 'add', '--name', 'X', '--domain', 'x.org', '--email', 'a@x.org', '--regime', 'gdpr'], machine).stderr).toContain(
      '--regime: Choose the law notices cite: takeitdown, dmca, dsa, generic.',
    )
    const unknown = takeback(['provider', 'remove'], machine)
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('Unknown provider command "remove"')
    expect(fs.readdirSync(machine.dir)).toEqual([])
  })
})

describe('takeback case create', { timeout: 120_000 }, () => {
  const images = [vectorPath('images/misc-images/c.png'), vectorPath('images/bridge-mods/aaa-orig.jpg')]

  it('opens a case from the output of takeback hash, storing the same PDQ values and no file names', async () => {
    const machine = freshMachine('case')
    const missing = path.join(machine.dir, 'private-name-of-a-missing-photo.jpg')
    const hashed = takeback(['hash', images[0]!, missing, images[1]!], machine)
    expect(hashed.status).toBe(1)
    const jsonl = path.join(scratch, 'hashes.jsonl')
    fs.writeFileSync(jsonl, hashed.stdout)
    const [first, , second] = hashed.lines
    // The hash output itself is the reference hasher's, so the case below holds the values providers compute.
    const reference = new Map(readCsv('expected/reference-hashes.csv').map((r) => [r.image!, r.ref_fullres_hash!]))
    expect(first!.pdq).toBe(reference.get('images/misc-images/c.png'))
    expect(second!.pdq).toBe(reference.get('images/bridge-mods/aaa-orig.jpg'))

    const { status, lines, stderr } = takeback(['case', 'create', '--hashes', jsonl, '--share', '--url', 'https://www.example.com/post/1', '--notices'], machine)
    expect(stderr).toContain('Warning: line 2: skipped')
    expect(stderr).not.toContain('private-name')
    expect(status).toBe(0)
    expect(lines).toHaveLength(1)
    expect(Object.keys(lines[0]!)).toEqual(['caseNumber', 'secret'])
    expect(lines[0]!.caseNumber).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    expect(lines[0]!.secret).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/)

    await inspect(machine.file, async (db) => {
      const c = await db.selectFrom('survivor_case').selectAll().where('case_number', '=', lines[0]!.caseNumber.replace('-', '')).executeTakeFirstOrThrow()
      expect(c).toMatchObject({ requester: 'helper', share_hashes: 1, notices_consent: 1, state: 'open', source: 'import' })
      const hashes = await db.selectFrom('case_hash').select(['item', 'kind', 'value', 'quality']).where('case_id', '=', c.id).orderBy('item').orderBy('kind').execute()
      expect(hashes).toEqual([
        { item: 1, kind: 'md5', value: first!.md5, quality: null },
        { item: 1, kind: 'pdq', value: first!.pdq, quality: first!.quality },
        { item: 1, kind: 'sha256', value: first!.sha256, quality: null },
        { item: 2, kind: 'md5', value: second!.md5, quality: null },
        { item: 2, kind: 'pdq', value: second!.pdq, quality: second!.quality },
        { item: 2, kind: 'sha256', value: second!.sha256, quality: null },
      ])
      const locations = await db.selectFrom('case_location').select(['url', 'registrable_domain']).where('case_id', '=', c.id).execute()
      expect(locations).toEqual([{ url: 'https://www.example.com/post/1', registrable_domain: 'example.com' }])
    })
    // The file names in the hash output went nowhere near the database.
    const stored = fs.readdirSync(machine.dir).filter((f) => f.startsWith('takeback.db'))
    for (const f of stored) {
      const bytes = fs.readFileSync(path.join(machine.dir, f))
      for (const name of ['c.png', 'aaa-orig.jpg', 'private-name-of-a-missing-photo']) expect(bytes.includes(name)).toBe(false)
    }
  })

  it('refuses a line with no hashes, or missing consent, with exit 2 and nothing written', async () => {
    const machine = freshMachine('case-bad')
    const good = takeback(['hash', images[0]!], machine).stdout
    const noHashes = path.join(machine.dir, 'no-hashes.jsonl')
    fs.writeFileSync(noHashes, good + JSON.stringify({ file: 'holiday.jpg', kind: 'image', bytes: 10 }) + '\n')
    const refused = takeback(['case', 'create', '--hashes', noHashes, '--share'], machine)
    expect(refused.status).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain('--hashes line 2 has no hashes in it.')

    const goodFile = path.join(machine.dir, 'good.jsonl')
    fs.writeFileSync(goodFile, good)
    const noConsent = takeback(['case', 'create', '--hashes', goodFile], machine)
    expect(noConsent.status).toBe(2)
    expect(noConsent.stderr).toContain('--share: the survivor must agree')
    const urlNoConsent = takeback(['case', 'create', '--hashes', goodFile, '--share', '--url', 'https://example.com/x'], machine)
    expect(urlNoConsent.status).toBe(2)
    expect(urlNoConsent.stderr).toContain('--notices: the survivor must agree')
    // None of these opened the database.
    expect(fs.readdirSync(machine.dir).filter((f) => f.startsWith('takeback.db'))).toEqual([])
  })
})
