// TensorFlow's "Deep Convolutional Generative Adversarial Network" tutorial
// (https://www.tensorflow.org/tutorials/generative/dcgan), step by step with gradtape and
// gradtape/layers; the TF code of each step is in the comments beside it.
// The tutorial trains on MNIST digits; here the images are made on the spot (examples/shapes.mjs:
// rings, bars and crosses, 28 × 28), so nothing is downloaded. It writes a PNG grid of the
// generator's samples for the fixed seed before and after training (dcgan-samples-*.png).
// Run: node examples/dcgan.mjs             (fast: 2 epochs of 384 images, 24 steps of batch 32, ~20 s: a smoke
//                                           run; the samples are still noise)
//      node examples/dcgan.mjs --epochs=40 (960 steps, ~15 min on one core: rings, bars and crosses appear)
//      node examples/dcgan.mjs --full      (the tutorial's length: 50 epochs of 60,000 images, batch 256; many hours)
// Images go to examples/output/.
import { tensor, randomNormal, tidy, dispose } from 'gradtape';
import { makeDcgan, noise_dim } from './dcgan-model.mjs';
import { shapeImages } from './shapes.mjs';
import { writeGridPng, numberFlag, OUTPUT_DIR } from './png.mjs';
import { pathToFileURL } from 'node:url';

export async function main({ full = process.argv.includes('--full'), log = console.log, outDir = OUTPUT_DIR } = {}) {
  // ---- the data ----
  // (train_images, train_labels), (_, _) = tf.keras.datasets.mnist.load_data()
  // train_images = train_images.reshape(train_images.shape[0], 28, 28, 1).astype('float32')
  // train_images = (train_images - 127.5) / 127.5  # Normalize the images to [-1, 1]
  // BUFFER_SIZE = 60000
  // BATCH_SIZE = 256
  const BUFFER_SIZE = numberFlag('images', full ? 60000 : 384), BATCH_SIZE = full ? 256 : 32, EPOCHS = numberFlag('epochs', full ? 50 : 2);
  const pixels = shapeImages(BUFFER_SIZE, 7).map(v => v * 2 - 1);
  // train_dataset = tf.data.Dataset.from_tensor_slices(train_images).shuffle(BUFFER_SIZE).batch(BATCH_SIZE)
  const batches = Math.floor(BUFFER_SIZE / BATCH_SIZE); // (whole batches: a last partial batch would change BatchNormalization's statistics)
  const batchAt = (b) => tensor(pixels.subarray(b * BATCH_SIZE * 784, (b + 1) * BATCH_SIZE * 784), [BATCH_SIZE, 28, 28, 1]);

  // generator = make_generator_model(); discriminator = make_discriminator_model()
  // (the models, losses, optimizers and train_step: examples/dcgan-model.mjs)
  const { generator, discriminator, train_step } = makeDcgan(BATCH_SIZE);
  log(generator.summary());
  log(discriminator.summary());

  // num_examples_to_generate = 16
  // seed = tf.random.normal([num_examples_to_generate, noise_dim])
  const num_examples_to_generate = 16;
  const seed = randomNormal([num_examples_to_generate, noise_dim], { seed: 2024 });

  // def generate_and_save_images(model, epoch, test_input):
  //   predictions = model(test_input, training=False)
  //   ... plt.imshow(predictions[i, :, :, 0] * 127.5 + 127.5, cmap='gray') ... plt.savefig(...)
  const generate_and_save_images = (model, label, test_input) => tidy(() => {
    const predictions = model.apply(test_input, { training: false });
    return writeGridPng(`${outDir}/dcgan-samples-${label}.png`, predictions.data(), num_examples_to_generate, 28, { lo: -1, hi: 1 });
  });

  // ---- training ----
  // def train(dataset, epochs):
  //   for epoch in range(epochs):
  //     for image_batch in dataset:
  //       train_step(image_batch)
  //     generate_and_save_images(generator, epoch + 1, seed)
  log('wrote', generate_and_save_images(generator, 'untrained', seed));
  const history = [];
  const started = performance.now();
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    let gen = 0, disc = 0;
    for (let b = 0; b < batches; b++) {
      const images = batchAt(b);
      const losses = train_step(images);
      images.dispose();
      gen += losses.gen; disc += losses.disc;
    }
    history.push({ gen: gen / batches, disc: disc / batches });
    log(`epoch ${epoch + 1}: generator loss ${(gen / batches).toFixed(4)}, discriminator loss ${(disc / batches).toFixed(4)}  (${((performance.now() - started) / 1000 / (epoch + 1) / batches * 1000).toFixed(0)} ms a step)`);
  }
  log('wrote', generate_and_save_images(generator, 'trained', seed));
  const last = history[history.length - 1];
  dispose([seed]);
  generator.dispose(); discriminator.dispose();
  const msPerStep = (performance.now() - started) / (EPOCHS * batches);
  return {
    ok: Number.isFinite(last.gen) && Number.isFinite(last.disc),
    summary: `generator loss ${last.gen.toFixed(4)}, discriminator loss ${last.disc.toFixed(4)}, ${msPerStep.toFixed(0)} ms a step`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
