// Every error the management API can answer with: one registry of codes, each with its status. The body
// follows the Segment Public API's shape, `{ errors: [{ type, message, field? }] }`, plus our code.

export const API_ERRORS = {
  INSERTFN_BAD_JSON: { status: 400, type: 'bad-request' },
  INSERTFN_VALIDATION: { status: 400, type: 'bad-request' },
  INSERTFN_CODE_DOES_NOT_LOAD: { status: 400, type: 'bad-request' },
  INSERTFN_UNAUTHENTICATED: { status: 401, type: 'unauthorized' },
  INSERTFN_FORBIDDEN: { status: 403, type: 'forbidden' },
  INSERTFN_NOT_FOUND: { status: 404, type: 'not-found' },
  INSERTFN_CONFLICT: { status: 409, type: 'conflict' },
  INSERTFN_PAYLOAD_TOO_LARGE: { status: 413, type: 'payload-too-large' },
  INSERTFN_UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'unsupported-media-type' },
  INSERTFN_INTERNAL: { status: 500, type: 'internal-error' },
} as const

export type ApiErrorCode = keyof typeof API_ERRORS

export class ApiError extends Error {
  readonly status: number
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = API_ERRORS[code].status
  }

  toBody(): { errors: { type: string; message: string; code: ApiErrorCode; field?: string }[] } {
    return {
      errors: [{ type: API_ERRORS[this.code].type, message: this.message, code: this.code, ...(this.field === undefined ? {} : { field: this.field }) }],
    }
  }
}
