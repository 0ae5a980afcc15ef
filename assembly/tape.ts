// Tapes: up to 32 recording slots, each a flat growable buffer of fixed-size records
// [op, out, in0, in1, in2, attr0, attr1, attr2]. Every op calls `record`, which appends the op to
// every recording tape that watches one of its inputs. The backward sweep walks one tape's records
// in reverse and calls the op's backward rule, whose ops go through `record` again: that is how an
// enclosing (or the same persistent) tape records the gradient computation for higher order.
import { alloc, allocZeroed, free } from "./memory";
import { Op, DType } from "./opcodes";
import { isFloat, release, retain, tableCapacity, watchMask, setWatchMask, newLike, dataPtr, sizeOf } from "./tensor";
import { backwardRule } from "./backward";
import { add } from "./ops/elementwise";

@external("env", "customGradient")
declare function callCustomGradient(fnId: i32, dy: i32, outPtr: usize, count: i32): void;
@external("env", "releaseCustom")
declare function releaseCustom(fnId: i32): void;

export const MAX_TAPES = 32;
const RECORD_INTS = 8;
const RECORD_BYTES: usize = RECORD_INTS * 4;
const tapeRecords = memory.data(MAX_TAPES * 4, 16);  // records pointer per slot
const tapeCapacity = memory.data(MAX_TAPES * 4, 16); // capacity in records
const tapeCount = memory.data(MAX_TAPES * 4, 16);    // records used
// ids watched explicitly (not retained): with the records' outputs, every id that can carry the slot's
// watch bit, so freeing a slot clears bits in O(records + watches) rather than O(tensor table)
const watchedIds = memory.data(MAX_TAPES * 4, 16);
const watchedCapacity = memory.data(MAX_TAPES * 4, 16);
const watchedCount = memory.data(MAX_TAPES * 4, 16);

/** Bit k set: tape slot k is recording. JS sets it (and clears it while a custom gradient runs). */
export let recordingMask: u32 = 0;
export function setRecordingMask(mask: u32): void { recordingMask = mask; }
/** Starts (on != 0) or stops recording on one slot. */
export function setSlotRecording(slot: i32, on: i32): void {
  const bit = <u32>1 << slot;
  recordingMask = on != 0 ? recordingMask | bit : recordingMask & ~bit;
}

@inline function slotField(base: usize, slot: i32): usize { return base + (<usize>slot << 2); }
export function recordCount(slot: i32): i32 { return load<i32>(slotField(tapeCount, slot)); }
@inline function recordAt(slot: i32, r: i32): usize { return load<usize>(slotField(tapeRecords, slot)) + <usize>r * RECORD_BYTES; }

/** Makes room for one more item in a slot's growable buffer (doubling); returns the item's address. */
function grow(slot: i32, buffers: usize, capacities: usize, count: i32, itemBytes: usize): usize {
  const cap = load<i32>(slotField(capacities, slot));
  if (count == cap) {
    const newCap = cap == 0 ? 16 : cap * 2;
    const buf = alloc(<usize>newCap * itemBytes);
    const old = load<usize>(slotField(buffers, slot));
    if (cap != 0) {
      memory.copy(buf, old, <usize>cap * itemBytes);
      free(old, <usize>cap * itemBytes);
    }
    store<usize>(slotField(buffers, slot), buf);
    store<i32>(slotField(capacities, slot), newCap);
  }
  return load<usize>(slotField(buffers, slot)) + <usize>count * itemBytes;
}

/** Frees a slot's growable buffer. */
function drop(slot: i32, buffers: usize, capacities: usize, counts: usize, itemBytes: usize): void {
  const cap = load<i32>(slotField(capacities, slot));
  if (cap != 0) free(load<usize>(slotField(buffers, slot)), <usize>cap * itemBytes);
  store<i32>(slotField(capacities, slot), 0);
  store<usize>(slotField(buffers, slot), 0);
  store<i32>(slotField(counts, slot), 0);
}

function append(slot: i32, op: i32, out: i32, in0: i32, in1: i32, in2: i32, a0: i32, a1: i32, a2: i32): void {
  const count = load<i32>(slotField(tapeCount, slot));
  const p = grow(slot, tapeRecords, tapeCapacity, count, RECORD_BYTES);
  store<i32>(p, op, 0); store<i32>(p, out, 4); store<i32>(p, in0, 8); store<i32>(p, in1, 12);
  store<i32>(p, in2, 16); store<i32>(p, a0, 20); store<i32>(p, a1, 24); store<i32>(p, a2, 28);
  store<i32>(slotField(tapeCount, slot), count + 1);
  retain(out); retain(in0); retain(in1); retain(in2);
}

/** Records `op` on every recording tape that watches an input; returns the mask of those tapes. */
export function record(op: i32, out: i32, in0: i32, in1: i32 = 0, in2: i32 = 0, a0: i32 = 0, a1: i32 = 0, a2: i32 = 0): u32 {
  const mask = (watchMask(in0) | watchMask(in1) | watchMask(in2)) & recordingMask;
  if (mask == 0 || !isFloat(out)) return 0;
  appendToTapes(mask, op, out, in0, in1, in2, a0, a1, a2);
  return mask;
}

/** Marks `out` as watched by the tapes in `mask` and appends the record to each of them. */
function appendToTapes(mask: u32, op: i32, out: i32, in0: i32, in1: i32, in2: i32, a0: i32, a1: i32, a2: i32): void {
  setWatchMask(out, watchMask(out) | mask);
  for (let m = mask; m != 0; m &= m - 1) append(<i32>ctz<u32>(m), op, out, in0, in1, in2, a0, a1, a2);
}

export function watch(slot: i32, id: i32): void {
  const bit = <u32>1 << slot;
  if (!isFloat(id) || (watchMask(id) & bit) != 0) return;
  setWatchMask(id, watchMask(id) | bit);
  const count = load<i32>(slotField(watchedCount, slot));
  store<i32>(grow(slot, watchedIds, watchedCapacity, count, 4), id);
  store<i32>(slotField(watchedCount, slot), count + 1);
}

/**
 * Drops every record of `slot` (releasing what they kept alive) and clears its watch bit. The bit can
 * only be on the ids it watched or recorded as outputs; an id freed and reused since can only carry
 * the bit if this slot set it again, so clearing it there is right too.
 */
export function clearTape(slot: i32): void {
  const keep = ~(<u32>1 << slot);
  const count = recordCount(slot);
  for (let r = 0; r < count; r++) {
    const p = recordAt(slot, r);
    const out = load<i32>(p, 4);
    setWatchMask(out, watchMask(out) & keep); // before release: the record holds out alive
    if (load<i32>(p) == Op.Custom && load<i32>(p, 24) == 0) releaseCustom(load<i32>(p, 20));
    release(out); release(load<i32>(p, 8)); release(load<i32>(p, 12)); release(load<i32>(p, 16));
  }
  const watches = load<i32>(slotField(watchedCount, slot));
  const ids = load<usize>(slotField(watchedIds, slot));
  for (let i = 0; i < watches; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (id < tableCapacity) setWatchMask(id, watchMask(id) & keep);
  }
  drop(slot, tapeRecords, tapeCapacity, tapeCount, RECORD_BYTES);
  drop(slot, watchedIds, watchedCapacity, watchedCount, 4);
  recordingMask &= keep;
}

// ---- the backward sweep -------------------------------------------------------------------------
// Sweep state is global so that `abortSweep` can clean up when a JS custom gradient throws.
let gradOf: usize = 0;     // i32 per tensor id: accumulated gradient tensor id (0 = none yet)
let reachable: usize = 0;  // u8 per tensor id: depends on a source
let sweepIds: i32 = 0;     // entries in both maps
let touched: usize = 0;    // i32 list of the ids whose gradOf entry was set (so ending a sweep is O(records))
let touchedCount: i32 = 0;
let touchedBytes: usize = 0;

@inline export function needsGrad(id: i32): bool {
  return id != 0 && id < sweepIds && load<u8>(reachable + <usize>id) != 0 && isFloat(id);
}

/** Adds gradient `g` (ownership taken) into the gradient of tensor `id`. */
export function accumulate(id: i32, g: i32): void {
  if (!needsGrad(id)) { release(g); return; }
  const slot = gradOf + (<usize>id << 2);
  const old = load<i32>(slot);
  if (old == 0) {
    store<i32>(slot, g);
    store<i32>(touched + (<usize>touchedCount << 2), id);
    touchedCount++;
    return;
  }
  const sum = add(old, g);
  release(old); release(g);
  store<i32>(slot, sum);
}

/**
 * Gradients of the targets w.r.t. the sources over the records of `slot`.
 * `args` holds targets[nTargets], seeds[nTargets] (0 = ones) and sources[nSources]; the gradient
 * ids (0 = unconnected) are written over the sources. Each returned id carries its own reference.
 */
export function gradient(slot: i32, argsIn: usize, nTargets: i32, nSources: i32): void {
  // private copy: custom gradients (JS) may call back in and reuse the shared args buffer
  const argBytes = <usize>(2 * nTargets + nSources) << 2;
  const args = alloc(argBytes);
  memory.copy(args, argsIn, argBytes);
  pushSweep();
  // the per-id maps cover only the ids this sweep can meet (targets, sources, the records' tensors),
  // not the whole tensor table: a small tape among many live tensors stays cheap
  let maxId = 0;
  for (let i = 0; i < 2 * nTargets + nSources; i++) maxId = max(maxId, load<i32>(args + (<usize>i << 2)));
  const count = recordCount(slot);
  for (let r = 0; r < count; r++) {
    const p = recordAt(slot, r);
    maxId = max(max(maxId, load<i32>(p, 4)), max(load<i32>(p, 8), max(load<i32>(p, 12), load<i32>(p, 16))));
  }
  const ids = maxId + 1;
  sweepIds = ids;
  gradOf = allocZeroed(<usize>ids << 2);
  // every id that can receive a gradient is a target or a record input (3 per record)
  touchedBytes = <usize>(3 * recordCount(slot) + nTargets + 1) << 2;
  touched = alloc(touchedBytes);
  touchedCount = 0;
  reachable = allocZeroed(<usize>ids);
  const sources = args + (<usize>(2 * nTargets) << 2);
  // only tensors this tape watches (directly or as outputs of its records) can receive gradients
  const bit = <u32>1 << <u32>slot;
  for (let i = 0; i < nSources; i++) {
    const src = load<i32>(sources + (<usize>i << 2));
    if (watchMask(src) & bit) store<u8>(reachable + <usize>src, 1);
  }
  // forward pass: which records depend on a source (records are in topological order)
  for (let r = 0; r < count; r++) {
    const p = recordAt(slot, r);
    if (load<u8>(reachable + <usize>load<i32>(p, 8)) | load<u8>(reachable + <usize>load<i32>(p, 12)) | load<u8>(reachable + <usize>load<i32>(p, 16)))
      store<u8>(reachable + <usize>load<i32>(p, 4), 1);
  }
  store<u8>(reachable, 0); // id 0 means "no input"
  for (let i = 0; i < nTargets; i++) {
    const target = load<i32>(args + (<usize>i << 2));
    let seed = load<i32>(args + (<usize>(nTargets + i) << 2));
    if (seed == 0) seed = onesLike(target); // the default seed: d(sum of the target)/d target
    else retain(seed);
    accumulate(target, seed);
  }
  for (let r = count - 1; r >= 0; r--) {
    const p = recordAt(slot, r); // re-read each step: a recording persistent tape may grow its buffer
    const op = load<i32>(p), out = load<i32>(p, 4);
    const dy = load<i32>(gradOf + (<usize>out << 2));
    if (dy == 0) continue;
    if (op == Op.Custom) { r = customBackward(slot, r, dy); continue; }
    const in0 = load<i32>(p, 8), in1 = load<i32>(p, 12), in2 = load<i32>(p, 16);
    if (!needsGrad(in0) && !needsGrad(in1) && !needsGrad(in2)) continue;
    backwardRule(op, out, in0, in1, in2, load<i32>(p, 20), load<i32>(p, 24), load<i32>(p, 28), dy);
  }
  const results = argsIn + (<usize>(2 * nTargets) << 2);
  for (let i = 0; i < nSources; i++) {
    const src = load<i32>(sources + (<usize>i << 2));
    const g = src < ids ? load<i32>(gradOf + (<usize>src << 2)) : 0;
    retain(g);
    store<i32>(results + (<usize>i << 2), g);
  }
  endSweep();
  free(args, argBytes);
}

/** The parts of one custom op are contiguous; `r` is the last part. Returns the first part's index. */
function customBackward(slot: i32, r: i32, dy: i32): i32 {
  const p = recordAt(slot, r);
  const fnId = load<i32>(p, 20), n = load<i32>(p, 28);
  const first = r - n + 1;
  let any = false;
  for (let k = first; k <= r; k++) any = any || needsGrad(load<i32>(recordAt(slot, k), 8));
  if (!any) return first;
  const grads = allocZeroed(<usize>n << 2);
  callCustomGradient(fnId, dy, grads, n);
  for (let k = 0; k < n; k++) {
    const g = load<i32>(grads + (<usize>k << 2));
    if (g != 0) accumulate(load<i32>(recordAt(slot, first + k), 8), g);
  }
  free(grads, <usize>n << 2);
  return first;
}

// A custom gradient (JS) may itself compute gradients, so sweeps nest: their state is a stack.
const MAX_SWEEP_DEPTH = 16;
const SWEEP_FRAME = 24;
const sweepStack = memory.data(MAX_SWEEP_DEPTH * SWEEP_FRAME, 16);
let sweepDepth = 0;
function pushSweep(): void {
  if (sweepDepth == MAX_SWEEP_DEPTH) unreachable(); // the wrapper refuses deeper nesting first
  const p = sweepStack + <usize>sweepDepth * SWEEP_FRAME;
  store<usize>(p, gradOf); store<usize>(p, reachable, 4); store<i32>(p, sweepIds, 8);
  store<usize>(p, touched, 12); store<i32>(p, touchedCount, 16); store<usize>(p, touchedBytes, 20);
  gradOf = 0;
  sweepDepth++;
}

/** Ends the innermost sweep, releasing its gradient map (also after a custom gradient threw). */
export function endSweep(): void {
  if (sweepDepth == 0) return;
  if (gradOf != 0) {
    for (let i = 0; i < touchedCount; i++) release(load<i32>(gradOf + (<usize>load<i32>(touched + (<usize>i << 2)) << 2)));
    free(touched, touchedBytes);
    free(gradOf, <usize>sweepIds << 2);
    free(reachable, <usize>sweepIds);
  }
  sweepDepth--;
  const p = sweepStack + <usize>sweepDepth * SWEEP_FRAME;
  gradOf = load<usize>(p); reachable = load<usize>(p, 4); sweepIds = load<i32>(p, 8);
  touched = load<usize>(p, 12); touchedCount = load<i32>(p, 16); touchedBytes = load<usize>(p, 20);
}

/** A float32 tensor of ones shaped like `x` (never recorded). */
function onesLike(x: i32): i32 {
  const out = newLike(x, DType.Float32);
  const p = dataPtr(out), n = sizeOf(out);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), 1);
  return out;
}

/** Records one custom op: `inputs` (n ids) → `out`, whose backward calls JS function `fnId`. */
export function recordCustom(fnId: i32, out: i32, inputs: usize, n: i32): u32 {
  let mask: u32 = 0;
  for (let i = 0; i < n; i++) mask |= watchMask(load<i32>(inputs + (<usize>i << 2)));
  mask &= recordingMask;
  if (mask == 0 || !isFloat(out)) return 0;
  // one part per input, contiguous on each tape (customBackward relies on it)
  for (let i = 0; i < n; i++) appendToTapes(mask, Op.Custom, out, load<i32>(inputs + (<usize>i << 2)), 0, 0, fnId, i, n);
  return mask;
}

