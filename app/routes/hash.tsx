import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react'
import { useTranslation } from 'react-i18next'
import type { FileHasher, HashResult } from '~/hashing/browser/hash-client'
import { MESSAGES } from '~/hashing/media'
import { i18next } from '~/i18next.server'

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  return { title: t('hash.metaTitle') }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

/** The worker speaks English; show its known messages in the page's language. */
const MESSAGE_KEYS = Object.fromEntries(Object.entries(MESSAGES).map(([key, text]) => [text, `hashing.${key}`]))

type Row = {
  key: number
  /** Shown on this page only; never sent and never part of a result. */
  name: string
  size: number
  progress: number
  state: 'waiting' | 'hashing' | 'done' | 'error' | 'cancelled'
  result?: HashResult
  error?: string
}

const formatSize = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`

/** One JSON object per line, the same shape the command line prints. */
function toJsonLines(rows: Row[]): string {
  return rows
    .filter((r) => r.result)
    .map((r) => {
      const { media, ...rest } = r.result!
      return JSON.stringify({ file: r.name, kind: media, bytes: r.size, ...rest })
    })
    .join('\n')
}

export default function HashPage() {
  const { t } = useTranslation()
  const hasher = useRef<FileHasher | null>(null)
  const queue = useRef<{ key: number; file: File }[]>([])
  const running = useRef(false)
  const nextKey = useRef(1)
  const [rows, setRows] = useState<Row[]>([])
  const [busy, setBusy] = useState(false)
  const [dragging, setDragging] = useState(false)
  const [ready, setReady] = useState(false)

  useEffect(() => {
    let disposed = false
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

  const update = (key: number, patch: Partial<Row>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)))

  const run = useCallback(async () => {
    if (running.current || !hasher.current) return
    running.current = true
    setBusy(true)
    while (queue.current.length > 0) {
      const { key, file } = queue.current.shift()!
      update(key, { state: 'hashing' })
      try {
        const result = await hasher.current.hash(file, (progress) => update(key, { progress }))
        update(key, { state: 'done', progress: 1, result })
      } catch (error) {
        const cancelled = error instanceof Error && error.message === 'Cancelled.'
        update(key, { state: cancelled ? 'cancelled' : 'error', error: cancelled ? undefined : (error as Error).message })
      }
    }
    running.current = false
    setBusy(false)
  }, [])

  const add = (files: FileList | null) => {
    if (!files?.length) return
    const added = Array.from(files).map((file) => ({ key: nextKey.current++, file }))
    queue.current.push(...added)
    setRows((rs) => [...rs, ...added.map(({ key, file }) => ({ key, name: file.name, size: file.size, progress: 0, state: 'waiting' as const }))])
    void run()
  }

  const cancel = () => {
    for (const { key } of queue.current) update(key, { state: 'cancelled' })
    queue.current = []
    hasher.current?.cancel()
  }

  const download = () => {
    const url = URL.createObjectURL(new Blob([toJsonLines(rows) + '\n'], { type: 'application/x-ndjson' }))
    const a = document.createElement('a')
    a.href = url
    a.download = 'takeback-hashes.jsonl'
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }

  const finished = rows.filter((r) => r.state === 'done' || r.state === 'error' || r.state === 'cancelled').length
  const overall = rows.length ? rows.reduce((sum, r) => sum + (r.state === 'hashing' ? r.progress : r.state === 'waiting' ? 0 : 1), 0) / rows.length : 0
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    add(e.dataTransfer.files)
  }

  return (
    <main className="page">
      <h1>{t('hash.title')}</h1>
      <p className="lead">{t('hash.lead')}</p>
      <noscript>
        <p className="notice-box">{t('hash.noScript')}</p>
      </noscript>

      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor="files" className="button">
          {t('hash.choose')}
        </label>
        <input
          id="files"
          className="visually-hidden"
          type="file"
          multiple
          accept="image/*,video/*,.heic,.heif"
          disabled={!ready}
          onChange={(e) => {
            add(e.currentTarget.files)
            e.currentTarget.value = ''
          }}
        />
        <p className="hint">{t('hash.drop')}</p>
      </div>

      {rows.length > 0 ? (
        <section aria-labelledby="results-title">
          <h2 id="results-title">{t('hash.files')}</h2>
          <div className="overall" aria-live="polite">
            <span>{t('hash.done', { done: finished, count: rows.length })}</span>
            <progress max={1} value={overall} aria-label={t('hash.allFiles')} />
          </div>
          <div className="actions">
            {busy ? (
              <button type="button" className="button secondary" onClick={cancel}>
                {t('hash.cancel')}
              </button>
            ) : null}
            {!busy && rows.some((r) => r.result) ? (
              <button type="button" className="button" onClick={download}>
                {t('hash.download')}
              </button>
            ) : null}
          </div>
          <ol className="file-list">
            {rows.map((r) => (
              <li key={r.key} className={`file-row ${r.state}`} data-state={r.state}>
                <div className="file-head">
                  <span className="file-name">{r.name}</span>
                  <span className="file-size">{formatSize(r.size)}</span>
                </div>
                {r.state === 'hashing' || r.state === 'waiting' ? (
                  <progress max={1} value={r.progress} aria-label={t('hash.hashing', { name: r.name })} />
                ) : null}
                {r.state === 'error' ? <p className="error-list">{r.error && MESSAGE_KEYS[r.error] ? t(MESSAGE_KEYS[r.error]!) : r.error}</p> : null}
                {r.state === 'cancelled' ? <p className="hint">{t('hash.cancelled')}</p> : null}
                {r.result ? <Hashes result={r.result} /> : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </main>
  )
}

function Hashes({ result }: { result: HashResult }) {
  const { t } = useTranslation()
  return (
    <dl className="hashes">
      {result.media === 'image' ? (
        <>
          <dt>PDQ</dt>
          <dd>
            <code data-hash="pdq">{result.pdq}</code>
            <span className="hint">
              {' '}
              {t('hash.quality', { quality: result.quality })}
              {result.lowQuality ? t('hash.lowQuality') : ''}
            </span>
          </dd>
        </>
      ) : (
        <>
          <dt>vPDQ</dt>
          <dd data-hash="vpdq" data-frames={result.vpdq.length}>
            {t('hash.frames', { count: result.vpdq.length, fps: result.fps.toFixed(2) })}
          </dd>
        </>
      )}
      <dt>MD5</dt>
      <dd>
        <code data-hash="md5">{result.md5}</code>
      </dd>
      <dt>SHA-256</dt>
      <dd>
        <code data-hash="sha256">{result.sha256}</code>
      </dd>
    </dl>
  )
}
