// Tapes. A tape is a small struct in linear memory that owns its records (assembly/record.ts: any
// number of outputs, inputs and attribute words, in chunks that never move, with a list of their
// addresses), the tensors it watched explicitly (id and serial, not retained), and the tensors it
// holds a reference to (variable values it watched). There is no limit on how many tapes exist.
//
// Recording decides per op, in a few instructions, which tapes want it: every tensor carries a 32-bit
// watch mask, and a tape that is *recording right now* owns one bit of it (its slot). A tape takes a
// slot when it starts recording and gives it back when it stops, clearing its bit from the tensors it
// marked (its watched ids and its records' outputs), so 31 tapes can record at once on this fast path.
// Beyond that, further recording tapes share bit 31 ("some overflow tape may watch this") and each
// keeps an exact id -> serial map of what it watches: slower, but with no limit on nesting depth.
//
// `commitRecord` appends an op to every recording tape that watches one of its inputs. The backward
// sweep walks one tape's records in reverse and calls the op's backward rule (the generated
// dispatch, build/generated/core-backward.ts), whose ops are recorded again: that is how an
// enclosing (or the same persistent) tape records the gradient computation.
import { alloc, allocZeroed, free } from "./memory";
import { Op, DType } from "../build/generated/opcodes";
import { isFloat, release, retain, watchMask, setWatchMask, newLike, dataPtr, sizeOf, serialOf, tableCapacity } from "./tensor";
import { Record, Grads } from "./record";
import { scratchTake, scratchMark, scratchRelease, scratchBarrier } from "./scratch";
import { backwardRule } from "../build/generated/core-backward";
import { add } from "./ops/elementwise";

// (imports with one-letter names, as the exports' (scripts/generate.mjs): src/core.ts's imports())
@external("env", "c")
declare function callCustomGradient(fnId: i32, grads: Grads): void;
@external("env", "r")
declare function releaseCustom(fnId: i32): void;

// ---- the tape struct ----------------------------------------------------------------------------
// Each list is three ints at its field offset: buffer pointer, capacity (items), count.
const T_RECORDS: usize = 0;  // addresses of the records, in order
const T_CHUNKS: usize = 12;  // the blocks holding the records (each starts with its size)
const T_WATCHED: usize = 24; // (id, serial) pairs, 8 bytes
const T_HELD: usize = 36;    // retained ids, 4 bytes
const T_SLOT: usize = 48;    // 0..30: its bit in the watch masks; OVERFLOW: shares bit 31; -1: not recording
const T_ACTIVE: usize = 52;  // 1 while recording (0 while paused by stopRecording, or not recording)
const T_MAP: usize = 56;     // overflow tapes only: i32 serial per tensor id it watches (0: not watched)
const T_MAP_IDS: usize = 60; // ids the map covers
const T_TOP: usize = 64;     // where the next record goes in the newest chunk
const T_END: usize = 68;     // the newest chunk's end
const TAPE_BYTES: usize = 72;
const CHUNK_BYTES: usize = 4096;
const CHUNK_HEADER: usize = 16;

const OVERFLOW = 31;
const OVERFLOW_BIT: u32 = 1 << 31;
const SLOT_BITS: u32 = ~OVERFLOW_BIT;

@inline function count(list: usize): i32 { return load<i32>(list, 8); }
@inline function items(list: usize): usize { return load<usize>(list); }
@inline function recordAt(tape: usize, r: i32): Record { return changetype<Record>(load<usize>(items(tape + T_RECORDS) + (<usize>r << 2))); }
@inline function slotOf(tape: usize): i32 { return load<i32>(tape, T_SLOT); }
/** Id k of a record: its outputs', then its inputs' (k ≥ outputs). */
@inline function idAt(rec: Record, k: i32): i32 { return load<i32>(rec.ids + (<usize>k << 2)); }

/** Makes room for one more item in a growable list (doubling); returns the new item's address. */
function push(list: usize, itemBytes: usize): usize {
  const n = count(list), cap = load<i32>(list, 4);
  if (n == cap) {
    const newCap = cap == 0 ? 16 : cap * 2;
    const buf = alloc(<usize>newCap * itemBytes);
    if (cap != 0) {
      memory.copy(buf, items(list), <usize>cap * itemBytes);
      free(items(list), <usize>cap * itemBytes);
    }
    store<usize>(list, buf);
    store<i32>(list, newCap, 4);
  }
  store<i32>(list, n + 1, 8);
  return items(list) + <usize>n * itemBytes;
}

/** Frees a growable list's buffer and empties it. */
function drop(list: usize, itemBytes: usize): void {
  const cap = load<i32>(list, 4);
  if (cap != 0) free(items(list), <usize>cap * itemBytes);
  store<usize>(list, 0); store<i32>(list, 0, 4); store<i32>(list, 0, 8);
}

/** A watched (id, serial) pair still names the tensor that was watched (ids are reused). */
@inline function stillWatched(pair: usize): bool {
  const id = load<i32>(pair);
  return id < tableCapacity && serialOf(id) == load<u32>(pair, 4);
}

export function newTape(): usize {
  const tape = allocZeroed(TAPE_BYTES);
  store<i32>(tape, -1, T_SLOT);
  return tape;
}

/** Releases everything a tape holds and the tape itself. */
export function freeTape(tape: usize): void {
  stopRecording(tape);
  resetTape(tape);
  free(tape, TAPE_BYTES);
}

/** Forgets every record and watch (releasing what they kept alive); a recording tape keeps recording. */
export function resetTape(tape: usize): void {
  const slot = slotOf(tape);
  if (slot == OVERFLOW) memory.fill(load<usize>(tape, T_MAP), 0, <usize>load<i32>(tape, T_MAP_IDS) << 2);
  else if (slot >= 0) unmark(tape); // before release: a record holds its outputs alive
  const n = count(tape + T_RECORDS);
  for (let r = 0; r < n; r++) {
    const rec = recordAt(tape, r);
    if (rec.op == Op.Custom) releaseCustom(rec.attr(0));
    for (let k = 0; k < rec.outputs + rec.inputs; k++) release(idAt(rec, k));
  }
  drop(tape + T_RECORDS, 4);
  const chunks = tape + T_CHUNKS;
  for (let i = 0; i < count(chunks); i++) { const c = load<usize>(items(chunks) + (<usize>i << 2)); free(c, load<usize>(c)); }
  drop(chunks, 4);
  store<usize>(tape, 0, T_TOP); store<usize>(tape, 0, T_END);
  drop(tape + T_WATCHED, 8);
  const held = tape + T_HELD;
  for (let i = 0; i < count(held); i++) release(load<i32>(items(held) + (<usize>i << 2)));
  drop(held, 4);
}

// ---- recording ----------------------------------------------------------------------------------
const slotTapes = memory.data(OVERFLOW * 4, 16); // the tape owning each slot (0: free)
let usedSlots: u32 = 0;
/** Bits of the tapes recording right now (bit 31: at least one overflow tape is). */
let activeMask: u32 = 0;
const overflowTapes = memory.data(12, 16); // growable list of the overflow tapes (recording or paused)

/**
 * The bits `record` looks at: activeMask, except while JS pauses the tapes (stopGradient, a custom
 * gradient's forward function): then 0, plus the tapes started since the pause.
 */
export let recordingMask: u32 = 0;
/** JS pauses with 0 and restores what it saved; a tape stopped meanwhile stays stopped. */
export function setRecordingMask(mask: u32): void { recordingMask = mask & activeMask; }

function setActiveBits(mask: u32): void {
  recordingMask = (recordingMask & mask) | (mask & ~activeMask); // stopped bits off, started bits on
  activeMask = mask;
}

function anyOverflowActive(): bool {
  const list = overflowTapes;
  for (let i = 0; i < count(list); i++) if (load<i32>(load<usize>(items(list) + (<usize>i << 2)), T_ACTIVE) != 0) return true;
  return false;
}

/** Starts recording: takes a slot (or joins the overflow tapes) and marks what the tape watches. */
export function startRecording(tape: usize): void {
  if (slotOf(tape) < 0) {
    const free = ~usedSlots & SLOT_BITS;
    if (free != 0) {
      const slot = <i32>ctz<u32>(free);
      usedSlots |= <u32>1 << slot;
      store<usize>(slotTapes + (<usize>slot << 2), tape);
      store<i32>(tape, slot, T_SLOT);
    } else {
      store<usize>(push(overflowTapes, 4), tape);
      store<i32>(tape, OVERFLOW, T_SLOT);
    }
    mark(tape);
  }
  setActive(tape, 1);
}

/** Stops recording: gives the slot back and clears the tape's bit; its records stay. */
export function stopRecording(tape: usize): void {
  const slot = slotOf(tape);
  if (slot < 0) return;
  setActive(tape, 0);
  unmark(tape);
  if (slot == OVERFLOW) {
    const list = overflowTapes, n = count(list), base = items(list);
    for (let i = 0; i < n; i++) {
      if (load<usize>(base + (<usize>i << 2)) != tape) continue;
      store<usize>(base + (<usize>i << 2), load<usize>(base + (<usize>(n - 1) << 2)));
      store<i32>(list, n - 1, 8);
      break;
    }
    const ids = load<i32>(tape, T_MAP_IDS);
    if (ids != 0) free(load<usize>(tape, T_MAP), <usize>ids << 2);
    store<usize>(tape, 0, T_MAP); store<i32>(tape, 0, T_MAP_IDS);
  } else {
    usedSlots &= ~(<u32>1 << slot);
    store<usize>(slotTapes + (<usize>slot << 2), 0);
  }
  store<i32>(tape, -1, T_SLOT);
}

/** Pauses (0) or resumes (1) a tape that holds a slot (stopRecording(fn) in JS). */
export function setActive(tape: usize, on: i32): void {
  const slot = slotOf(tape);
  if (slot < 0) return;
  store<i32>(tape, on, T_ACTIVE);
  const bit = <u32>1 << slot;
  if (slot == OVERFLOW) setActiveBits(anyOverflowActive() ? activeMask | bit : activeMask & ~bit);
  else setActiveBits(on != 0 ? activeMask | bit : activeMask & ~bit);
}

/** Does overflow tape `tape` watch tensor `id`? */
@inline function overflowWatches(tape: usize, id: i32): bool {
  return id != 0 && id < load<i32>(tape, T_MAP_IDS) && load<u32>(load<usize>(tape, T_MAP) + (<usize>id << 2)) == serialOf(id);
}

/** Marks `id` as watched by the tape (which holds a slot). */
function markOne(tape: usize, id: i32): void {
  const slot = slotOf(tape);
  if (slot != OVERFLOW) { setWatchMask(id, watchMask(id) | (<u32>1 << slot)); return; }
  let ids = load<i32>(tape, T_MAP_IDS);
  if (id >= ids) { // the map covers the whole tensor table (grown with it)
    const newIds = max(tableCapacity, id + 1);
    const map = allocZeroed(<usize>newIds << 2);
    if (ids != 0) {
      memory.copy(map, load<usize>(tape, T_MAP), <usize>ids << 2);
      free(load<usize>(tape, T_MAP), <usize>ids << 2);
    }
    store<usize>(tape, map, T_MAP); store<i32>(tape, newIds, T_MAP_IDS);
  }
  store<u32>(load<usize>(tape, T_MAP) + (<usize>id << 2), serialOf(id));
  setWatchMask(id, watchMask(id) | OVERFLOW_BIT);
}

/** Marks everything the tape watches: its live watched ids and its records' outputs. */
function mark(tape: usize): void {
  const watched = tape + T_WATCHED;
  for (let i = 0; i < count(watched); i++) {
    const pair = items(watched) + (<usize>i << 3);
    if (stillWatched(pair)) markOne(tape, load<i32>(pair));
  }
  for (let r = 0; r < count(tape + T_RECORDS); r++) {
    const rec = recordAt(tape, r);
    for (let i = 0; i < rec.outputs; i++) markOne(tape, rec.output(i));
  }
}

/**
 * Clears the tape's slot bit from everything it marked. An overflow tape leaves bit 31 set (other
 * overflow tapes may share it; their maps decide), and its map goes with the slot.
 */
function unmark(tape: usize): void {
  const slot = slotOf(tape);
  if (slot == OVERFLOW) return;
  const keep = ~(<u32>1 << slot);
  const watched = tape + T_WATCHED;
  for (let i = 0; i < count(watched); i++) {
    const pair = items(watched) + (<usize>i << 3);
    if (stillWatched(pair)) { const id = load<i32>(pair); setWatchMask(id, watchMask(id) & keep); }
  }
  for (let r = 0; r < count(tape + T_RECORDS); r++) {
    const rec = recordAt(tape, r);
    for (let i = 0; i < rec.outputs; i++) { const out = rec.output(i); setWatchMask(out, watchMask(out) & keep); }
  }
}

/** Watches tensor `id` (float only); `hold` != 0 also keeps a reference (a variable's value). */
export function watch(tape: usize, id: i32, hold: i32): void {
  if (!isFloat(id)) return;
  if (hold != 0) { retain(id); store<i32>(push(tape + T_HELD, 4), id); }
  const slot = slotOf(tape);
  if (slot >= 0 && slot != OVERFLOW && (watchMask(id) & (<u32>1 << slot)) != 0) return; // already
  const pair = push(tape + T_WATCHED, 8);
  store<i32>(pair, id); store<u32>(pair, serialOf(id), 4);
  if (slot >= 0) markOne(tape, id);
}

/** Room for a record of `bytes` at the end of a tape (its newest chunk, or a new one), listed in its records. */
@inline function reserve(tape: usize, bytes: usize): usize {
  let at = load<usize>(tape, T_TOP);
  if (at == 0 || at + bytes > load<usize>(tape, T_END)) at = newChunk(tape, bytes);
  store<usize>(tape, at + bytes, T_TOP);
  store<usize>(push(tape + T_RECORDS, 4), at);
  return at;
}
function newChunk(tape: usize, bytes: usize): usize {
  const size = max(CHUNK_BYTES, bytes + CHUNK_HEADER);
  const chunk = alloc(size);
  store<usize>(chunk, size);
  store<usize>(push(tape + T_CHUNKS, 4), chunk);
  store<usize>(tape, chunk + size, T_END);
  return chunk + CHUNK_HEADER;
}

/** Copies a record onto one tape and retains its tensors. */
function append(tape: usize, rec: Record): void {
  const bytes = rec.bytes, at = reserve(tape, bytes);
  // word by word: records are a few words, and V8 makes memory.copy a call out of the module
  const from = changetype<usize>(rec);
  for (let k: usize = 0; k < bytes; k += 4) store<i32>(at + k, load<i32>(from + k));
  for (let k = 0; k < rec.outputs + rec.inputs; k++) retain(idAt(rec, k));
}

/** Whether a record has an output a gradient can flow from (a float one). */
function anyFloatOutput(rec: Record): bool {
  for (let i = 0; i < rec.outputs; i++) if (isFloat(rec.output(i))) return true;
  return false;
}

/**
 * Appends a record (built in scratch memory: Record.build) to every recording tape that watches
 * one of its inputs; returns how many tapes took it. Its outputs become watched by those tapes.
 */
export function commitRecord(rec: Record): i32 {
  let mask: u32 = 0;
  for (let i = 0; i < rec.inputs; i++) mask |= watchMask(rec.input(i));
  mask &= recordingMask;
  if (mask == 0 || !anyFloatOutput(rec)) return 0;
  let tapes = 0;
  const slots = mask & SLOT_BITS;
  for (let m = slots; m != 0; m &= m - 1) {
    append(load<usize>(slotTapes + (<usize>ctz<u32>(m) << 2)), rec);
    tapes++;
  }
  for (let i = 0; i < rec.outputs; i++) { const out = rec.output(i); setWatchMask(out, watchMask(out) | slots); }
  if ((mask & OVERFLOW_BIT) == 0) return tapes;
  const list = overflowTapes;
  for (let t = 0; t < count(list); t++) {
    const tape = load<usize>(items(list) + (<usize>t << 2));
    if (load<i32>(tape, T_ACTIVE) == 0) continue;
    let watches = false;
    for (let i = 0; i < rec.inputs; i++) watches = watches || overflowWatches(tape, rec.input(i));
    if (!watches) continue;
    append(tape, rec);
    for (let i = 0; i < rec.outputs; i++) markOne(tape, rec.output(i));
    tapes++;
  }
  return tapes;
}

/** Whether some recording tape watches tensor `id` (an op with it as input would be recorded). */
@inline export function isRecording(id: i32): bool { return (watchMask(id) & recordingMask) != 0; }

/** A record of the given arity in scratch memory, for commitRecord (the caller releases the scratch). */
export function newRecord(op: i32, outputs: i32, inputs: i32, attrs: i32): Record {
  return Record.build(scratchTake(Record.bytesFor(outputs, inputs, attrs)), op, outputs, inputs, attrs);
}

/**
 * A record of one output, one to three inputs (a 0 ends the list) and up to two attribute words:
 * most ops record this, so on the fast path (tapes that own a slot) it is written straight onto
 * each tape; otherwise it is built in scratch and committed like any record.
 */
function recordSmall(op: i32, out: i32, in0: i32, in1: i32, in2: i32, attrs: i32, a0: i32, a1: i32): void {
  const mask = (watchMask(in0) | watchMask(in1) | watchMask(in2)) & recordingMask;
  if (mask == 0 || !isFloat(out)) return;
  const inputs = in1 == 0 ? 1 : in2 == 0 ? 2 : 3;
  if ((mask & OVERFLOW_BIT) == 0) {
    const bytes = Record.bytesFor(1, inputs, attrs);
    for (let m = mask; m != 0; m &= m - 1) {
      fillSmall(Record.build(reserve(load<usize>(slotTapes + (<usize>ctz<u32>(m) << 2)), bytes), op, 1, inputs, attrs), out, in0, in1, in2, a0, a1);
      retain(out); retain(in0);
      if (inputs > 1) retain(in1);
      if (inputs > 2) retain(in2);
    }
    setWatchMask(out, watchMask(out) | mask);
    return;
  }
  const mark = scratchMark();
  commitRecord(fillSmall(newRecord(op, 1, inputs, attrs), out, in0, in1, in2, a0, a1));
  scratchRelease(mark);
}
/** The ids and attribute words of a small record laid out by Record.build. */
@inline function fillSmall(rec: Record, out: i32, in0: i32, in1: i32, in2: i32, a0: i32, a1: i32): Record {
  rec.setOutput(0, out).setInput(0, in0);
  if (rec.inputs > 1) rec.setInput(1, in1);
  if (rec.inputs > 2) rec.setInput(2, in2);
  if (rec.attrs > 0) rec.setAttr(0, a0);
  if (rec.attrs > 1) rec.setAttr(1, a1);
  return rec;
}
/** Records an op of one output and one to three inputs (a 0 ends the list). */
export function record(op: i32, out: i32, in0: i32, in1: i32 = 0, in2: i32 = 0): void { recordSmall(op, out, in0, in1, in2, 0, 0, 0); }
/** The same with one attribute word (in1 may be 0: one input). */
export function recordAttr(op: i32, out: i32, in0: i32, in1: i32, a0: i32): void { recordSmall(op, out, in0, in1, 0, 1, a0, 0); }
/** The same with two attribute words. */
export function recordAttr2(op: i32, out: i32, in0: i32, in1: i32, a0: i32, a1: i32): void { recordSmall(op, out, in0, in1, 0, 2, a0, a1); }

/** Records op with one output and input x and n attribute words copied from `words` (shapes, permutations). */
export function recordWords(op: i32, out: i32, x: i32, words: usize, n: i32): void {
  if (!isRecording(x)) return;
  const mark = scratchMark();
  const rec = newRecord(op, 1, 1, n).setOutput(0, out).setInput(0, x);
  memory.copy(rec.attrAt(0), words, <usize>n << 2);
  commitRecord(rec);
  scratchRelease(mark);
}

/**
 * Records one custom op (a JS gradient function, `fnId`): the ids at `outputs` from those at
 * `inputs`. Returns how many tapes took it.
 */
export function recordCustom(fnId: i32, outputs: usize, nOutputs: i32, inputs: usize, nInputs: i32): i32 {
  const mark = scratchMark();
  const rec = newRecord(Op.Custom, nOutputs, nInputs, 1).setAttr(0, fnId);
  for (let i = 0; i < nOutputs; i++) rec.setOutput(i, load<i32>(outputs + (<usize>i << 2)));
  for (let i = 0; i < nInputs; i++) rec.setInput(i, load<i32>(inputs + (<usize>i << 2)));
  const tapes = commitRecord(rec);
  scratchRelease(mark);
  return tapes;
}

/** The backward rule of a custom op: the JS gradient function reads the upstream gradients and sets the inputs' gradients. */
export function customBackward(rec: Record, grads: Grads): void {
  // its ops may fail (and be caught in JS) without releasing the sweep's scratch
  const outer = scratchBarrier(scratchMark());
  callCustomGradient(rec.attr(0), grads);
  scratchBarrier(outer);
}

// ---- the backward sweep -------------------------------------------------------------------------
// Sweep state is global so that `endSweep` can clean up when a JS custom gradient throws.
let gradOf: usize = 0;     // i32 per tensor id: accumulated gradient tensor id (0 = none yet)
let reachable: usize = 0;  // u8 per tensor id: REACHES (depends on a source) | KNOWN (the tape watches it)
let sweepIds: i32 = 0;     // entries in both maps
let touched: usize = 0;    // i32 list of the ids whose gradOf entry was set (so ending a sweep is O(records))
let touchedCount: i32 = 0;
let touchedBytes: usize = 0;
let gradsAt: usize = 0;    // the Grads each rule receives (room for the widest record), at the end of `touched`'s block
const REACHES: u8 = 1, KNOWN: u8 = 2;

@inline export function needsGrad(id: i32): bool {
  return id != 0 && id < sweepIds && (load<u8>(reachable + <usize>id) & REACHES) != 0 && isFloat(id);
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
 * Gradients of the targets w.r.t. the sources over the records of `tape`.
 * `args` holds targets[nTargets], seeds[nTargets] (0 = ones) and sources[nSources]; the gradient
 * ids (0 = unconnected) are written over the sources. Each returned id carries its own reference.
 * As in TF, a source that is also a target receives that target's seed even if the tape never saw it.
 */
export function gradient(tape: usize, argsIn: usize, nTargets: i32, nSources: i32): void {
  // private copy: custom gradients (JS) may call back in and reuse the shared args buffer
  const argBytes = <usize>(2 * nTargets + nSources) << 2;
  const args = alloc(argBytes);
  memory.copy(args, argsIn, argBytes);
  pushSweep();
  // the per-id maps cover only the ids this sweep can meet (targets, sources, the records' tensors),
  // not the whole tensor table: a small tape among many live tensors stays cheap
  let maxId = 0, recordInputs = 0, gradsBytes: usize = 0;
  for (let i = 0; i < 2 * nTargets + nSources; i++) maxId = max(maxId, load<i32>(args + (<usize>i << 2)));
  const records = count(tape + T_RECORDS);
  for (let r = 0; r < records; r++) {
    const rec = recordAt(tape, r);
    for (let k = 0; k < rec.outputs + rec.inputs; k++) maxId = max(maxId, idAt(rec, k));
    recordInputs += rec.inputs;
    gradsBytes = max(gradsBytes, Grads.bytesFor(rec.outputs, rec.inputs));
  }
  const ids = maxId + 1;
  sweepIds = ids;
  gradOf = allocZeroed(<usize>ids << 2);
  // every id that can receive a gradient is a target or a record input; then one Grads
  touchedBytes = (<usize>(recordInputs + nTargets + 1) << 2) + gradsBytes;
  touched = alloc(touchedBytes);
  gradsAt = touched + (<usize>(recordInputs + nTargets + 1) << 2);
  touchedCount = 0;
  reachable = allocZeroed(<usize>ids);
  // only tensors this tape watches (explicitly, or as outputs of its records) can receive gradients
  const watched = tape + T_WATCHED;
  for (let i = 0; i < count(watched); i++) {
    const pair = items(watched) + (<usize>i << 3), id = load<i32>(pair);
    if (id < ids && stillWatched(pair)) store<u8>(reachable + <usize>id, KNOWN);
  }
  for (let r = 0; r < records; r++) {
    const rec = recordAt(tape, r);
    for (let i = 0; i < rec.outputs; i++) store<u8>(reachable + <usize>rec.output(i), KNOWN);
  }
  const sources = args + (<usize>(2 * nTargets) << 2);
  for (let i = 0; i < nSources; i++) {
    const at = reachable + <usize>load<i32>(sources + (<usize>i << 2));
    if (load<u8>(at) & KNOWN) store<u8>(at, KNOWN | REACHES);
  }
  store<u8>(reachable, 0); // id 0 means "no tensor"
  // forward pass: which records depend on a source (records are in topological order)
  for (let r = 0; r < records; r++) {
    const rec = recordAt(tape, r);
    let reaches = false;
    for (let i = 0; i < rec.inputs; i++) reaches = reaches || (load<u8>(reachable + <usize>rec.input(i)) & REACHES) != 0;
    if (reaches) for (let i = 0; i < rec.outputs; i++) store<u8>(reachable + <usize>rec.output(i), KNOWN | REACHES);
  }
  // seeds (ones by default: d(sum of the target)/d target); kept until the end for sources that are
  // targets the tape never saw
  const seeds = args + (<usize>nTargets << 2);
  for (let i = 0; i < nTargets; i++) {
    const target = load<i32>(args + (<usize>i << 2));
    let seed = load<i32>(seeds + (<usize>i << 2));
    if (seed == 0) seed = onesLike(target);
    else retain(seed);
    store<i32>(seeds + (<usize>i << 2), seed);
    retain(seed);
    accumulate(target, seed);
  }
  // (each step re-reads the list: a recording persistent tape may grow it)
  for (let r = records - 1; r >= 0; r--) backwardStep(recordAt(tape, r));
  const results = argsIn + (<usize>(2 * nTargets) << 2);
  for (let i = 0; i < nSources; i++) {
    const src = load<i32>(sources + (<usize>i << 2));
    const reached = needsGrad(src);
    let g = reached ? load<i32>(gradOf + (<usize>src << 2)) : 0;
    retain(g);
    if (!reached) {
      for (let t = 0; t < nTargets; t++) {
        if (load<i32>(args + (<usize>t << 2)) != src) continue;
        const seed = load<i32>(seeds + (<usize>t << 2));
        if (g == 0) { retain(seed); g = seed; }
        else { const sum = add(g, seed); release(g); g = sum; }
      }
    }
    store<i32>(results + (<usize>i << 2), g);
  }
  for (let i = 0; i < nTargets; i++) release(load<i32>(seeds + (<usize>i << 2)));
  endSweep();
  free(args, argBytes);
}

/** One record of the sweep: its rule gets the outputs' gradients and sets its inputs', which are accumulated. */
function backwardStep(rec: Record): void {
  // nothing to do unless an output has an upstream gradient and an input is wanted
  const outputs = rec.outputs, inputs = rec.inputs, grads = Grads.build(gradsAt, outputs, inputs);
  let dys: i32 = 0, wanted = false;
  for (let i = 0; i < outputs; i++) { const dy = load<i32>(gradOf + (<usize>rec.output(i) << 2)); dys |= dy; grads.setDy(i, dy); }
  if (dys == 0) return;
  for (let i = 0; i < inputs; i++) { const w = needsGrad(rec.input(i)); wanted = wanted || w; grads.setWanted(i, w); }
  if (!wanted) return;
  for (let i = 0; i < inputs; i++) grads.set(i, 0);
  backwardRule(rec, grads);
  for (let i = 0; i < inputs; i++) {
    const g = grads.result(i);
    if (g != 0) accumulate(rec.input(i), g);
  }
}

// A custom gradient (JS) may itself compute gradients, so sweeps nest: their state is a stack that
// grows as deep as they go.
const SWEEP_FRAME: usize = 28;
const sweepStack = memory.data(12, 16); // growable list of frames
function pushSweep(): void {
  const p = push(sweepStack, SWEEP_FRAME);
  store<usize>(p, gradOf); store<usize>(p, reachable, 4); store<i32>(p, sweepIds, 8);
  store<usize>(p, touched, 12); store<i32>(p, touchedCount, 16); store<usize>(p, touchedBytes, 20); store<usize>(p, gradsAt, 24);
  gradOf = 0;
}

/** Ends the innermost sweep, releasing its gradient map (also after a custom gradient threw). */
export function endSweep(): void {
  const depth = count(sweepStack);
  if (depth == 0) return;
  if (gradOf != 0) {
    for (let i = 0; i < touchedCount; i++) release(load<i32>(gradOf + (<usize>load<i32>(touched + (<usize>i << 2)) << 2)));
    free(touched, touchedBytes);
    free(gradOf, <usize>sweepIds << 2);
    free(reachable, <usize>sweepIds);
  }
  store<i32>(sweepStack, depth - 1, 8);
  const p = items(sweepStack) + <usize>(depth - 1) * SWEEP_FRAME;
  gradOf = load<usize>(p); reachable = load<usize>(p, 4); sweepIds = load<i32>(p, 8);
  touched = load<usize>(p, 12); touchedCount = load<i32>(p, 16); touchedBytes = load<usize>(p, 20); gradsAt = load<usize>(p, 24);
}

/** A float32 tensor of ones shaped like `x` (never recorded). */
function onesLike(x: i32): i32 {
  const out = newLike(x, DType.Float32);
  const p = dataPtr(out), n = sizeOf(out);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), 1);
  return out;
}
