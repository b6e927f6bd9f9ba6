// Code that does not load: a syntax error, a throw at the top level, or a loop that never ends.

export class FunctionLoadError extends Error {
  /** 1-based position in the user's code, when known. */
  readonly line: number | undefined
  readonly column: number | undefined
  constructor(message: string, line?: number, column?: number) {
    super(line === undefined ? message : `${message} (line ${line}, column ${column ?? 1})`)
    this.name = 'FunctionLoadError'
    this.line = line
    this.column = column
  }
}

/** Finds `filename:line:column` in an isolated-vm error message or stack. */
export function locate(text: string | undefined, filename: string): { line: number; column: number } | undefined {
  if (text === undefined) return undefined
  const escaped = filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(text)
  return match === null ? undefined : { line: Number(match[1]), column: Number(match[2]) }
}

/** Turns what isolated-vm threw while compiling or running user code at load into a FunctionLoadError. */
export function loadError(err: unknown, filename: string, timeoutMs: number): FunctionLoadError {
  const e = err instanceof Error ? err : new Error(String(err))
  if (/timed out/i.test(e.message)) {
    return new FunctionLoadError(`the function's top-level code ran longer than ${timeoutMs} ms while loading`)
  }
  if (/memory limit/i.test(e.message)) {
    return new FunctionLoadError(`the function's top-level code ran out of memory while loading`)
  }
  const where = locate(e.message, filename) ?? locate(e.stack, filename)
  const message = e.message.replace(/\s*\[[^\]]*:\d+:\d+\]$/, '')
  return new FunctionLoadError(`${e.name}: ${message}`, where?.line, where?.column)
}
