/**
 * Read what a Remix single-fetch endpoint (`/route.data`) answers over HTTP,
 * as the browser's fetcher does: the body is turbo-stream's flattened form,
 * `[root, value1, value2, ...]` on its first line, where objects map `_N`
 * (the index of the key) to the index of the value and arrays list indexes.
 *
 * Only plain JSON values are read (what Takeback's actions return); anything
 * else turbo-stream can carry (dates, promises, errors) throws, so a change
 * in what an action returns fails loudly instead of reading wrong.
 */
const NULL = -5
const UNDEFINED = -7

export function decodeSingleFetch(body: string): unknown {
  const firstLine = body.split('\n', 1)[0] ?? ''
  const values: unknown = JSON.parse(firstLine)
  if (!Array.isArray(values) || values.length === 0) throw new Error(`not a single-fetch body: ${firstLine.slice(0, 200)}`)

  const at = (index: unknown): unknown => {
    if (index === NULL) return null
    if (index === UNDEFINED) return undefined
    if (typeof index !== 'number' || index < 0 || index >= values.length) throw new Error(`unsupported single-fetch reference ${String(index)}`)
    const value: unknown = values[index]
    if (Array.isArray(value)) {
      if (value.some((v) => typeof v !== 'number')) throw new Error('single-fetch body holds a typed value (date, error, promise...), which this reader does not handle')
      return value.map(at)
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, v]) => {
          const name = values[Number(key.slice(1))]
          if (!key.startsWith('_') || typeof name !== 'string') throw new Error(`unsupported single-fetch key ${key}`)
          return [name, at(v)]
        }),
      )
    }
    return value
  }
  return at(0)
}
