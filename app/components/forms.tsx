import type { InputHTMLAttributes } from 'react'

export type ListOfErrors = (string | null | undefined)[] | null | undefined

/** Messages for one field or the whole form, announced to screen readers. */
export function ErrorList({ id, errors }: { id?: string; errors?: ListOfErrors }) {
  const shown = errors?.filter(Boolean)
  if (!shown?.length) return null
  return (
    <ul id={id} className="error-list" aria-live="polite">
      {shown.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  )
}

/** A labelled input with its hint and errors wired up through aria-describedby. */
export function Field({
  label,
  hint,
  inputProps,
  errors,
}: {
  label: string
  hint?: string
  inputProps: InputHTMLAttributes<HTMLInputElement> & { id: string }
  errors?: ListOfErrors
}) {
  const id = inputProps.id
  const hintId = hint ? `${id}-hint` : undefined
  const errorId = errors?.length ? `${id}-error` : undefined
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <span id={hintId} className="hint">
          {hint}
        </span>
      ) : null}
      <input
        {...inputProps}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
      />
      <ErrorList id={errorId} errors={errors} />
    </div>
  )
}
