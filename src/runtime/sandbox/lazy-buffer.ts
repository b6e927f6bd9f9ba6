// The `buffer` package takes longer to initialise than the rest of the prelude together (1.4 ms of
// 1.7 ms here), and most functions never touch bytes, so it is set up on first use.
import type { Buffer as BufferType } from 'buffer'

let loaded: typeof BufferType | undefined

export function Buffer(): typeof BufferType {
  return (loaded ??= require('buffer').Buffer)
}
export type Buffer = BufferType
