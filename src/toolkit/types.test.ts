// insertfn/types under tsc --strict: the templates (function and tests, TypeScript and JavaScript) and
// the accepted fixtures compile without an error, and each rejected fixture fails with the error its
// first line names. Each file is its own program, since a function file's handlers are global.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TYPES = join(ROOT, 'types/index.d.ts')
const DESTINATION_TYPES = join(ROOT, 'types/destination.d.ts')
const FIXTURES = join(ROOT, 'types/fixtures')

/** A template's tsconfig.json or jsconfig.json, as tsc reads it. */
function templateOptions(path: string): ts.CompilerOptions {
  const file = join(ROOT, 'templates', path)
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile)
  assert.equal(error, undefined, `${path} does not parse`)
  return ts.parseJsonConfigFileContent(config, ts.sys, join(file, '..')).options
}
// The templates name `insertfn/types`, which only resolves in an installed project: here the declaration
// file is given as a root instead.
const FUNCTION_OPTIONS: ts.CompilerOptions = { ...templateOptions('ts/tsconfig.json'), types: [] }
const JS_FUNCTION_OPTIONS: ts.CompilerOptions = { ...templateOptions('js/jsconfig.json'), types: [] }
/** test/tsconfig.json: Node's globals, and insertfn/testing through the package's exports (self-reference here). */
const TEST_OPTIONS: ts.CompilerOptions = templateOptions('ts/test/tsconfig.json')

// Library files are parsed once for all programs.
const cache = new Map<string, ts.SourceFile | undefined>()
function host(options: ts.CompilerOptions): ts.CompilerHost {
  const h = ts.createCompilerHost(options)
  const get = h.getSourceFile.bind(h)
  h.getSourceFile = (file, language, onError) => {
    const key = `${typeof language === 'object' ? language.languageVersion : language}:${file}`
    if (!cache.has(key)) cache.set(key, get(file, language, onError))
    return cache.get(key)
  }
  return h
}

function diagnostics(files: string[], options: ts.CompilerOptions): readonly ts.Diagnostic[] {
  const program = ts.createProgram({ rootNames: files, options, host: host(options) })
  return ts.getPreEmitDiagnostics(program)
}

function show(list: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(list, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' })
}

describe('accepted under tsc --strict', () => {
  const cases: [string, string[], ts.CompilerOptions][] = [
    ['the TypeScript template function', [TYPES, join(ROOT, 'templates/ts/src/function.ts')], FUNCTION_OPTIONS],
    ['the JavaScript template function (checkJs)', [TYPES, join(ROOT, 'templates/js/src/function.js')], JS_FUNCTION_OPTIONS],
    ['the TypeScript template test', [join(ROOT, 'templates/ts/test/function.test.ts')], TEST_OPTIONS],
    ['the JavaScript template test (checkJs)', [join(ROOT, 'templates/js/test/function.test.js')], { ...TEST_OPTIONS, allowJs: true, checkJs: true }],
    ['a function that uses every global', [TYPES, join(FIXTURES, 'accepted/uses-every-global.ts')], FUNCTION_OPTIONS],
    ['a destination function (insertfn/types/destination)', [DESTINATION_TYPES, join(FIXTURES, 'accepted/destination.ts')], FUNCTION_OPTIONS],
  ]
  for (const [name, files, options] of cases) {
    it(name, () => {
      const found = diagnostics(files, options)
      assert.equal(found.length, 0, show(found))
    })
  }
})

describe('rejected under tsc --strict', () => {
  const dir = join(FIXTURES, 'rejected')
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name)
    const expectation = /^\/\/ expect TS(\d+): (.*)$/m.exec(readFileSync(file, 'utf8'))
    it(`${name}: ${expectation?.[2] ?? '(no expectation line)'}`, () => {
      assert.ok(expectation, `${name} must start with "// expect TS<code>: <why>"`)
      const found = diagnostics([TYPES, file], FUNCTION_OPTIONS)
      assert.deepEqual([...new Set(found.map((d) => d.code))], [Number(expectation[1])], show(found))
      // The error about a handler's signature sits on the declaration in insertfn/types; it must still
      // lead the reader to their own file.
      for (const d of found) {
        const files = [d.file?.fileName, ...(d.relatedInformation ?? []).map((r) => r.file?.fileName)]
        assert.ok(files.includes(file), `no location in ${name}:\n${show([d])}`)
      }
    })
  }
})
