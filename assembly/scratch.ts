// The scratch arena: temporary memory for op entries and the backward sweep (shape buffers,
// broadcasting plans, packed matrix panels, records being built), handed to the kernels as
// pointers. Taking is a pointer bump, releasing rolls back to a mark, so an entry frees all its
// scratch at once. Blocks come from the allocator and never move (a pointer taken stays valid
// until released): the arena grows by chaining blocks, and gives all but its first (64 KB) back
// to the allocator when released (whose free lists hand them out again on the next large take).
//
// Marks are logical offsets (bytes taken so far), so they compare across blocks.
//
// After an exception passes through the core (out of memory, or a JS callback), JS calls
// scratchRecover: everything above the innermost barrier is released. The sweep sets a barrier
// while it runs a JS custom gradient, whose own ops may fail without disturbing the sweep's scratch.
import { alloc, free } from "./memory";

const MIN_BLOCK: usize = 64 << 10;
// each block starts with a 16-byte header: the previous block, its size, its logical base
const HEADER: usize = 16;

let block: usize = 0;   // the current block (0: none yet)
let base: usize = 0;    // logical offset of the current block's first usable byte
let top: usize = 0;     // address of the next free byte in the current block
let end: usize = 0;     // end of the current block
let barrier: usize = 0; // logical mark below which scratchRecover never releases

/** The current mark: pass it to scratchRelease to free everything taken after it. */
export function scratchMark(): usize { return block == 0 ? 0 : base + (top - (block + HEADER)); }

/** `bytes` of scratch, 16-byte aligned, valid until released. */
export function scratchTake(bytes: usize): usize {
  const size = (bytes + 15) & ~15;
  if (top + size > end || block == 0) newBlock(size);
  const at = top;
  top += size;
  return at;
}

function newBlock(size: usize): void {
  const mark: usize = block == 0 ? 0 : scratchMark();
  const bytes = max(MIN_BLOCK, size + HEADER);
  const b = alloc(bytes);
  store<usize>(b, block); store<usize>(b, bytes, 4); store<usize>(b, mark, 8);
  block = b; base = mark; top = b + HEADER; end = b + bytes;
}

/** Frees everything taken after `mark` (blocks past it go back to the allocator). */
export function scratchRelease(mark: usize): void {
  while (block != 0 && mark < base) {
    const prev = load<usize>(block);
    if (prev == 0) break; // the first block stays
    free(block, load<usize>(block, 4));
    block = prev;
    base = load<usize>(block, 8);
    end = block + load<usize>(block, 4);
  }
  if (block != 0) top = block + HEADER + (mark - base);
}

/** Sets the barrier (while JS code runs inside a sweep); returns the previous one. */
export function scratchBarrier(mark: usize): usize { const old = barrier; barrier = mark; return old; }

/** After an exception: releases everything above the innermost barrier. */
export function scratchRecover(): void { scratchRelease(barrier); }
