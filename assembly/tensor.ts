// The tensor table: one fixed-size entry per tensor id, holding where the data lives, its dtype,
// shape and reference count, and which tapes watch it. Tensors are always dense and row-major,
// so strides are derived from the shape when a kernel needs them.
import { alloc, allocZeroed, free, freeInline } from "./memory";
import { DType } from "../build/generated/opcodes";

import { MAX_RANK } from "./limits";
export { MAX_RANK };
// Entry layout (bytes). The TypeScript wrapper reads shape/dtype straight from this table.
const E_PTR = 0, E_SIZE = 4, E_DTYPE = 8, E_RANK = 12, E_REFS = 16, E_WATCH = 20, E_NEXT = 24, E_SERIAL = 28, E_SHAPE = 32;
export const ENTRY_BYTES = 64;

export let tableBase: usize = 0;
/** Where the table's base address is mirrored for JS, which reads it from memory (cheaper than a global). */
const tableBaseCell = memory.data(4, 4);
export function tableCell(): usize { return tableBaseCell; }
export let tableCapacity: i32 = 0;
let freeId: i32 = 0;       // head of the free-id list, threaded through E_NEXT
// Ids are reused once freed; the serial tells apart the tensors that held one id over time, so a tape
// can remember "tensor `id` as it was when I watched it" without holding a reference to it.
let lastSerial: u32 = 0;
export let liveTensors: i32 = 0;
export let liveBytes: usize = 0;

@inline function entry(id: i32): usize { return tableBase + (<usize>id << 6); }

@inline export function dataPtr(id: i32): usize { return load<u32>(entry(id), E_PTR); }
@inline export function sizeOf(id: i32): i32 { return load<i32>(entry(id), E_SIZE); }
@inline export function dtypeOf(id: i32): i32 { return load<i32>(entry(id), E_DTYPE); }
@inline export function rankOf(id: i32): i32 { return load<i32>(entry(id), E_RANK); }
@inline export function dim(id: i32, axis: i32): i32 { return load<i32>(entry(id) + (<usize>axis << 2), E_SHAPE); }
@inline export function shapePtr(id: i32): usize { return entry(id) + E_SHAPE; }
/** Nonzero while the tensor lives; different for every tensor an id has held (0 once freed). */
@inline export function serialOf(id: i32): u32 { return load<u32>(entry(id), E_SERIAL); }
@inline export function watchMask(id: i32): u32 { return id == 0 ? 0 : load<u32>(entry(id), E_WATCH); }
@inline export function setWatchMask(id: i32, mask: u32): void { store<u32>(entry(id), mask, E_WATCH); }
@inline export function isFloat(id: i32): bool { return dtypeOf(id) == DType.Float32; }

@inline export function elementBytes(dtype: i32): i32 { return dtype == DType.Bool ? 1 : 4; }

function growTable(): void {
  const oldCap = tableCapacity;
  const cap = oldCap == 0 ? 1024 : oldCap * 2;
  const base = allocZeroed(<usize>cap << 6);
  if (oldCap != 0) {
    memory.copy(base, tableBase, <usize>oldCap << 6);
    free(tableBase, <usize>oldCap << 6);
  }
  tableBase = base;
  store<usize>(tableBaseCell, base);
  tableCapacity = cap;
  // thread the new ids onto the free list, lowest first (id 0 is never used: it means "none")
  for (let id = cap - 1; id >= (oldCap == 0 ? 1 : oldCap); id--) {
    store<i32>(entry(id), freeId, E_NEXT);
    freeId = id;
  }
}

/** A new tensor with uninitialised data, refcount 1, shape copied from `shape` (rank ints). */
export function newTensor(dtype: i32, rank: i32, shape: usize): i32 {
  if (freeId == 0) growTable();
  let size: i32 = 1;
  for (let i = 0; i < rank; i++) size *= load<i32>(shape + (<usize>i << 2));
  const bytes = <usize>size * elementBytes(dtype);
  const data = alloc(bytes); // first: if memory cannot grow, nothing has changed yet
  const id = freeId;
  const e = entry(id);
  freeId = load<i32>(e, E_NEXT);
  for (let i = 0; i < rank; i++) store<i32>(e + (<usize>i << 2), load<i32>(shape + (<usize>i << 2)), E_SHAPE);
  store<u32>(e, <u32>data, E_PTR);
  store<i32>(e, size, E_SIZE);
  store<i32>(e, dtype, E_DTYPE);
  store<i32>(e, rank, E_RANK);
  store<i32>(e, 1, E_REFS);
  store<u32>(e, 0, E_WATCH);
  if (++lastSerial == 0) lastSerial = 1; // wraps after 2^32 tensors; 0 means "freed"
  store<u32>(e, lastSerial, E_SERIAL);
  liveTensors++;
  liveBytes += bytes;
  return id;
}

/** A new tensor shaped like `like` (same dtype unless given). */
export function newLike(like: i32, dtype: i32 = -1): i32 {
  return newTensor(dtype < 0 ? dtypeOf(like) : dtype, rankOf(like), shapePtr(like));
}

// the accessors as exports, for JS and the extra module (the inline ones above serve the core)
export function dimOf(id: i32, axis: i32): i32 { return dim(id, axis); }
export function rankOfId(id: i32): i32 { return rankOf(id); }
export function sizeOfId(id: i32): i32 { return sizeOf(id); }
export function dtypeOfId(id: i32): i32 { return dtypeOf(id); }

export function retain(id: i32): void {
  if (id != 0) store<i32>(entry(id), load<i32>(entry(id), E_REFS) + 1, E_REFS);
}

export function release(id: i32): void {
  if (id == 0) return;
  const e = entry(id);
  const refs = load<i32>(e, E_REFS) - 1;
  store<i32>(e, refs, E_REFS);
  if (refs > 0) return;
  const bytes = <usize>load<i32>(e, E_SIZE) * elementBytes(load<i32>(e, E_DTYPE));
  freeInline(load<u32>(e, E_PTR), bytes);
  liveTensors--;
  liveBytes -= bytes;
  store<i32>(e, 0, E_RANK);
  store<i32>(e, 0, E_SIZE);
  store<u32>(e, 0, E_WATCH);
  store<u32>(e, 0, E_SERIAL);
  store<i32>(e, freeId, E_NEXT);
  freeId = id;
}

export function sameShape(a: i32, b: i32): bool {
  const r = rankOf(a);
  if (r != rankOf(b)) return false;
  for (let i = 0; i < r; i++) if (dim(a, i) != dim(b, i)) return false;
  return true;
}
