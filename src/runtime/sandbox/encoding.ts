// TextEncoder/TextDecoder, atob and btoa, on top of the `buffer` package's codecs.
import { Buffer } from './lazy-buffer.js'

export class TextEncoder {
  get encoding(): string {
    return 'utf-8'
  }
  encode(input = ''): Uint8Array {
    const bytes = Buffer().from(String(input), 'utf8')
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number } {
    const bytes = this.encode(input)
    const written = Math.min(bytes.length, dest.length)
    dest.set(bytes.subarray(0, written))
    return { read: written === bytes.length ? input.length : Buffer().from(bytes.subarray(0, written)).toString('utf8').length, written }
  }
}

const decoderLabels: Record<string, 'utf8' | 'utf16le' | 'latin1'> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'unicode-1-1-utf-8': 'utf8',
  'utf-16le': 'utf16le',
  'utf-16': 'utf16le',
  latin1: 'latin1',
  'iso-8859-1': 'latin1',
  ascii: 'latin1',
}

export class TextDecoder {
  readonly #codec: 'utf8' | 'utf16le' | 'latin1'
  readonly encoding: string
  readonly fatal: boolean
  readonly ignoreBOM: boolean
  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const key = String(label).trim().toLowerCase()
    const codec = decoderLabels[key]
    if (codec === undefined) throw new RangeError(`The "${label}" encoding is not supported`)
    this.#codec = codec
    this.encoding = codec === 'utf8' ? 'utf-8' : codec === 'utf16le' ? 'utf-16le' : 'windows-1252'
    this.fatal = Boolean(options.fatal)
    this.ignoreBOM = Boolean(options.ignoreBOM)
  }
  decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (input === undefined) return ''
    const bytes = ArrayBuffer.isView(input)
      ? Buffer().from(input.buffer as ArrayBuffer, input.byteOffset, input.byteLength)
      : Buffer().from(input)
    let text = bytes.toString(this.#codec)
    if (this.fatal && this.#codec === 'utf8' && text.includes('\uFFFD') && !Buffer().from(text, 'utf8').equals(bytes)) {
      throw new TypeError('The encoded data was not valid for encoding utf-8')
    }
    if (!this.ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    return text
  }
}

function invalidCharacter(message: string): Error {
  const err = new Error(message)
  err.name = 'InvalidCharacterError'
  return err
}

export function btoa(input: unknown): string {
  if (arguments.length === 0) throw new TypeError('btoa requires 1 argument')
  const text = String(input)
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) throw invalidCharacter('Invalid character: btoa accepts only Latin-1 characters')
  }
  return Buffer().from(text, 'latin1').toString('base64')
}

export function atob(input: unknown): string {
  if (arguments.length === 0) throw new TypeError('atob requires 1 argument')
  let text = String(input).replace(/[\t\n\f\r ]/g, '')
  if (text.length % 4 === 0) text = text.replace(/={1,2}$/, '')
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
    throw invalidCharacter('The string to be decoded is not correctly encoded')
  }
  return Buffer().from(text, 'base64').toString('latin1')
}
