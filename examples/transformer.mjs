// A tiny Transformer, built from the pieces of TensorFlow's "Neural machine translation with a
// Transformer and Keras" tutorial (https://www.tensorflow.org/text/tutorials/transformer):
// positional_encoding, PositionalEmbedding, CausalSelfAttention, FeedForward, a decoder layer, the
// masked loss and accuracy and the warm-up learning-rate schedule, with the TF code beside each step.
// It is decoder-only (causal self-attention, no encoder or cross-attention), trained on a toy task:
// after a digit string and a separator, write the string reversed ("31415926|62951413"). Each answer
// digit must attend to one prompt position, which a causal model can only learn through attention;
// greedy decoding of held-out strings reaches near-perfect accuracy.
// Run: node examples/transformer.mjs              (fast: 600 steps, ~10 s)
//      node examples/transformer.mjs --steps=4000 (longer)
//      node examples/transformer.mjs --full       (the tutorial's width: d_model 128, dff 512, 4 layers, 8 heads)
import { pathToFileURL } from 'node:url';
import {
  tensor, tape, tidy, keep, dispose, mul, add, slice, sum, div, cast, notEqual, equal, argMax, sparseSoftmaxCrossEntropy, adam,
} from 'gradtape';
import { Module, Sequential, Embedding, MultiHeadAttention, LayerNormalization, Add, Dense, Dropout } from 'gradtape/layers';
import { numberFlag } from './png.mjs';
import { prng } from './prng.mjs';

// The task's tokens: 0 pads (and marks label positions the loss skips), digits are 1..10, 11 separates.
const PAD = 0, SEP = 11, VOCAB = 12;

// def positional_encoding(length, depth):
//   depth = depth/2
//   positions = np.arange(length)[:, np.newaxis]     # (seq, 1)
//   depths = np.arange(depth)[np.newaxis, :]/depth   # (1, depth)
//   angle_rates = 1 / (10000**depths)         # (1, depth)
//   angle_rads = positions * angle_rates      # (pos, depth)
//   pos_encoding = np.concatenate([np.sin(angle_rads), np.cos(angle_rads)], axis=-1)
//   return tf.cast(pos_encoding, dtype=tf.float32)
function positional_encoding(length, depth) {
  const half = depth / 2, values = new Float32Array(length * depth);
  for (let pos = 0; pos < length; pos++) for (let i = 0; i < half; i++) {
    const angle = pos / 10000 ** (i / half);
    values[pos * depth + i] = Math.sin(angle);
    values[pos * depth + half + i] = Math.cos(angle);
  }
  return tensor(values, [length, depth]);
}

// class PositionalEmbedding(tf.keras.layers.Layer):
//   def __init__(self, vocab_size, d_model):
//     super().__init__()
//     self.d_model = d_model
//     self.embedding = tf.keras.layers.Embedding(vocab_size, d_model, mask_zero=True)
//     self.pos_encoding = positional_encoding(length=2048, depth=d_model)
//   def call(self, x):
//     length = tf.shape(x)[1]
//     x = self.embedding(x)
//     # This factor sets the relative scale of the embedding and positonal_encoding.
//     x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
//     x = x + self.pos_encoding[tf.newaxis, :length, :]
//     return x
// (no mask_zero: the toy task has no padding inside a sequence, and gradtape's layers pass no implicit masks)
class PositionalEmbedding extends Module {
  constructor(vocab_size, d_model, seed) {
    super('positional_embedding');
    this.d_model = d_model;
    this.embedding = new Embedding(vocab_size, d_model, { seed });
    this.pos_encoding = keep(positional_encoding(64, d_model)); // (a constant: not a variable)
  }
  call(x) {
    const length = x.shape[1];
    let y = this.embedding.apply(x);
    y = mul(y, Math.sqrt(this.d_model));
    return add(y, slice(this.pos_encoding, [0, 0], [length, this.d_model]));
  }
}

// class BaseAttention(tf.keras.layers.Layer):
//   def __init__(self, **kwargs):
//     super().__init__()
//     self.mha = tf.keras.layers.MultiHeadAttention(**kwargs)
//     self.layernorm = tf.keras.layers.LayerNormalization()
//     self.add = tf.keras.layers.Add()
// class CausalSelfAttention(BaseAttention):
//   def call(self, x):
//     attn_output = self.mha(query=x, value=x, key=x, use_causal_mask = True)
//     x = self.add([x, attn_output])
//     x = self.layernorm(x)
//     return x
class CausalSelfAttention extends Module {
  constructor(options, seed) {
    super('causal_self_attention');
    this.mha = new MultiHeadAttention({ ...options, seed });
    this.layernorm = new LayerNormalization();
    this.add = new Add();
  }
  call(x, training) {
    const attn_output = this.mha.apply(x, x, x, { useCausalMask: true, training });
    return this.layernorm.apply(this.add.apply([x, attn_output]));
  }
}

// class FeedForward(tf.keras.layers.Layer):
//   def __init__(self, d_model, dff, dropout_rate=0.1):
//     super().__init__()
//     self.seq = tf.keras.Sequential([
//       tf.keras.layers.Dense(dff, activation='relu'),
//       tf.keras.layers.Dense(d_model),
//       tf.keras.layers.Dropout(dropout_rate)
//     ])
//     self.add = tf.keras.layers.Add()
//     self.layer_norm = tf.keras.layers.LayerNormalization()
//   def call(self, x):
//     x = self.add([x, self.seq(x)])
//     x = self.layer_norm(x)
//     return x
class FeedForward extends Module {
  constructor(d_model, dff, dropout_rate, seed) {
    super('feed_forward');
    this.seq = new Sequential([
      new Dense(dff, { activation: 'relu', seed }),
      new Dense(d_model, { seed: seed + 1 }),
      new Dropout(dropout_rate, { seed: seed + 2 }),
    ]);
    this.add = new Add();
    this.layer_norm = new LayerNormalization();
  }
  call(x, training) { return this.layer_norm.apply(this.add.apply([x, this.seq.apply(x, { training })])); }
}

// class DecoderLayer(tf.keras.layers.Layer):
//   def __init__(self, *, d_model, num_heads, dff, dropout_rate=0.1):
//     super(DecoderLayer, self).__init__()
//     self.causal_self_attention = CausalSelfAttention(num_heads=num_heads, key_dim=d_model, dropout=dropout_rate)
//     self.cross_attention = CrossAttention(...)          (decoder-only here: no cross-attention)
//     self.ffn = FeedForward(d_model, dff)
//   def call(self, x, context):
//     x = self.causal_self_attention(x=x)
//     x = self.ffn(x)
//     return x
// (key_dim = d_model / num_heads here, the usual split of the model width over the heads)
class DecoderLayer extends Module {
  constructor({ d_model, num_heads, dff, dropout_rate = 0.1 }, seed) {
    super('decoder_layer');
    this.causal_self_attention = new CausalSelfAttention({ numHeads: num_heads, keyDim: d_model / num_heads, dropout: dropout_rate }, seed);
    this.ffn = new FeedForward(d_model, dff, dropout_rate, seed + 1);
  }
  call(x, training) { return this.ffn.call(this.causal_self_attention.call(x, training), training); }
}

// The model: PositionalEmbedding → num_layers DecoderLayers → Dense(vocab) logits, as the tutorial's
// Decoder and final_layer (its Transformer class) without the encoder.
class TinyTransformer extends Module {
  constructor({ num_layers, d_model, num_heads, dff, vocab_size, dropout_rate = 0.1 }) {
    super('tiny_transformer');
    this.pos_embedding = new PositionalEmbedding(vocab_size, d_model, 1);
    this.dec_layers = Array.from({ length: num_layers }, (_, i) => new DecoderLayer({ d_model, num_heads, dff, dropout_rate }, 10 * (i + 1)));
    this.final_layer = new Dense(vocab_size, { seed: 99 });
  }
  call(x, training = false) {
    let y = this.pos_embedding.call(x);
    for (const layer of this.dec_layers) y = layer.call(y, training);
    return this.final_layer.apply(y);
  }
  dispose() { super.dispose(); this.pos_embedding.pos_encoding.dispose(); }
}

// def masked_loss(label, pred):
//   mask = label != 0
//   loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction='none')
//   loss = loss_object(label, pred)
//   mask = tf.cast(mask, dtype=loss.dtype)
//   loss *= mask
//   loss = tf.reduce_sum(loss)/tf.reduce_sum(mask)
//   return loss
function masked_loss(label, pred) {
  const mask = cast(notEqual(label, 0), 'float32');
  const loss = mul(sparseSoftmaxCrossEntropy(label, pred), mask);
  return div(sum(loss), sum(mask));
}
// def masked_accuracy(label, pred):
//   pred = tf.argmax(pred, axis=2)
//   label = tf.cast(label, pred.dtype)
//   match = label == pred
//   mask = label != 0
//   match = match & mask
//   match = tf.cast(match, dtype=tf.float32)
//   mask = tf.cast(mask, dtype=tf.float32)
//   return tf.reduce_sum(match)/tf.reduce_sum(mask)
function masked_accuracy(label, pred) {
  const mask = cast(notEqual(label, 0), 'float32');
  const match = mul(cast(equal(label, argMax(pred, 2)), 'float32'), mask);
  return div(sum(match), sum(mask));
}

// class CustomSchedule(tf.keras.optimizers.schedules.LearningRateSchedule):
//   def __init__(self, d_model, warmup_steps=4000): ...
//   def __call__(self, step):
//     step = tf.cast(step, dtype=tf.float32)
//     arg1 = tf.math.rsqrt(step)
//     arg2 = step * (self.warmup_steps ** -1.5)
//     return tf.math.rsqrt(self.d_model) * tf.math.minimum(arg1, arg2)
const CustomSchedule = (d_model, warmup_steps) => (step) => Math.min(step ** -0.5, step * warmup_steps ** -1.5) / Math.sqrt(d_model);

/** A batch of the task: inputs [batch, 2n] and labels [batch, 2n] (0 where the prompt is predicted). */
function reversalBatch(batch, n, random) {
  const inputs = new Int32Array(batch * 2 * n), labels = new Int32Array(batch * 2 * n), prompts = [];
  for (let b = 0; b < batch; b++) {
    const digits = Array.from({ length: n }, () => 1 + Math.floor(random() * 10));
    const sequence = [...digits, SEP, ...digits.slice().reverse()];
    prompts.push(digits);
    for (let i = 0; i < 2 * n; i++) {
      inputs[b * 2 * n + i] = sequence[i];
      labels[b * 2 * n + i] = i < n ? PAD : sequence[i + 1];
    }
  }
  return { inputs: tensor(inputs, [batch, 2 * n], 'int32'), labels: tensor(labels, [batch, 2 * n], 'int32'), prompts };
}

/** Greedy decoding: each prompt and the separator, then n tokens, each the argmax of the last position. */
function reverseGreedy(model, prompts, n) {
  const rows = prompts.map(p => [...p, SEP]);
  for (let step = 0; step < n; step++) {
    const next = tidy(() => {
      const logits = model.call(tensor(rows.flat(), [rows.length, rows[0].length], 'int32'));
      const [batch, time, classes] = logits.shape;
      return argMax(slice(logits, [0, time - 1, 0], [batch, 1, classes]), 2).data();
    });
    rows.forEach((row, b) => row.push(next[b]));
  }
  return rows.map(row => row.slice(n + 1));
}

export async function main({ full = process.argv.includes('--full'), log: print = console.log } = {}) {
  // num_layers = 4; d_model = 128; dff = 512; num_heads = 8; dropout_rate = 0.1
  const n = 8, hyper = full
    ? { num_layers: 4, d_model: 128, dff: 512, num_heads: 8, dropout_rate: 0.1 }
    : { num_layers: 2, d_model: 64, dff: 128, num_heads: 4, dropout_rate: 0.0 };
  const model = new TinyTransformer({ ...hyper, vocab_size: VOCAB });
  // learning_rate = CustomSchedule(d_model)
  // optimizer = tf.keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.98, epsilon=1e-9)
  const learning_rate = CustomSchedule(hyper.d_model, 200);
  const optimizer = adam(learning_rate(1), { beta1: 0.9, beta2: 0.98, epsilon: 1e-9 });
  const steps = numberFlag('steps', full ? 6000 : 600), batch = 64, random = prng(17);

  const test = reversalBatch(512, n, prng(4242));
  const exactMatch = () => {
    const answers = reverseGreedy(model, test.prompts, n);
    return answers.filter((a, b) => a.every((t, i) => t === test.prompts[b][n - 1 - i])).length / answers.length;
  };
  const show = (digits) => digits.map(t => (t === SEP ? '|' : String(t - 1))).join('');
  const before = exactMatch();
  print(`before training: ${(before * 100).toFixed(1)}% of 512 held-out strings reversed exactly`);

  let firstLoss, loss, accuracy;
  const started = performance.now();
  for (let step = 1; step <= steps; step++) {
    optimizer.learningRate = learning_rate(step);
    const { inputs, labels } = reversalBatch(batch, n, random);
    [loss, accuracy] = tidy(() => {
      // with tf.GradientTape() as tape:
      //   logits = model(inputs, training=True)
      //   loss = masked_loss(labels, logits)
      // grads = tape.gradient(loss, model.trainable_variables)
      // optimizer.apply_gradients(zip(grads, model.trainable_variables))
      let logits;
      const t = tape(() => masked_loss(labels, logits = model.call(inputs, true)));
      const grads = t.gradient(t.result, model.trainableVariables);
      optimizer.applyGradients(grads, model.trainableVariables);
      return [t.result.item(), masked_accuracy(labels, logits).item()];
    });
    dispose([inputs, labels]);
    firstLoss ??= loss;
    if (step % 200 === 0 || step === 1) print(`step ${step}: masked loss ${loss.toFixed(4)}, masked accuracy ${(accuracy * 100).toFixed(1)}%`);
  }
  print(`${steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const after = exactMatch();
  const [sample] = reverseGreedy(model, test.prompts.slice(0, 1), n);
  print(`after training: ${(after * 100).toFixed(1)}% of 512 held-out strings reversed exactly; e.g. ${show([...test.prompts[0], SEP])}${show(sample)}`);
  dispose([test.inputs, test.labels]);
  model.dispose();
  return { ok: after >= 0.95 && loss < firstLoss, summary: `masked loss ${firstLoss.toFixed(3)} -> ${loss.toFixed(3)}, held-out exact reversals ${(before * 100).toFixed(1)}% -> ${(after * 100).toFixed(1)}%` };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
