// Default entry (Node, Deno, Bun, browsers, web workers): the wasm bytes are embedded (base64) and
// compiled synchronously on first use, so nothing needs calling before the first op.
import { setDefaultSource } from './core.js';
import { wasmBase64 } from '../build/embedded.js';

/** Native base64 decoding where there is one (a JS loop over 50 KB costs milliseconds at start-up). */
function decode(text: string): Uint8Array {
  const native = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array };
  if (native.fromBase64) return native.fromBase64(text);
  const buffer = (globalThis as { Buffer?: { from(s: string, encoding: string): Uint8Array } }).Buffer;
  if (buffer) return buffer.from(text, 'base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

setDefaultSource(() => decode(wasmBase64));
export * from './index.js';
