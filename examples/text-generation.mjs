// TensorFlow's "Text generation with an RNN" tutorial
// (https://www.tensorflow.org/text/tutorials/text_generation), step by step with gradtape and
// gradtape/layers, trained with its custom GradientTape train_step; the TF code is in the comments
// beside each step (the model, train_step and sampler are in text-generation-model.mjs).
// The tutorial reads Shakespeare; here the text comes from a small grammar (examples/corpus.mjs), so
// nothing is downloaded and it is easy to see what was learnt: samples are printed before and after
// training, with the share of their words that the grammar uses.
// Run: node examples/text-generation.mjs            (fast: a small model, ~12 s)
//      node examples/text-generation.mjs --epochs=10 (longer, same model)
//      node examples/text-generation.mjs --full     (the tutorial's sizes: Embedding(65, 256), GRU(1024),
//                                                     sequences of 100, batches of 64: minutes per epoch)
import { pathToFileURL } from 'node:url';
import { dispose } from 'gradtape';
import { makeCorpus, knownWordShare } from './corpus.mjs';
import { makeVocabulary, MyModel, makeTrainStep, OneStep, batches } from './text-generation-model.mjs';
import { numberFlag } from './png.mjs';
import { prng } from './prng.mjs';

export async function main({ full = process.argv.includes('--full'), log: print = console.log } = {}) {
  // path_to_file = tf.keras.utils.get_file('shakespeare.txt', ...)
  // text = open(path_to_file, 'rb').read().decode(encoding='utf-8')
  const text = makeCorpus(full ? 1_000_000 : 60_000, 3);
  print(`Length of text: ${text.length} characters`);
  print(text.slice(0, 250));
  const vocabulary = makeVocabulary(text);
  print(`${vocabulary.size - 1} unique characters`);
  // all_ids = ids_from_chars(tf.strings.unicode_split(text, 'UTF-8'))
  const all_ids = vocabulary.ids_from_chars(text);

  // seq_length = 100; BATCH_SIZE = 64
  // vocab_size = len(ids_from_chars.get_vocabulary()); embedding_dim = 256; rnn_units = 1024
  const seq_length = full ? 100 : 48, BATCH_SIZE = full ? 64 : 32;
  const vocab_size = vocabulary.size, embedding_dim = full ? 256 : 32, rnn_units = full ? 1024 : 192;
  // model = MyModel(vocab_size=vocab_size, embedding_dim=embedding_dim, rnn_units=rnn_units)
  const model = new MyModel(vocab_size, embedding_dim, rnn_units);
  const train_step = makeTrainStep(model, full ? 0.001 : 0.005);

  // sampled_indices = tf.random.categorical(example_batch_predictions[0], num_samples=1)
  // (here through the tutorial's OneStep sampler, from the untrained model)
  const sample = (label, seed) => {
    const one_step_model = new OneStep(model, vocabulary, 1.0, seed);
    const result = one_step_model.generate('The ', full ? 1000 : 300);
    one_step_model.dispose();
    const share = knownWordShare(result);
    print(`\n--- ${label} (${(share * 100).toFixed(0)}% of the words are the grammar's) ---\n${result}\n`);
    return share;
  };
  const before = sample('sample before training', 11);
  // model.summary()   (once a call has built the model, as in the tutorial; with --full the GRU has the
  // tutorial's 3,938,304 parameters, the embedding and dense layers fewer than its 16,640 and 66,625:
  // this text has 30 characters, Shakespeare's 65)
  for (const name of ['embedding', 'gru', 'dense']) print(`${name.padEnd(10)} params ${model[name].countParams().toLocaleString('en-US')}`);
  print(`total params: ${model.countParams().toLocaleString('en-US')}`);

  // EPOCHS = 10
  // mean = tf.metrics.Mean()
  // for epoch in range(EPOCHS):
  //     start = time.time()
  //     mean.reset_states()
  //     for (batch_n, (inp, target)) in enumerate(dataset):
  //         logs = model.train_step([inp, target])
  //         mean.update_state(logs['loss'])
  //         if batch_n % 50 == 0:
  //             template = f"Epoch {epoch+1} Batch {batch_n} Loss {logs['loss']:.4f}"
  //             print(template)
  //     print(f'Epoch {epoch+1} Loss: {mean.result().numpy():.4f}')
  //     print(f'Time taken for 1 epoch {time.time() - start:.2f} sec')
  const EPOCHS = numberFlag('epochs', full ? 10 : 5), random = prng(5);
  let firstLoss, lastMean;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const start = performance.now();
    let total = 0, count = 0;
    let batch_n = 0;
    for (const [inp, target] of batches(all_ids, seq_length, BATCH_SIZE, random)) {
      const logs = train_step(inp, target);
      dispose([inp, target]);
      firstLoss ??= logs.loss;
      total += logs.loss; count++;
      if (batch_n % 50 === 0) print(`Epoch ${epoch + 1} Batch ${batch_n} Loss ${logs.loss.toFixed(4)}`);
      batch_n++;
    }
    lastMean = total / count;
    print(`Epoch ${epoch + 1} Loss: ${lastMean.toFixed(4)}`);
    print(`Time taken for 1 epoch ${((performance.now() - start) / 1000).toFixed(2)} sec`);
  }
  const after = sample('sample after training', 12);
  model.dispose();
  const ok = lastMean < firstLoss && after >= 0.8 && after > before;
  return {
    ok,
    summary: `loss ${firstLoss.toFixed(3)} -> ${lastMean.toFixed(3)}, grammar's words in samples ${(before * 100).toFixed(0)}% -> ${(after * 100).toFixed(0)}%`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
