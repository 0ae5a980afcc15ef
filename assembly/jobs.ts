// Kinds of threaded jobs (assembly/threads.ts runs them): the core's kernels below EXTRA_KINDS, the
// extra module's from it (assembly/extra/tasks.ts). Its own file: the extra module imports it, and
// must not compile threads.ts' static memory (it would become a data segment of its own).
export const enum Job { GemmRows = 0 }
export const EXTRA_KINDS = 32;

/** A job's argument word i, which the thread that published the job wrote at jobArgs(). */
@inline export function jobArgAt(args: usize, i: i32): i32 { return load<i32>(args + (<usize>i << 2)); }

/**
 * Whether work of about `flops` multiply-adds is worth a job on `slots` threads: waking workers costs
 * ~20 µs in Node (~1 µs in Chromium), so below ~0.1 ms of work the calling thread does it alone.
 */
@inline export function worthThreads(slots: i32, flops: f64): bool { return slots > 1 && flops >= 2097152; }
