/**
 * The operator's guide lists exactly the variables the schema reads: a
 * variable added to app/lib/env.server.ts without a row in
 * docs/operations.md, or a row left behind after one is removed, fails here.
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ENV_VARIABLES } from '../../app/lib/env.server'

const GUIDE = fileURLToPath(new URL('../../docs/operations.md', import.meta.url))

/** The lines of the `## Configuration reference` section, up to the next second-level heading. */
function configurationSection(markdown: string): string[] {
  const lines = markdown.split('\n')
  const start = lines.findIndex((l) => l.trim() === '## Configuration reference')
  if (start === -1) throw new Error('docs/operations.md has no "## Configuration reference" section')
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l))
  return lines.slice(start + 1, end === -1 ? undefined : end)
}

/** The cells of one table row, without the outer pipes. */
const cells = (row: string) =>
  row
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim())

/**
 * Every variable named in the first column of the section's tables whose
 * first header is "variable". A row may name several (`A`, `B`).
 */
function documentedVariables(markdown: string): string[] {
  const names: string[] = []
  let inVariableTable = false
  let sawTable = false
  for (const line of configurationSection(markdown)) {
    if (!line.trim().startsWith('|')) {
      inVariableTable = false
      continue
    }
    const [first = ''] = cells(line)
    if (!inVariableTable) {
      // The header row starts a table; only variable tables count.
      inVariableTable = first.toLowerCase() === 'variable'
      sawTable ||= inVariableTable
      continue
    }
    if (/^:?-+:?$/.test(first)) continue
    const inRow = [...first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)
    if (inRow.length === 0) throw new Error(`A configuration row names no variable in backticks: ${line}`)
    names.push(...inRow)
  }
  if (!sawTable) throw new Error('The configuration section has no table with a "variable" column')
  return names
}

describe('configuration reference (docs/operations.md)', () => {
  const documented = documentedVariables(fs.readFileSync(GUIDE, 'utf8'))

  it('documents every variable in the schema', () => {
    const missing = ENV_VARIABLES.filter((name) => !documented.includes(name))
    expect(missing, 'in app/lib/env.server.ts but not in the tables of docs/operations.md').toEqual([])
  })

  it('documents no variable the schema does not read, and each once', () => {
    const extra = documented.filter((name) => !(ENV_VARIABLES as readonly string[]).includes(name))
    expect(extra, 'in the tables of docs/operations.md but not in app/lib/env.server.ts').toEqual([])
    expect(documented.filter((name, i) => documented.indexOf(name) !== i), 'listed twice').toEqual([])
  })

  it('reads the tables as an operator would', () => {
    const sample = [
      '# Guide',
      '## Configuration reference',
      '### Server',
      '| variable | default | meaning |',
      '| --- | --- | --- |',
      '| `HOST`, `PORT` | `127.0.0.1`, `3000` | where to listen, e.g. `LOCAL_ONLY` |',
      '',
      '| file | what |',
      '| --- | --- |',
      '| `NOT_A_VARIABLE` | another kind of table |',
      '',
      '| Variable | default | meaning |',
      '|:---|---|---|',
      '| `SMTP_URL` | unset | mail |',
      '## Running',
      '| variable | default | meaning |',
      '| --- | --- | --- |',
      '| `LATER_SECTION` | | |',
    ].join('\n')
    expect(documentedVariables(sample)).toEqual(['HOST', 'PORT', 'SMTP_URL'])
  })
})
