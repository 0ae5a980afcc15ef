// Kinds of threaded jobs (assembly/threads.ts runs them): the core's kernels below EXTRA_KINDS, the
// extra module's from it (assembly/extra/tasks.ts). Its own file: the extra module imports it, and
// must not compile threads.ts' static memory (it would become a data segment of its own).
export const enum Job {
  GemmRows = 0,   // blocks of rows of one product (ops/linalg.ts gemm)
  Map = 1,        // chunks of a unary map, a one-pass gradient or x^e (ops/elementwise.ts mapChunks)
  Binary = 2,     // chunks of a broadcasting binary op's output (kernels/elementwise.ts binaryChunk)
  BiasAct = 3,    // groups of blocks of the fused bias + activation (kernels/elementwise.ts biasActBlocks)
  Softmax = 4,    // groups of softmax groups along the outer axes (kernels/softmax.ts)
  Reduce = 5,     // blocks of the outer (and inner) axes of a reduction (kernels/reduce.ts reduceBlock)
  MatmulBatch = 6 // groups of the small products of a batched matmul (ops/linalg.ts)
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
 * Elements per task of the memory-bound passes (elementwise, softmax, reductions): a multiple of
 * 4096, so every task but the last starts 16-byte aligned and sees whole f32x4 vectors; cut from
 * the element count alone.
 */
export const CHUNK: i32 = 16384;

/**
 * Whether a memory-bound pass over `elements` floats is worth a job on `slots` threads; `costly`:
 * a transcendental per element (exp, tanh, sigmoid, gelu, softmax, pow...), ~10× a cheap op's time.
 * Measured (/tmp/elem/measure.mjs, 2 cores, Node 20, other jobs on the machine: load 1.5-2.5),
 * medians of time with 1 thread / time with 2, per size (cheap: relu, add, mul broadcast, sum;
 * costly: exp, tanh, sigmoid, softmax):
 *   1e5: cheap 0.5-0.9, costly 0.9-1.6;  1.5e5: cheap ~1.0, costly 1.05-1.9;  2.5e5: cheap 1.0-1.1,
 *   costly 1.75-2.05;  5e5: cheap 0.9-1.45, costly 1.6-1.9;  1e6: cheap 1.3-1.65, costly 1.65-2.15;
 *   4e6: cheap 1.4-2.2, costly 1.65-1.8.
 * So costly passes thread from 2^17 floats, cheap ones from 2^19.
 */
@inline export function worthElementThreads(slots: i32, elements: i32, costly: bool): bool {
  return slots > 1 && elements >= (costly ? 1 << 17 : 1 << 19);
}
