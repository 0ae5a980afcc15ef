// `npm start`: runs every example in turn: TF's autodiff notebook (seed.mjs) and the cells of TF's two
// autodiff guides (tf-guides.mjs) first, then the training examples (iris-logistic from raw ops;
// iris-mlp, cnn-bars and custom-training, TF's custom training walkthrough, with gradtape/layers), and
// TF's generative tutorials, CVAE and DCGAN (short runs; they write sample grids to examples/output/), and
// its sequence tutorials: text generation with a GRU and a tiny decoder-only Transformer; then Keras'
// guide to writing a training loop from scratch (with a checkpoint resumed bit for bit), TF's
// actor-critic CartPole tutorial, and last a physics-informed network for Burgers' equation (nested
// tapes, Adam then L-BFGS; a short run).
// Each file is a module exporting an async main() that returns its final metrics, and each also runs
// on its own with `node examples/<name>.mjs`. Exits with code 1 if a training example ends below 95%
// accuracy or its loss did not fall, or a generative, sequence or tutorial-port one reports failure (ELBO not improved, losses not
// finite, samples not the grammar's words, reversals not learnt, validation accuracy under 90% or a resumed run not identical,
// CartPole not solved, the PINN's loss not lowered, its error over 0.15 (fast run) or no shock steeper than −60 within 0.02 of x = 0).
const examples = ['seed', 'tf-guides', 'iris-logistic', 'iris-mlp', 'cnn-bars', 'custom-training', 'cvae', 'dcgan', 'text-generation', 'transformer', 'keras-training-loop', 'actor-critic', 'pinn-burgers'];
const summary = [];
for (const name of examples) {
  console.log(`\n=== ${name} ===`);
  const { main } = await import(`./${name}.mjs`);
  const started = performance.now();
  const metrics = await main();
  summary.push({ name, metrics, seconds: (performance.now() - started) / 1000 });
}

console.log('\n=== summary ===');
let failed = false;
for (const { name, metrics, seconds } of summary) {
  if (metrics?.summary !== undefined) {
    failed ||= !metrics.ok;
    console.log(`${name.padEnd(20)} ${metrics.summary}  (${seconds.toFixed(2)} s)${metrics.ok ? '' : '  FAILED'}`);
    continue;
  }
  if (metrics?.accuracy === undefined) { console.log(`${name.padEnd(20)} done in ${seconds.toFixed(2)} s`); continue; }
  const ok = metrics.accuracy >= 0.95 && metrics.finalLoss < metrics.initialLoss;
  failed ||= !ok;
  const extra = metrics.testAccuracy !== undefined ? `, held-out ${(metrics.testAccuracy * 100).toFixed(1)}%` : '';
  console.log(`${name.padEnd(20)} loss ${metrics.initialLoss.toFixed(4)} -> ${metrics.finalLoss.toFixed(4)}, accuracy ${(metrics.accuracy * 100).toFixed(1)}%${extra}  (${seconds.toFixed(2)} s)${ok ? '' : '  FAILED'}`);
}
if (failed) process.exitCode = 1;
