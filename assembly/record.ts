// The two structures op code and backward rules share, as layouts in linear memory with accessors
// (no state here, so both wasm modules compile this file):
//
// Record: one recorded op on a tape, of any arity.
//   word 0 op code, 1 outputs n, 2 inputs m, 3 attribute words k,
//   then n output ids, m input ids, k attribute words (i32, or f32 bits).
//   Entries build one in scratch memory (Record.build) and commit it (tape.ts commitRecord), which
//   copies it to every tape that wants it. On a tape a record never moves, so a rule may record
//   ops (onto the very tape it reads, if that tape is persistent and recording).
//
// Grads: what the backward sweep hands a rule, for one record.
//   word 0 outputs n, 1 inputs m, then n upstream gradient ids (0: none reached this output),
//   m flags (1: the sweep wants input i's gradient), m result slots.
//
// The accessors are inlined: recording and the sweep read every id of every record, and a rule's
// few reads and writes cost less than calls.
//
// The reference-count convention, the only one: a rule borrows everything it reads (the record's
// ids, the upstream gradients) and gives the sweep one reference with each gradient it `set`s; the
// sweep adds it into the input's gradient. A rule skips the inputs that are not `wanted`.

@final @unmanaged export class Record {
  op: i32;
  outputs: i32;
  inputs: i32;
  attrs: i32;

  @inline get words(): i32 { return 4 + this.outputs + this.inputs + this.attrs; }
  @inline get bytes(): usize { return <usize>this.words << 2; }
  @inline private at(word: i32): usize { return changetype<usize>(this) + (<usize>word << 2); }
  /** Address of the record's ids: the outputs', then the inputs' (outputs + inputs words; for the tape's own loops). */
  @inline get ids(): usize { return changetype<usize>(this) + 16; }

  @inline output(i: i32 = 0): i32 { return load<i32>(this.at(4 + i)); }
  @inline input(i: i32): i32 { return load<i32>(this.at(4 + this.outputs + i)); }
  @inline attr(i: i32): i32 { return load<i32>(this.at(4 + this.outputs + this.inputs + i)); }
  @inline attrF32(i: i32): f32 { return load<f32>(this.at(4 + this.outputs + this.inputs + i)); }
  /** Address of attribute word i (runs of words: shapes, paddings, permutations). */
  @inline attrAt(i: i32): usize { return this.at(4 + this.outputs + this.inputs + i); }

  /** Lays out an empty record of the given arity at `at` (4 + outputs + inputs + attrs words). */
  @inline static build(at: usize, op: i32, outputs: i32, inputs: i32, attrs: i32): Record {
    store<i32>(at, op); store<i32>(at, outputs, 4); store<i32>(at, inputs, 8); store<i32>(at, attrs, 12);
    return changetype<Record>(at);
  }
  @inline static bytesFor(outputs: i32, inputs: i32, attrs: i32): usize { return <usize>(4 + outputs + inputs + attrs) << 2; }
  @inline setOutput(i: i32, id: i32): Record { store<i32>(this.at(4 + i), id); return this; }
  @inline setInput(i: i32, id: i32): Record { store<i32>(this.at(4 + this.outputs + i), id); return this; }
  @inline setAttr(i: i32, v: i32): Record { store<i32>(this.attrAt(i), v); return this; }
}

@final @unmanaged export class Grads {
  outputs: i32;
  inputs: i32;

  @inline private at(word: i32): usize { return changetype<usize>(this) + (<usize>word << 2); }
  @inline static bytesFor(outputs: i32, inputs: i32): usize { return <usize>(2 + outputs + 2 * inputs) << 2; }

  /** The upstream gradient of output i (0 if none reached it). */
  @inline dy(i: i32 = 0): i32 { return load<i32>(this.at(2 + i)); }
  /** Whether the sweep wants the gradient of input i (it depends on a source and is float). */
  @inline wants(i: i32): bool { return load<i32>(this.at(2 + this.outputs + i)) != 0; }
  /** Gives the sweep the gradient of input i, with one reference (the rule's to give). */
  @inline set(i: i32, gradient: i32): void { store<i32>(this.at(2 + this.outputs + this.inputs + i), gradient); }
  /** What `set` stored for input i (0: none). */
  @inline result(i: i32): i32 { return load<i32>(this.at(2 + this.outputs + this.inputs + i)); }

  /** Lays out a Grads of the given arity at `at` (bytesFor words); the sweep fills it. */
  @inline static build(at: usize, outputs: i32, inputs: i32): Grads {
    store<i32>(at, outputs); store<i32>(at, inputs, 4);
    return changetype<Grads>(at);
  }
  @inline setDy(i: i32, id: i32): void { store<i32>(this.at(2 + i), id); }
  @inline setWanted(i: i32, wanted: bool): void { store<i32>(this.at(2 + this.outputs + i), wanted ? 1 : 0); }
}
