// The model, training step and sampler of TensorFlow's "Text generation with an RNN" tutorial
// (https://www.tensorflow.org/text/tutorials/text_generation), shared by examples/text-generation.mjs
// and the browser demo's text panel. The TF code of each step is in the comments beside it.
import { tensor, tape, tidy, keep, mean, div, add, slice, reshape, squeeze, sparseSoftmaxCrossEntropy, randomCategorical, adam } from 'gradtape';
import { Module, Embedding, GRU, Dense } from 'gradtape/layers';

/**
 * The character vocabulary, as the tutorial's StringLookup layers: id 0 is "[UNK]", then the
 * text's characters in sorted order.
 */
export function makeVocabulary(text) {
  // vocab = sorted(set(text))
  // ids_from_chars = tf.keras.layers.StringLookup(vocabulary=list(vocab), mask_token=None)
  // chars_from_ids = tf.keras.layers.StringLookup(vocabulary=ids_from_chars.get_vocabulary(), invert=True, mask_token=None)
  const vocab = [...new Set(text)].sort();
  const index = new Map(vocab.map((c, i) => [c, i + 1]));
  return {
    size: vocab.length + 1,
    ids_from_chars: (chars) => Int32Array.from(chars, c => index.get(c) ?? 0),
    chars_from_ids: (ids) => Array.from(ids, id => (id === 0 ? '[UNK]' : vocab[id - 1])).join(''),
  };
}

// class MyModel(tf.keras.Model):
//   def __init__(self, vocab_size, embedding_dim, rnn_units):
//     super().__init__(self)
//     self.embedding = tf.keras.layers.Embedding(vocab_size, embedding_dim)
//     self.gru = tf.keras.layers.GRU(rnn_units, return_sequences=True, return_state=True)
//     self.dense = tf.keras.layers.Dense(vocab_size)
export class MyModel extends Module {
  constructor(vocab_size, embedding_dim, rnn_units, seed = 1) {
    super('my_model');
    this.embedding = new Embedding(vocab_size, embedding_dim, { seed });
    this.gru = new GRU(rnn_units, { returnSequences: true, returnState: true, seed: seed + 1 });
    this.dense = new Dense(vocab_size, { seed: seed + 2 });
  }
  //   def call(self, inputs, states=None, return_state=False, training=False):
  //     x = inputs
  //     x = self.embedding(x, training=training)
  //     if states is None:
  //       states = self.gru.get_initial_state(x)
  //     x, states = self.gru(x, initial_state=states, training=training)
  //     x = self.dense(x, training=training)
  //     if return_state:
  //       return x, states
  //     else:
  //       return x
  // (gradtape's GRU starts from zeros, get_initial_state's value, when no initialState is given)
  call(inputs, states = undefined, return_state = false, training = false) {
    let x = inputs;
    x = this.embedding.apply(x, { training });
    [x, states] = this.gru.apply(x, { initialState: states, training });
    x = this.dense.apply(x, { training });
    return return_state ? [x, states] : x;
  }
}

/**
 * The tutorial's CustomTraining.train_step with its loss and optimizer: one step on a batch of
 * input and target ids (int32 `[batch, seq_length]`), returning the loss.
 */
export function makeTrainStep(model, learning_rate = 0.001) {
  // loss = tf.losses.SparseCategoricalCrossentropy(from_logits=True)
  // model.compile(optimizer = tf.keras.optimizers.Adam(), loss=loss)
  const loss = (labels, logits) => mean(sparseSoftmaxCrossEntropy(labels, logits));
  const optimizer = adam(learning_rate);
  //   @tf.function
  //   def train_step(self, inputs):
  //       inputs, labels = inputs
  //       with tf.GradientTape() as tape:
  //           predictions = self(inputs, training=True)
  //           loss = self.loss(labels, predictions)
  //       grads = tape.gradient(loss, model.trainable_variables)
  //       self.optimizer.apply_gradients(zip(grads, model.trainable_variables))
  //       return {'loss': loss}
  return function train_step(inputs, labels) {
    return tidy(() => {
      const t = tape(() => loss(labels, model.call(inputs, undefined, false, true)));
      const grads = t.gradient(t.result, model.trainableVariables);
      optimizer.applyGradients(grads, model.trainableVariables);
      return { loss: t.result.item() };
    });
  };
}

// class OneStep(tf.keras.Model):
//   def __init__(self, model, chars_from_ids, ids_from_chars, temperature=1.0):
//     ...
//     # Create a mask to prevent "[UNK]" from being generated.
//     skip_ids = self.ids_from_chars(['[UNK]'])[:, None]
//     sparse_mask = tf.SparseTensor(values=[-float('inf')]*len(skip_ids), indices=skip_ids, dense_shape=[len(ids_from_chars.get_vocabulary())])
//     self.prediction_mask = tf.sparse.to_dense(sparse_mask)
export class OneStep {
  constructor(model, vocabulary, temperature = 1.0, seed = 7) {
    this.model = model;
    this.vocabulary = vocabulary;
    this.temperature = temperature;
    this.seed = seed;
    const mask = new Float32Array(vocabulary.size);
    mask[0] = -Infinity;
    this.prediction_mask = keep(tensor(mask));
  }
  //   @tf.function
  //   def generate_one_step(self, inputs, states=None):
  //     input_chars = tf.strings.unicode_split(inputs, 'UTF-8')
  //     input_ids = self.ids_from_chars(input_chars).to_tensor()
  //     predicted_logits, states = self.model(inputs=input_ids, states=states, return_state=True)
  //     predicted_logits = predicted_logits[:, -1, :]
  //     predicted_logits = predicted_logits/self.temperature
  //     predicted_logits = predicted_logits + self.prediction_mask
  //     predicted_ids = tf.random.categorical(predicted_logits, num_samples=1)
  //     predicted_ids = tf.squeeze(predicted_ids, axis=-1)
  //     predicted_chars = self.chars_from_ids(predicted_ids)
  //     return predicted_chars, states
  // (one string here; the states stay in wasm memory between steps, kept out of the tidy)
  generate_one_step(inputs, states = undefined) {
    return tidy(() => {
      const input_ids = tensor(this.vocabulary.ids_from_chars(inputs), [1, inputs.length], 'int32');
      let [predicted_logits, next] = this.model.call(input_ids, states, true);
      const [, time, classes] = predicted_logits.shape;
      predicted_logits = reshape(slice(predicted_logits, [0, time - 1, 0], [1, 1, classes]), [1, classes]);
      predicted_logits = div(predicted_logits, this.temperature);
      predicted_logits = add(predicted_logits, this.prediction_mask);
      const predicted_ids = squeeze(randomCategorical(predicted_logits, 1, { seed: this.seed++ }), -1);
      return [this.vocabulary.chars_from_ids(predicted_ids.data()), keep(next)];
    });
  }
  /** The tutorial's generation loop: `length` characters after `start`. */
  generate(start, length) {
    // states = None; next_char = tf.constant(['ROMEO:']); result = [next_char]
    // for n in range(1000):
    //   next_char, states = one_step_model.generate_one_step(next_char, states=states)
    //   result.append(next_char)
    let states, next_char = start, result = start;
    for (let n = 0; n < length; n++) {
      const [char, next] = this.generate_one_step(next_char, states);
      states?.dispose();
      states = next;
      next_char = char;
      result += char;
    }
    states?.dispose();
    return result;
  }
  dispose() { this.prediction_mask.dispose(); }
}

/**
 * The tutorial's dataset: the text's ids cut into sequences of seq_length + 1, split into input and
 * target (shifted by one), shuffled with `random` and batched; each batch as int32 tensors.
 */
export function* batches(all_ids, seq_length, batch_size, random) {
  // sequences = ids_dataset.batch(seq_length+1, drop_remainder=True)
  // def split_input_target(sequence):
  //     input_text = sequence[:-1]
  //     target_text = sequence[1:]
  //     return input_text, target_text
  // dataset = (dataset.shuffle(BUFFER_SIZE).batch(BATCH_SIZE, drop_remainder=True).prefetch(tf.data.experimental.AUTOTUNE))
  const count = Math.floor(all_ids.length / (seq_length + 1));
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  for (let b = 0; b + batch_size <= count; b += batch_size) {
    const inputs = new Int32Array(batch_size * seq_length), targets = new Int32Array(batch_size * seq_length);
    for (let r = 0; r < batch_size; r++) {
      const sequence = all_ids.subarray(order[b + r] * (seq_length + 1), (order[b + r] + 1) * (seq_length + 1));
      inputs.set(sequence.subarray(0, seq_length), r * seq_length);
      targets.set(sequence.subarray(1), r * seq_length);
    }
    yield [tensor(inputs, [batch_size, seq_length], 'int32'), tensor(targets, [batch_size, seq_length], 'int32')];
  }
}
