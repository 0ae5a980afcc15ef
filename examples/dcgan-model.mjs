// The model and training step of TensorFlow's DCGAN tutorial
// (https://www.tensorflow.org/tutorials/generative/dcgan), with the TF code beside each step: used by
// examples/dcgan.mjs (Node, writes PNGs) and by the browser demo (draws on a canvas). Browser-safe.
import { randomNormal, onesLike, zerosLike, mean, sigmoidCrossEntropy, adam, GradientTape, tidy } from 'gradtape';
import { Sequential, Dense, BatchNormalization, LeakyReLU, Reshape, Conv2DTranspose, Conv2D, Dropout, Flatten } from 'gradtape/layers';

export const noise_dim = 100;

/**
 * The tutorial's generator and discriminator, their losses and Adam optimizers, and train_step(images)
 * → { gen, disc } (the two losses). `BATCH_SIZE` images of 28 × 28 × 1 in [-1, 1] per step.
 */
export function makeDcgan(BATCH_SIZE) {
  // ---- the generator ----
  // def make_generator_model():
  //     model = tf.keras.Sequential()
  //     model.add(layers.Dense(7*7*256, use_bias=False, input_shape=(100,)))
  //     model.add(layers.BatchNormalization())
  //     model.add(layers.LeakyReLU())
  //     model.add(layers.Reshape((7, 7, 256)))
  //     model.add(layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding='same', use_bias=False))
  //     model.add(layers.BatchNormalization())
  //     model.add(layers.LeakyReLU())
  //     model.add(layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding='same', use_bias=False))
  //     model.add(layers.BatchNormalization())
  //     model.add(layers.LeakyReLU())
  //     model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same', use_bias=False, activation='tanh'))
  //     return model
  const generator = new Sequential([
    new Dense(7 * 7 * 256, { useBias: false, seed: 1 }),
    new BatchNormalization(),
    new LeakyReLU(),
    new Reshape([7, 7, 256]),
    new Conv2DTranspose(128, [5, 5], { strides: [1, 1], padding: 'same', useBias: false, seed: 2 }),
    new BatchNormalization(),
    new LeakyReLU(),
    new Conv2DTranspose(64, [5, 5], { strides: [2, 2], padding: 'same', useBias: false, seed: 3 }),
    new BatchNormalization(),
    new LeakyReLU(),
    new Conv2DTranspose(1, [5, 5], { strides: [2, 2], padding: 'same', useBias: false, activation: 'tanh', seed: 4 }),
  ], { name: 'generator' });
  generator.build([BATCH_SIZE, noise_dim]);

  // ---- the discriminator ----
  // def make_discriminator_model():
  //     model = tf.keras.Sequential()
  //     model.add(layers.Conv2D(64, (5, 5), strides=(2, 2), padding='same', input_shape=[28, 28, 1]))
  //     model.add(layers.LeakyReLU())
  //     model.add(layers.Dropout(0.3))
  //     model.add(layers.Conv2D(128, (5, 5), strides=(2, 2), padding='same'))
  //     model.add(layers.LeakyReLU())
  //     model.add(layers.Dropout(0.3))
  //     model.add(layers.Flatten())
  //     model.add(layers.Dense(1))
  //     return model
  const discriminator = new Sequential([
    new Conv2D(64, [5, 5], { strides: [2, 2], padding: 'same', seed: 5 }),
    new LeakyReLU(),
    new Dropout(0.3, { seed: 6 }),
    new Conv2D(128, [5, 5], { strides: [2, 2], padding: 'same', seed: 7 }),
    new LeakyReLU(),
    new Dropout(0.3, { seed: 8 }),
    new Flatten(),
    new Dense(1, { seed: 9 }),
  ], { name: 'discriminator' });
  discriminator.build([BATCH_SIZE, 28, 28, 1]);

  // ---- losses and optimizers ----
  // cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)
  const cross_entropy = (labels, logits) => mean(sigmoidCrossEntropy(labels, logits));
  // def discriminator_loss(real_output, fake_output):
  //     real_loss = cross_entropy(tf.ones_like(real_output), real_output)
  //     fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
  //     total_loss = real_loss + fake_loss
  //     return total_loss
  const discriminator_loss = (real_output, fake_output) =>
    cross_entropy(onesLike(real_output), real_output).add(cross_entropy(zerosLike(fake_output), fake_output));
  // def generator_loss(fake_output):
  //     return cross_entropy(tf.ones_like(fake_output), fake_output)
  const generator_loss = (fake_output) => cross_entropy(onesLike(fake_output), fake_output);
  // generator_optimizer = tf.keras.optimizers.Adam(1e-4)
  // discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)
  const generator_optimizer = adam(1e-4), discriminator_optimizer = adam(1e-4);

  // ---- the training step ----
  // @tf.function
  // def train_step(images):
  let step = 0;
  function train_step(images) {
    return tidy(() => {
      //   noise = tf.random.normal([BATCH_SIZE, noise_dim])
      const noise = randomNormal([BATCH_SIZE, noise_dim], { seed: 100 + step++ });
      //   with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
      const gen_tape = new GradientTape(), disc_tape = new GradientTape();
      gen_tape.record(() => disc_tape.record(() => {
        //     generated_images = generator(noise, training=True)
        const generated_images = generator.apply(noise, { training: true });
        //     real_output = discriminator(images, training=True)
        //     fake_output = discriminator(generated_images, training=True)
        const real_output = discriminator.apply(images, { training: true });
        const fake_output = discriminator.apply(generated_images, { training: true });
        //     gen_loss = generator_loss(fake_output)
        //     disc_loss = discriminator_loss(real_output, fake_output)
        return { gen_loss: generator_loss(fake_output), disc_loss: discriminator_loss(real_output, fake_output) };
      }));
      const { gen_loss, disc_loss } = disc_tape.result;
      //   gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
      //   gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
      const gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainableVariables);
      const gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainableVariables);
      //   generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
      //   discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator, discriminator.trainable_variables))
      generator_optimizer.applyGradients(gradients_of_generator, generator.trainableVariables);
      discriminator_optimizer.applyGradients(gradients_of_discriminator, discriminator.trainableVariables);
      gen_tape.dispose(); disc_tape.dispose();
      return { gen: gen_loss.item(), disc: disc_loss.item() };
    });
  }

  return { generator, discriminator, train_step, generator_optimizer, discriminator_optimizer };
}
