// The WebAssembly interface: every export takes and returns plain numbers (tensor ids, op codes,
// pointers), so the TypeScript wrapper needs no glue. Array arguments (shapes, id lists) travel
// through the `args` buffer. The wrapper validates everything before calling in.
export { tableCell, liveTensors, liveBytes, newTensor, retain, release, dataPtr } from "./tensor";
export { allocatedBytes } from "./memory";
import { alloc } from "./memory";
export { recordingMask, setRecordingMask, newTape, freeTape, resetTape, startRecording, stopRecording, setActive, watch, gradient, recordCustom, endSweep } from "./tape";
export { unary, binary, where, broadcastToShape } from "./ops/elementwise";
export { reduce, reshape } from "./ops/reduce";
export { matmul } from "./ops/linalg";
export { transpose, cast } from "./ops/shape";
export { softmax } from "./ops/nn";
// slicing family (slice, pad, concat, gather, tile, oneHot): the kernels JS calls
export { slice, pad, concat, gather, tile, oneHot } from "./ops/slicing";
// convolution and pooling, random numbers: the kernels JS calls
export { conv2d, maxPool, avgPool } from "./ops/conv";
export { randomUniform, randomNormal } from "./ops/random";

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
