// The argument buffer: how JS passes arrays (shapes, id lists, gradient targets and sources) to the
// core. JS writes ints at args() and passes the address; it grows when a call needs more.
import { alloc } from "./memory";

const ARGS_INTS = 16384;
const argsBuffer = memory.data(ARGS_INTS * 4, 16);
let argsAt = argsBuffer;
let argsInts = ARGS_INTS;
/** Address and capacity (in i32s) of the argument buffer. */
export function args(): usize { return argsAt; }
export function argsCapacity(): i32 { return argsInts; }
/**
 * Replaces the argument buffer with one of `ints` ints (a gradient with very many sources); returns
 * its address. The old buffer is not freed: a sweep running a custom gradient still writes its
 * results there (sizes double, so what is kept is at most the size of the newest buffer).
 */
export function growArgs(ints: i32): usize {
  argsAt = alloc(<usize>ints << 2);
  argsInts = ints;
  return argsAt;
}
