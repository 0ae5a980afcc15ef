// TensorFlow's "Convolutional Variational Autoencoder" tutorial
// (https://www.tensorflow.org/tutorials/generative/cvae), step by step with gradtape and
// gradtape/layers; the TF code of each step is in the comments beside it.
// The tutorial trains on binarized MNIST digits; here the images are made on the spot
// (examples/shapes.mjs: rings, bars and crosses, 28 × 28, binarized the same way), so nothing is
// downloaded. It reports the test set's ELBO after each epoch and writes PNG grids of the decoder's
// samples for a fixed set of latent points before and after training (cvae-samples-*.png).
// Run: node examples/cvae.mjs             (fast: 3 epochs of 2,048 images, ~10 s; the samples are blurs)
//      node examples/cvae.mjs --epochs=30 (~2 min: the shapes become recognisable)
//      node examples/cvae.mjs --full      (the tutorial's length: 10 epochs of 60,000 images, ~15 min)
// Images go to examples/output/.
import {
  tensor, randomNormal, split, exp, sigmoid, sigmoidCrossEntropy, sum, mean, sub, mul, add, square, log, adam, tape, tidy, dispose,
} from 'gradtape';
import { Module, Sequential, Dense, Reshape, Conv2D, Conv2DTranspose, Flatten } from 'gradtape/layers';
import { shapeImages } from './shapes.mjs';
import { writeGridPng, numberFlag, OUTPUT_DIR } from './png.mjs';
import { pathToFileURL } from 'node:url';

// class CVAE(tf.keras.Model):
//   """Convolutional variational autoencoder."""
class CVAE extends Module {
  //   def __init__(self, latent_dim):
  //     super(CVAE, self).__init__()
  //     self.latent_dim = latent_dim
  constructor(latent_dim) {
    super('cvae');
    this.latent_dim = latent_dim;
    //     self.encoder = tf.keras.Sequential([
    //         tf.keras.layers.InputLayer(input_shape=(28, 28, 1)),
    //         tf.keras.layers.Conv2D(filters=32, kernel_size=3, strides=(2, 2), activation='relu'),
    //         tf.keras.layers.Conv2D(filters=64, kernel_size=3, strides=(2, 2), activation='relu'),
    //         tf.keras.layers.Flatten(),
    //         # No activation
    //         tf.keras.layers.Dense(latent_dim + latent_dim),
    //     ])
    this.encoder = new Sequential([
      new Conv2D(32, 3, { strides: [2, 2], activation: 'relu', seed: 1 }),
      new Conv2D(64, 3, { strides: [2, 2], activation: 'relu', seed: 2 }),
      new Flatten(),
      new Dense(latent_dim + latent_dim, { seed: 3 }),
    ], { name: 'encoder' });
    this.encoder.build([1, 28, 28, 1]);
    //     self.decoder = tf.keras.Sequential([
    //         tf.keras.layers.InputLayer(input_shape=(latent_dim,)),
    //         tf.keras.layers.Dense(units=7*7*32, activation=tf.nn.relu),
    //         tf.keras.layers.Reshape(target_shape=(7, 7, 32)),
    //         tf.keras.layers.Conv2DTranspose(filters=64, kernel_size=3, strides=2, padding='same', activation='relu'),
    //         tf.keras.layers.Conv2DTranspose(filters=32, kernel_size=3, strides=2, padding='same', activation='relu'),
    //         # No activation
    //         tf.keras.layers.Conv2DTranspose(filters=1, kernel_size=3, strides=1, padding='same'),
    //     ])
    this.decoder = new Sequential([
      new Dense(7 * 7 * 32, { activation: 'relu', seed: 4 }),
      new Reshape([7, 7, 32]),
      new Conv2DTranspose(64, 3, { strides: 2, padding: 'same', activation: 'relu', seed: 5 }),
      new Conv2DTranspose(32, 3, { strides: 2, padding: 'same', activation: 'relu', seed: 6 }),
      new Conv2DTranspose(1, 3, { strides: 1, padding: 'same', seed: 7 }),
    ], { name: 'decoder' });
    this.decoder.build([1, latent_dim]);
  }
  //   @tf.function
  //   def sample(self, eps=None):
  //     if eps is None:
  //       eps = tf.random.normal(shape=(100, self.latent_dim))
  //     return self.decode(eps, apply_sigmoid=True)
  sample(eps = randomNormal([100, this.latent_dim])) { return this.decode(eps, true); }
  //   def encode(self, x):
  //     mean, logvar = tf.split(self.encoder(x), num_or_size_splits=2, axis=1)
  //     return mean, logvar
  encode(x) { return split(this.encoder.apply(x), 2, 1); }
  //   def reparameterize(self, mean, logvar):
  //     eps = tf.random.normal(shape=mean.shape)
  //     return eps * tf.exp(logvar * .5) + mean
  reparameterize(mean, logvar, seed) { return add(mul(randomNormal(mean.shape, { seed }), exp(mul(logvar, 0.5))), mean); }
  //   def decode(self, z, apply_sigmoid=False):
  //     logits = self.decoder(z)
  //     if apply_sigmoid:
  //       probs = tf.sigmoid(logits)
  //       return probs
  //     return logits
  decode(z, apply_sigmoid = false) {
    const logits = this.decoder.apply(z);
    return apply_sigmoid ? sigmoid(logits) : logits;
  }
}

// def log_normal_pdf(sample, mean, logvar, raxis=1):
//   log2pi = tf.math.log(2. * np.pi)
//   return tf.reduce_sum(-.5 * ((sample - mean) ** 2. * tf.exp(-logvar) + logvar + log2pi), axis=raxis)
const log2pi = Math.log(2 * Math.PI);
function log_normal_pdf(sample, mean, logvar, raxis = 1) {
  return sum(mul(-0.5, add(add(mul(square(sub(sample, mean)), exp(mul(logvar, -1))), logvar), log2pi)), raxis);
}

// def compute_loss(model, x):
//   mean, logvar = model.encode(x)
//   z = model.reparameterize(mean, logvar)
//   x_logit = model.decode(z)
//   cross_ent = tf.nn.sigmoid_cross_entropy_with_logits(logits=x_logit, labels=x)
//   logpx_z = -tf.reduce_sum(cross_ent, axis=[1, 2, 3])
//   logpz = log_normal_pdf(z, 0., 0.)
//   logqz_x = log_normal_pdf(z, mean, logvar)
//   return -tf.reduce_mean(logpx_z + logpz - logqz_x)
function compute_loss(model, x, seed) {
  const [mean_, logvar] = model.encode(x);
  const z = model.reparameterize(mean_, logvar, seed);
  const x_logit = model.decode(z);
  // (gradtape's sigmoidCrossEntropy averages the last axis, here of size 1: elementwise, as tf.nn's)
  const cross_ent = sigmoidCrossEntropy(x, x_logit);
  const logpx_z = mul(sum(cross_ent, [1, 2]), -1);
  const logpz = log_normal_pdf(z, 0, 0);
  const logqz_x = log_normal_pdf(z, mean_, logvar);
  return mul(mean(sub(add(logpx_z, logpz), logqz_x)), -1);
}

export async function main({ full = process.argv.includes('--full'), log: print = console.log, outDir = OUTPUT_DIR } = {}) {
  // ---- the data ----
  // (train_images, _), (test_images, _) = tf.keras.datasets.mnist.load_data()
  // def preprocess_images(images):
  //   images = images.reshape((images.shape[0], 28, 28, 1)) / 255.
  //   return np.where(images > .5, 1.0, 0.0).astype('float32')
  // train_size = 60000; batch_size = 32; test_size = 10000
  const train_size = numberFlag('images', full ? 60000 : 2048), batch_size = 32, test_size = full ? 10000 : 512;
  const preprocess_images = (images) => images.map(v => (v > 0.5 ? 1 : 0));
  const train = preprocess_images(shapeImages(train_size, 11)), test = preprocess_images(shapeImages(test_size, 12));
  const batchOf = (images, b) => tensor(images.subarray(b * batch_size * 784, (b + 1) * batch_size * 784), [batch_size, 28, 28, 1]);

  // optimizer = tf.keras.optimizers.Adam(1e-4)
  // epochs = 10
  // # set the dimensionality of the latent space to a plane for visualization later
  // latent_dim = 2
  // num_examples_to_generate = 16
  const optimizer = adam(1e-4), epochs = numberFlag('epochs', full ? 10 : 3), latent_dim = 2, num_examples_to_generate = 16;
  // model = CVAE(latent_dim)
  const model = new CVAE(latent_dim);
  print(model.encoder.summary());
  print(model.decoder.summary());
  // random_vector_for_generation = tf.random.normal(shape=[num_examples_to_generate, latent_dim])
  const random_vector_for_generation = randomNormal([num_examples_to_generate, latent_dim], { seed: 42 });

  // @tf.function
  // def train_step(model, x, optimizer):
  //   with tf.GradientTape() as tape:
  //     loss = compute_loss(model, x)
  //   gradients = tape.gradient(loss, model.trainable_variables)
  //   optimizer.apply_gradients(zip(gradients, model.trainable_variables))
  let seed = 1000;
  function train_step(model, x, optimizer) {
    tidy(() => {
      const t = tape(() => compute_loss(model, x, seed++));
      const gradients = t.gradient(t.result, model.trainableVariables);
      optimizer.applyGradients(gradients, model.trainableVariables);
    });
  }
  // for test_x in test_dataset: loss(compute_loss(model, test_x)); elbo = -loss.result()
  const elbo = () => {
    let total = 0;
    for (let b = 0; b < test_size / batch_size; b++) total += tidy(() => compute_loss(model, batchOf(test, b), b).item());
    return -total / (test_size / batch_size);
  };
  // def generate_and_save_images(model, epoch, test_sample):
  //   mean, logvar = model.encode(test_sample); z = model.reparameterize(mean, logvar)
  //   predictions = model.sample(z) ... plt.savefig('image_at_epoch_{:04d}.png'.format(epoch))
  // (here the decoder's samples for fixed latent points, as model.sample(random_vector_for_generation))
  const generate_and_save_images = (label) => tidy(() =>
    writeGridPng(`${outDir}/cvae-samples-${label}.png`, model.sample(random_vector_for_generation).data(), num_examples_to_generate, 28));

  print('wrote', generate_and_save_images('untrained'));
  const initialElbo = elbo();
  print(`before training: test set ELBO ${initialElbo.toFixed(2)}`);
  // for epoch in range(1, epochs + 1):
  //   for train_x in train_dataset:
  //     train_step(model, train_x, optimizer)
  //   ... print('Epoch: {}, Test set ELBO: {}, time elapse for current epoch: {}'.format(epoch, elbo, end_time - start_time))
  let last = initialElbo;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start_time = performance.now();
    for (let b = 0; b < train_size / batch_size; b++) {
      const x = batchOf(train, b);
      train_step(model, x, optimizer);
      x.dispose();
    }
    const end_time = performance.now();
    last = elbo();
    print(`Epoch: ${epoch}, Test set ELBO: ${last.toFixed(2)}, time elapse for current epoch: ${((end_time - start_time) / 1000).toFixed(2)} s`);
  }
  print('wrote', generate_and_save_images('trained'));
  dispose(random_vector_for_generation);
  model.dispose();
  return { ok: last > initialElbo, summary: `test set ELBO ${initialElbo.toFixed(2)} -> ${last.toFixed(2)}` };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
