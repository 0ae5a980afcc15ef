// The three programs of TensorFlow's autodiff notebook, written with gradtape.
// Run: node examples/seed.mjs  (after `npm run build`)
import { tape, ones, scalar, sum, mul } from 'gradtape';
import { pathToFileURL } from 'node:url';

const show = v => JSON.stringify(v).replaceAll(',', ', ');

export async function main() {
  // 1. Gradients w.r.t. the input and an intermediate value.
  const x = ones([2, 2]);
  const t = tape(t => {
    t.watch(x);
    const y = sum(x);
    const z = mul(y, y);
    return { y, z };
  }, { persistent: true });
  const dzdx = t.gradient(t.result.z, x);
  const dzdy = t.gradient(t.result.z, t.result.y);
  console.log(`dz/dx = ${show(dzdx.toArray())}`);
  console.log(`       ${dzdx}`);
  console.log(`dz/dy = ${dzdy.item()}`);
  t.dispose();

  // 2. A persistent tape answers several gradient calls.
  const x3 = scalar(3);
  const p = tape(t => {
    t.watch(x3);
    const y = x3.mul(x3);
    const z = y.mul(y);
    return { y, z };
  }, { persistent: true });
  const dz = p.gradient(p.result.z, x3).item(); // 108 = 4 * x^3
  const dy = p.gradient(p.result.y, x3).item(); // 6 = 2 * x
  console.log(dz);
  console.log(dy);
  p.dispose();

  // 3. Control flow is plain JavaScript: only the branch taken is recorded.
  function f(x, y) {
    let output = scalar(1);
    for (let i = 0; i < y; i++) {
      if (i > 1 && i < 5) output = mul(output, x);
    }
    return output;
  }
  function gradAt(x, y) {
    const xt = scalar(x);
    const t = tape(t => { t.watch(xt); return f(xt, y); });
    return t.gradient(t.result, xt).item();
  }
  const loop = [gradAt(2, 6), gradAt(2, 5), gradAt(2, 4)];
  for (const g of loop) console.log(g);
  return { dzdx: dzdx.toArray(), dzdy: dzdy.item(), persistent: [dz, dy], loop };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
