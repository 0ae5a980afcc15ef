// Threads: large kernels split their work into tasks that every thread of a pool claims one at a
// time, on one shared memory. The calling thread publishes a job (a kind, a task count and up to 16
// argument words) and works on it too; workers (src/core.ts starts them) sleep in workerLoop until a
// job is published. Tasks own disjoint outputs and are cut from the problem's shape alone (never
// from the thread count), and each task computes its outputs exactly as the one-thread loop does:
// results are the same bits whatever the number of threads, and whichever thread runs a task.
//
// Claims are one 64-bit word, epoch << 32 | next task: a thread that read the job of an older epoch
// can no longer claim (its compare-exchange fails), and a finished job is closed (next = all ones)
// before the descriptor is rewritten, so a worker that woke late never runs half of a new job.
// Only the calling thread allocates (the allocator and the scratch arena are its globals); tasks get
// per-thread scratch by their slot (0: the caller, 1..: workers).
import { gemmRows } from "./kernels/gemm";
import { mapChunk, binaryChunk, biasActChunk } from "./ops/elementwise";
import { softmaxTask } from "./ops/nn";
import { reduceTask } from "./ops/reduce";
import { matmulBatchTask } from "./ops/linalg";
import { Job, EXTRA_KINDS, jobArgAt } from "./jobs";

@external("env", "p") // src/core.ts: start the pool's workers (asked once, the first time a job could use them)
declare function startPool(threads: i32): void;
@external("env", "e") // src/core.ts: a task of the extra module's kernels (its `task` export)
declare function extraTask(kind: i32, task: i32, slot: i32): void;

// the job descriptor (its own cache lines: the claim word is what every thread hammers)
const JOB = memory.data(192, 64);
const CLAIM = JOB;          // i64: epoch << 32 | next task
const DONE = JOB + 64;      // i32: tasks finished
const WAKE = JOB + 68;      // i32: bumped for every job; workers wait on it
const KIND = JOB + 72, TASKS = JOB + 76, SLOTS = JOB + 80, FAILED = JOB + 84;
const ARGS = JOB + 128;     // 16 words the job's kernel reads (jobArg)
const TASKS_RUN = memory.data(4 * 32, 64); // tasks each slot ran (the first 32 slots), for tests and the demo

let threadCount: i32 = 1;   // (the caller's instance) threads jobs may use
let mayWait = false;        // (the caller's) whether this thread may sleep in atomic.wait (a browser's main thread may not)
let poolAsked = false;      // (the caller's) whether startPool was called since the last setThreads
let hasExtra = false;       // (every instance) whether the extra module is instantiated on this thread

/**
 * Sets how many threads jobs may use (JS caps it: 1 where there are no workers) and whether the
 * calling thread may sleep while workers finish; re-arms startPool.
 */
export function setThreads(n: i32, canWait: i32): void { threadCount = n; mayWait = canWait != 0; poolAsked = false; }
/** Threads a job may use now: kernels size per-thread scratch by it. */
export function threadSlots(): i32 { return threadCount; }
/** Where a job's argument words go (the caller writes them before `parallel`). */
export function jobArgs(): usize { return ARGS; }
/** Where the per-slot counts of tasks run are (32 i32s): which threads worked. */
export function tasksRun(): usize { return TASKS_RUN; }
@inline function jobArg(i: i32): i32 { return jobArgAt(ARGS, i); }
/** This thread has the extra module: its jobs may be claimed here. */
export function extraReady(): void { hasExtra = true; }

/**
 * Runs tasks 0..tasks-1 of `kind` (arguments at jobArgs()) on up to threadSlots() threads, the calling
 * thread included; returns when all are done. With one thread, or one task, it is a plain loop.
 */
export function parallel(kind: i32, tasks: i32): void {
  if (threadCount <= 1 || tasks <= 1) {
    for (let t = 0; t < tasks; t++) runTask(kind, t, 0);
    return;
  }
  if (!poolAsked) { poolAsked = true; startPool(threadCount); }
  store<i32>(KIND, kind); store<i32>(TASKS, tasks); store<i32>(SLOTS, threadCount);
  store<i32>(FAILED, 0); atomic.store<i32>(DONE, 0);
  const epoch = (atomic.load<u64>(CLAIM) >> 32) + 1;
  atomic.store<u64>(CLAIM, epoch << 32); // publishes the descriptor above
  atomic.add<i32>(WAKE, 1);
  atomic.notify(WAKE); // all: after setThreads lowered the count, sleepers include workers this job does not use
  claim(epoch, kind, tasks, 0);
  // The caller's share is done: wait for tasks still running elsewhere (at most one task each).
  // Spin a little (a worker finishing now is seen at once), then sleep where this thread may, so
  // that on a busy machine the core it holds goes to the very worker it waits for.
  for (let polls = 0, done = 0; (done = atomic.load<i32>(DONE)) < tasks; polls++) {
    if (mayWait && polls >= SPIN_POLLS) memory.atomic.wait32(DONE, done, -1);
  }
  atomic.store<u64>(CLAIM, (epoch << 32) | 0xFFFFFFFF); // closed: no late claim
  if (load<i32>(FAILED)) unreachable(); // a worker trapped: the caller traps, and JS resets the core
}

const SPIN_POLLS = 4096;

function claim(epoch: u64, kind: i32, tasks: i32, slot: i32): void {
  for (;;) {
    const c = atomic.load<u64>(CLAIM);
    const t = <u32>c;
    if ((c >> 32) != epoch || t >= <u32>tasks) return;
    if (atomic.cmpxchg<u64>(CLAIM, c, c + 1) != c) continue;
    runTask(kind, t, slot);
    if (slot < 32) atomic.add<i32>(TASKS_RUN + (<usize>slot << 2), 1);
    finish(tasks);
  }
}

/** Counts a task done; the last one wakes the calling thread if it sleeps. */
function finish(tasks: i32): void {
  if (atomic.add<i32>(DONE, 1) + 1 >= tasks) atomic.notify(DONE);
}

function runTask(kind: i32, task: i32, slot: i32): void {
  if (kind >= EXTRA_KINDS) { extraTask(kind, task, slot); return; }
  switch (kind) {
    case Job.GemmRows: { // a block of rows of C in a group of its column panels (assembly/ops/linalg.ts' gemm)
      const groups = jobArg(10), per = jobArg(11), jb0 = task % groups * per;
      gemmRows(jobArg(0), jobArg(1), jobArg(2), jobArg(3), jobArg(4), jobArg(5), jobArg(6), jobArg(7),
        task / groups, <usize>jobArg(8) + <usize>slot * <usize>jobArg(9), jb0, min(jb0 + per, (jobArg(7) + 7) >> 3));
      break;
    }
    case Job.Map: mapChunk(ARGS, task, slot); break;
    case Job.Binary: binaryChunk(ARGS, task, slot); break;
    case Job.BiasAct: biasActChunk(ARGS, task, slot); break;
    case Job.Softmax: softmaxTask(ARGS, task, slot); break;
    case Job.Reduce: reduceTask(ARGS, task, slot); break;
    case Job.MatmulBatch: matmulBatchTask(ARGS, task, slot); break;
  }
}

/** A worker's life: sleep until a job is published, claim its tasks, sleep again. Never returns. */
export function workerLoop(slot: i32): void {
  let seen = atomic.load<i32>(WAKE);
  for (;;) {
    memory.atomic.wait32(WAKE, seen, -1);
    seen = atomic.load<i32>(WAKE);
    const c = atomic.load<u64>(CLAIM);
    const kind = load<i32>(KIND);
    if (slot >= load<i32>(SLOTS) || (kind >= EXTRA_KINDS && !hasExtra)) continue;
    claim(c >> 32, kind, load<i32>(TASKS), slot);
  }
}

/** A task trapped on a worker (its JS calls this, then workerLoop again): the job fails, and ends. */
export function workerFailed(): void {
  atomic.store<i32>(FAILED, 1);
  finish(load<i32>(TASKS));
}
