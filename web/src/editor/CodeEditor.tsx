// CodeMirror 6 as a React component: JavaScript/TypeScript/JSON highlighting, optional completion from a
// catalog, optional load-error diagnostics, and extra keyboard shortcuts (e.g. Mod-Enter to run the test).
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete'
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands'
import { javascript } from '@codemirror/lang-javascript'
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language'
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint'
import { EditorState, type Extension } from '@codemirror/state'
import { EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, type KeyBinding } from '@codemirror/view'
import { useEffect, useRef } from 'react'
import { catalogCompletions, type CompletionCatalog } from './completions'

export interface CodeEditorProps {
  value: string
  onChange?: (value: string) => void
  language: 'javascript' | 'typescript' | 'json'
  /** Accessible name of the editing area. */
  label: string
  catalog?: CompletionCatalog
  /** Checked a short while after typing stops; diagnostics appear at their line and column. */
  check?: (code: string) => Promise<Diagnostic[]>
  keys?: KeyBinding[]
  readOnly?: boolean
  minHeight?: string
}

export function CodeEditor({ value, onChange, language, label, catalog, check, keys = [], readOnly = false, minHeight = '10rem' }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | undefined>(undefined)
  // Callbacks change on every render; the editor keeps reading the latest through refs.
  const onChangeRef = useRef(onChange)
  onChangeRef.current = onChange
  const checkRef = useRef(check)
  checkRef.current = check
  const keysRef = useRef(keys)
  keysRef.current = keys

  useEffect(() => {
    const extensions: Extension[] = [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      history(),
      indentOnInput(),
      bracketMatching(),
      closeBrackets(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      language === 'json' ? javascript() : javascript({ typescript: language === 'typescript' }),
      // Tab is left to move focus (keyboard users must be able to leave the editor); indent with Mod-].
      keymap.of([
        ...keysRef.current.map((k) => ({ ...k, run: (v: EditorView) => keysRef.current.find((x) => x.key === k.key)?.run?.(v) ?? false })),
        ...closeBracketsKeymap,
        ...defaultKeymap,
        ...historyKeymap,
        ...completionKeymap,
      ]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChangeRef.current?.(u.state.doc.toString())
      }),
      // Long lines wrap: nothing of the code or the event hides beyond the right edge.
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.theme({ '&': { minHeight }, '.cm-scroller': { minHeight } }),
      EditorState.readOnly.of(readOnly),
      EditorView.editable.of(!readOnly),
    ]
    if (catalog !== undefined) extensions.push(autocompletion({ override: [catalogCompletions(catalog)] }))
    if (checkRef.current !== undefined) {
      extensions.push(lintGutter(), linter(async (v) => (checkRef.current ? checkRef.current(v.state.doc.toString()) : []), { delay: 500 }))
    }
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: value, extensions }) })
    view.current = v
    return () => v.destroy()
    // The editor is built once; value changes from outside are applied below.
  }, [language, readOnly])

  useEffect(() => {
    const v = view.current
    if (v !== undefined && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } })
  }, [value])

  return <div className="code-editor" ref={host} />
}

/** A load error from the server as a diagnostic at its line and column (the whole first line without them). */
export function loadErrorDiagnostic(code: string, error: { message: string; line?: number; column?: number }): Diagnostic {
  const lines = code.split('\n')
  const lineNo = Math.min(Math.max(error.line ?? 1, 1), lines.length)
  let from = 0
  for (let i = 0; i < lineNo - 1; i++) from += lines[i]!.length + 1
  const lineText = lines[lineNo - 1] ?? ''
  const col = Math.min(Math.max((error.column ?? 1) - 1, 0), lineText.length)
  const to = from + lineText.length
  return { from: Math.min(from + col, to), to: Math.max(to, from + col), severity: 'error', message: error.message }
}
