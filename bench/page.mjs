// The page side of the browser bench (bench/browser.mjs drives it with page.evaluate): loads the
// Node bench's own library files (libs/gradtape.mjs, libs/jax.mjs) and serves host.mjs's commands.
// Every Worker the page starts is counted under the library whose command was running, so the
// driver can show that each library really ran its worker pool.
import { LIBS } from './libs/index.mjs';
import { host } from './host.mjs';

const workersBy = {};
let running = null; // the library whose command runs now
const PageWorker = globalThis.Worker;
if (PageWorker) {
  globalThis.Worker = class extends PageWorker {
    constructor(...args) {
      super(...args);
      workersBy[running ?? '?'] = (workersBy[running ?? '?'] ?? 0) + 1;
    }
  };
}

const hosts = {};
globalThis.bench = {
  env: () => ({
    crossOriginIsolated: globalThis.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function', userAgent: navigator.userAgent,
  }),
  async load(name) {
    running = name;
    const lib = await LIBS[name]();
    await lib.activate?.();
    hosts[name] = host(lib, () => { throw new Error('not in the browser bench'); });
    return { version: lib.version, note: lib.note };
  },
  async call(name, cmd, args) {
    running = name;
    try {
      const value = await hosts[name][cmd](args);
      // the check's arrays as plain numbers: float32 values are exact as doubles, and plain arrays
      // cross page.evaluate in every playwright version
      if (cmd === 'setup') value.check = Object.fromEntries(Object.entries(value.check).map(([k, v]) => [k, Array.from(v)]));
      return value;
    } finally { running = null; }
  },
  workers: () => workersBy,
};
globalThis.benchReady = true;
