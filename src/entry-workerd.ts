// Cloudflare Workers entry (`workerd` export condition): Workers refuse to compile wasm from bytes,
// so the .wasm file is imported as a WebAssembly.Module, which wrangler and workerd support.
import { setDefaultSource } from './core.js';
// @ts-ignore: resolved by the Workers bundler as a WebAssembly.Module
import wasmModule from '../build/gradtape.wasm';

setDefaultSource(() => wasmModule as WebAssembly.Module);
export * from './index.js';
