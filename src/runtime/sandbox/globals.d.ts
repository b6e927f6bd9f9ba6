// The few names the bundler provides inside the sandbox bundle. require() marks a lazily loaded
// library: esbuild keeps the CommonJS wrapper, so its code runs on first use, not at isolate start.
declare function require(id: 'lodash'): unknown
declare function require(id: 'buffer'): typeof import('buffer')
