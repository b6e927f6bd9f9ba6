/** The command was used correctly but could not do its job (a server refused, tests failed): exit code 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CommandError'
  }
}
