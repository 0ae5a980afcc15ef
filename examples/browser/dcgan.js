// TensorFlow's DCGAN tutorial training in the page (examples/dcgan-model.mjs: the tutorial's
// generator, discriminator and train_step), on the rings, bars and crosses of examples/shapes.mjs,
// drawing the generator's samples for 16 fixed noise vectors as it learns. It starts paused: a step
// (batch 16) takes a moment on one core. Query parameter ?gan=1 starts it at once.
// `window.__dcgan` lets tests drive it: step(n), render(), steps(), losses(), samples().
import { tensor, randomNormal, tidy } from 'gradtape';
import { makeDcgan, noise_dim } from '../dcgan-model.mjs';
import { shapeImages } from '../shapes.mjs';
import { trainButton } from './animate.js';

const BATCH = 16, IMAGES = 512, SAMPLES = 16, SCALE = 3;
const pixels = shapeImages(IMAGES, 7).map(v => v * 2 - 1);
const { generator, train_step } = makeDcgan(BATCH);
const fixedNoise = randomNormal([SAMPLES, noise_dim], { seed: 2024 });
const history = [];

function step(n = 1) {
  for (let i = 0; i < n; i++) {
    const b = history.length % (IMAGES / BATCH);
    const images = tensor(pixels.subarray(b * BATCH * 784, (b + 1) * BATCH * 784), [BATCH, 28, 28, 1]);
    history.push(train_step(images));
    images.dispose();
  }
  return history[history.length - 1];
}
const samples = () => tidy(() => generator.apply(fixedNoise, { training: false }).data());

const canvas = document.getElementById('gan');
const small = document.createElement('canvas');
small.width = small.height = 4 * 28;
function render() {
  const values = samples(), sctx = small.getContext('2d'), img = sctx.createImageData(4 * 28, 4 * 28);
  for (let s = 0; s < SAMPLES; s++) for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const v = Math.round(127.5 * (values[(s * 28 + y) * 28 + x] + 1));
    const at = 4 * (((Math.floor(s / 4) * 28 + y) * 4 * 28) + (s % 4) * 28 + x);
    img.data[at] = img.data[at + 1] = img.data[at + 2] = v;
    img.data[at + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, 4 * 28 * SCALE, 4 * 28 * SCALE);
  const last = history[history.length - 1];
  document.getElementById('gan-stats').textContent = last
    ? `step ${history.length} · generator loss ${last.gen.toFixed(3)} · discriminator loss ${last.disc.toFixed(3)}`
    : 'untrained generator (press Train)';
}

const setRunning = trainButton(document.getElementById('gan-toggle'), () => { step(1); render(); }, false);
render();
setRunning(new URLSearchParams(location.search).get('gan') === '1');

window.__dcgan = { ready: true, step, render, steps: () => history.length, losses: () => history.slice(), samples, pause: () => setRunning(false) };
