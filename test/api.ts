// The tests' view of the public API (the source, loaded against the wasm in test/setup.ts).
export * from '../src/index.js';
