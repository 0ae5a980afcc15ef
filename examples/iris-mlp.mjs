// A 4 -> 16 -> 3 multilayer perceptron (ReLU hidden layer) on the Iris data set, trained with Adam,
// written with gradtape/layers (the raw-op version of the same idea is iris-logistic.mjs).
// Run: node examples/iris-mlp.mjs  (after `npm run build`)
import { mean, softmaxCrossEntropy, adam, tidy, dispose } from 'gradtape';
import { Sequential, Dense } from 'gradtape/layers';
import { irisTensors, accuracy } from './iris-logistic.mjs';
import { pathToFileURL } from 'node:url';

export async function main({ epochs = 200, learningRate = 0.01, hidden = 16, log = console.log } = {}) {
  const { x, labels, y, classes } = irisTensors();
  // Keras' default initialisation (glorotUniform kernels, zero biases) with fixed seeds. build()
  // creates the variables from the input's width (4); the first apply() would do the same.
  const model = new Sequential([
    new Dense(hidden, { activation: 'relu', seed: 11 }),
    new Dense(classes.length, { seed: 12 }),
  ], { name: 'iris_mlp' });
  model.build(x.shape);
  log(model.summary());
  const opt = adam(learningRate);

  const losses = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    losses.push(opt.minimize(() => mean(softmaxCrossEntropy(y, model.apply(x))), model.trainableVariables));
    if (epoch % 20 === 0 || epoch === epochs - 1) log(`epoch ${String(epoch).padStart(3)}  loss ${losses[epoch].toFixed(4)}`);
  }
  const acc = tidy(() => accuracy(model.apply(x), labels));
  log(`training accuracy: ${(acc * 100).toFixed(1)}% (${Math.round(acc * 150)}/150)`);
  opt.dispose();
  model.dispose();
  dispose([x, labels, y]);
  return { initialLoss: losses[0], finalLoss: losses[losses.length - 1], accuracy: acc, epochs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
