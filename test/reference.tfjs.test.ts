// Cross-checks the float64 reference (test/support/reference.ts) against TensorFlow.js's CPU
// backend (float32) on random inputs: TF semantics for padding, pooling, rounding, mod, slicing...
// Ops tfjs lacks (gelu, silu) are checked against hand values in reference.test.ts.
import { it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { reference as R } from './support/reference.js';
import { nd, randn, uniform, randint, type ND } from './support/nd.js';
import { expectClose, expectShape } from './support/gradcheck.js';

const T = (x: ND, dtype: 'float32' | 'int32' = 'float32') => tf.tensor(Array.from(x.data), x.shape, dtype);
function cmp(label: string, got: ND | ND[], want: tf.Tensor | tf.Tensor[]) {
  const g = Array.isArray(got) ? got : [got];
  const w = Array.isArray(want) ? want : [want];
  if (g.length !== w.length) throw new Error(label + ' count');
  g.forEach((gi, i) => {
    expectShape(gi.shape, w[i]!.shape, label + ' shape');
    expectClose(w[i]!.dataSync() as any, gi.data, { rtol: 1e-5, atol: 1e-5 }, label);
  });
}
it('reference agrees with tfjs on every op tfjs has', async () => {
  await tf.setBackend('cpu');
  let seed = 10;
  const a = randn([2, 3, 4], seed++), b = randn([3, 1], seed++), c = randn([4], seed++);
  const pos = uniform([2, 3, 4], 0.2, 3, seed++);
  for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference', 'mod', 'floorDiv', 'equal', 'greater', 'lessEqual']) {
    cmp(op, (R as any)[op](a, b), (tf as any)[op](T(a), T(b)));
    cmp(op + 'c', (R as any)[op](c, a), (tf as any)[op](T(c), T(a)));
  }
  cmp('pow', R.pow(pos, b), tf.pow(T(pos), T(b)));
  for (const op of ['neg', 'abs', 'sign', 'square', 'exp', 'expm1', 'sin', 'cos', 'tan', 'tanh', 'sigmoid', 'relu', 'relu6', 'elu', 'selu', 'softplus', 'reciprocal', 'floor', 'ceil', 'round']) {
    const x = op === 'relu6' ? R.mul(a, 5) : op === 'round' ? nd([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1.49, -3.7, 2.51]) : a;
    cmp(op, (R as any)[op](x), (tf as any)[op](T(x)));
  }
  for (const op of ['sqrt', 'rsqrt', 'log', 'log1p']) cmp(op, (R as any)[op](pos), (tf as any)[op](T(pos)));
  cmp('not', R.logicalNot(R.greater(a,0)), tf.logicalNot(tf.greater(T(a),0)));
  cmp('and', R.logicalAnd(R.greater(a,0), R.less(b,0.3)), tf.logicalAnd(tf.greater(T(a),0), tf.less(T(b),0.3)));
  cmp('leakyRelu', R.leakyRelu(a), tf.leakyRelu(T(a)));
  cmp('leakyRelu.3', R.leakyRelu(a, 0.3), tf.leakyRelu(T(a), 0.3));
  cmp('clip', R.clipByValue(a, -0.5, 0.7), tf.clipByValue(T(a), -0.5, 0.7));
  for (const op of ['sum', 'mean', 'max', 'min', 'prod', 'logSumExp']) {
    for (const [ax, kd] of [[undefined, false], [1, false], [-1, true], [[0, 2], false], [[-3, 1], true]] as const) {
      cmp(`${op}(${ax},${kd})`, (R as any)[op](a, ax, kd), (tf as any)[op](T(a), ax as any, kd));
    }
  }
  for (const ax of [0, 1, 2, -1]) {
    cmp('argMax' + ax, R.argMax(a, ax), tf.argMax(T(a), ax));
    cmp('argMin' + ax, R.argMin(a, ax), tf.argMin(T(a), ax));
  }
  cmp('argMaxDefault', R.argMax(a), tf.argMax(T(a)));
  cmp('reshape', R.reshape(a, [4, -1]), tf.reshape(T(a), [4, -1]));
  cmp('transpose', R.transpose(a), tf.transpose(T(a)));
  cmp('transposeP', R.transpose(a, [1, 2, 0]), tf.transpose(T(a), [1, 2, 0]));
  cmp('expandDims', R.expandDims(a, -1), tf.expandDims(T(a), -1));
  cmp('expandDims1', R.expandDims(a, 1), tf.expandDims(T(a), 1));
  const s1 = randn([1, 3, 1, 2], 3);
  cmp('squeeze', R.squeeze(s1), tf.squeeze(T(s1)));
  cmp('squeeze2', R.squeeze(s1, [2]), tf.squeeze(T(s1), [2]));
  const a2 = randn([2, 5, 4], 5);
  cmp('concat', R.concat([a, a2], 1), tf.concat([T(a), T(a2)], 1));
  cmp('concat-2', R.concat([a, a2], -2), tf.concat([T(a), T(a2)], -2));
  cmp('stack', R.stack([a, a], 1), tf.stack([T(a), T(a)], 1));
  cmp('stack-1', R.stack([a, a], -1), tf.stack([T(a), T(a)], -1));
  cmp('unstack', R.unstack(a, 1), tf.unstack(T(a), 1));
  cmp('split', R.split(a2, [1, -1, 2], 1), tf.split(T(a2), [1, -1, 2], 1));
  cmp('splitN', R.split(a, 2, -1), tf.split(T(a), 2, -1));
  cmp('slice', R.slice(a, [1, 0, 1], [1, -1, 2]), tf.slice(T(a), [1, 0, 1], [1, -1, 2]));
  cmp('slice2', R.slice(a, 1), tf.slice(T(a), 1));
  cmp('slice3', R.slice(a, [0, 1], [2, 1]), tf.slice(T(a), [0, 1], [2, 1]));
  const idx = randint([2, 3], 0, 3, 4);
  cmp('gather', R.gather(a, idx, 1), tf.gather(T(a), T(idx, 'int32'), 1));
  cmp('gather0', R.gather(a, [1, 0, 1]), tf.gather(T(a), tf.tensor1d([1, 0, 1], 'int32')));
  cmp('gather-1', R.gather(a, [3, 0], -1), tf.gather(T(a), tf.tensor1d([3, 0], 'int32'), -1));
  cmp('tile', R.tile(b, [2, 3]), tf.tile(T(b), [2, 3]));
  cmp('broadcastTo', R.broadcastTo(b, [2, 3, 5]), tf.broadcastTo(T(b), [2, 3, 5]));
  cmp('pad', R.pad(a, [[0, 1], [2, 0], [1, 1]], 7), tf.pad(T(a), [[0, 1], [2, 0], [1, 1]], 7));
  const cond = R.greater(a, 0);
  cmp('where', R.where(cond, a, R.neg(a)), tf.where(T(cond).cast('bool'), T(a), tf.neg(T(a))));
  cmp('oneHot', R.oneHot(idx, 4), tf.oneHot(T(idx, 'int32'), 4));
  const m1 = randn([2, 3, 4], 20), m2 = randn([4, 5], 21), m3 = randn([2, 5, 4], 22), m4 = randn([1, 3, 5], 23), m5 = randn([1, 4, 7], 24);
  cmp('matmul', R.matmul(m1, m2), tf.matMul(T(m1), T(m2)));
  cmp('matmulTB', R.matmul(m1, m3, false, true), tf.matMul(T(m1), T(m3), false, true));
  cmp('matmulTA', R.matmul(m1, m4, true, false), tf.matMul(T(m1), T(m4), true, false));
  cmp('matmulTT', R.matmul(m5, m1, true, true), tf.matMul(T(m5), T(m1), true, true));
  const v4 = randn([4], 30), M34 = randn([3, 4], 31), M45 = randn([4, 5], 32);
  cmp('dot vv', R.dot(v4, v4), tf.dot(T(v4), T(v4)));
  cmp('dot mv', R.dot(M34, v4), tf.dot(T(M34), T(v4)));
  cmp('dot vm', R.dot(v4, M45), tf.dot(T(v4), T(M45)));
  cmp('dot mm', R.dot(M34, M45), tf.dot(T(M34), T(M45)));
  cmp('norm', R.norm(a), tf.norm(T(a)));
  cmp('norm1', R.norm(a, 1), tf.norm(T(a), 'euclidean', 1));
  cmp('norm-1k', R.norm(a, -1, true), tf.norm(T(a), 'euclidean', -1, true));
  cmp('softmax', R.softmax(a), tf.softmax(T(a)));
  cmp('softmax1', R.softmax(R.transpose(a, [0, 2, 1]), -1), tf.softmax(tf.transpose(T(a), [0, 2, 1])));
  cmp('logSoftmax', R.logSoftmax(a), tf.logSoftmax(T(a)));
  const logits = randn([5, 4], 40), lab = R.softmax(randn([5, 4], 41));
  cmp('sce', R.softmaxCrossEntropy(lab, logits), tf.losses.softmaxCrossEntropy(T(lab), T(logits), undefined, 0, tf.Reduction.NONE));
  const sl = randint([5], 0, 4, 42);
  cmp('sparse', R.sparseSoftmaxCrossEntropy(sl, logits), tf.losses.softmaxCrossEntropy(tf.oneHot(T(sl, 'int32'), 4), T(logits), undefined, 0, tf.Reduction.NONE));
  const bl = uniform([5, 4], 0, 1, 43);
  cmp('sigce', R.sigmoidCrossEntropy(bl, R.mul(logits, 10)), tf.mean(tf.losses.sigmoidCrossEntropy(T(bl), tf.mul(T(logits), 10), undefined, 0, tf.Reduction.NONE), -1));
  cmp('mse', R.meanSquaredError(bl, logits), tf.mean(tf.squaredDifference(T(bl), T(logits)), -1));
  for (const [H, W, kh, kw, s, p] of [[5, 5, 3, 3, 1, 'same'], [6, 7, 3, 2, 2, 'same'], [7, 6, 2, 3, [2, 3], 'valid'], [5, 4, 4, 4, 3, 'same'], [4, 4, 1, 1, 2, 'same'], [6, 6, 2, 2, 2, 'valid'], [3, 3, 5, 5, 1, 'same']] as const) {
    const x = randn([2, H, W, 3], H * 10 + W), f = randn([kh, kw, 3, 2], kh * 7 + kw);
    cmp(`conv ${H}x${W} k${kh}x${kw} s${s} ${p}`, R.conv2d(x, f, s, p), tf.conv2d(T(x) as tf.Tensor4D, T(f) as tf.Tensor4D, s as any, p));
    if (kh <= H && kw <= W || p === 'same') {
      cmp(`maxPool ${H}x${W} k${kh}x${kw} s${s} ${p}`, R.maxPool(x, [kh, kw], s, p), tf.maxPool(T(x) as tf.Tensor4D, [kh, kw], s as any, p));
      cmp(`avgPool ${H}x${W} k${kh}x${kw} s${s} ${p}`, R.avgPool(x, [kh, kw], s, p), tf.avgPool(T(x) as tf.Tensor4D, [kh, kw], s as any, p));
    }
  }
  const x3 = randn([5, 5, 2], 77), f3 = randn([3, 3, 2, 4], 78);
  cmp('conv rank3', R.conv2d(x3, f3, 2, 'same'), tf.conv2d(T(x3) as tf.Tensor3D, T(f3) as tf.Tensor4D, 2, 'same'));
  const xd = randn([1, 7, 7, 2], 79);
  cmp('conv dil', R.conv2d(xd, f3, 1, 'same', 2), tf.conv2d(T(xd) as tf.Tensor4D, T(f3) as tf.Tensor4D, 1, 'same', 'NHWC', 2));
  cmp('eye', R.eye(3), tf.eye(3));
  cmp('eye34', R.eye(3, 4), tf.eye(3, 4));
  cmp('range', R.range(2, 9, 2), tf.range(2, 9, 2));
  cmp('range1', R.range(5), tf.range(0, 5));
  cmp('range-', R.range(5, 0, -1.5), tf.range(5, 0, -1.5));
  cmp('linspace', R.linspace(-1, 2, 7), tf.linspace(-1, 2, 7));
  cmp('cast', R.cast(nd([-1.7, 1.7, 0, 2.5]), 'int32'), tf.cast(tf.tensor([-1.7, 1.7, 0, 2.5]), 'int32'));
  cmp('castb', R.cast(nd([-1.7, 1.7, 0, 2.5]), 'bool'), tf.cast(tf.tensor([-1.7, 1.7, 0, 2.5]), 'bool'));
  // normalization and resizing (ops-normalization.ts, ops-image.ts)
  for (const [ax, kd] of [[0, false], [[0, 2], true], [-1, false], [undefined, false]] as const) {
    const { mean, variance } = tf.moments(T(a), ax as any, kd);
    const r = (R as any).moments(a, ax, kd);
    cmp(`moments(${ax},${kd})`, [r.mean, r.variance], [mean, variance]);
  }
  const bm = randn([4], 50), bv = uniform([4], 0.1, 2, 51), bo = randn([4], 52), bs = randn([4], 53);
  cmp('batchNorm', R.batchNormalization(a, bm, bv, bo, bs), tf.batchNorm(T(a), T(bm), T(bv), T(bo), T(bs)));
  cmp('batchNorm eps', R.batchNormalization(a, bm, bv, null, bs, 0.5), tf.batchNorm(T(a), T(bm), T(bv), undefined, T(bs), 0.5));
  cmp('batchNorm bare', R.batchNormalization(a, bm, bv), tf.batchNorm(T(a), T(bm), T(bv)));
  for (const [H, W, OH, OW] of [[3, 4, 5, 7], [5, 7, 3, 2], [4, 4, 9, 9], [6, 5, 2, 3], [1, 3, 4, 1], [2, 9, 5, 4]]) {
    const img = randn([2, H, W, 3], H * 13 + W);
    cmp(`resizeBilinear ${H}x${W}->${OH}x${OW}`, R.resize(img, [OH, OW]), tf.image.resizeBilinear(T(img) as tf.Tensor4D, [OH, OW], false, true));
    cmp(`resizeNearest ${H}x${W}->${OH}x${OW}`, R.resize(img, [OH, OW], { method: 'nearest' }), tf.image.resizeNearestNeighbor(T(img) as tf.Tensor4D, [OH, OW], false, true));
  }
  const img3 = randn([3, 5, 2], 60);
  cmp('resize rank 3', R.resize(img3, [7, 2]), tf.image.resizeBilinear(T(img3) as tf.Tensor3D, [7, 2], false, true));
});
