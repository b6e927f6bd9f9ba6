// Destination-filter language: parse FQL text once (when a filter is saved), evaluate it per event.
export { parseFql, MAX_FQL_BYTES } from './parser.js'
export { testFql, type FqlResult } from './evaluate.js'
export { FqlSyntaxError } from './errors.js'
export type { FqlNode, FqlScalar, CompareOp, FqlFunction } from './ast.js'
export { applyFilters, type CompiledFilter, type FilterAction, type FilterOutcome } from './destination-filter.js'
