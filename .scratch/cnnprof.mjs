import * as gt from '../dist/gradtape.js';
const B = 32, S = 28, c1 = 16, c2 = 32;
const x = gt.randomNormal([B, S, S, 1], { seed: 1 });
const f1 = gt.randomNormal([3, 3, 1, c1], { seed: 2 }), f2 = gt.randomNormal([3, 3, c1, c2], { seed: 3 });
const b1 = gt.randomNormal([c1], { seed: 4 }), b2 = gt.randomNormal([c2], { seed: 5 }), w = gt.randomNormal([c2, 10], { seed: 6 });
const labels = gt.oneHot(gt.tensor(Array.from({ length: B }, (_, i) => i % 10), undefined, 'int32'), 10);
const h1c = gt.relu(gt.conv2d(x, f1, 1, 'same'));
const dy1 = gt.randomNormal([B, S, S, c1], { seed: 7 }), dy2 = gt.randomNormal([B, 14, 14, c2], { seed: 8 });
const A = gt.randomNormal([256, 256], { seed: 9 }), Bm = gt.randomNormal([256, 256], { seed: 10 });
const params = [f1, b1, f2, b2, w];
const cases = {
  matmul: () => { const t = gt.tape(t => { t.watch([A, Bm]); return gt.sum(gt.matmul(A, Bm)); }); const g = t.gradient(t.result, [A, Bm]); g[0].data(); },
  step: () => { const t = gt.tape(t => { t.watch(params); const h1 = gt.conv2d(x, f1, 1, 'same', { bias: b1, activation: 'relu' }); const h2 = gt.conv2d(h1, f2, 2, 'same', { bias: b2, activation: 'relu' }); return gt.mean(gt.softmaxCrossEntropy(labels, gt.matmul(gt.mean(h2, [1, 2]), w))); }); const g = t.gradient(t.result, params); g[0].data(); },
  stepNoBias: () => { const t = gt.tape(t => { t.watch([f1, f2, w]); const h1 = gt.relu(gt.conv2d(x, f1, 1, 'same')); const h2 = gt.relu(gt.conv2d(h1, f2, 2, 'same')); return gt.mean(gt.softmaxCrossEntropy(labels, gt.matmul(gt.mean(h2, [1, 2]), w))); }); const g = t.gradient(t.result, [f1, f2, w]); g[0].data(); },
  conv1fwd: () => gt.conv2d(x, f1, 1, 'same').data(),
  conv2fwd: () => gt.conv2d(h1c, f2, 2, 'same').data(),
  conv1fused: () => gt.conv2d(x, f1, 1, 'same', { bias: b1, activation: 'relu' }).data(),
  // the backprops via gradients with given output grads
  conv1filter: () => { const t = gt.tape(t => { t.watch(f1); return gt.conv2d(x, f1, 1, 'same'); }); t.gradient(t.result, f1, { outputGradients: dy1 }).data(); },
  conv2both: () => { const t = gt.tape(t => { t.watch([h1c, f2]); return gt.conv2d(h1c, f2, 2, 'same'); }); const g = t.gradient(t.result, [h1c, f2], { outputGradients: dy2 }); g[0].data(); },
  biasRelu1: () => gt.relu(gt.add(h1c, b1)).data(),
  fusedOnly1: () => { const t = gt.tape(t => { t.watch([h1c, b1]); return gt.conv2d(x, f1, 1, 'same', { bias: b1, activation: 'relu' }); }); },
};
const which = process.argv.slice(2);
for (const name of (which.length ? which : Object.keys(cases))) {
  const f = cases[name];
  for (let i = 0; i < 5; i++) gt.tidy(f);
  const times = [];
  for (let r = 0; r < 25; r++) { const t0 = performance.now(); for (let i = 0; i < 4; i++) gt.tidy(f); times.push((performance.now() - t0) / 4); }
  times.sort((a, b) => a - b);
  console.log(name.padEnd(12), 'median', times[12].toFixed(2), 'p10', times[2].toFixed(2), 'ms');
}
