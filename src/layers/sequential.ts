// Keras' Sequential model: a stack of layers applied in order, with Keras' summary().
import { Tensor, Variable } from '../index.js';
import { Layer, describeValue, inContext, type ApplyOptions } from './module.js';
import { checkOptions, withCommas } from './util.js';

/** Keras' Sequential: applies its layers in order. Variables are named by index: '0/kernel'. */
export class Sequential extends Layer {
  readonly layers: Layer[];
  /** the input shape (batch first) of the first apply or build, for summary() */
  #inputShape: number[] | undefined;

  constructor(layers: Layer[], options?: { name?: string }) {
    super(options?.name, 'Sequential');
    inContext(this, () => {
      checkOptions(options, ['name']);
      if (!Array.isArray(layers)) throw new Error(`expected an array of layers, got ${describeValue(layers)}`);
      layers.forEach((l, i) => { if (!(l instanceof Layer)) throw new Error(`layers[${i}] must be a Layer, got ${describeValue(l)}`); });
    });
    this.layers = [...layers];
  }

  namedChildren(): [string, unknown][] {
    return this.layers.map((layer, i) => [String(i), layer]);
  }

  build(inputShape: readonly number[]): void {
    inContext(this, () => {
      this.outputShape(inputShape); // validates the shape against every layer first
      let shape = [...inputShape];
      for (const layer of this.layers) {
        layer.build(shape);
        shape = layer.outputShape(shape);
      }
      this.#inputShape = [...inputShape];
    });
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    return this.layers.reduce((shape, layer) => layer.outputShape(shape), inputShape);
  }

  protected call(x: Tensor, options: ApplyOptions): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.apply(y, options);
    this.#inputShape ??= x.shape;
    return y;
  }

  /**
   * A text table as Keras prints it: each layer's name and class, output shape (batch shown as None)
   * and parameter count, then the totals. Needs the input shape: call apply() or build() first.
   */
  summary(): string {
    return inContext(this, () => {
      if (!this.#inputShape) throw new Error('summary() needs the input shape: call apply(x) or build(inputShape) first');
      const show = (shape: number[]) => `(${['None', ...shape.slice(1)].join(', ')})`;
      const rows: string[][] = [['Layer (type)', 'Output Shape', 'Param #']];
      let shape = this.#inputShape;
      for (const layer of this.layers) {
        shape = layer.outputShape(shape);
        rows.push([`${layer.name} (${layer.kind})`, show(shape), withCommas(layer.countParams())]);
      }
      const widths = [0, 1, 2].map(c => Math.max(...rows.map(r => r[c].length)) + 2);
      const line = (r: string[]) => r[0].padEnd(widths[0]) + r[1].padEnd(widths[1]) + r[2].padStart(widths[2] - 2);
      const rule = (ch: string) => ch.repeat(widths[0] + widths[1] + widths[2] - 2);
      const all = this.variables, trainable = all.filter(v => v.trainable);
      const count = (vs: Variable[]) => vs.reduce((n, v) => n + v.size, 0);
      return [
        `Model: "${this.name}"`, rule('_'), line(rows[0]), rule('='),
        ...rows.slice(1).flatMap((r, i) => i === 0 ? [line(r)] : [rule('_'), line(r)]), rule('='),
        `Total params: ${withCommas(count(all))}`, `Trainable params: ${withCommas(count(trainable))}`, `Non-trainable params: ${withCommas(count(all) - count(trainable))}`, rule('_'),
      ].join('\n');
    });
  }
}
