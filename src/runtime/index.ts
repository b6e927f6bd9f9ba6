// insertfn/runtime: Segment insert and destination functions in an isolated-vm sandbox.
export { createRuntime, type Runtime, type LoadOptions } from './runtime.js'
export type { LoadedFunction } from './loaded-function.js'
export { FunctionLoadError } from './load-error.js'
export { InvalidOptionsError, type RuntimeOptions, type ResolvedOptions, type HostFetch } from './options.js'
export { classify } from './outcomes.js'
export type {
  InvocationResult, TextInvocationResult, BatchResult, EventResult, ErrorInfo, ErrorCategory, Outcome, DropInfo, RequestRecord,
  LogLine, LogLevel, FunctionKind,
} from './result.js'
