/** A value the store refuses, naming the field (the API answers 400 with it). */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message)
    this.name = 'InvalidInputError'
  }
}

/** A write that would break a rule between records (the API answers 409). */
export class ConflictError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message)
    this.name = 'ConflictError'
  }
}
