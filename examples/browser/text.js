// TensorFlow's text-generation tutorial in the page (examples/text-generation-model.mjs: the
// tutorial's Embedding → GRU → Dense model, train_step and OneStep sampler), on sentences from the
// small grammar of examples/corpus.mjs, showing a sample of generated text as it learns. It starts
// paused; ?text=1 starts it at once. `window.__text` lets tests drive it: step(n), sample(length),
// steps(), losses().
import { dispose } from 'gradtape';
import { makeCorpus, knownWordShare } from '../corpus.mjs';
import { makeVocabulary, MyModel, makeTrainStep, OneStep, batches } from '../text-generation-model.mjs';
import { prng } from '../prng.mjs';
import { trainButton } from './animate.js';

const SEQ = 40, BATCH = 16;
const text = makeCorpus(20_000, 3), vocabulary = makeVocabulary(text), all_ids = vocabulary.ids_from_chars(text);
const model = new MyModel(vocabulary.size, 16, 96);
const train_step = makeTrainStep(model, 0.01);
const random = prng(5), losses = [];
let data = batches(all_ids, SEQ, BATCH, random), sampleSeed = 100;

function step(n = 1) {
  for (let i = 0; i < n; i++) {
    let next = data.next();
    if (next.done) { data = batches(all_ids, SEQ, BATCH, random); next = data.next(); }
    const [inp, target] = next.value;
    losses.push(train_step(inp, target).loss);
    dispose([inp, target]);
  }
  return losses[losses.length - 1];
}
function sample(length = 160) {
  const one_step_model = new OneStep(model, vocabulary, 1.0, sampleSeed++);
  const result = one_step_model.generate('The ', length);
  one_step_model.dispose();
  return result;
}

const out = document.getElementById('text-sample'), stats = document.getElementById('text-stats');
function render() {
  const result = sample();
  out.textContent = result;
  const last = losses[losses.length - 1];
  stats.textContent = last === undefined
    ? 'untrained model (press Train)'
    : `step ${losses.length} · loss ${last.toFixed(3)} · ${Math.round(knownWordShare(result) * 100)}% of the sample's words are the grammar's`;
}

let frames = 0;
const setRunning = trainButton(document.getElementById('text-toggle'), () => {
  step(1);
  if (++frames % 10 === 0) render(); // (a sample is 160 small steps: not every frame)
}, false);
render();
setRunning(new URLSearchParams(location.search).get('text') === '1');

window.__text = { ready: true, step, sample, render, steps: () => losses.length, losses: () => losses.slice(), pause: () => setRunning(false) };
