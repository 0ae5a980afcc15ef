// What the losses of ops-nn.ts (TF's) and losses.ts (Keras') share: labels as floats, and the mean
// over the last axis that gives one value per example. Internal: index.ts does not re-export it.
import { Tensor, TensorLike, toTensor } from './tensor.js';
import { cast } from './ops-elementwise.js';
import { mean } from './ops-reduce.js';

/** A float tensor of labels; int32 and bool labels are cast to float32 (they carry no gradient). */
export function floatLabels(op: string, labels: TensorLike): Tensor {
  const t = toTensor(op, labels, 'float32');
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/** One value per example: the mean over the last axis (a scalar stays as it is). */
export const meanLastAxis = (t: Tensor): Tensor => t.rank === 0 ? t : mean(t, -1);
