// Cold start, one library per fresh process: `node bench/cold.mjs <lib>`.
// Measures from the top of this script (before the library is imported) to the first gradient
// read back as numbers: z = sum(x)^2 at x = ones(2,2), dz/dx = [8, 8, 8, 8]. Prints one JSON line.
const t0 = performance.now();
const lib = process.argv[2];

async function firstGradient() {
  switch (lib) {
    case 'gradtape': {
      const gt = await import('gradtape');
      const x = gt.ones([2, 2]);
      const t = gt.tape((t) => { t.watch(x); const y = gt.sum(x); return gt.mul(y, y); });
      return t.gradient(t.result, x).data();
    }
    case 'tfjs-cpu':
    case 'tfjs-wasm': {
      const tf = await import('@tensorflow/tfjs');
      tf.enableProdMode();
      if (lib === 'tfjs-wasm') {
        const [{ setWasmPaths }, { createRequire }, path] = await Promise.all([
          import('@tensorflow/tfjs-backend-wasm'), import('node:module'), import('node:path')]);
        const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
        setWasmPaths(path.join(path.dirname(pkg), 'dist') + path.sep);
      }
      await tf.setBackend(lib === 'tfjs-wasm' ? 'wasm' : 'cpu');
      const x = tf.ones([2, 2]);
      return tf.grad((x) => { const y = tf.sum(x); return tf.mul(y, y); })(x).dataSync();
    }
    case 'jax':
    case 'jax-jit': {
      const { init, numpy: np, grad, jit } = await import('@jax-js/jax');
      await init('wasm');
      let g = grad((x) => { const y = np.sum(x); return y.ref.mul(y); });
      if (lib === 'jax-jit') g = jit(g);
      return g(np.ones([2, 2])).data();
    }
    default:
      throw new Error(`unknown library ${lib}`);
  }
}

const value = Array.from(await firstGradient());
const t1 = performance.now();
if (value.length !== 4 || value.some((v) => Math.abs(v - 8) > 1e-5)) throw new Error(`wrong gradient ${value}`);
// scriptMs: top of script -> gradient; processMs: since process timeOrigin (includes Node's own startup)
console.log(JSON.stringify({ lib, scriptMs: t1 - t0, processMs: t1, maxRSSKB: process.resourceUsage().maxRSS }));
