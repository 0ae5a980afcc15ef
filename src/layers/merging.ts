// Keras' merging layers: `apply([a, b, ...])` combines a list of tensors. Add, Multiply and Average
// work elementwise, broadcasting the non-batch axes as Keras does (a lower-rank input gets new axes
// after the batch axis); Concatenate joins them along an axis. No variables.
import { Tensor, add, mul, div, concat, reshape } from '../index.js';
import { Layer, checkShapeArg, describeValue, inContext } from './module.js';
import { checkFloat, checkOptions, integer, resolveAxis } from './util.js';

const show = (shapes: number[][]) => shapes.map(s => `[${s}]`).join(', ');

/** Shared by the merging layers: input checks and the shape rules. */
abstract class Merge extends Layer<Tensor[]> {
  protected checkInput(x: unknown): void {
    if (!Array.isArray(x) || x.length === 0) throw new Error(`apply: expected an array of tensors [a, b, ...], got ${describeValue(x)}`);
    x.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`apply: inputs[${i}] must be a Tensor, got ${describeValue(t)}`);
      if (t.isDisposed) throw new Error(`apply: inputs[${i}] is disposed`);
      checkFloat(t);
    });
  }

  protected checkShape(shapes: unknown): number[][] {
    if (!Array.isArray(shapes) || shapes.length === 0 || !shapes.every(Array.isArray))
      throw new Error(`expected an array of input shapes (one per input), got ${describeValue(shapes)}`);
    const checked = shapes.map(checkShapeArg);
    if (checked.some(s => s.length === 0)) throw new Error(`every input needs a batch dimension, got shapes ${show(checked)}`);
    if (new Set(checked.map(s => s[0])).size > 1) throw new Error(`the inputs' batch sizes differ: shapes ${show(checked)}`);
    return checked;
  }
}

/** Add, Multiply, Average: an elementwise combination of inputs broadcast together. */
abstract class ElementwiseMerge extends Merge {
  constructor(kind: string, options: { name?: string } | undefined) {
    super(options?.name, kind);
    inContext(this, () => checkOptions(options, ['name']));
  }

  protected computeOutputShape(shapes: number[][]): number[] {
    const rank = Math.max(...shapes.map(s => s.length));
    const out = new Array<number>(rank - 1).fill(1);
    for (const s of shapes) {
      const rest = s.slice(1);
      rest.forEach((d, i) => {
        const j = rank - 1 - rest.length + i; // right-aligned among the non-batch axes
        if (d !== 1 && out[j] !== 1 && d !== out[j]) throw new Error(`the inputs' shapes do not broadcast: ${show(shapes)}`);
        if (d !== 1) out[j] = d;
      });
    }
    return [shapes[0][0], ...out];
  }

  protected abstract combine(xs: Tensor[]): Tensor;

  protected call(xs: Tensor[]): Tensor {
    const shapes = xs.map(x => [...x.shape]);
    this.outputShape(shapes);
    const rank = Math.max(...shapes.map(s => s.length));
    // Keras gives a lower-rank input new axes right after the batch axis
    const aligned = xs.map(x => x.rank === rank ? x : reshape(x, [x.shape[0], ...new Array<number>(rank - x.rank).fill(1), ...x.shape.slice(1)]));
    return this.combine(aligned);
  }
}

/** Keras' Add: the elementwise sum of the inputs. */
export class Add extends ElementwiseMerge {
  constructor(options?: { name?: string }) { super('Add', options); }
  protected combine(xs: Tensor[]): Tensor { return xs.slice(1).reduce((s, x) => add(s, x), xs[0]); }
}

/** Keras' Multiply: the elementwise product of the inputs. */
export class Multiply extends ElementwiseMerge {
  constructor(options?: { name?: string }) { super('Multiply', options); }
  protected combine(xs: Tensor[]): Tensor { return xs.slice(1).reduce((p, x) => mul(p, x), xs[0]); }
}

/** Keras' Average: the elementwise mean of the inputs. */
export class Average extends ElementwiseMerge {
  constructor(options?: { name?: string }) { super('Average', options); }
  protected combine(xs: Tensor[]): Tensor { return div(xs.slice(1).reduce((s, x) => add(s, x), xs[0]), xs.length); }
}

/** Keras' Concatenate: joins the inputs along `axis` (default the last); the other axes must agree. */
export class Concatenate extends Merge {
  readonly axis: number;
  constructor(axis = -1, options?: { name?: string }) {
    super(options?.name, 'Concatenate');
    inContext(this, () => checkOptions(options, ['name']));
    this.axis = inContext(this, () => integer('axis', axis, -1));
  }

  protected computeOutputShape(shapes: number[][]): number[] {
    const rank = shapes[0].length;
    if (shapes.some(s => s.length !== rank)) throw new Error(`the inputs must have the same rank, got shapes ${show(shapes)}`);
    const axis = resolveAxis('axis', this.axis, rank, shapes[0]);
    if (shapes.some(s => s.some((d, i) => i !== axis && d !== shapes[0][i])))
      throw new Error(`the inputs' shapes must agree except on axis ${this.axis}, got ${show(shapes)}`);
    return shapes[0].map((d, i) => i === axis ? shapes.reduce((n, s) => n + s[axis], 0) : d);
  }

  protected call(xs: Tensor[]): Tensor {
    const shapes = xs.map(x => [...x.shape]);
    this.outputShape(shapes);
    return concat(xs, resolveAxis('axis', this.axis, shapes[0].length, shapes[0]));
  }
}
