// `node --import .../register-typescript.js`: installs the .ts loader for test files.
import { register } from 'node:module'

register('./typescript-hooks.js', import.meta.url)
