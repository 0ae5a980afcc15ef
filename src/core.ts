// Loading the WebAssembly core and talking to it: the instance's raw exports, views over its
// memory (re-created after memory.grow detaches them), and the args buffer for array arguments.

/** The raw exports of build/gradtape.wasm (see assembly/index.ts). */
export interface Core {
  memory: WebAssembly.Memory;
  tableCell(): number;
  liveTensors: WebAssembly.Global;
  liveBytes: WebAssembly.Global;
  recordingMask: WebAssembly.Global;
  args(): number;
  argsCapacity(): number;
  growArgs(ints: number): number;
  newTensor(dtype: number, rank: number, shapePtr: number): number;
  retain(id: number): void;
  release(id: number): void;
  dataPtr(id: number): number;
  unary(op: number, x: number, param: number): number;
  binary(op: number, a: number, b: number): number;
  where(cond: number, a: number, b: number): number;
  broadcastToShape(x: number, shapePtr: number, rank: number): number;
  reduce(op: number, x: number, axesMask: number, keepDims: number): number;
  reshape(x: number, shapePtr: number, rank: number): number;
  matmul(a: number, b: number, transposeA: number, transposeB: number): number;
  /** ids of equally ranked tensors (through the args buffer) joined on `axis` */
  concat(idsPtr: number, n: number, axis: number): number;
  transpose(x: number, packedPerm: number): number;
  cast(x: number, dtype: number): number;
  softmax(x: number, axis: number, log: number): number;
  setRecordingMask(mask: number): void;
  /** tapes: pointers to tape structs in the core (see assembly/tape.ts) */
  newTape(): number;
  freeTape(tape: number): void;
  resetTape(tape: number): void;
  startRecording(tape: number): void;
  stopRecording(tape: number): void;
  setActive(tape: number, on: number): void;
  watch(tape: number, id: number, hold: number): void;
  gradient(tape: number, argsPtr: number, nTargets: number, nSources: number): void;
  /** returns how many tapes recorded the op */
  recordCustom(fnId: number, out: number, inputsPtr: number, n: number): number;
  endSweep(): void;
}

/** Hooks the tape layer installs so the core can call back into JS during a backward sweep. */
export const callbacks = {
  customGradient(_fnId: number, _dy: number, _outPtr: number, _count: number): void {},
  releaseCustom(_fnId: number): void {},
  /** called after the core was re-instantiated following a trap: JS-side state must forget the old one */
  onReset(): void {},
};

export let core: Core = undefined as unknown as Core;
/** Bumped on every (re-)instantiation; tensors remember the generation they belong to. */
export let generation = 0;
let i32 = new Int32Array(0);
// The compiled core. Not named `module`: module wrappers such as Vite's SSR runner pass a `module`
// parameter, which a top-level `var module` in the readable bundle would pick up.
let compiled: WebAssembly.Module | undefined;
let defaultSource: (() => WebAssembly.Module | BufferSource) | undefined;

/** Entry points (embedded bytes, workerd module) register where the default wasm comes from. */
export function setDefaultSource(source: () => WebAssembly.Module | BufferSource): void {
  defaultSource = source;
}

function imports(): WebAssembly.Imports {
  return {
    env: {
      outOfMemory(bytes: number) {
        throw new Error(`gradtape: out of memory: WebAssembly memory could not grow to allocate ${bytes} bytes (it holds ${core.memory.buffer.byteLength} bytes now)`);
      },
      customGradient: (fnId: number, dy: number, outPtr: number, count: number) => callbacks.customGradient(fnId, dy, outPtr, count),
      releaseCustom: (fnId: number) => callbacks.releaseCustom(fnId),
      pow: Math.pow, // a^b for exponents the core does not do itself (assembly/ops/elementwise.ts powF)
      // only the debug build imports abort: decode AssemblyScript's UTF-16 message
      abort(msg: number, file: number, line: number, col: number) {
        throw new Error(`gradtape core assertion failed: ${readString(msg)} at ${readString(file)}:${line}:${col}`);
      },
    },
  };
}

function readString(ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(core.memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(core.memory.buffer, ptr, bytes >>> 1));
}

function instantiate(mod: WebAssembly.Module): void {
  const instance = new WebAssembly.Instance(mod, imports());
  compiled = mod;
  core = guard(instance.exports);
  setViews();
  generation++;
}

/**
 * Wraps every export so that a WebAssembly trap (a bug: all input is validated before the call)
 * never reaches the caller as a RuntimeError: the core is re-instantiated from the cached Module
 * and a clear Error explains that existing tensors are gone.
 */
function guard(exports: WebAssembly.Exports): Core {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function') { out[name] = value; continue; }
    const fn = value as (...args: number[]) => number;
    const fail = (e: unknown): never => {
      if (e instanceof WebAssembly.RuntimeError) recover(name, e);
      throw e;
    };
    // one wrapper per arity: calling an export with exactly its parameter count keeps V8's fast path
    switch (fn.length) {
      case 0: out[name] = () => { try { return fn(); } catch (e) { return fail(e); } }; break;
      case 1: out[name] = (a: number) => { try { return fn(a); } catch (e) { return fail(e); } }; break;
      case 2: out[name] = (a: number, b: number) => { try { return fn(a, b); } catch (e) { return fail(e); } }; break;
      case 3: out[name] = (a: number, b: number, c: number) => { try { return fn(a, b, c); } catch (e) { return fail(e); } }; break;
      case 4: out[name] = (a: number, b: number, c: number, d: number) => { try { return fn(a, b, c, d); } catch (e) { return fail(e); } }; break;
      default: out[name] = (...args: number[]) => { try { return fn(...args); } catch (e) { return fail(e); } };
    }
  }
  // pointers come back as signed i32: above 2 GiB they must be read unsigned
  const dataPtr = out.dataPtr as (id: number) => number;
  out.dataPtr = (id: number) => dataPtr(id) >>> 0;
  const newTape = out.newTape as () => number;
  out.newTape = () => newTape() >>> 0;
  // the argument buffer is static data: its address and size never change, so JS need not ask again
  let argsBase = (out.args as () => number)() >>> 0, argsCapacity = (out.argsCapacity as () => number)();
  tableCell = (out.tableCell as () => number)() >>> 2;
  out.args = () => argsBase;
  out.argsCapacity = () => argsCapacity;
  const growArgs = out.growArgs as (ints: number) => number;
  out.growArgs = (ints: number) => { argsBase = growArgs(ints) >>> 0; argsCapacity = ints; return argsBase; };
  return out as unknown as Core;
}

function recover(where: string, e: WebAssembly.RuntimeError): never {
  instantiate(compiled!);
  callbacks.onReset();
  throw new Error(`gradtape: internal error in the WebAssembly core (${e.message} in ${where}); the core was reset, so tensors, variables and tapes created before are no longer usable. Please report this.`);
}

function toModule(source: WebAssembly.Module | BufferSource): WebAssembly.Module {
  return source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
}

/** Synchronous init from a Module or bytes (default: the bytes shipped with this build). Idempotent. */
export function initSync(source?: WebAssembly.Module | BufferSource): void {
  if (compiled) return;
  if (source === undefined) {
    if (!defaultSource) throw new Error('gradtape: no WebAssembly source is bundled with this build; call init(source) or initSync(source) first');
    source = defaultSource();
  }
  instantiate(toModule(source));
}

/** Async init from a Module, bytes, a Response (or its promise) or a URL. Idempotent. */
export async function init(source?: WebAssembly.Module | BufferSource | Response | PromiseLike<Response> | string | URL): Promise<void> {
  if (compiled) return;
  if (source === undefined) return initSync();
  if (typeof source === 'string' || source instanceof URL) source = fetch(source);
  if (typeof (source as PromiseLike<Response>).then === 'function') source = await (source as PromiseLike<Response>);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`gradtape: init could not fetch the WebAssembly core: HTTP ${source.status} ${source.statusText}`);
    source = await source.arrayBuffer();
  }
  const mod = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source as BufferSource);
  if (!compiled) instantiate(mod);
}

/** Makes sure the core is loaded (first use initialises it synchronously). */
export function ready(): Core {
  if (!compiled) initSync();
  return core;
}

/** An Int32Array over the whole memory, refreshed if memory grew. */
export function ints(): Int32Array {
  // memory.grow detaches the old buffer, which zeroes the view's length: cheaper to test than
  // reading memory.buffer (a getter into the engine) on every call
  if (i32.length === 0) setViews();
  return i32;
}
/** Float and byte views of the whole memory, refreshed with the int view. */
export function floats(): Float32Array {
  if (f32.length === 0) setViews();
  return f32;
}
export function bytes(): Uint8Array {
  if (u8.length === 0) setViews();
  return u8;
}
let f32 = new Float32Array(0), u8 = new Uint8Array(0);
function setViews(): void {
  const buffer = core.memory.buffer;
  i32 = new Int32Array(buffer);
  f32 = new Float32Array(buffer);
  u8 = new Uint8Array(buffer);
}

/** The args buffer's address, with room for `n` ints (it grows when a call needs more). */
export function argsFor(n: number): number {
  return n <= core.argsCapacity() ? core.args() : core.growArgs(Math.max(n, 2 * core.argsCapacity()));
}

/** Writes ints into the args buffer; returns its address. */
export function writeArgs(values: ArrayLike<number>, offset = 0): number {
  const base = argsFor(offset + values.length), m = ints(), at = (base >>> 2) + offset;
  if (values.length > 8) m.set(values, at);
  else for (let i = 0; i < values.length; i++) m[at + i] = values[i]; // set() costs more for a few values
  return base;
}

export const ENTRY_INTS = 16; // tensor table entry: 64 bytes (assembly/tensor.ts)
let tableCell = 0; // index in ints() of the cell holding the table's base address (the table moves as it grows)
/** Index in ints() of tensor `id`'s table entry. */
export function entryIndex(id: number): number {
  const m = ints();
  return (m[tableCell] >>> 2) + id * ENTRY_INTS;
}
/** Address of tensor `id`'s data (entry field 0), read from the table rather than by a call into the core. */
export function dataAddress(id: number): number { return ints()[entryIndex(id)] >>> 0; }
export const E_DTYPE = 2, E_RANK = 3, E_SHAPE = 8, E_SIZE = 1;
