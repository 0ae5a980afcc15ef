// The backward dispatch: one line per recorded op, routing to the rule that sits beside its kernel.
import { Op } from "./opcodes";
import { accumulate } from "./tape";
import { retain } from "./tensor";
import { unaryBackward, unaryGradBackward, binaryBackward, whereBackward } from "./ops/elementwise";
import { reduceBackward, reshapeLike, unbroadcast } from "./ops/reduce";
import { matmulBackward } from "./ops/linalg";
import { transposeBackward } from "./ops/shape";
import { softmaxBackward } from "./ops/nn";
import { slicingBackward } from "./ops/slicing";
import { convBackward } from "./ops/conv";

export function backwardRule(op: i32, out: i32, in0: i32, in1: i32, in2: i32, a0: i32, a1: i32, a2: i32, dy: i32): void {
  if (op < Op.Add) { unaryBackward(op, out, in0, in1, dy, reinterpret<f32>(a0)); return; }
  if (op < Op.Cast) { binaryBackward(op, out, in0, in1, dy); return; }
  switch (op) {
    case Op.Cast: retain(dy); accumulate(in0, dy); break;
    case Op.Where: whereBackward(in0, in1, in2, dy); break;
    case Op.UnaryGrad: unaryGradBackward(a0, out, in0, in1, dy); break;
    case Op.Sum: case Op.Max: case Op.Min: case Op.Prod: reduceBackward(op, out, in0, <u32>a0, a1 != 0, dy); break;
    case Op.MatMul: matmulBackward(in0, in1, a0 != 0, a1 != 0, dy); break;
    case Op.Reshape: accumulate(in0, reshapeLike(dy, in0)); break;
    case Op.BroadcastTo: accumulate(in0, unbroadcast(dy, in0)); break;
    case Op.Transpose: transposeBackward(in0, <u32>a0, dy); break;
    case Op.Softmax: case Op.LogSoftmax: softmaxBackward(op, out, in0, a0, dy); break;
    case Op.Slice: case Op.Pad: case Op.ConcatPart: case Op.Gather: case Op.Scatter: case Op.Tile:
      slicingBackward(op, out, in0, in1, in2, a0, a1, a2, dy); break;
    case Op.Conv2D: case Op.Conv2DBackpropInput: case Op.Conv2DBackpropFilter:
    case Op.MaxPool: case Op.AvgPool: case Op.MaxPoolGrad: case Op.AvgPoolGrad:
      convBackward(op, out, in0, in1, in2, a0, a1, a2, dy); break;
  }
}
