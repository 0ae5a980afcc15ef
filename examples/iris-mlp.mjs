// A 4 -> 16 -> 3 multilayer perceptron (ReLU hidden layer) on the Iris data set, trained with Adam.
// Run: node examples/iris-mlp.mjs  (after `npm run build`)
import { variable, zeros, randomNormal, matmul, add, relu, mean, softmaxCrossEntropy, adam, tidy, dispose } from 'gradtape';
import { irisTensors, accuracy } from './iris-logistic.mjs';
import { pathToFileURL } from 'node:url';

export async function main({ epochs = 200, learningRate = 0.01, hidden = 16, log = console.log } = {}) {
  const { x, labels, y, classes } = irisTensors();
  // He initialisation for the ReLU layer, Glorot for the output layer; fixed seeds
  // (inside tidy, the initial values are freed once copied into the variables, which tidy keeps)
  const { w1, b1, w2, b2 } = tidy(() => ({
    w1: variable(randomNormal([4, hidden], { stddev: Math.sqrt(2 / 4), seed: 11 }), { name: 'w1' }),
    b1: variable(zeros([hidden]), { name: 'b1' }),
    w2: variable(randomNormal([hidden, classes.length], { stddev: Math.sqrt(2 / (hidden + classes.length)), seed: 12 }), { name: 'w2' }),
    b2: variable(zeros([classes.length]), { name: 'b2' }),
  }));
  const model = input => add(matmul(relu(add(matmul(input, w1), b1)), w2), b2);
  const opt = adam(learningRate);

  const losses = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    losses.push(opt.minimize(() => mean(softmaxCrossEntropy(y, model(x)))));
    if (epoch % 20 === 0 || epoch === epochs - 1) log(`epoch ${String(epoch).padStart(3)}  loss ${losses[epoch].toFixed(4)}`);
  }
  const acc = tidy(() => accuracy(model(x), labels));
  log(`training accuracy: ${(acc * 100).toFixed(1)}% (${Math.round(acc * 150)}/150)`);
  opt.dispose();
  dispose([x, labels, y, w1, b1, w2, b2]);
  return { initialLoss: losses[0], finalLoss: losses[losses.length - 1], accuracy: acc, epochs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
