// The extra module for Cloudflare Workers, which refuse to compile wasm from bytes: imported as a
// WebAssembly.Module, as the core is (entry-workerd.ts). scripts/build.mjs puts this file in place
// of extra-source.ts in the workerd build.
// @ts-ignore: resolved by the Workers bundler as a WebAssembly.Module
import extraModule from '../build/gradtape-extra.wasm';

export const extraWasm = (): WebAssembly.Module => extraModule as WebAssembly.Module;
