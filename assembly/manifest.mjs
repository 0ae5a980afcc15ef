// The op manifest: the one list of everything the WebAssembly side offers.
//
// - `ops`: every op a tape can record (and the few that only name a kernel's mode, with no rule).
//   Each has its code (assigned here, in this order: nothing routes by ranges of codes), the file
//   holding its entry and backward rule, and the rule's name (null: never recorded, no gradient).
// - `exports`: what each wasm module exports to JS, with AssemblyScript signatures; the TypeScript
//   `Core` and `Extra` interfaces are derived from them. In the wasm each export has a short name (a
//   letter or two, in this order: the names are bytes of every bundle); the generated enums `C` and
//   `X` give them by the names here: `core[C.newTensor](...)`.
// - `extraImports`: the core exports the extra module calls (it shares the core's memory, tensor
//   table, scratch arena and tapes).
//
// scripts/generate.mjs writes build/generated/ from this file before anything is compiled:
//   opcodes.ts        `Op` and `DType` (valid AssemblyScript and TypeScript)
//   core.ts           the core's asc entry: its exports, re-exported from the files named here
//   core-backward.ts  the core's backward dispatch: one case per recorded op
//   extra.ts          the extra module's asc entry: its exports and its own backward dispatch
//   extra-imports.ts  the core functions the extra module imports
//   interface.ts      the TypeScript `Core` and `Extra` interfaces, and the enums of their short names
// A rule or export named here that its file does not define fails the AssemblyScript build; a
// binding the wrapper calls that is not here fails the TypeScript build.
//
// Two modules: the core (in every program) and the extra module, for kernels few programs use
// (convolutions, pooling, atan2 and the scans today). The extra module is compiled on the first op that needs it;
// the core's sweep hands the records of its ops to its backward dispatch.
//
// Adding a kernel op: its entry here (name, file, rule), the kernel (a pure function in
// assembly/kernels/), its entry and rule in the family file, and its def() in src/ops*.ts.

/** @typedef {{ op: string, rule?: string | null }} OpSpec */
/** @typedef {{ module: 'core' | 'extra', file: string, rule?: string, ops: (string | OpSpec)[] }} Family */

export const dtypes = ['Float32', 'Int32', 'Bool'];

/** @type {Family[]} */
export const families = [
  {
    module: 'core', file: 'ops/elementwise', rule: 'unaryBackward',
    ops: ['Neg', 'Abs', 'Sign', 'Square', 'Sqrt', 'Rsqrt', 'Exp', 'Expm1', 'Log', 'Log1p', 'Sin', 'Cos', 'Tan',
      'Tanh', 'Sigmoid', 'Relu', 'Relu6', 'LeakyRelu', 'Elu', 'Selu', 'Softplus', 'Gelu', 'Erf', 'Reciprocal',
      'Identity',
      // piecewise constant: never recorded
      { op: 'Floor', rule: null }, { op: 'Ceil', rule: null }, { op: 'Round', rule: null },
      { op: 'Step', rule: null }, { op: 'LogicalNot', rule: null },
      // dy·f'(x) in one pass (the gradients of the ops above), differentiable again
      { op: 'UnaryGrad', rule: 'unaryGradBackward' }],
  },
  {
    module: 'core', file: 'ops/elementwise', rule: 'binaryBackward',
    ops: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Maximum', 'Minimum',
      { op: 'Mod', rule: null }, { op: 'FloorDiv', rule: null },
      { op: 'Equal', rule: null }, { op: 'NotEqual', rule: null }, { op: 'Greater', rule: null },
      { op: 'GreaterEqual', rule: null }, { op: 'Less', rule: null }, { op: 'LessEqual', rule: null },
      { op: 'LogicalAnd', rule: null }, { op: 'LogicalOr', rule: null },
      { op: 'Where', rule: 'whereBackward' }, { op: 'BroadcastTo', rule: 'broadcastToBackward' }],
  },
  {
    module: 'core', file: 'ops/reduce', rule: 'reduceBackward',
    ops: ['Sum', 'Max', 'Min', 'Prod', { op: 'ArgMax', rule: null }, { op: 'ArgMin', rule: null }],
  },
  {
    module: 'core', file: 'ops/shape',
    ops: [{ op: 'Reshape', rule: 'reshapeBackward' }, { op: 'Transpose', rule: 'transposeBackward' }, { op: 'Cast', rule: 'castBackward' }],
  },
  { module: 'core', file: 'ops/linalg', ops: [{ op: 'MatMul', rule: 'matmulBackward' }] },
  { module: 'core', file: 'ops/nn', rule: 'softmaxBackward', ops: ['Softmax', 'LogSoftmax'] },
  {
    module: 'core', file: 'ops/slicing',
    ops: [{ op: 'Slice', rule: 'sliceBackward' }, { op: 'Pad', rule: 'padBackward' }, { op: 'Concat', rule: 'concatBackward' },
      { op: 'Split', rule: 'splitBackward' },
      { op: 'Gather', rule: 'gatherBackward' }, { op: 'Scatter', rule: 'scatterBackward' }],
  },
  // a customGradient: its rule calls the JS gradient function
  { module: 'core', file: 'tape', ops: [{ op: 'Custom', rule: 'customBackward' }] },
  // one entry and one rule for all ten (assembly/extra/spatial.ts)
  {
    module: 'extra', file: 'extra/spatial', rule: 'spatialBackward',
    ops: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad',
      'DepthwiseConv2D', 'DepthwiseBackpropInput', 'DepthwiseBackpropFilter'],
  },
  // atan2, the one math kernel no composition gives (atan, asin, acos are compositions with it)
  { module: 'extra', file: 'extra/math', rule: 'atan2Backward', ops: ['Atan2'] },
  // cumsum and cumprod (assembly/extra/scan.ts; kernels: assembly/kernels/scan.ts)
  { module: 'extra', file: 'extra/scan', rule: 'scanBackward', ops: ['Cumsum', 'Cumprod'] },
];

/**
 * Each module's exports to JS: file → signatures (`name(params): result`, or `global name: type` for
 * a wasm global). Pointers (`usize`) and ids are plain numbers in JS.
 */
export const exports = {
  core: {
    'tensor': [
      'global liveTensors: i32', 'global liveBytes: usize',
      'tableCell(): usize',
      'newTensor(dtype: i32, rank: i32, shape: usize): i32',
      'retain(id: i32): void', 'release(id: i32): void',
      'dataPtr(id: i32): usize', 'dimOf(id: i32, axis: i32): i32', 'rankOfId(id: i32): i32', 'sizeOfId(id: i32): i32', 'dtypeOfId(id: i32): i32',
    ],
    'memory': ['global allocatedBytes: usize', 'memoryCell(): usize'],
    'scratch': ['scratchTake(bytes: usize): usize', 'scratchMark(): usize', 'scratchRelease(mark: usize): void', 'scratchRecover(): void'],
    'args': ['args(): usize', 'argsCapacity(): i32', 'growArgs(ints: i32): usize'],
    'tape': [
      'global recordingMask: u32', 'setRecordingMask(mask: u32): void',
      'newTape(): usize', 'freeTape(tape: usize): void', 'resetTape(tape: usize): void',
      'startRecording(tape: usize): void', 'stopRecording(tape: usize): void', 'setActive(tape: usize, on: i32): void',
      'watch(tape: usize, id: i32, hold: i32): void',
      'gradient(tape: usize, args: usize, nTargets: i32, nSources: i32): void', 'endSweep(): void',
      'recordCustom(fnId: i32, outputs: usize, nOutputs: i32, inputs: usize, nInputs: i32): i32',
      'commitRecord(record: usize): i32',
    ],
    'ops/elementwise': [
      'unary(op: i32, x: i32, param: f32): i32', 'binary(op: i32, a: i32, b: i32): i32',
      'where(cond: i32, a: i32, b: i32): i32', 'broadcastToShape(x: i32, shape: usize, rank: i32): i32',
      'zerosLike(x: i32): i32', 'biasActivation(z: i32, bias: i32, act: i32, param: f32): i32',
    ],
    'ops/reduce': ['reduce(op: i32, x: i32, axes: u32, keepDims: i32): i32'],
    'ops/shape': ['reshape(x: i32, shape: usize, rank: i32): i32', 'transpose(x: i32, perm: usize): i32', 'cast(x: i32, dtype: i32): i32'],
    'ops/linalg': ['matmul(a: i32, b: i32, transposeA: i32, transposeB: i32): i32'],
    'kernels/gemm': ['packPanels(b: usize, rowStride: i32, colStride: i32, k: i32, n: i32, panels: usize): void'],
    'ops/nn': ['softmax(x: i32, axis: i32, log: i32): i32'],
    'ops/slicing': [
      'slice(x: i32, beginAndSize: usize): i32', 'pad(x: i32, paddings: usize, value: f64): i32',
      'concat(ids: usize, n: i32, axis: i32, stacked: i32): i32', 'split(x: i32, axis: i32, stacked: i32, sizes: usize, n: i32): void', 'gather(x: i32, indices: i32, axis: i32): i32',
      'scatterAdd(g: i32, indices: i32, axis: i32, d: i32): i32',
    ],
    'ops/random': ['randomUniform(id: i32, seed: f64, min: f64, max: f64): void', 'randomNormal(id: i32, seed: f64, mean: f64, stddev: f64): void'],
    'threads': [
      'setThreads(n: i32, canWait: i32): void', 'threadSlots(): i32', 'jobArgs(): usize', 'parallel(kind: i32, tasks: i32): void',
      'extraReady(): void', 'workerLoop(slot: i32): void', 'workerFailed(): void', 'tasksRun(): usize',
    ],
  },
  extra: {
    'extra/spatial': ['spatial(op: i32, x: i32, b: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32, h: i32, w: i32, dh: i32, dw: i32): i32'],
    'extra/math': ['atan2(y: i32, x: i32): i32'],
    'extra/scan': ['scan(op: i32, x: i32, axis: i32, exclusive: i32, reverse: i32): i32'],
    'extra/tasks': ['task(kind: i32, t: i32, slot: i32): void'],
  },
};

/**
 * Exports whose wasm names stay the manifest's (the others get a letter or two: scripts/generate.mjs):
 * src/ops-nn.ts calls these by name.
 */
export const keepNames = ['softmax', 'randomUniform', 'randomNormal'];

/** The core exports the extra module imports (JS passes the core's exports as its "env", memory included). */
export const extraImports = [
  'newTensor', 'retain', 'release', 'dataPtr', 'dimOf', 'rankOfId', 'sizeOfId', 'dtypeOfId',
  'scratchTake', 'scratchMark', 'scratchRelease', 'commitRecord', 'zerosLike',
  'packPanels', // (one copy of the matrix-panel packing for both modules)
  'unary', 'binary', // (rules written with the core's recorded ops)
  'threadSlots', 'jobArgs', 'parallel', // (its kernels' jobs run on the core's threads: assembly/threads.ts)
];

/**
 * Tensor methods a bundle may leave out: the extra module's ops, and ops declared pure (their files
 * are imported only by programs that use them). A bundle that never imports such an op leaves out
 * its code (and the module's bytes); the method then explains how to get it.
 */
export const extraMethods = [
  // extra module (src/ops-conv.ts)
  'conv2d', 'maxPool', 'avgPool', 'conv2dTranspose', 'depthwiseConv2d',
  // compositions (src/ops-normalization.ts, src/ops-image.ts)
  'moments', 'batchNormalization', 'l2Normalize', 'dropout', 'clipByNorm', 'resize',
  // src/ops-math.ts (atan2's kernel is in the extra module; the rest are compositions)
  'atan2', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'isNaN', 'isInf', 'isFinite',
  // src/ops-scan.ts (cumsum's and cumprod's kernels are in the extra module; the rest are compositions)
  'cumsum', 'cumprod', 'reverse', 'roll', 'topK',
  // src/ops-indexing.ts (compositions on gather and its adjoint, scatterAdd), src/ops-random.ts
  'gatherNd', 'scatterNd', 'unsortedSegmentSum', 'randomCategorical',
];
