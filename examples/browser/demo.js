// Trains a small MLP on the two-spirals data set with gradtape, drawing the decision boundary and
// the loss curve as it learns. Query parameters: ?autoplay=0 (start paused), ?stepsPerFrame=N.
// `window.__demo` lets tests drive it: step(n), render(), loss(), accuracy(), steps(), losses(), threads().
import { adam, argMax, mean, softmax, softmaxCrossEntropy, tensor, threads, tidy } from 'gradtape';
import { Dense, Sequential } from 'gradtape/layers';
import { trainButton } from './animate.js';

const params = new URLSearchParams(location.search);
const STEPS_PER_FRAME = Number(params.get('stepsPerFrame')) || 3;
const POINTS_PER_CLASS = 100;
const TURNS = 1.25; // how far each spiral winds
const HIDDEN = 16;
const GRID = 60; // the boundary is evaluated on GRID x GRID points, then scaled up
const EXTENT = 1.2; // the plot spans [-EXTENT, EXTENT]^2

// A small seeded generator so every run (and every test) sees the same data.
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function twoSpirals(n, random) {
  const xy = new Float32Array(4 * n);
  const oneHot = new Float32Array(4 * n);
  const labels = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < n; i++) {
      const r = 0.1 + (0.9 * i) / n;
      const a = 2 * Math.PI * TURNS * (i / n) + c * Math.PI;
      const k = c * n + i;
      xy[2 * k] = r * Math.cos(a) + (random() - 0.5) * 0.06;
      xy[2 * k + 1] = r * Math.sin(a) + (random() - 0.5) * 0.06;
      oneHot[2 * k + c] = 1;
      labels.push(c);
    }
  }
  return { xy, oneHot, labels };
}

const random = mulberry32(7);
const data = twoSpirals(POINTS_PER_CLASS, random);
const X = tensor(data.xy, [2 * POINTS_PER_CLASS, 2]);
const Y = tensor(data.oneHot, [2 * POINTS_PER_CLASS, 2]);
const gridXY = new Float32Array(2 * GRID * GRID);
for (let r = 0; r < GRID; r++) {
  for (let c = 0; c < GRID; c++) {
    gridXY[2 * (r * GRID + c)] = ((c + 0.5) / GRID) * 2 * EXTENT - EXTENT;
    gridXY[2 * (r * GRID + c) + 1] = EXTENT - ((r + 0.5) / GRID) * 2 * EXTENT;
  }
}
const GRID_X = tensor(gridXY, [GRID * GRID, 2]);

let model;
let optimizer;
let history;

// Reset starts again from the same seeded weights (Keras' glorotUniform default, zero biases).
function reset() {
  model?.dispose();
  optimizer?.dispose();
  model = new Sequential([
    new Dense(HIDDEN, { activation: 'tanh', seed: 42 }),
    new Dense(HIDDEN, { activation: 'tanh', seed: 43 }),
    new Dense(2, { seed: 44 }),
  ], { name: 'spirals' });
  model.build([1, 2]);
  optimizer = adam(0.02);
  history = [];
}

const logits = (x) => model.apply(x);
const lossOf = () => mean(softmaxCrossEntropy(Y, logits(X)));

function step(n = 1) {
  for (let i = 0; i < n; i++) history.push(optimizer.minimize(lossOf, model.trainableVariables));
  return history[history.length - 1];
}

const currentLoss = () => tidy(() => lossOf().item());
const accuracy = () =>
  tidy(() => {
    const predicted = argMax(logits(X), 1).data();
    return data.labels.filter((label, i) => predicted[i] === label).length / data.labels.length;
  });

// Drawing
const boundary = document.getElementById('boundary');
const lossCanvas = document.getElementById('loss');
const small = document.createElement('canvas');
small.width = small.height = GRID;
const COLORS = [[245, 158, 66], [66, 135, 245]];

function drawBoundary() {
  const p1 = tidy(() => softmax(logits(GRID_X)).data()).filter((_, i) => i % 2 === 1);
  const sctx = small.getContext('2d');
  const img = sctx.createImageData(GRID, GRID);
  for (let i = 0; i < GRID * GRID; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const mixed = COLORS[0][ch] * (1 - p1[i]) + COLORS[1][ch] * p1[i];
      img.data[4 * i + ch] = 255 - 0.45 * (255 - mixed); // pale background
    }
    img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = boundary.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, boundary.width, boundary.height);
  const scale = boundary.width / (2 * EXTENT);
  for (let k = 0; k < data.labels.length; k++) {
    ctx.beginPath();
    ctx.arc((data.xy[2 * k] + EXTENT) * scale, (EXTENT - data.xy[2 * k + 1]) * scale, 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${COLORS[data.labels[k]].join(',')})`;
    ctx.fill();
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
}

function drawLoss() {
  const ctx = lossCanvas.getContext('2d');
  const { width: w, height: h } = lossCanvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#888';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(`loss (${history.length} steps)`, 8, 16);
  if (history.length < 2) return;
  const max = Math.max(...history);
  ctx.beginPath();
  history.forEach((l, i) => {
    const x = (i / (history.length - 1)) * (w - 16) + 8;
    const y = h - 8 - (l / max) * (h - 32);
    i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y);
  });
  ctx.strokeStyle = '#d33';
  ctx.lineWidth = 1.5;
  ctx.stroke();
}

const stats = document.getElementById('stats');
function render() {
  drawBoundary();
  drawLoss();
  const loss = history.length ? history[history.length - 1] : currentLoss();
  stats.textContent = `step ${history.length} · loss ${loss.toFixed(4)} · accuracy ${(100 * accuracy()).toFixed(1)}%`;
}

// Animation: a few training steps per frame.
const setRunning = trainButton(document.getElementById('toggle'), () => { step(STEPS_PER_FRAME); render(); }, false);
document.getElementById('reset').onclick = () => {
  reset();
  render();
};

// How many threads the kernels use: every core on a cross-origin-isolated page (serve.mjs sends the
// headers), else one (the page has no SharedArrayBuffer to share with workers).
document.getElementById('threads').textContent = crossOriginIsolated
  ? `Kernels use ${threads()} threads (navigator.hardwareConcurrency: ${navigator.hardwareConcurrency}): the page is cross-origin isolated.`
  : `Kernels use ${threads()} thread: the page is not cross-origin isolated (serve it with COOP same-origin and COEP require-corp, as npm run demo does, to use every core).`;

reset();
render();
setRunning(params.get('autoplay') !== '0');

window.__demo = {
  ready: true,
  step,
  render,
  loss: currentLoss,
  accuracy,
  steps: () => history.length,
  losses: () => history.slice(),
  pause: () => setRunning(false),
  threads,
};
