// The libraries the bench knows, in table order. Each loader returns
// { name, version, note?, activate?, memory?, workloads: { seed, chain, mlp, matmul } }
// where a workload factory returns { step(), check(), dispose() }.
export const LIBS = {
  gradtape: () => import('./gradtape.mjs').then((m) => m.create()),
  'tfjs-cpu': () => import('./tfjs.mjs').then((m) => m.create('cpu')),
  'tfjs-wasm': () => import('./tfjs.mjs').then((m) => m.create('wasm')),
  jax: () => import('./jax.mjs').then((m) => m.create(false)),
  'jax-jit': () => import('./jax.mjs').then((m) => m.create(true)),
};
export const LIB_NAMES = Object.keys(LIBS);
export const ALIASES = { tfjs: ['tfjs-cpu', 'tfjs-wasm'], 'jax-js': ['jax', 'jax-jit'], all: LIB_NAMES };
