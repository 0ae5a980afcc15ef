// Loads the modules the suite runs against: the release builds, or the debug builds (asserts on)
// when GRADTAPE_CORE=debug. Tests import the library from src/, so they also cover what the entries
// wrap. (Without the second argument the extra module would come from the embedded release build.)
import { readFileSync } from 'node:fs';
import { initSync } from '../src/index.js';

const debug = process.env.GRADTAPE_CORE === 'debug' ? '.debug' : '';
const build = (name: string) => readFileSync(new URL(`../build/${name}${debug}.wasm`, import.meta.url));
initSync(build('gradtape'), build('gradtape-extra'));
