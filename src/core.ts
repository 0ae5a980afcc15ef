// Loading the WebAssembly modules and talking to them: the core (every program) and the extra
// module (kernels few programs use, compiled on the first op that needs it; it shares the core's
// memory, tensor table and tapes), their raw exports (interfaces generated from the op manifest,
// assembly/manifest.mjs), views over the memory, and the args buffer for array arguments.
// The modules export under short names (build/generated/interface.ts): `core[C.newTensor](...)`.
import { C, X, type Core, type Extra } from '../build/generated/interface.js';
export type { Core, Extra };

/** Where a module's bytes come from: a compiled Module, or bytes to compile. */
export type WasmSource = WebAssembly.Module | BufferSource;

/** Hooks the tape layer installs so the core can call back into JS during a backward sweep. */
export const callbacks = {
  customGradient(_fnId: number, _grads: number): void {},
  releaseCustom(_fnId: number): void {},
  /** called after the core was re-instantiated following a trap: JS-side state must forget the old one */
  onReset(): void {},
};

export let core: Core = undefined as unknown as Core;
/** The core's exports as the instance gives them (the extra module imports these, wasm to wasm). */
let rawCore: Core = undefined as unknown as Core;
/** Bumped on every (re-)instantiation; tensors remember the generation they belong to. */
export let generation = 0;
let i32 = new Int32Array(0);
// The compiled core. Not named `module`: module wrappers such as Vite's SSR runner pass a `module`
// parameter, which a top-level `var module` in the readable bundle would pick up.
let compiled: WebAssembly.Module | undefined;
let defaultSource: (() => WasmSource) | undefined;

/** Entry points (embedded bytes, workerd module) register where the default core comes from. */
export function setDefaultSource(source: () => WasmSource): void {
  defaultSource = source;
}

/**
 * What the core imports, under one-letter names as its exports (assembly/memory.ts, assembly/tape.ts,
 * assembly/threads.ts, build/generated/core-backward.ts). The memory is shared, so that workers can
 * run kernels on it (assembly/threads.ts); 4 GiB at most, wasm32's whole address space (reserved,
 * not committed).
 */
function imports(): WebAssembly.Imports {
  return {
    env: {
      memory: new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: canShare() } as WebAssembly.MemoryDescriptor),
      // startPool: a job could use workers (the first time since setThreads)
      p: startPool,
      // extraTask: a task of a job of the extra module's kernels claimed by this thread
      e: (kind: number, task: number, slot: number) => rawExtra![X.task](kind, task, slot),
      // outOfMemory
      o(bytes: number) {
        throw new Error(`gradtape: out of memory: WebAssembly memory could not grow to allocate ${bytes} bytes (it holds ${core.memory.buffer.byteLength} bytes now)`);
      },
      // customGradient, releaseCustom
      c: (fnId: number, grads: number) => callbacks.customGradient(fnId, grads),
      r: (fnId: number) => callbacks.releaseCustom(fnId),
      // extraBackward: the backward rules of the extra module's ops (a record of one exists only once it is loaded)
      x: (record: number, grads: number) => rawExtra![X.backward](record, grads),
      // only the debug builds import abort: decode AssemblyScript's UTF-16 message
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
  // the start function initialises the allocator's state in the shared memory: the caller runs it
  // once, workers never (they instantiate the same module on the same memory)
  (instance.exports.start as () => void)();
  stopPool();
  compiled = mod;
  rawCore = instance.exports as unknown as Core;
  core = fastObject<Core>(coreShortcuts(guard(instance.exports)));
  extra = undefined;
  rawExtra = undefined;
  setViews();
  armThreads();
  generation++;
}

/**
 * Wraps every export so that a WebAssembly trap (a bug: all input is validated before the call)
 * never reaches the caller as a RuntimeError: the core is re-instantiated from the cached Module
 * and a clear Error explains that existing tensors are gone. Any other exception passing through
 * (out of memory, a JS callback's) releases the scratch memory the interrupted calls held.
 */
function guard(exports: WebAssembly.Exports): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function') { out[name] = value; continue; }
    const fn = value as (...args: number[]) => number;
    const fail = (e: unknown): never => {
      if (e instanceof WebAssembly.RuntimeError) recover(name, e);
      rawCore[C.scratchRecover]();
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
  return out;
}

/** The core's exports as JS uses them: pointers unsigned, the args buffer's address cached. */
function coreShortcuts(out: Record<string, any>): Record<string, unknown> {
  // pointers come back as signed i32: above 2 GiB they must be read unsigned
  const dataPtr = out[C.dataPtr], newTape = out[C.newTape], growArgs = out[C.growArgs];
  out[C.dataPtr] = (id: number) => dataPtr(id) >>> 0;
  out[C.newTape] = () => newTape() >>> 0;
  // the argument buffer is static data: its address and size never change, so JS need not ask again
  let argsBase = out[C.args]() >>> 0, argsCapacity = out[C.argsCapacity]();
  tableCell = out[C.tableCell]() >>> 2;
  memoryCell = out[C.memoryCell]() >>> 2;
  out[C.args] = () => argsBase;
  out[C.argsCapacity] = () => argsCapacity;
  out[C.growArgs] = (ints: number) => { argsBase = growArgs(ints) >>> 0; argsCapacity = ints; return argsBase; };
  return out;
}

/**
 * The same properties in an object with fast properties: one built by adding ~60 properties one by
 * one is left in V8's dictionary mode, where every `core[C.unary]` looks its name up.
 */
function fastObject<T>(o: Record<string, unknown>): T { return Object.fromEntries(Object.entries(o)) as T; }

function recover(where: string, e: WebAssembly.RuntimeError): never {
  instantiate(compiled!);
  callbacks.onReset();
  throw new Error(`gradtape: internal error in the WebAssembly core (${e.message} in ${where}); the core was reset, so tensors, variables and tapes created before are no longer usable. Please report this.`);
}

function toModule(source: WasmSource): WebAssembly.Module {
  return source instanceof WebAssembly.Module ? source : new WebAssembly.Module(linkable(source));
}

let sharing: boolean | undefined;
/** Whether this engine makes shared memories here (Firefox and Safari do not on pages that are not cross-origin isolated). */
function canShare(): boolean {
  try { return sharing ??= !!new WebAssembly.Memory({ initial: 0, maximum: 0, shared: true } as WebAssembly.MemoryDescriptor); } catch { return sharing = false; }
}

/**
 * The module's bytes as this engine can link them: both modules import a shared memory; where there is
 * none, a copy whose memory import is an ordinary one (one bit of the import's limits flags: the byte
 * after `env`, `memory`, kind 2). Threads need a shared memory anyway, so nothing else changes.
 */
function linkable(source: BufferSource): BufferSource {
  if (canShare()) return source;
  const bytes = new Uint8Array(ArrayBuffer.isView(source) ? source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength) : source.slice(0));
  const at = bytes.findIndex((_, i) => MEMORY_IMPORT.every((b, j) => bytes[i + j] === b));
  if (at >= 0) bytes[at + MEMORY_IMPORT.length] &= ~2;
  return bytes;
}
const MEMORY_IMPORT = [3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2]; // "env" "memory" (memory)

/**
 * Synchronous init from a Module or bytes (default: the core shipped with this build), and
 * optionally the extra module's (default: the one shipped with the ops that use it). Idempotent.
 */
export function initSync(source?: WasmSource, extraSource?: WasmSource): void {
  if (extraSource !== undefined && !extraCompiled) extraCompiled = toModule(extraSource);
  if (compiled) return;
  if (source === undefined) {
    if (!defaultSource) throw new Error('gradtape: no WebAssembly source is bundled with this build; call init(source) or initSync(source) first');
    source = defaultSource();
  }
  instantiate(toModule(source));
}

type AsyncSource = WasmSource | Response | PromiseLike<Response> | string | URL;
/** A compiled Module from any async source. */
async function compileFrom(source: AsyncSource): Promise<WebAssembly.Module> {
  if (typeof source === 'string' || source instanceof URL) source = fetch(source);
  if (typeof (source as PromiseLike<Response>).then === 'function') source = await (source as PromiseLike<Response>);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`gradtape: init could not fetch a WebAssembly module: HTTP ${source.status} ${source.statusText} (${source.url})`);
    source = await source.arrayBuffer();
  }
  return source instanceof WebAssembly.Module ? source : await WebAssembly.compile(linkable(source as BufferSource));
}

/**
 * Async init from a Module, bytes, a Response (or its promise) or a URL; `extraSource` the same
 * for the extra module (`gradtape/gradtape-extra.wasm`), compiled now and instantiated on first
 * use. Idempotent.
 */
export async function init(source?: AsyncSource, extraSource?: AsyncSource): Promise<void> {
  if (extraSource !== undefined && !extraCompiled) {
    const mod = await compileFrom(extraSource);
    extraCompiled ??= mod;
  }
  if (compiled) return;
  if (source === undefined) return initSync();
  const mod = await compileFrom(source);
  if (!compiled) instantiate(mod);
}

/** Makes sure the core is loaded (first use initialises it synchronously). */
export function ready(): Core {
  if (!compiled) initSync();
  return core;
}

// ---- the extra module ----
let extraCompiled: WebAssembly.Module | undefined;
let extra: Extra | undefined;
let rawExtra: Extra | undefined;

/**
 * The extra module, instantiated over the core's memory on first use (compiled from `source`, the
 * bytes the calling op's build ships, unless init/initSync was given the module).
 */
export function extraModule(source: () => WasmSource): Extra {
  if (extra) return extra;
  ready();
  extraCompiled ??= toModule(source());
  // its imports are the core's exports, memory included (build/generated/extra-imports.ts)
  const instance = new WebAssembly.Instance(extraCompiled, { env: rawCore as unknown as WebAssembly.ModuleImports });
  rawExtra = instance.exports as unknown as Extra;
  extra = fastObject<Extra>(guard(instance.exports));
  // workers started before have no extra module: new ones, started by the next job, get it
  stopPool();
  armThreads();
  return extra;
}

// ---- threads (assembly/threads.ts) ----
let threadsWanted = 0; // 0: as many as the machine has cores
let workers: { terminate(): unknown }[] = [];

/** setThreads (src/threads.ts) once its argument is checked. */
export function useThreads(n: number): void {
  threadsWanted = n;
  if (compiled) armThreads();
}

/**
 * Tells the core how many threads its jobs may use. Judged without loading anything (Node's
 * worker_threads costs ~1.7 ms to load, a tenth of a cold start): startPool, on the first job that
 * could use workers, finds out whether there really are any, and says 1 if not.
 */
function armThreads(): void {
  core[C.setThreads](mayThread() ? threadsWanted || cores() : 1, mayWait());
}

/**
 * Whether workers could share the core's memory here, judged without loading anything: a shared
 * memory, SharedArrayBuffer on a page that is not refused it, and a Worker or Node's built-ins.
 */
function mayThread(): boolean {
  const g = globalThis as any;
  return typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false && canShare()
    && (typeof g.Worker === 'function' || typeof g.process?.getBuiltinModule === 'function');
}

let waits: boolean | undefined;
/** Whether this thread may sleep in Atomics.wait (a browser's main thread may not: it spins). */
function mayWait(): number {
  try { waits ??= !!Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); } catch { waits = false; }
  return +waits;
}

/** src/threads.ts' threads(). */
export function threads(): number {
  return spawner() ? threadsWanted || cores() : 1;
}

function cores(): number {
  const os = nodeModule('os');
  return Math.max(1, (os ? os.availableParallelism?.() ?? os.cpus().length : globalThis.navigator?.hardwareConcurrency) || 1);
}

/** A Node built-in module, where the runtime offers them synchronously (Node ≥ 20.16, Bun, Deno, workerd). */
function nodeModule(name: string): any {
  try { return (globalThis as any).process?.getBuiltinModule?.(name); } catch { return undefined; }
}

type PoolWorker = { postMessage(message: unknown): void; terminate(): unknown; unref?(): void; on?(event: string, listener: () => void): void; onerror?: () => void };
const ignore = () => {};
/** A way to start a worker running `source`, where workers can share a WebAssembly memory. */
function spawner(): ((source: string) => PoolWorker) | undefined {
  if (!mayThread()) return;
  const Web = (globalThis as any).Worker, Node = nodeModule('worker_threads')?.Worker;
  // Node's workers where the web ones cannot be unref'd (Deno's: an idle pool would keep a script
  // alive); Bun's web workers can, and its worker_threads ones are web workers underneath
  if (typeof Node === 'function' && typeof Web?.prototype?.unref !== 'function') return source => new Node(source, { eval: true });
  if (typeof Web === 'function' && typeof Blob === 'function' && typeof URL?.createObjectURL === 'function') {
    return source => new Web(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
  }
}

/**
 * A worker: instantiates the core (and the extra module, if sent) on the shared memory without
 * running its start function, then lives in workerLoop; a task that traps fails its job (the
 * calling thread then resets the core) and the worker goes back to waiting. Of the core's imports
 * only the extra module's task is ever called on a worker: kernels do not allocate.
 */
const workerSource = () => `const go = ({ m, x, memory, slot }) => {
  let extra;
  const env = { memory };
  for (const i of WebAssembly.Module.imports(m)) if (i.kind == 'function') env[i.name] = (k, t, s) => extra.${X.task}(k, t, s);
  const core = new WebAssembly.Instance(m, { env }).exports;
  if (x) { extra = new WebAssembly.Instance(x, { env: core }).exports; core.${C.extraReady}(); }
  for (;;) try { core.${C.workerLoop}(slot); } catch { core.${C.workerFailed}(); }
};
if (typeof self == 'object') self.onmessage = e => go(e.data);
else require('worker_threads').parentPort.once('message', go);`;

/** The core's first job that could use `n` threads: start the workers it lacks (they join as they come up). */
function startPool(n: number): void {
  const spawn = spawner();
  if (!spawn) return core[C.setThreads](1, 0); // no workers here after all (Cloudflare's nodejs_compat)
  try {
    while (workers.length < n - 1) {
      const worker = spawn(workerSource());
      worker.unref?.(); // an idle pool never keeps a script alive
      // a worker that cannot start (a runtime refusing the module or the memory) just never claims a task
      if (worker.on) worker.on('error', ignore); else worker.onerror = ignore;
      workers.push(worker);
      worker.postMessage({ m: compiled, x: rawExtra && extraCompiled, memory: core.memory, slot: workers.length });
    }
  } catch {
    // no workers after all (a runtime that refuses them or the memory): the calling thread does every task
  }
}

/** Tasks each thread ran since the core started (slot 0: the calling thread; workers from 1): for tests and the demo. */
export function tasksRun(): number[] {
  const at = core[C.tasksRun]() >>> 2;
  return Array.from(ints().subarray(at, at + Math.max(1, threads())));
}

function stopPool(): void {
  for (const worker of workers) worker.terminate();
  workers = [];
}

// ---- views over the memory ----
// The core mirrors the memory's size in a cell (assembly/memory.ts): a view of another length is
// stale. That catches both a detached buffer (ordinary memory: length 0) and a shared memory that
// grew (its buffer never detaches), for the price of one load. (Views' `length`, not `byteLength`:
// V8 inlines the one, and calls out for the other on wasm memory, ~10× the cost.)
let memoryCell = 0;
/** An Int32Array over the whole memory, refreshed if memory grew. */
export function ints(): Int32Array {
  if (i32.length === 0 || i32.length !== i32[memoryCell] >>> 2) setViews();
  return i32;
}
/** Float and byte views of the whole memory, refreshed with the int view. */
export function floats(): Float32Array {
  if (f32.length !== ints().length) setViews();
  return f32;
}
export function bytes(): Uint8Array {
  if (u8.length !== ints().length * 4) setViews();
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
  return n <= core[C.argsCapacity]() ? core[C.args]() : core[C.growArgs](Math.max(n, 2 * core[C.argsCapacity]()));
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
