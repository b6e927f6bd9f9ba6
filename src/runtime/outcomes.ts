// The one place that decides what an error means for delivery (spec section 3.2).
import type { ThrownInfo } from './bridge.js'
import type { ErrorCategory, ErrorInfo } from './result.js'

interface Rule {
  category: ErrorCategory
  retryable: boolean
}

const RULES: Record<string, Rule> = {
  EventNotSupported: { category: 'Unsupported Event Type', retryable: false },
  InvalidEventPayload: { category: 'Message Rejected', retryable: false },
  ValidationError: { category: 'Message Rejected', retryable: false },
  RetryError: { category: 'Retry', retryable: true },
  // Raised by insertfn, not by user code:
  Timeout: { category: 'Timeout', retryable: true },
  SandboxReset: { category: 'Retry', retryable: true },
}

const OTHER: Rule = { category: 'Bad Request', retryable: false }

export function classify(type: string): Rule {
  return Object.hasOwn(RULES, type) ? RULES[type]! : OTHER
}

/** Keeps the frames of the user's own file; frames of insertfn's prelude say nothing useful. */
function userFrames(stack: string | undefined, filename: string): string | undefined {
  if (stack === undefined) return undefined
  const lines = stack.split('\n')
  const kept = lines.filter((line, i) => i === 0 || line.includes(filename))
  return kept.length > 1 ? kept.join('\n') : undefined
}

export function errorInfo(thrown: ThrownInfo, filename: string): ErrorInfo {
  const rule = classify(thrown.type)
  const stack = userFrames(thrown.stack, filename)
  return {
    name: thrown.name,
    message: thrown.message,
    category: rule.category,
    retryable: rule.retryable,
    ...(stack === undefined ? {} : { stack }),
  }
}

/** An error raised by insertfn itself (deadline, sandbox reset, memory). */
export function hostError(type: 'Timeout' | 'SandboxReset' | 'MemoryLimitExceeded', message: string): ErrorInfo {
  const rule = classify(type)
  return { name: type, message, category: rule.category, retryable: rule.retryable }
}
