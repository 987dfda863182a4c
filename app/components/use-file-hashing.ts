import { useCallback, useEffect, useRef, useState } from 'react'
import type { FileHasher, HashResult } from '~/hashing/browser/hash-client'

export type HashRow = {
  key: number
  /** Kept in the page for the thumbnail and the name shown; never sent. */
  file: File
  progress: number
  state: 'waiting' | 'hashing' | 'done' | 'error' | 'cancelled'
  result?: HashResult
  error?: string
}

/**
 * Files hashed one after another in the worker, with progress per file and
 * overall, cancel and remove. Shared by every page that hashes files.
 */
export function useFileHashing() {
  const hasher = useRef<FileHasher | null>(null)
  const queue = useRef<number[]>([])
  const running = useRef(false)
  const nextKey = useRef(1)
  const rowsRef = useRef<HashRow[]>([])
  const [rows, setRowsState] = useState<HashRow[]>([])
  const [busy, setBusy] = useState(false)
  const [ready, setReady] = useState(false)

  const setRows = (change: (rows: HashRow[]) => HashRow[]) => {
    rowsRef.current = change(rowsRef.current)
    setRowsState(rowsRef.current)
  }
  const update = (key: number, patch: Partial<HashRow>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)))

  useEffect(() => {
    let disposed = false
    // The worker exists only in the browser, so the client is loaded here.
    void import('~/hashing/browser/hash-client').then(({ FileHasher }) => {
      if (disposed) return
      hasher.current = new FileHasher()
      setReady(true)
    })
    return () => {
      disposed = true
      hasher.current?.dispose()
    }
  }, [])

  const run = useCallback(async () => {
    if (running.current || !hasher.current) return
    running.current = true
    setBusy(true)
    while (queue.current.length > 0) {
      const key = queue.current.shift()!
      const row = rowsRef.current.find((r) => r.key === key)
      if (!row) continue
      update(key, { state: 'hashing' })
      try {
        const result = await hasher.current.hash(row.file, (progress) => update(key, { progress }))
        update(key, { state: 'done', progress: 1, result })
      } catch (error) {
        const cancelled = error instanceof Error && error.message === 'Cancelled.'
        update(key, { state: cancelled ? 'cancelled' : 'error', error: cancelled ? undefined : (error as Error).message })
      }
    }
    running.current = false
    setBusy(false)
  }, [])

  const add = useCallback(
    (files: FileList | File[] | null) => {
      if (!files || files.length === 0) return
      const added = Array.from(files).map((file) => ({ key: nextKey.current++, file, progress: 0, state: 'waiting' as const }))
      queue.current.push(...added.map((r) => r.key))
      setRows((rs) => [...rs, ...added])
      void run()
    },
    [run],
  )

  const cancel = useCallback(() => {
    for (const key of queue.current) update(key, { state: 'cancelled' })
    queue.current = []
    hasher.current?.cancel()
  }, [])

  const remove = useCallback((key: number) => {
    const row = rowsRef.current.find((r) => r.key === key)
    if (row?.state === 'hashing') hasher.current?.cancel()
    queue.current = queue.current.filter((k) => k !== key)
    setRows((rs) => rs.filter((r) => r.key !== key))
  }, [])

  const clear = useCallback(() => setRows(() => []), [])

  const finished = rows.filter((r) => r.state === 'done' || r.state === 'error' || r.state === 'cancelled').length
  const overall = rows.length
    ? rows.reduce((sum, r) => sum + (r.state === 'hashing' ? r.progress : r.state === 'waiting' ? 0 : 1), 0) / rows.length
    : 0
  return { ready, rows, busy, add, cancel, remove, clear, finished, overall }
}
