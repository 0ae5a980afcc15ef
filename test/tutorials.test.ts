// The pieces of two tutorial ports, which import the built package (dist/) like the other examples:
// examples/actor-critic.mjs (TF's actor-critic CartPole, with examples/cartpole.mjs) and
// examples/keras-training-loop.mjs (Keras' training loop from scratch, with examples/digits.mjs).
// Each is checked against a float64 computation written here from the formulas.
import { describe, it, expect, beforeAll } from 'vitest';

type Gradtape = typeof import('gradtape');
type Tensor = InstanceType<Gradtape['Tensor']>;
/* eslint-disable @typescript-eslint/no-explicit-any -- the examples are untyped .mjs modules */
let gt: Gradtape, cartpole: any, ac: any, keras: any, digits: any, prng: (seed: number) => () => number;
const load = (name: string) => import(`../examples/${name}.mjs`);
beforeAll(async () => {
  gt = await import('gradtape');
  [cartpole, digits, { prng }] = await Promise.all(['cartpole', 'digits', 'prng'].map(load));
});

const sumOf = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);

describe('CartPole-v1, examples/cartpole.mjs', () => {
  // The equations of motion (Barto, Sutton & Anderson 1983, as Gym's cartpole), with x'' written in
  // the combined form: θ'' = (g sinθ − cosθ (F + m l θ'² sinθ)/M) / (l (4/3 − m cos²θ / M)),
  // x'' = (F + m l (θ'² sinθ − θ'' cosθ)) / M, M = cart + pole mass, l the half-length; Euler steps of 0.02 s.
  const euler = ([x, v, th, w]: number[], action: number) => {
    const g = 9.8, m = 0.1, M = 1.1, l = 0.5, F = action === 1 ? 10 : -10, tau = 0.02;
    const thAcc = (g * Math.sin(th) - Math.cos(th) * (F + m * l * w * w * Math.sin(th)) / M) / (l * (4 / 3 - m * Math.cos(th) ** 2 / M));
    const xAcc = (F + m * l * (w * w * Math.sin(th) - thAcc * Math.cos(th))) / M;
    return [x + tau * v, v + tau * xAcc, th + tau * w, w + tau * thAcc];
  };

  it('from rest, a push to the right gives the hand-computed accelerations', () => {
    // θ'' = −(10/1.1) / (0.5 (4/3 − 0.1/1.1)) = −600/41, x'' = 10/1.1 + 0.05 · (600/41) / 1.1 = 400/41
    const [x, v, th, w] = cartpole.cartPoleStep([0, 0, 0, 0], 1);
    expect([x, th]).toEqual([0, 0]); // Euler: positions move with the old velocities
    expect(v).toBeCloseTo(0.02 * 400 / 41, 14);
    expect(w).toBeCloseTo(-0.02 * 600 / 41, 14);
    const [x2, v2, th2] = cartpole.cartPoleStep([x, v, th, w], 0); // then a push to the left
    expect(x2).toBeCloseTo(0.02 * v, 15);
    expect(th2).toBeCloseTo(0.02 * w, 15);
    expect(v2).toBeLessThan(v);
  });

  it('agrees with the equations over 200 steps from tilted states, and ends episodes at 12° or ±2.4', () => {
    const random = prng(4);
    let ref = [0.3, -0.5, 0.15, 0.8];
    let state = [...ref];
    for (let i = 0; i < 200; i++) {
      const action = random() < 0.5 ? 0 : 1;
      ref = euler(ref, action);
      state = cartpole.cartPoleStep(state, action);
      for (let k = 0; k < 4; k++) expect(state[k]).toBeCloseTo(ref[k], 9);
    }
    // the environment: seeded resets in ±0.05, reward 1 on every step, terminated exactly when a limit is passed
    const env = new cartpole.CartPole(9), again = new cartpole.CartPole(9);
    const start = env.reset();
    expect(Array.from(again.reset())).toEqual(Array.from(start));
    for (const s of start) expect(Math.abs(s)).toBeLessThanOrEqual(0.05);
    let expected = Array.from(start, Number), steps = 0, r;
    do {
      r = env.step(1);
      expected = euler(expected, 1);
      steps++;
      expect(r.reward).toBe(1);
      expect(r.terminated).toBe(Math.abs(expected[0]) > 2.4 || Math.abs(expected[2]) > 12 * Math.PI / 180);
    } while (!r.terminated);
    expect(steps).toBeGreaterThan(5);
    expect(Math.abs(expected[2])).toBeGreaterThan(12 * Math.PI / 180);
    expect(() => env.step(2)).toThrow(/CartPole.step: action must be 0 or 1, got 2/);
  });

  it('cuts an episode at 500 steps (truncated, not terminated)', () => {
    const env = new cartpole.CartPole(1);
    let s = env.reset(), steps = 0, r;
    do { r = env.step(s[2] + 0.5 * s[3] > 0 ? 1 : 0); s = r.state; steps++; } while (!r.terminated && !r.truncated);
    expect([steps, r.truncated, r.terminated]).toEqual([500, true, false]);
  });
});

describe('actor-critic, examples/actor-critic.mjs', () => {
  beforeAll(async () => { ac = await load('actor-critic'); });
  // G_t = Σ_{k ≥ t} γ^(k − t) r_k by the definition (a double loop), then (G − mean) / (population std + eps)
  const returns64 = (rewards: number[], gamma: number, standardize: boolean) => {
    const G = rewards.map((_, t) => sumOf(rewards.slice(t).map((r, k) => gamma ** k * r)));
    if (!standardize) return G;
    const mean = sumOf(G) / G.length, std = Math.sqrt(sumOf(G.map(g => (g - mean) ** 2)) / G.length);
    return G.map(g => (g - mean) / (std + 2 ** -23));
  };

  it('get_expected_return equals the float64 discounted sums, raw and standardized', () => {
    const before = gt.memory().tensors;
    const random = prng(3);
    for (const rewards of [Array(150).fill(1), Array.from({ length: 40 }, () => Math.floor(random() * 4))]) {
      const raw = ac.get_expected_return(rewards, 0.99, false), standard = ac.get_expected_return(rewards, 0.99);
      const ref = returns64(rewards, 0.99, false), refStandard = returns64(rewards, 0.99, true);
      Array.from(raw.data() as Float32Array).forEach((g, t) => expect(Math.abs(g - ref[t])).toBeLessThanOrEqual(2e-7 * Math.abs(ref[t]) + 1e-6));
      Array.from(standard.data() as Float32Array).forEach((g, t) => expect(g).toBeCloseTo(refStandard[t], 5));
      gt.dispose([raw, standard]);
    }
    expect(gt.memory().tensors).toBe(before);
  });

  it('one training step changes every weight and lowers the loss on the episode it trained on', () => {
    const before = gt.memory().tensors;
    const model = new ac.ActorCritic(2, 128, 7), optimizer = gt.adam(0.01);
    // the same episode twice: same environment seed and action-sampling seeds, same weights
    const episode = () => {
      const env = new cartpole.CartPole(3), random = prng(11), inputs = [env.reset()], actions: number[] = [];
      const recording = { step: (a: number) => { actions.push(a); const r = env.step(a); inputs.push(r.state); return r; } };
      return { initial: inputs[0], env: recording, nextSeed: () => Math.floor(random() * 2 ** 31), inputs, actions };
    };
    const first = episode();
    const T = gt.tidy(() => ac.run_episode(first.initial, model, 500, first.env, first.nextSeed).rewards.length);
    const states = first.inputs.slice(0, T).map((s: Float32Array) => Array.from(s)), G = returns64(Array(T).fill(1), 0.99, true);
    // on those states and actions, in float64 from the model's outputs: the actor's −Σ log π(a|s)·(G − V)
    // and the critic's summed Huber loss (δ = 1)
    const losses = () => {
      const [logits, values] = gt.tidy(() => model.call(gt.tensor(states, [T, 4])).map((t: Tensor) => t.data()));
      let actor = 0, critic = 0;
      for (let t = 0; t < T; t++) {
        const [a, b] = [logits[2 * t], logits[2 * t + 1]], logP = (first.actions[t] === 0 ? a : b) - Math.max(a, b) - Math.log1p(Math.exp(-Math.abs(a - b)));
        const d = Math.abs(G[t] - values[t]);
        actor -= logP * (G[t] - values[t]);
        critic += d <= 1 ? 0.5 * d * d : d - 0.5;
      }
      return { actor, critic, total: actor + critic };
    };
    const weightsBefore = model.trainableVariables.map((v: Tensor) => Array.from(v.data()));
    const lossBefore = losses();
    expect(lossBefore.total).toBeCloseTo(gt.tidy(() => {
      const [logits, values] = model.call(gt.tensor(states, [T, 4]));
      const p = gt.gather(gt.reshape(gt.softmax(logits), [-1]), first.actions.map((a, t) => 2 * t + a));
      return ac.compute_loss(gt.expandDims(p, 1), values, gt.tensor(G.map(g => [g]))).item();
    }), 4); // the float64 loss is the example's compute_loss

    const second = episode();
    const { episode_reward, loss } = ac.train_step(second.initial, model, optimizer, 0.99, 500, second.env, second.nextSeed);
    expect(episode_reward).toBe(T); // the same episode was replayed
    expect(second.actions).toEqual(first.actions);
    expect(loss).toBeCloseTo(lossBefore.total, 4);
    model.trainableVariables.forEach((v: Tensor, i: number) => expect(Array.from(v.data())).not.toEqual(weightsBefore[i]));
    const lossAfter = losses();
    expect(lossAfter.total).toBeLessThan(lossBefore.total - 0.1);
    // The critic's part alone rises here (6.72 -> 7.20): as in the tutorial, the advantage G − V is not
    // stop-gradient'ed, so the actor's term pushes every V up by −log π per step, more than the critic's
    // Huber term (whose pushes cancel over standardized returns) pulls it back.
    expect(lossAfter.actor).toBeLessThan(lossBefore.actor);
    model.dispose(); optimizer.dispose();
    expect(gt.memory().tensors).toBe(before);
  });

  it('compute_loss is −Σ log p · (G − V) plus the summed Huber loss', () => {
    const p = [0.3, 0.9, 0.55], v = [0.2, -1.7, 2.5], G = [1.1, 0.4, -0.3];
    const expected = -sumOf(p.map((pi, i) => Math.log(pi) * (G[i] - v[i])))
      + sumOf(v.map((vi, i) => { const d = Math.abs(G[i] - vi); return d <= 1 ? 0.5 * d * d : d - 0.5; }));
    const column = (xs: number[]) => gt.tensor(xs.map(x => [x]));
    const loss = gt.tidy(() => ac.compute_loss(column(p), column(v), column(G)).item());
    expect(loss).toBeCloseTo(expected, 5);
  });
});

describe("Keras' training loop from scratch, examples/keras-training-loop.mjs", () => {
  beforeAll(async () => { keras = await load('keras-training-loop'); });
  it('the digit generator is deterministic, covers the ten digits, and draws ink on black', () => {
    const a = digits.makeDigits(300, 5), b = digits.makeDigits(300, 5), c = digits.makeDigits(300, 6);
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
    expect(c.x).not.toEqual(a.x);
    expect([...new Set(a.y)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const odd = Array.from({ length: 300 }, (_, i) => a.x.subarray(i * 784, (i + 1) * 784) as Uint8Array).filter(image =>
      Math.max(...image) !== 255 // a full-ink stroke
      || image.filter(v => v >= 128).length <= 25 // a stroke, not a dot
      || image.filter(v => v < 32).length <= 784 / 2); // mostly background
    expect(odd).toEqual([]);
  });

  it("batches() goes through every example once per epoch, in a shuffle buffer's order", () => {
    const n = 3000, x = new Uint8Array(n * 784), y = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n; i++) x[i * 784 + 5] = i % 251;
    const seen: number[] = [], sizes: number[] = [];
    for (const [xb, yb] of keras.batches({ x, y }, 32, prng(1), 1024)) {
      const ids = Array.from(yb.data() as Int32Array), pixels = xb.data();
      ids.forEach((id, i) => expect(pixels[i * 784 + 5]).toBe(id % 251)); // each row stays with its label
      seen.push(...ids); sizes.push(ids.length);
      gt.dispose([xb, yb]);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from(y));
    expect(seen).not.toEqual(Array.from(y));
    seen.forEach((id, position) => expect(id).toBeLessThan(position + 1024)); // drawn from the next 1024 only
    expect(sizes).toEqual([...Array(93).fill(32), 3000 - 93 * 32]);
    const ordered = [...keras.batches({ x, y }, 1000)].map(([xb, yb]) => { const ids = Array.from(yb.data()); gt.dispose([xb, yb]); return ids; });
    expect(ordered.flat()).toEqual(Array.from(y));
  });

  it("the train and validation SparseCategoricalAccuracy metrics equal the batches' arg-max accuracy", async () => {
    const { SparseCategoricalAccuracy } = await import('gradtape/metrics');
    const data = digits.makeDigits(320, 8), train = { x: data.x.subarray(0, 192 * 784), y: data.y.subarray(0, 192) };
    const val = { x: data.x.subarray(192 * 784), y: data.y.subarray(192) };
    const before = gt.memory().tensors;
    const model = keras.get_model(3), optimizer = gt.adam(1e-3);
    const trainMetric = new SparseCategoricalAccuracy(), valMetric = new SparseCategoricalAccuracy();
    const { train_step, test_step } = keras.make_steps(model, optimizer, trainMetric, valMetric);
    // the first arg-max of each row of logits, compared with the labels, in plain JS
    const correct = (xb: Tensor, yb: Tensor) => {
      const logits: Float32Array = gt.tidy(() => model.apply(xb).data()), labels = yb.data();
      return Array.from(labels).filter((label, i) => {
        const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
        return row.indexOf(Math.max(...row)) === label;
      }).length;
    };
    for (let epoch = 0; epoch < 2; epoch++) {
      let right = 0, total = 0;
      for (const [xb, yb] of keras.batches(train, 32, prng(epoch))) {
        right += correct(xb, yb); total += yb.size; // the logits train_step sees: same weights, before its update
        train_step(xb, yb);
        gt.dispose([xb, yb]);
      }
      expect(trainMetric.result()).toBeCloseTo(right / total, 6);
      trainMetric.resetState();
      right = 0; total = 0;
      for (const [xb, yb] of keras.batches(val, 32)) {
        right += correct(xb, yb); total += yb.size;
        test_step(xb, yb);
        gt.dispose([xb, yb]);
      }
      expect(valMetric.result()).toBeCloseTo(right / total, 6);
      expect(right).toBeGreaterThan(0);
      valMetric.resetState();
    }
    model.dispose(); optimizer.dispose();
    expect(gt.memory().tensors).toBe(before);
  });

  it("model.losses: the regularization layer's loss is rate × the sum of the first layer's activations, taken once", () => {
    const layer = new keras.ActivityRegularizationLayer(0.5), model = keras.get_model(4, [layer]);
    const data = digits.makeDigits(8, 2), x = gt.tensor(Float32Array.from(data.x), [8, 784]);
    gt.tidy(() => model.apply(x));
    const [loss, ...rest] = keras.take_losses(model);
    expect(rest).toEqual([]);
    expect(keras.take_losses(model)).toEqual([]);
    // relu(x · kernel + bias) of the first Dense, in float64
    const [kernel, bias] = [model.layers[0].kernel.data(), model.layers[0].bias.data()];
    let total = 0;
    for (let b = 0; b < 8; b++) for (let j = 0; j < 64; j++) {
      let h = bias[j];
      for (let i = 0; i < 784; i++) h += data.x[b * 784 + i] * kernel[i * 64 + j];
      total += Math.max(0, h);
    }
    expect(Math.abs(loss.item() - 0.5 * total)).toBeLessThanOrEqual(1e-5 * 0.5 * total);
    gt.dispose([loss, x]);
    model.dispose();
  });

  it('a run stopped after an epoch, saved and resumed equals the unbroken run bit for bit', () => {
    const before = gt.memory().tensors;
    const data = digits.makeDigits(160, 9);
    const result = keras.checkpointAndResume(data, { batch_size: 32, epochs: 2 });
    expect(result).toEqual({ identical: true, steps: 10 });
    expect(gt.memory().tensors).toBe(before);
  });
});
