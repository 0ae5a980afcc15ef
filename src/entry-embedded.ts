// Default entry (Node, Deno, Bun, browsers, web workers): the wasm bytes are embedded as text
// (scripts/wasm-text.mjs) and compiled synchronously on first use, so nothing needs calling before the first op.
import { setDefaultSource } from './core.js';
import { decodeWasmText } from './wasm-text.js';
import { wasmText, wasmLength, textDecoderWasm } from '../build/embedded.js';

setDefaultSource(() => decodeWasmText(wasmText, wasmLength, new Uint8Array(textDecoderWasm)));
export * from './index.js';
