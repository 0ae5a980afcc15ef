// Default entry (Node, Deno, Bun, browsers, web workers): the wasm bytes are embedded (base64) and
// compiled synchronously on first use, so nothing needs calling before the first op.
import { setDefaultSource } from './core.js';
import { wasmBase64 } from '../build/embedded.js';

setDefaultSource(() => {
  const text = atob(wasmBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
});
export * from './index.js';
