import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrations } from '../../db/migrations/index'

describe('db/migrations/index.ts', () => {
  it('lists every migration file, in order, with up and down', () => {
    const dir = path.resolve('db/migrations')
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^\d{4}_\d{2}_\d{2}_\d{4}_[a-z0-9_]+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort()
    expect(files.length).toBeGreaterThan(0)
    expect(Object.keys(migrations)).toEqual(files)
    for (const m of Object.values(migrations)) expect(typeof m.down).toBe('function')
    // Nothing else may sit in the folder, or a migration could be forgotten.
    expect(fs.readdirSync(dir).sort()).toEqual([...files.map((f) => `${f}.ts`), 'index.ts'].sort())
  })
})
