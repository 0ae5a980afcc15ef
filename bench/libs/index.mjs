// The libraries the bench knows, in table order. Each loader returns
// { name, version, note?, activate?, configure?, threads?, memory?, workloads: { seed, chain, mlp, matmul, … } }
// where a workload factory returns { step(), check(), dispose() }.
export const LIBS = {
  gradtape: () => import('./gradtape.mjs').then((m) => m.create()),
  'tfjs-cpu': () => import('./tfjs.mjs').then((m) => m.create('cpu')),
  'tfjs-wasm': () => import('./tfjs.mjs').then((m) => m.create('wasm')),
  jax: () => import('./jax.mjs').then((m) => m.create(false)),
  'jax-jit': () => import('./jax.mjs').then((m) => m.create(true)),
};
// Variants: another column of a library, run in that library's process (its `host`) with other
// settings (`options`, passed to the library's configure() before each command; see host.mjs), so
// the two columns share a process and their samples interleave: gradtape on one thread against
// gradtape on all cores (the default, threads()).
export const VARIANTS = { 'gradtape-1t': { host: 'gradtape', options: { threads: 1 } } };
export const LIB_NAMES = ['gradtape', 'gradtape-1t', ...Object.keys(LIBS).filter((l) => l !== 'gradtape')];
export const ALIASES = { tfjs: ['tfjs-cpu', 'tfjs-wasm'], 'jax-js': ['jax', 'jax-jit'], threads: ['gradtape', 'gradtape-1t'], all: LIB_NAMES };
