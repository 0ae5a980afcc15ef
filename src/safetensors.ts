// The safetensors format (https://github.com/huggingface/safetensors), F32 / I32 / BOOL:
//   8 bytes   N, the header length, little-endian u64
//   N bytes   JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}},
//             padded with spaces so the data starts at a multiple of 8
//   the rest  every tensor's bytes, little-endian, C order, contiguous in data_offsets order
// Writing follows the reference implementation byte for byte: tensors sorted by dtype (widest
// first: F32, I32, BOOL) then by name, compact JSON, `__metadata__` first. Reading validates the whole
// header before allocating anything, so a corrupt file throws an Error and leaks nothing.
import { core } from './core.js';
import { Tensor, DType, describe, empty, checkShape } from './tensor.js';
import { C } from '../build/generated/interface.js';

const FORMAT: Record<DType, { name: string; bytes: number; rank: number }> = {
  float32: { name: 'F32', bytes: 4, rank: 11 },
  int32: { name: 'I32', bytes: 4, rank: 9 },
  bool: { name: 'BOOL', bytes: 1, rank: 0 },
};
const FROM_NAME: Record<string, DType> = { F32: 'float32', I32: 'int32', BOOL: 'bool' };
/** The reference implementation refuses headers above 100 MB. */
const MAX_HEADER = 100_000_000;
const METADATA = '__metadata__';

const utf8 = /* @__PURE__ */ new TextEncoder();
/** A plain object (not null, not an array). */
const isObject = (x: unknown): x is object => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Metadata (saved, or read from a header): an object of strings, or an Error naming `what`. */
function checkMetadata(op: string, what: string, metadata: unknown): Record<string, string> {
  if (!isObject(metadata)) throw new Error(`${op}: ${what} must be an object of strings, got ${describe(metadata)}`);
  for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new Error(`${op}: ${what} values must be strings, got ${describe(v)} for key ${JSON.stringify(k)}`);
  return metadata as Record<string, string>;
}

/** Compares strings by their UTF-8 bytes, as Rust's `str::cmp` (the reference's name order). */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a), y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Bytes of a tensor's data in wasm memory (a view, valid until memory grows). */
function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(core.memory.buffer, core[C.dataPtr](t.id), t.size * FORMAT[t.dtype].bytes);
}

/**
 * Serialises tensors to the safetensors format. `metadata` (string → string) goes to the header's
 * `__metadata__`. The output is byte-identical to the reference implementation's for the same input.
 * @example
 * ```ts
 * import { saveSafetensors, loadSafetensors, tensor } from 'gradtape';
 *
 * const bytes = saveSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { step: '10' });
 * console.log(bytes instanceof Uint8Array, loadSafetensors(bytes).w.shape); // true [2, 2]
 * ```
 */
export function saveSafetensors(record: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'saveSafetensors';
  if (!isObject(record) || record instanceof Tensor)
    throw new Error(`${op}: expected an object mapping names to tensors, got ${describe(record)}`);
  const entries = Object.entries(record);
  for (const [name, t] of entries) {
    if (name === METADATA) throw new Error(`${op}: the name "${METADATA}" is reserved for the header's metadata`);
    if (!(t instanceof Tensor)) throw new Error(`${op}: record[${JSON.stringify(name)}] must be a Tensor, got ${describe(t)}`);
    if (t.isDisposed) throw new Error(`${op}: record[${JSON.stringify(name)}] is a disposed tensor`);
  }
  // the JSON is assembled by hand: a JS object would move integer-like names ("0", "1") to the front
  const parts: string[] = [];
  if (metadata !== undefined) {
    const pairs = Object.entries(checkMetadata(op, 'metadata', metadata)).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"${METADATA}":{${pairs.join(',')}}`);
  }
  entries.sort(([a, x], [b, y]) => FORMAT[y.dtype].rank - FORMAT[x.dtype].rank || compareUtf8(a, b));
  let offset = 0;
  for (const [name, t] of entries) {
    const n = t.size * FORMAT[t.dtype].bytes;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${FORMAT[t.dtype].name}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + n}]}`);
    offset += n;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, t] of entries) {
    const b = bytesOf(t); // wasm memory is little-endian, as the format
    out.set(b, at);
    at += b.length;
  }
  return out;
}

interface Entry { name: string; dtype: DType; shape: number[]; begin: number; end: number }

function toBytes(op: string, bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && bytes instanceof SharedArrayBuffer)) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new Error(`${op}: expected the file's bytes (an ArrayBuffer or ArrayBufferView), got ${describe(bytes)}`);
}

/** Parses and fully validates the header. */
function parseHeader(op: string, buf: Uint8Array): { entries: Entry[]; metadata: Record<string, string> | undefined; dataStart: number } {
  if (buf.length < 8) throw new Error(`${op}: the file is ${buf.length} bytes long, too short to hold the 8-byte header length`);
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true)); // exact below 2^53, and larger values fail below anyway
  if (n > buf.length - 8) throw new Error(`${op}: the header length is ${n} bytes, but only ${buf.length - 8} bytes follow it`);
  if (n > MAX_HEADER) throw new Error(`${op}: the header length ${n} bytes exceeds the limit of ${MAX_HEADER} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    throw new Error(`${op}: the header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new Error(`${op}: the header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  let header: object; // (an object: the text starts with '{')
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new Error(`${op}: the header is not valid JSON: ${(e as Error).message}`);
  }

  let metadata: Record<string, string> | undefined;
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    const where = `tensor ${JSON.stringify(name)}`;
    if (name === METADATA) {
      metadata = { ...checkMetadata(op, `"${METADATA}"`, info) };
      continue;
    }
    if (!isObject(info)) throw new Error(`${op}: the header entry of ${where} must be an object {dtype, shape, data_offsets}, got ${describe(info)}`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') throw new Error(`${op}: ${where} has no dtype string (got ${describe(dtype)})`);
    const dt = FROM_NAME[dtype];
    if (!dt) throw new Error(`${op}: ${where} has dtype ${JSON.stringify(dtype)}, which gradtape does not support (supported: F32, I32, BOOL)`);
    const size = checkShape(`${op}: ${where}`, shape as number[]);
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some(o => !Number.isSafeInteger(o) || o < 0))
      throw new Error(`${op}: ${where} has invalid data_offsets ${describe(offsets)}: expected [begin, end], two non-negative integers`);
    const [begin, end] = offsets as number[], want = size * FORMAT[dt].bytes;
    if (end - begin !== want)
      throw new Error(`${op}: ${where} of dtype ${dtype} and shape [${shape}] needs ${want} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
    entries.push({ name, dtype: dt, shape: shape as number[], begin, end });
  }

  const dataStart = 8 + n, dataLength = buf.length - dataStart;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  // in offset order, the tensors' data must tile the data bytes exactly: no gap, overlap or excess
  let at = 0;
  for (const e of [...sorted, { name: undefined, begin: dataLength, end: dataLength }]) {
    if (e.begin !== at || e.end > dataLength) {
      throw new Error(`${op}: the data_offsets must cover the ${dataLength} data bytes after the header without gaps or overlaps, but ${e.name === undefined
        ? `the tensors' data ends at ${at}` : `tensor ${JSON.stringify(e.name)} has [${e.begin}, ${e.end}] where the data before it ends at ${at}`}`);
    }
    at = e.end;
  }
  return { entries, metadata, dataStart };
}

/**
 * Reads a safetensors file into tensors (F32 → float32, I32 → int32, BOOL → bool). Validates the whole
 * file first: a corrupt or truncated one throws an Error and allocates nothing.
 * @example
 * ```ts
 * import { saveSafetensors, loadSafetensors, tensor } from 'gradtape';
 *
 * const bytes = saveSafetensors({ w: tensor([[1, 2], [3, 4]]), steps: tensor([7], undefined, 'int32') });
 * const { w, steps } = loadSafetensors(bytes);
 * console.log(w.toArray(), steps.dtype); // [[1, 2], [3, 4]] int32
 * ```
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBufferLike | ArrayBufferView): Record<string, Tensor> {
  const op = 'loadSafetensors';
  const buf = toBytes(op, bytes);
  const { entries, dataStart } = parseHeader(op, buf);
  const out: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    for (const e of entries) {
      const t = empty(e.shape, e.dtype, op);
      made.push(t);
      const dst = bytesOf(t); // after the allocation, which may have grown memory
      dst.set(buf.subarray(dataStart + e.begin, dataStart + e.end));
      if (e.dtype === 'bool') for (let i = 0; i < dst.length; i++) dst[i] = dst[i] ? 1 : 0;
      // defineProperty: a tensor named "__proto__" must stay a plain entry
      Object.defineProperty(out, e.name, { value: t, enumerable: true, writable: true, configurable: true });
    }
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  return out;
}

/**
 * The `__metadata__` of a safetensors file ({} when it has none); validates the header like loadSafetensors.
 * @example
 * ```ts
 * import { saveSafetensors, loadSafetensorsMetadata, tensor } from 'gradtape';
 *
 * const bytes = saveSafetensors({ w: tensor([1]) }, { step: '10' });
 * console.log(loadSafetensorsMetadata(bytes)); // { step: '10' }
 * ```
 */
export function loadSafetensorsMetadata(bytes: Uint8Array | ArrayBufferLike | ArrayBufferView): Record<string, string> {
  const op = 'loadSafetensorsMetadata';
  return parseHeader(op, toBytes(op, bytes)).metadata ?? {};
}
