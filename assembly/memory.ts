// Linear-memory allocator: power-of-two size classes with per-class free lists.
// Freed blocks are reused by the next request of the same class, so a training loop that frees
// what it allocates reaches a steady state and memory.grow stops being called.
// The runtime is `stub` and the core never allocates managed objects, so everything above
// __heap_base belongs to this allocator.

@external("env", "o") // (a one-letter name: src/core.ts's imports())
declare function outOfMemory(bytes: f64): void;

const MIN_CLASS = 4; // 16 bytes: keeps every block v128-aligned
const CLASS_COUNT = 33;
const freeHeads = memory.data(CLASS_COUNT * 4, 16);
let heapTop: usize = (__heap_base + 15) & ~15;

/**
 * The memory's size in bytes, mirrored where JS reads it: its views over the memory compare their
 * byteLength with it, which also catches growth of a shared memory (whose buffer never detaches).
 */
const memoryBytesCell = memory.data(4, 4);
store<u32>(memoryBytesCell, <u32>memory.size() << 16);
export function memoryCell(): usize { return memoryBytesCell; }

/** Bytes held by live blocks (rounded to their class), for `memory()`. */
export let allocatedBytes: usize = 0;

@inline function classOf(bytes: usize): u32 {
  return bytes <= (1 << MIN_CLASS) ? MIN_CLASS : 32 - clz<u32>(<u32>bytes - 1);
}

/** Returns a 16-byte aligned block of at least `bytes` bytes; never returns 0 (out of memory throws via the host). */
export function alloc(bytes: usize): usize {
  const cls = classOf(bytes);
  const head = freeHeads + (cls << 2);
  const size: usize = <usize>1 << cls;
  const reused = load<usize>(head);
  if (reused != 0) {
    store<usize>(head, load<usize>(reused));
    allocatedBytes += size;
    return reused;
  }
  const ptr = heapTop;
  const end = <u64>ptr + <u64>size;
  const have = <u64>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (end > 0xFFFF0000 || memory.grow(pages) < 0) {
      outOfMemory(<f64>size);
      unreachable();
    }
    store<u32>(memoryBytesCell, <u32>memory.size() << 16);
  }
  heapTop = <usize>end;
  allocatedBytes += size;
  return ptr;
}

export function free(ptr: usize, bytes: usize): void { freeInline(ptr, bytes); }
/** `free`, compiled into its caller (tensor release, on every op's path). */
@inline export function freeInline(ptr: usize, bytes: usize): void {
  const cls = classOf(bytes);
  const head = freeHeads + (cls << 2);
  store<usize>(ptr, load<usize>(head));
  store<usize>(head, ptr);
  allocatedBytes -= <usize>1 << cls;
}

export function allocZeroed(bytes: usize): usize {
  const p = alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}
