import { useState, type DragEvent, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { MESSAGES } from '~/hashing/media'
import type { HashRow, useFileHashing } from './use-file-hashing'

/** The worker speaks English; show its known messages in the page's language. */
const MESSAGE_KEYS: Record<string, string> = Object.fromEntries(
  Object.entries(MESSAGES).map(([key, text]) => [text, `hashing.${key}`]),
)

export const formatSize = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`

/**
 * Choose or drop photos and videos, then watch each one being hashed on this
 * device: progress per file and overall, cancel, and per-file messages.
 */
export function FilePicker({
  hashing,
  inputId = 'files',
  actions,
  renderRow,
  onRemove,
}: {
  hashing: ReturnType<typeof useFileHashing>
  inputId?: string
  actions?: ReactNode
  /** Extra content under a file: its hashes, its thumbnail. */
  renderRow?: (row: HashRow) => ReactNode
  onRemove?: (row: HashRow) => void
}) {
  const { t } = useTranslation()
  const [dragging, setDragging] = useState(false)
  const { ready, rows, busy, add, cancel, finished, overall } = hashing
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    add(e.dataTransfer.files)
  }
  return (
    <>
      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor={inputId} className="button">
          {t('hash.choose')}
        </label>
        <input
          id={inputId}
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
        <section aria-label={t('hash.files')}>
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
            {actions}
          </div>
          <ol className="file-list">
            {rows.map((r) => (
              <li key={r.key} className={`file-row ${r.state}`} data-state={r.state}>
                <div className="file-head">
                  <span className="file-name">{r.file.name}</span>
                  <span className="file-size">{formatSize(r.file.size)}</span>
                </div>
                {r.state === 'hashing' || r.state === 'waiting' ? (
                  <progress max={1} value={r.progress} aria-label={t('hash.hashing', { name: r.file.name })} />
                ) : null}
                {r.state === 'error' ? (
                  <p className="error-list">{r.error && MESSAGE_KEYS[r.error] ? t(MESSAGE_KEYS[r.error]!) : r.error}</p>
                ) : null}
                {r.state === 'cancelled' ? <p className="hint">{t('hash.cancelled')}</p> : null}
                {renderRow?.(r)}
                {onRemove ? (
                  <button type="button" className="link-button" onClick={() => onRemove(r)}>
                    {t('hash.remove', { name: r.file.name })}
                  </button>
                ) : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </>
  )
}
