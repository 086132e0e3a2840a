// A dense tensor: the value of a graph constant and of every runtime buffer.
import { type DType, type TypedArray, allocArray, dtypeInfo, isBigInt } from './dtype.ts';
import { f16BitsToF32, f32ToF16Bits, bf16BitsToF32, f32ToBf16Bits } from '../../util/float16.ts';

export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;

  constructor(dtype: DType, shape: readonly number[], data?: TypedArray) {
    const n = sizeOf(shape);
    const d = data ?? allocArray(dtype, n);
    if (d.length !== n) throw new Error(`tensor data has ${d.length} elements, shape [${shape}] needs ${n}`);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = d;
  }

  get size(): number { return this.data.length; }
  get rank(): number { return this.shape.length; }

  /** Elements as JS numbers (f16/bf16 decoded, bigints converted). */
  toNumbers(): number[] {
    const out = new Array<number>(this.size);
    const d = this.data;
    if (this.dtype === 'f16') for (let i = 0; i < out.length; i++) out[i] = f16BitsToF32(d[i] as number);
    else if (this.dtype === 'bf16') for (let i = 0; i < out.length; i++) out[i] = bf16BitsToF32(d[i] as number);
    else for (let i = 0; i < out.length; i++) out[i] = Number(d[i]);
    return out;
  }

  /** Values as f32, decoding narrow floats; shares storage when already f32. */
  toF32(): Float32Array {
    if (this.data instanceof Float32Array) return this.data;
    return Float32Array.from(this.toNumbers());
  }

  reshape(shape: readonly number[]): Tensor { return new Tensor(this.dtype, shape, this.data); }

  static fromNumbers(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
    const t = new Tensor(dtype, shape);
    const d = t.data;
    if (dtype === 'f16') for (let i = 0; i < values.length; i++) d[i] = f32ToF16Bits(values[i]);
    else if (dtype === 'bf16') for (let i = 0; i < values.length; i++) d[i] = f32ToBf16Bits(values[i]);
    else if (isBigInt(dtype)) for (let i = 0; i < values.length; i++) d[i] = BigInt(Math.trunc(values[i]));
    else for (let i = 0; i < values.length; i++) d[i] = values[i];
    return t;
  }

  static scalar(dtype: DType, v: number): Tensor { return Tensor.fromNumbers(dtype, [], [v]); }
  static i64(values: readonly number[], shape: readonly number[] = [values.length]): Tensor {
    return Tensor.fromNumbers('i64', shape, values);
  }
  get byteLength(): number { return this.size * dtypeInfo(this.dtype).bytes; }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}
