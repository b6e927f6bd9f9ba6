/** FQL text that cannot be parsed: the message names the position, 1-based, of the offending character. */
export class FqlSyntaxError extends Error {
  readonly offset: number
  readonly line: number
  readonly column: number
  constructor(text: string, offset: number, problem: string) {
    const before = text.slice(0, offset)
    const line = before.split('\n').length
    const column = offset - before.lastIndexOf('\n')
    super(`invalid FQL at line ${line}, column ${column}: ${problem}`)
    this.name = 'FqlSyntaxError'
    this.offset = offset
    this.line = line
    this.column = column
  }
}
