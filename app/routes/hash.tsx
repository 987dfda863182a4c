import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useTranslation } from 'react-i18next'
import { FilePicker } from '~/components/file-picker'
import { useFileHashing, type HashRow } from '~/components/use-file-hashing'
import type { HashResult } from '~/hashing/browser/hash-client'
import { i18next } from '~/i18next.server'

export async function loader({ request }: LoaderFunctionArgs) {
  const t = await i18next.getFixedT(request)
  return { title: t('hash.metaTitle') }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.title ?? 'Takeback' }]

/** One JSON object per line, the same shape the command line prints. */
function toJsonLines(rows: HashRow[]): string {
  return rows
    .filter((r) => r.result)
    .map((r) => {
      const { media, ...rest } = r.result!
      return JSON.stringify({ file: r.file.name, kind: media, bytes: r.file.size, ...rest })
    })
    .join('\n')
}

export default function HashPage() {
  const { t } = useTranslation()
  const hashing = useFileHashing()

  const download = () => {
    const url = URL.createObjectURL(new Blob([toJsonLines(hashing.rows) + '\n'], { type: 'application/x-ndjson' }))
    const a = document.createElement('a')
    a.href = url
    a.download = 'takeback-hashes.jsonl'
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }

  return (
    <main className="page">
      <h1>{t('hash.title')}</h1>
      <p className="lead">{t('hash.lead')}</p>
      <noscript>
        <p className="notice-box">{t('hash.noScript')}</p>
      </noscript>
      <FilePicker
        hashing={hashing}
        renderRow={(r) => (r.result ? <Hashes result={r.result} /> : null)}
        actions={
          !hashing.busy && hashing.rows.some((r) => r.result) ? (
            <button type="button" className="button" onClick={download}>
              {t('hash.download')}
            </button>
          ) : null
        }
      />
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
