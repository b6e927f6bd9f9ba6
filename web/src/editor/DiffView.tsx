// Two texts side by side with their differences marked (versions of a function, an event before and after).
import { javascript } from '@codemirror/lang-javascript'
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { MergeView } from '@codemirror/merge'
import { EditorState } from '@codemirror/state'
import { EditorView, lineNumbers } from '@codemirror/view'
import { useEffect, useRef } from 'react'

export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (host.current === null) return
    const ext = [lineNumbers(), javascript(), syntaxHighlighting(defaultHighlightStyle), EditorState.readOnly.of(true), EditorView.editable.of(false)]
    const view = new MergeView({ a: { doc: before, extensions: ext }, b: { doc: after, extensions: ext }, parent: host.current!, collapseUnchanged: { margin: 3, minSize: 6 } })
    return () => view.destroy()
  }, [before, after])
  if (before === after) return <p className="muted">No difference: the two are the same.</p>
  return <div className="diff-view" ref={host} role="group" aria-label={label} />
}
