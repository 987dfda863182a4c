import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { useTranslation } from 'react-i18next'
import { LocalLink } from '~/components/chrome'
import { StaffBar, staffMeta } from '~/components/staff'
import { i18next } from '~/i18next.server'
import { getDb } from '~/lib/db.server'
import { DomainError } from '~/lib/errors.server'
import { organisationFromEnv } from '~/lib/organisation.server'
import { requireStaff } from '~/lib/staff-session.server'
import { openFtcPacket } from '~/models/notice-followup.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => staffMeta(data?.title)

/**
 * The FTC complaint packet of a TAKE IT DOWN notice, as a page to print.
 * Opening it is audited (it holds the name the survivor signed with). A
 * notice under another law is a 400 and an unknown one a 404, each with the
 * reason on the error page.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request)
  const t = await i18next.getFixedT(request)
  try {
    const packet = await openFtcPacket(getDb(), params.noticeId ?? '', { staffId: staff.id }, organisationFromEnv(), 'page')
    return { title: t('followup.packet.metaTitle'), staff, noticeId: params.noticeId ?? '', caseId: packet.caseId, sections: packet.sections }
  } catch (error) {
    if (error instanceof DomainError) throw new Response(error.message, { status: error.status })
    throw error
  }
}

/** Lines into paragraphs: a blank line starts a new one. */
function paragraphs(lines: readonly string[]): string[][] {
  const out: string[][] = [[]]
  for (const line of lines) {
    if (line === '') out.push([])
    else out[out.length - 1]!.push(line)
  }
  return out.filter((p) => p.length > 0)
}

function Lines({ lines }: { lines: readonly string[] }) {
  return (
    <>
      {paragraphs(lines).map((p, i) => (
        <p key={i}>
          {p.map((line, j) => (
            <span key={j}>
              {j > 0 ? <br /> : null}
              {line}
            </span>
          ))}
        </p>
      ))}
    </>
  )
}

export default function FtcPacketPage() {
  const { t } = useTranslation()
  const { staff, noticeId, caseId, sections } = useLoaderData<typeof loader>()
  const [first, ...rest] = sections
  return (
    <main className="page">
      {/* Everything but the packet stays on screen only; app.css hides .no-print and the site header and footer when printing. */}
      <div className="no-print">
        <StaffBar role={staff.role} />
        <p>
          <LocalLink to={`/staff/cases/${caseId}`}>{t('followup.packet.back')}</LocalLink>
        </p>
        <p className="notice-box" role="note">
          {t('followup.packet.check')}
        </p>
        <div className="actions">
          <button type="button" className="button" onClick={() => window.print()}>
            {t('followup.packet.print')}
          </button>
          {/* A plain link: the text file is a resource route, a download rather than a page. */}
          <a className="button secondary" href={`/staff/notices/${noticeId}/ftc.txt`} download>
            {t('followup.packet.download')}
          </a>
        </div>
      </div>
      {/* The packet itself is in English, as the FTC will read it. */}
      <article lang="en" data-testid="ftc-packet">
        {first ? (
          <>
            <h1>{first.title}</h1>
            <Lines lines={first.lines} />
          </>
        ) : null}
        {rest.map((section) => (
          <section key={section.title}>
            <h2>{section.title}</h2>
            <Lines lines={section.lines} />
          </section>
        ))}
      </article>
    </main>
  )
}
