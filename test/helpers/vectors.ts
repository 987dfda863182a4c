/**
 * The PDQ and vPDQ reference vectors, read in place from ../shared (never
 * copied into the repo). PDQ_VECTORS_DIR overrides the location.
 */
import fs from 'node:fs'
import path from 'node:path'

export const VECTORS = process.env.PDQ_VECTORS_DIR ?? path.resolve(process.cwd(), '../shared/pdq-vectors')

export function vectorPath(...parts: string[]): string {
  return path.join(VECTORS, ...parts)
}

/** Rows of a CSV with a header line, as objects keyed by the header. */
export function readCsv(...parts: string[]): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(vectorPath(...parts), 'utf8').trim().split(/\r?\n/)
  const keys = header!.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i]!, v])))
}
