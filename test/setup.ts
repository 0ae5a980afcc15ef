// Loads the core the suite runs against: the release build, or the debug build (asserts on) when
// GRADTAPE_CORE=debug. Tests import the library from src/, so they also cover what the entries wrap.
import { readFileSync } from 'node:fs';
import { initSync } from '../src/index.js';

const file = process.env.GRADTAPE_CORE === 'debug' ? 'gradtape.debug.wasm' : 'gradtape.wasm';
initSync(readFileSync(new URL(`../build/${file}`, import.meta.url)));
