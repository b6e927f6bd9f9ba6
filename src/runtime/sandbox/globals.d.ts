// The few names the bundler provides inside the sandbox bundle.
declare function require(id: 'lodash'): unknown
