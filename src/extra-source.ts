// The extra module's bytes for the default build: embedded as text (scripts/wasm-text.mjs) in their
// own generated module, which only the extra module's ops import, so a bundle without them leaves
// the bytes out. (The Cloudflare Workers build swaps in extra-source-workerd.ts.)
import { decodeWasmText } from './wasm-text.js';
import { textDecoderWasm } from '../build/embedded.js';
import { extraText, extraLength } from '../build/embedded-extra.js';

export const extraWasm = (): Uint8Array => decodeWasmText(extraText, extraLength, new Uint8Array(textDecoderWasm));
