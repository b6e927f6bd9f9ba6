// The FQL syntax tree: frozen nodes with a `kind`, shared by the parser and the evaluator, so a new kind
// fails to compile until both handle it.

export type FqlScalar = string | number | boolean | null

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'in'

export const FUNCTIONS = {
  contains: 2,
  length: 1,
  lowercase: 1,
  uppercase: 1,
  snakecase: 1,
  kebabcase: 1,
  titlecase: 1,
  typeof: 1,
  match: 2,
  bool: 1,
  string: 1,
  number: 1,
} as const
export type FqlFunction = keyof typeof FUNCTIONS

export type FqlNode =
  | { readonly kind: 'Path'; readonly segments: readonly string[] }
  | { readonly kind: 'Literal'; readonly value: FqlScalar }
  | { readonly kind: 'List'; readonly items: readonly FqlNode[] }
  | { readonly kind: 'Not'; readonly expr: FqlNode }
  | { readonly kind: 'And' | 'Or'; readonly left: FqlNode; readonly right: FqlNode }
  | { readonly kind: 'Compare'; readonly op: CompareOp; readonly left: FqlNode; readonly right: FqlNode }
  | { readonly kind: 'Call'; readonly fn: FqlFunction; readonly args: readonly FqlNode[] }

export function assertNever(value: never): never {
  throw new Error(`unhandled FQL node ${JSON.stringify(value)}`)
}
