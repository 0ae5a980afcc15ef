// Kinds of threaded jobs (assembly/threads.ts runs them): the core's kernels below EXTRA_KINDS, the
// extra module's from it (assembly/extra/tasks.ts). Its own file: the extra module imports it, and
// must not compile threads.ts' static memory (it would become a data segment of its own).
export const enum Job {
  // (each kind's task function, which reads the job's arguments, sits beside the op that publishes it)
  GemmRows = 0,   // blocks of rows of one product (ops/linalg.ts gemm; kernels/gemm.ts gemmRows)
  Map = 1,        // chunks of a unary map, a one-pass gradient or x^e (ops/elementwise.ts mapChunk)
  Binary = 2,     // rows or pieces of a broadcasting binary op's output (ops/elementwise.ts binaryChunk)
  BiasAct = 3,    // groups of blocks of the fused bias + activation (ops/elementwise.ts biasActChunk)
  Softmax = 4,    // groups of softmax groups along the outer axes (ops/nn.ts softmaxTask)
  Reduce = 5,     // groups of the outer axes of a reduction (ops/reduce.ts reduceTask)
  MatmulBatch = 6 // groups of the small products of a batched matmul (ops/linalg.ts matmulBatchTask)
}
export const EXTRA_KINDS = 32;

/** A job's argument word i, which the thread that published the job wrote at jobArgs(). */
@inline export function jobArgAt(args: usize, i: i32): i32 { return load<i32>(args + (<usize>i << 2)); }

/**
 * Whether work of about `flops` multiply-adds is worth a job on `slots` threads: waking workers costs
 * ~20 µs in Node (~1 µs in Chromium), so below ~0.1 ms of work the calling thread does it alone.
 */
@inline export function worthThreads(slots: i32, flops: f64): bool { return slots > 1 && flops >= 2097152; }

/**
 * Elements per task of the memory-bound passes, cut from the shape alone: a multiple of 4096, so a
 * map's chunks (and a long row's pieces) start 16-byte aligned and see whole f32x4 vectors. Passes
 * over rows or groups (broadcast rows, softmax, reductions, bias blocks) take whole ones, about
 * this many elements; their f32x4 lanes compute each element alone, so a cut never changes a bit.
 */
export const CHUNK: i32 = 16384;

/**
 * Whether a memory-bound pass over `elements` floats is worth a job on `slots` threads; `costly`:
 * a transcendental per element (exp, tanh, sigmoid, gelu, softmax, pow...), ~10× a cheap op's time.
 * Measured on this 2-core machine (Node 20, one process: 1- and 2-thread batches of each op
 * alternating, medians of the ratio time(1)/time(2)), with every pass threaded, machine at load 1.5-2.5:
 *   1e5: cheap (relu, add, mul broadcast, sum) 0.5-0.9, costly (exp, tanh, sigmoid, softmax) 0.9-1.6;
 *   2.5e5: cheap 1.0-1.1, costly 1.75-2.05;  5e5: cheap 0.9-1.45;  1e6: cheap 1.3-1.65, costly 1.65-2.15.
 * With these thresholds, machine quiet (load < 1): 1e5 all 1.00 (one thread); 2.5e5 costly 1.73-1.85;
 *   5.5e5 cheap 1.07-1.19; 7e5 cheap 1.07-1.71; 1e6 cheap 1.03-1.69, costly 1.92-2.23;
 *   4e6 cheap 1.02-1.46, costly 1.69-1.97.
 * So costly passes thread from 2^17 floats, cheap ones from 2^19.
 */
@inline export function worthElementThreads(slots: i32, elements: i32, costly: bool): bool {
  return slots > 1 && elements >= (costly ? 1 << 17 : 1 << 19);
}
