// DRAM layout: every graph value gets an address (64-byte aligned), views (Reshape, Squeeze, …)
// share their input's bytes, and constants — including the ones the code generator derives
// (folded batch norm, transposed or int8-quantized weights) — form the initial DRAM image.
import type { Value } from '../../../src/ir/graph/graph.ts';
import type { Tensor } from '../../../src/ir/graph/tensor.ts';
import { TargetError } from '../../../src/util/errors.ts';

export type DramDt = 'f16' | 'i8' | 'i32';

/** Values the code generator computed at compile time (DequantizeLinear/Cast of initializers): an
 *  annotation of immutable graph values, read wherever a constant is (constNumbers, Layout.place). */
export const FOLDED = new WeakMap<Value, Tensor>();
export interface Placement { readonly addr: number; readonly dt: DramDt; readonly shape: readonly number[] }
export interface ImageEntry { readonly addr: number; readonly dt: DramDt; readonly data: ArrayLike<number> }

const BYTES: Record<DramDt, number> = { f16: 2, i8: 1, i32: 4 };

/** int8 tensors (QDQ activations and weights) stay int8 in DRAM — uint8 as int8 value − 128, so the
 *  int8 array reads either as is; other integers are i32; floats f16. */
export function dramDtOf(v: Value): DramDt {
  const d = v.type.dtype;
  return d === 'i8' || d === 'u8' ? 'i8' : d.startsWith('i') || d.startsWith('u') ? 'i32' : 'f16';
}

export function concreteShape(v: Value): number[] {
  return v.type.shape.map((d) => {
    if (typeof d !== 'number') throw new TargetError(`npu: value "${v.name}" has symbolic dim "${d}"; bind it with --shape`);
    return d;
  });
}

export class Layout {
  private top = 64;
  readonly values = new Map<string, Placement>();
  readonly image: ImageEntry[] = [];

  get bytes(): number { return this.top; }

  alloc(dt: DramDt, elems: number): number {
    const at = this.top;
    this.top += Math.ceil((Math.max(1, elems) * BYTES[dt]) / 64) * 64;
    if (this.top > 0xffffffff) throw new TargetError('npu: model does not fit the 4 GB DRAM address space');
    return at;
  }

  place(v: Value): Placement {
    const have = this.values.get(v.name);
    if (have) return have;
    const shape = concreteShape(v), dt = dramDtOf(v);
    const p = { addr: this.alloc(dt, shape.reduce((a, b) => a * b, 1)), dt, shape };
    this.values.set(v.name, p);
    const c = v.constant ?? FOLDED.get(v);
    if (c) this.image.push({ addr: p.addr, dt, data: v.type.dtype === 'u8' ? Array.from(tensorNumbers(c), (x) => x - 128) : tensorNumbers(c) });
    return p;
  }

  /** `v` is a view of `of` (same bytes, new shape). */
  alias(v: Value, of: Value): void {
    const p = this.place(of);
    this.values.set(v.name, { addr: p.addr, dt: p.dt, shape: concreteShape(v) });
  }

  /** A constant the code generator made (weights in another layout or precision). */
  constant(dt: DramDt, data: ArrayLike<number>): number {
    const addr = this.alloc(dt, data.length);
    this.image.push({ addr, dt, data });
    return addr;
  }

  get(v: Value): Placement {
    return this.values.get(v.name) ?? this.place(v);
  }
}

export function tensorNumbers(t: Tensor): ArrayLike<number> {
  return t.data instanceof Float32Array || t.data instanceof Int32Array || t.data instanceof Uint8Array ? t.data : t.toNumbers();
}
