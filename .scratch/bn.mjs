import * as tf from '@tensorflow/tfjs';
await tf.setBackend('cpu');
const x = tf.randomNormal([4,3,5]), m = tf.randomNormal([5]), v = tf.randomNormal([5]), o = tf.randomNormal([5]), s = tf.randomNormal([5]);
const f = (x, m, v, o, s) => tf.batchNorm(x, m, v.abs().add(0.5), o, s, 1e-3);
try { const g = tf.grads((...a) => f(...a).sum())([x, m, v, o, s]); console.log(g.map(t => t.shape)); } catch (e) { console.log('err', e.message); }
const f2 = (x, m, v) => tf.batchNorm(x, m, v.abs().add(0.5), undefined, undefined, 1e-3);
try { const g = tf.grads((...a) => f2(...a).sum())([x, m, v]); console.log(g.map(t => t.shape)); } catch (e) { console.log('err2', e.message); }
