// Module and Layer: the containers of gradtape/layers (TF's tf.Module, Keras' Layer). A Module finds
// its variables by walking its own enumerable properties, so a model is plain attributes, as in TF.
// This file, like all of src/layers/, uses only the root's public API (../index.js): the shipped
// dist/layers.js imports it as the bare package name `gradtape`, sharing the root's core and classes.
import { Tensor, Variable, tidy } from '../index.js';

/** Short description of any value for error messages: a tensor's dtype and shape, or the value. */
export function describeValue(v: unknown): string {
  if (v instanceof Tensor) return v.isDisposed ? 'a disposed tensor' : `a ${v.dtype} tensor of shape [${v.shape}]`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(describeValue).join(', ')}]`;
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * An error raised by a layer: `modules` is the path of containers that ran it, outermost first, and
 * the message starts with it, e.g. "Sequential 'model' > Dense 'dense_1': ...".
 */
export class LayerError extends Error {
  /** the modules the error passed through, outermost first */
  readonly modules: Module[];
  /** the message without the path */
  readonly detail: string;

  constructor(module: Module, detail: string, options?: { cause?: unknown }) {
    super(`${module.label}: ${detail}`, options);
    this.name = 'LayerError';
    this.modules = [module];
    this.detail = detail;
  }

  /** @internal adds an enclosing container in front of the path */
  within(container: Module): this {
    if (this.modules[0] === container) return this;
    const old = this.message;
    this.modules.unshift(container);
    this.message = `${this.modules.map(m => m.label).join(' > ')}: ${this.detail}`;
    if (typeof this.stack === 'string') this.stack = this.stack.replace(old, this.message);
    return this;
  }
}

/** Runs `fn` for `module`: any error comes out as a LayerError whose path includes `module`. */
export function inContext<T>(module: Module, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LayerError) throw e.within(module);
    if (e instanceof Error) throw new LayerError(module, e.message, { cause: e });
    throw e;
  }
}

// Default names as in Keras: the class name in snake case, then _1, _2, ... for later instances.
const nameCounts = new Map<string, number>();
function defaultName(kind: string): string {
  const base = kind.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase(); // Keras' rule: MaxPool2D -> max_pool2d
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

type Found = { value: Variable | Module; path: string[] };

/**
 * Everything reachable from `root`'s children: variables and modules, depth-first in property order,
 * each once (the first path wins). Arrays and plain objects are walked; other objects (tensors that
 * are not variables, maps, class instances that are not modules) are not.
 */
function reachable(root: Module): Found[] {
  const found: Found[] = [];
  const seen = new Set<unknown>([root]);
  const visit = (value: unknown, path: string[]): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Variable) {
      if (!value.isDisposed) found.push({ value, path });
    } else if (value instanceof Module) {
      found.push({ value, path });
      for (const [key, child] of value.namedChildren()) visit(child, [...path, key]);
    } else if (Array.isArray(value)) {
      value.forEach((child, i) => visit(child, [...path, String(i)]));
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return;
      for (const key of Object.keys(value)) visit((value as Record<string, unknown>)[key], [...path, key]);
    }
  };
  for (const [key, child] of root.namedChildren()) visit(child, [key]);
  return found;
}

/**
 * Base class for anything that owns variables (TF's tf.Module). Assign variables, layers, and
 * arrays or plain objects of them to properties; `variables`, `weights()` and friends find them.
 */
export class Module {
  /** the name errors and summaries use; unique per class by default ('dense', 'dense_1', ...) */
  name: string;
  readonly #kind: string;

  /**
   * @param name defaults to the class name in snake case, numbered after the first
   * @param kind the class name shown in messages (default: the constructor's name)
   */
  constructor(name?: string, kind: string = new.target.name) {
    if (name !== undefined && (typeof name !== 'string' || name === ''))
      throw new Error(`${kind}: name must be a non-empty string, got ${describeValue(name)}`);
    this.#kind = kind;
    this.name = name ?? defaultName(kind);
  }

  /** The class name shown in messages, e.g. 'Dense'. */
  get kind(): string { return this.#kind; }
  /** How messages name this module: `Dense 'dense_1'`. */
  get label(): string { return `${this.#kind} '${this.name}'`; }

  /**
   * The (key, value) pairs the collection walks: by default the own enumerable properties.
   * Containers that name their children differently override it (Sequential: '0', '1', ...).
   */
  namedChildren(): [string, unknown][] { return Object.entries(this); }

  /** Every variable reachable from this module, depth-first in property order, each once. */
  get variables(): Variable[] {
    return reachable(this).flatMap(f => f.value instanceof Variable ? [f.value] : []);
  }
  /** The trainable ones among `variables`: what TF's guide passes to `tape.gradient`. */
  get trainableVariables(): Variable[] { return this.variables.filter(v => v.trainable); }

  /** Number of values in the module's variables (0 before a lazy layer is built). */
  countParams(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** Every module reachable from this one (not itself), depth-first, each once. */
  get submodules(): Module[] {
    return reachable(this).flatMap(f => f.value instanceof Module ? [f.value] : []);
  }

  /**
   * The variables by path ('0/kernel', 'encoder/dense/bias'): the Variables themselves, not copies,
   * so `saveSafetensors(model.weights())` writes them; do not dispose the record.
   */
  weights(): Record<string, Tensor> {
    const record: Record<string, Tensor> = {};
    for (const { value, path } of reachable(this)) if (value instanceof Variable) record[path.join('/')] = value;
    return record;
  }

  /**
   * Assigns `record[path]` to every variable (as `weights()` names them). Every name, shape and dtype
   * is checked first: on any mismatch it throws, naming them all, and assigns nothing.
   */
  loadWeights(record: Record<string, Tensor>): void {
    inContext(this, () => {
      if (record === null || typeof record !== 'object' || Array.isArray(record) || record instanceof Tensor)
        throw new Error(`loadWeights: expected a record of tensors by name (as weights() returns), got ${describeValue(record)}`);
      const mine = this.weights();
      const expected = Object.keys(mine), given = Object.keys(record);
      const problems: string[] = [];
      const missing = expected.filter(k => !Object.hasOwn(record, k));
      const extra = given.filter(k => !Object.hasOwn(mine, k));
      if (missing.length) problems.push(`missing ${missing.map(k => JSON.stringify(k)).join(', ')}`);
      if (extra.length) problems.push(`unexpected ${extra.map(k => JSON.stringify(k)).join(', ')}`);
      for (const key of expected) {
        if (!Object.hasOwn(record, key)) continue;
        const target = mine[key], value = record[key];
        if (!(value instanceof Tensor) || value.isDisposed) problems.push(`${JSON.stringify(key)} must be a tensor, got ${describeValue(value)}`);
        else if (value.dtype !== target.dtype || value.shape.join() !== target.shape.join())
          problems.push(`${JSON.stringify(key)} must be a ${target.dtype} tensor of shape [${target.shape}], got ${describeValue(value)}`);
      }
      if (problems.length) {
        const hint = expected.length === 0 ? ' (it has no variables yet: layers create theirs on the first apply() or build(inputShape))' : '';
        throw new Error(`loadWeights: nothing assigned: ${problems.join('; ')}. Expected ${expected.length} weight(s): ${expected.map(k => JSON.stringify(k)).join(', ') || 'none'}${hint}`);
      }
      for (const key of expected) (mine[key] as Variable).assign(record[key]);
    });
  }

  /** Frees every variable of this module and its submodules. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
  [Symbol.dispose](): void { this.dispose(); }
}

/** Options of `apply`: `training` switches layers such as Dropout to their training behaviour. */
export interface ApplyOptions {
  /** Dropout drops only when true (Keras' `training`); default false */
  training?: boolean;
}

/** What a layer's `apply` takes: one tensor, or (merging layers such as Concatenate) an array of them. */
export type LayerInput = Tensor | Tensor[];
/** The shape argument matching a layer's input: a shape, or an array of shapes for merging layers. */
export type ShapeOf<I extends LayerInput> = I extends Tensor[] ? number[][] : number[];
/** The same, as arguments take it (read-only). */
export type ShapeArg<I extends LayerInput> = I extends Tensor[] ? readonly (readonly number[])[] : readonly number[];

/**
 * Base class of the layers: `apply(x, { training })` runs `call` inside a tidy (intermediates are
 * freed; the tape keeps what it recorded) and names the layer path in any error.
 * Subclasses implement `call` and, if they own variables, `build(inputShape)`. `I` is what `apply`
 * takes: a tensor, or an array of tensors for the merging layers.
 */
export abstract class Layer<I extends LayerInput = Tensor> extends Module {
  /** The layer's output for `x`. Creates the variables on the first call (from x's shape). */
  apply(x: I, options: ApplyOptions = {}): Tensor {
    return inContext(this, () => {
      if (options === null || typeof options !== 'object') throw new Error(`apply: options must be an object like { training: true }, got ${describeValue(options)}`);
      for (const key of Object.keys(options))
        if (key !== 'training') throw new Error(`apply: unknown option ${JSON.stringify(key)} (expected training)`);
      if (options.training !== undefined && typeof options.training !== 'boolean')
        throw new Error(`apply: training must be a boolean, got ${describeValue(options.training)}`);
      this.checkInput(x);
      const training = options.training ?? false;
      return tidy(() => this.call(x, { training }));
    });
  }

  /** Throws unless `x` is what `apply` takes (here: one live tensor). */
  protected checkInput(x: unknown): void {
    if (!(x instanceof Tensor)) throw new Error(`apply: expected a Tensor, got ${describeValue(x)}`);
    if (x.isDisposed) throw new Error('apply: the input tensor is disposed');
  }

  /** Creates the variables for inputs of shape `inputShape` (batch first); a no-op once built. */
  build(inputShape: ShapeArg<I>): void {
    inContext(this, () => { this.outputShape(inputShape); });
  }

  /**
   * The output shape for an input of shape `inputShape` (batch first), checking it the way `apply`
   * would; nothing is computed or created.
   */
  outputShape(inputShape: ShapeArg<I>): number[] {
    return inContext(this, () => this.computeOutputShape(this.checkShape(inputShape)));
  }

  /** Throws unless `shape` is a shape (merging layers: an array of shapes); returns a copy. */
  protected checkShape(shape: unknown): ShapeOf<I> {
    return checkShapeArg(shape) as ShapeOf<I>;
  }

  /** The layer's computation (Keras' `call`); `x` is a live Tensor (or array of them). */
  protected abstract call(x: I, options: { training: boolean }): Tensor;
  /** Output shape from a validated input shape; the default keeps the shape. */
  protected computeOutputShape(inputShape: ShapeOf<I>): number[] { return inputShape as number[]; }
}

/** Throws unless `shape` is an array of non-negative integers; returns a copy. */
export function checkShapeArg(shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.some(d => !Number.isInteger(d) || d < 0))
    throw new Error(`expected an input shape (an array of non-negative integers), got ${describeValue(shape)}`);
  return [...shape];
}
