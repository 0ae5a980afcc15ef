// TF's generative tutorials rebuilt with gradtape/layers: the DCGAN generator and discriminator
// (tensorflow.org/tutorials/generative/dcgan) and the CVAE encoder and decoder
// (tensorflow.org/tutorials/generative/cvae). summary() must print Keras' output shapes and parameter
// counts; each count below is Keras' weight shapes multiplied out, layer by layer.
import { describe, it, expect } from 'vitest';
import { tape, tidy, memory, randomNormal, mean, square, adam, Tensor } from '../src/index.js';
import {
  Sequential, Dense, BatchNormalization, LeakyReLU, Reshape, Conv2DTranspose, Conv2D, Dropout, Flatten,
} from '../src/layers/index.js';

/** Rows of summary(): [name (type), output shape, params], and the three totals. */
function parse(text: string) {
  const lines = text.split('\n');
  const rows = lines.filter(l => /^\S+ \(\w+\)\s{2,}/.test(l) && !l.startsWith('Layer (type)')).map(l => l.trim().split(/\s{2,}/));
  const total = (what: string) => lines.find(l => l.startsWith(`${what} params: `))!.slice(`${what} params: `.length);
  return { rows, total: total('Total'), trainable: total('Trainable'), nonTrainable: total('Non-trainable') };
}

const generator = () => new Sequential([
  new Dense(7 * 7 * 256, { useBias: false, seed: 1 }),
  new BatchNormalization(),
  new LeakyReLU(),
  new Reshape([7, 7, 256]),
  new Conv2DTranspose(128, 5, { strides: 1, padding: 'same', useBias: false, seed: 2 }),
  new BatchNormalization(),
  new LeakyReLU(),
  new Conv2DTranspose(64, 5, { strides: 2, padding: 'same', useBias: false, seed: 3 }),
  new BatchNormalization(),
  new LeakyReLU(),
  new Conv2DTranspose(1, 5, { strides: 2, padding: 'same', useBias: false, activation: 'tanh', seed: 4 }),
], { name: 'generator' });

const discriminator = () => new Sequential([
  new Conv2D(64, 5, { strides: 2, padding: 'same', seed: 5 }),
  new LeakyReLU(),
  new Dropout(0.3, { seed: 6 }),
  new Conv2D(128, 5, { strides: 2, padding: 'same', seed: 7 }),
  new LeakyReLU(),
  new Dropout(0.3, { seed: 8 }),
  new Flatten(),
  new Dense(1, { seed: 9 }),
], { name: 'discriminator' });

describe("TF's DCGAN tutorial", () => {
  it('generator.summary() on input [1, 100]: 2,330,944 total, 2,305,472 trainable, 25,472 non-trainable', () => {
    const g = generator();
    g.build([1, 100]);
    const s = parse(g.summary());
    expect(s.rows.map(r => r.slice(1))).toEqual([
      ['(None, 12544)', '1,254,400'], // 100 * 12544, no bias
      ['(None, 12544)', '50,176'], // 4 * 12544: gamma, beta, moving mean and variance
      ['(None, 12544)', '0'],
      ['(None, 7, 7, 256)', '0'],
      ['(None, 7, 7, 128)', '819,200'], // 5 * 5 * 128 * 256
      ['(None, 7, 7, 128)', '512'],
      ['(None, 7, 7, 128)', '0'],
      ['(None, 14, 14, 64)', '204,800'], // 5 * 5 * 64 * 128
      ['(None, 14, 14, 64)', '256'],
      ['(None, 14, 14, 64)', '0'],
      ['(None, 28, 28, 1)', '1,600'], // 5 * 5 * 1 * 64
    ]);
    expect(s.rows[1][0]).toMatch(/^batch_normalization(_\d+)? \(BatchNormalization\)$/);
    expect(s.rows[2][0]).toMatch(/^leaky_re_lu(_\d+)? \(LeakyReLU\)$/); // Keras' snake case of LeakyReLU
    expect(s.rows[4][0]).toMatch(/^conv2d_transpose(_\d+)? \(Conv2DTranspose\)$/);
    expect([s.total, s.trainable, s.nonTrainable]).toEqual(['2,330,944', '2,305,472', '25,472']);
    g.dispose();
  });

  it('discriminator.summary() on [1, 28, 28, 1]: 212,865 parameters, all trainable', () => {
    const d = discriminator();
    d.build([1, 28, 28, 1]);
    const s = parse(d.summary());
    expect(s.rows.map(r => r.slice(1))).toEqual([
      ['(None, 14, 14, 64)', '1,664'], // 5 * 5 * 1 * 64 + 64
      ['(None, 14, 14, 64)', '0'], ['(None, 14, 14, 64)', '0'],
      ['(None, 7, 7, 128)', '204,928'], // 5 * 5 * 64 * 128 + 128
      ['(None, 7, 7, 128)', '0'], ['(None, 7, 7, 128)', '0'],
      ['(None, 6272)', '0'],
      ['(None, 1)', '6,273'], // 6272 + 1
    ]);
    expect([s.total, s.trainable, s.nonTrainable]).toEqual(['212,865', '212,865', '0']);
    d.dispose();
  });

  it("the tutorial's train_step: shapes, every variable gets a gradient, the moving statistics move, nothing leaks", () => {
    const g = generator(), d = discriminator();
    const noise = randomNormal([2, 100], { seed: 10 });
    const genOpt = adam(1e-4), discOpt = adam(1e-4);
    const bn = g.layers[1] as BatchNormalization;
    g.build([2, 100]);
    d.build([2, 28, 28, 1]);
    const step = () => tidy(() => {
      const t = tape(() => {
        const images = g.apply(noise, { training: true });
        expect(images.shape).toEqual([2, 28, 28, 1]);
        const fake = d.apply(images, { training: true });
        expect(fake.shape).toEqual([2, 1]);
        return { genLoss: mean(square(fake.sub(1))), discLoss: mean(square(fake)) };
      }, { persistent: true });
      const gGrads = t.gradient(t.result.genLoss, g.trainableVariables) as Tensor[];
      const dGrads = t.gradient(t.result.discLoss, d.trainableVariables) as Tensor[];
      expect(gGrads.length).toBe(10); // 4 kernels + 3 x (gamma, beta)
      expect(dGrads.length).toBe(6);
      expect([...gGrads, ...dGrads].every(gr => gr !== null && gr.data().some(v => v !== 0) && gr.data().every(Number.isFinite))).toBe(true);
      genOpt.applyGradients(gGrads, g.trainableVariables);
      discOpt.applyGradients(dGrads, d.trainableVariables);
      t.dispose();
    });
    const moving0 = Array.from(bn.movingVariance!.data() as Float32Array);
    step();
    const moving1 = Array.from(bn.movingVariance!.data() as Float32Array);
    expect(moving1).not.toEqual(moving0);
    const after1 = memory().tensors; // the variables and the optimizers' slots now exist
    step();
    expect(memory().tensors).toBe(after1);
    expect(Array.from(bn.movingVariance!.data() as Float32Array)).not.toEqual(moving1);
    noise.dispose(); g.dispose(); d.dispose();
  });
});

describe("TF's CVAE tutorial (latent_dim = 2)", () => {
  it('encoder: 28,036 parameters; decoder: 41,953', () => {
    const encoder = new Sequential([
      new Conv2D(32, 3, { strides: 2, activation: 'relu' }),
      new Conv2D(64, 3, { strides: 2, activation: 'relu' }),
      new Flatten(),
      new Dense(2 + 2),
    ], { name: 'encoder' });
    encoder.build([1, 28, 28, 1]);
    const e = parse(encoder.summary());
    expect(e.rows.map(r => r.slice(1))).toEqual([
      ['(None, 13, 13, 32)', '320'], // 3 * 3 * 1 * 32 + 32
      ['(None, 6, 6, 64)', '18,496'], // 3 * 3 * 32 * 64 + 64
      ['(None, 2304)', '0'],
      ['(None, 4)', '9,220'], // 2304 * 4 + 4
    ]);
    expect([e.total, e.trainable, e.nonTrainable]).toEqual(['28,036', '28,036', '0']);
    const decoder = new Sequential([
      new Dense(7 * 7 * 32, { activation: 'relu' }),
      new Reshape([7, 7, 32]),
      new Conv2DTranspose(64, 3, { strides: 2, padding: 'same', activation: 'relu' }),
      new Conv2DTranspose(32, 3, { strides: 2, padding: 'same', activation: 'relu' }),
      new Conv2DTranspose(1, 3, { strides: 1, padding: 'same' }),
    ], { name: 'decoder' });
    decoder.build([1, 2]);
    const d = parse(decoder.summary());
    expect(d.rows.map(r => r.slice(1))).toEqual([
      ['(None, 1568)', '4,704'], // 2 * 1568 + 1568
      ['(None, 7, 7, 32)', '0'],
      ['(None, 14, 14, 64)', '18,496'], // 3 * 3 * 64 * 32 + 64
      ['(None, 28, 28, 32)', '18,464'], // 3 * 3 * 32 * 64 + 32
      ['(None, 28, 28, 1)', '289'], // 3 * 3 * 1 * 32 + 1
    ]);
    expect([d.total, d.trainable, d.nonTrainable]).toEqual(['41,953', '41,953', '0']);
    // the decoder runs: a latent batch to images
    const z = randomNormal([3, 2], { seed: 1 });
    const images = decoder.apply(z);
    expect(images.shape).toEqual([3, 28, 28, 1]);
    [z, images].forEach(t => t.dispose());
    encoder.dispose(); decoder.dispose();
  });
});
