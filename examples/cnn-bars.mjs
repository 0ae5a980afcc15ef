// A small convolutional network telling horizontal from vertical bars in noisy 8x8 images:
// Conv2D 3x3 'same' (8 filters, relu) -> MaxPool2D 2 -> Flatten -> Dense 2 -> softmax cross-entropy,
// trained with Adam; written with gradtape/layers.
// The images are synthetic and seeded, so every run gives the same numbers.
// Run: node examples/cnn-bars.mjs  (after `npm run build`)
import { tensor, randomNormal, add, mean, softmaxCrossEntropy, oneHot, argMax, equal, cast, adam, tidy, dispose } from 'gradtape';
import { Sequential, Conv2D, MaxPool2D, Flatten, Dense } from 'gradtape/layers';
import { pathToFileURL } from 'node:url';

const SIZE = 8;

export { prng } from './prng.mjs'; // (custom-training.mjs imports it from here)
import { prng } from './prng.mjs';

/**
 * n images [n, 8, 8, 1]: each holds one bar of length 4..8 (label 0: horizontal, 1: vertical) plus
 * Gaussian noise of standard deviation `noise`. Labels alternate, so the classes are balanced.
 */
export function bars(n, seed, noise = 0.3) {
  const rand = prng(seed);
  const pixels = new Float32Array(n * SIZE * SIZE);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const vertical = i % 2;
    const line = Math.floor(rand() * SIZE), length = 4 + Math.floor(rand() * (SIZE - 3)), start = Math.floor(rand() * (SIZE - length + 1));
    for (let k = start; k < start + length; k++) {
      const [r, c] = vertical ? [k, line] : [line, k];
      pixels[i * SIZE * SIZE + r * SIZE + c] = 1;
    }
    labels[i] = vertical;
  }
  return tidy(() => ({
    x: add(tensor(pixels, [n, SIZE, SIZE, 1]), randomNormal([n, SIZE, SIZE, 1], { stddev: noise, seed: seed + 1 })),
    labels: tensor(labels),
  }));
}

export async function main({ epochs = 80, learningRate = 0.01, filters = 8, train = 512, test = 256, log = console.log } = {}) {
  const trainSet = bars(train, 2024), testSet = bars(test, 7);
  const yTrain = oneHot(trainSet.labels, 2);
  // He initialisation for the conv layer, Keras' default (glorotUniform) for the dense layer; fixed seeds
  const model = new Sequential([
    new Conv2D(filters, 3, { padding: 'same', activation: 'relu', kernelInitializer: 'heNormal', seed: 21 }),
    new MaxPool2D(2), // [n, 4, 4, filters]
    new Flatten(),
    new Dense(2, { seed: 22 }),
  ], { name: 'cnn_bars' });
  model.build(trainSet.x.shape);
  log(model.summary());
  const accuracy = ({ x, labels }) => tidy(() => mean(cast(equal(argMax(model.apply(x), 1), labels), 'float32')).item());
  const opt = adam(learningRate);

  const losses = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    losses.push(opt.minimize(() => mean(softmaxCrossEntropy(yTrain, model.apply(trainSet.x))), model.trainableVariables));
    if (epoch % 10 === 0 || epoch === epochs - 1) log(`epoch ${String(epoch).padStart(3)}  loss ${losses[epoch].toFixed(4)}`);
  }
  const trainAccuracy = accuracy(trainSet), testAccuracy = accuracy(testSet);
  log(`training accuracy: ${(trainAccuracy * 100).toFixed(1)}%   held-out accuracy: ${(testAccuracy * 100).toFixed(1)}% (${test} fresh images)`);
  opt.dispose();
  model.dispose();
  dispose([trainSet, testSet, yTrain]);
  return { initialLoss: losses[0], finalLoss: losses[losses.length - 1], accuracy: trainAccuracy, testAccuracy, epochs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
