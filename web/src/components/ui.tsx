// Small building blocks every screen uses: labelled fields, errors shown where the user acted, a
// confirmation dialog, copy buttons, status badges.
import { Fragment, useEffect, useRef, useState, type ReactNode } from 'react'
import { ApiProblem } from '../api'

/** Words for a person: the server's message, or what went wrong in the browser. */
export function describe(err: unknown): string {
  if (err instanceof ApiProblem) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}

export function ErrorNote({ error, id }: { error: unknown; id?: string }) {
  if (error === undefined || error === null) return null
  return (
    <p className="error-note" role="alert" id={id}>
      {describe(error)}
    </p>
  )
}

export function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint === undefined ? null : <span className="field-hint">{hint}</span>}
    </label>
  )
}

/** A select of typed options: onChange gets the option's value back, not the element's string. */
export function Select<V extends string | number>({ value, options, onChange }: { value: V; options: readonly { value: V; label: string }[]; onChange: (value: V) => void }) {
  return (
    <select value={value} onChange={(e) => onChange(options.find((o) => String(o.value) === e.target.value)!.value)}>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  )
}

/** A labelled choice shown beside other controls (a range, a view): the label stays with its select. */
export function InlineSelect<V extends string | number>({ label, ...select }: { label: string; value: V; options: readonly { value: V; label: string }[]; onChange: (value: V) => void }) {
  return (
    <label className="field inline">
      <span className="field-label">{label}</span>
      <Select {...select} />
    </label>
  )
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'muted' | 'info'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>
}

/** Runs an action, tracking whether it is busy and what went wrong, for a button and its error note. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const run = async (...args: A): Promise<R | undefined> => {
    setBusy(true)
    setError(undefined)
    try {
      return await fn(...args)
    } catch (err) {
      setError(err)
      return undefined
    } finally {
      setBusy(false)
    }
  }
  return { run, busy, error, setError }
}

/** Loads data when the key changes; `reload` fetches again. */
export function useLoad<T>(load: () => Promise<T>, key: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    load().then(
      (d) => live && (setData(d), setError(undefined)),
      (e: unknown) => live && setError(e),
    )
    return () => {
      live = false
    }
  }, [...key, tick])
  return { data, error, reload: () => setTick((t) => t + 1) }
}

export function ConfirmDialog({ title, children, confirm, onConfirm, onCancel }: { title: string; children: ReactNode; confirm: string; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = ref.current
    if (d && !d.open) d.showModal()
  }, [])
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="dialog-title" onCancel={(e) => (e.preventDefault(), onCancel())}>
      <h2 id="dialog-title">{title}</h2>
      <div>{children}</div>
      <div className="row end">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={onConfirm} autoFocus>
          {confirm}
        </button>
      </div>
    </dialog>
  )
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setCopied(true)
      setTimeout(() => setCopied(false), 1500)
    } catch {
      // Clipboard access needs a secure context; the text is selectable beside the button anyway.
    }
  }
  return (
    <button type="button" className="small" onClick={() => void copy()} aria-label={label}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  )
}

export function formatTime(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>
}

/**
 * A table row whose first cell is a button that opens a row of detail below it, across all `columns`.
 * The caller keeps which row is open.
 */
export function ExpandableRow({ label, open, onToggle, columns, detail, children }: { label: ReactNode; open: boolean; onToggle: () => void; columns: number; detail: ReactNode; children: ReactNode }) {
  return (
    <Fragment>
      <tr>
        <td>
          <button type="button" className="link" aria-expanded={open} onClick={onToggle}>
            {label}
          </button>
        </td>
        {children}
      </tr>
      {open ? (
        <tr className="expanded">
          <td colSpan={columns}>{detail}</td>
        </tr>
      ) : null}
    </Fragment>
  )
}
