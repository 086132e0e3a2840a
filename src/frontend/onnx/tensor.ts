// TensorProto → Tensor. Raw data is viewed in place when aligned (the file buffer is the one copy);
// external data is read from the file named relative to the model, and must stay inside its folder.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ExternalDataError, ModelError, UnsupportedError } from '../../util/errors.ts';
import { type DType, type TypedArray, dtypeFromOnnx, dtypeInfo } from '../../ir/graph/dtype.ts';
import { Tensor, sizeOf } from '../../ir/graph/tensor.ts';
import { type TensorProto, num } from './proto.ts';

export const MAX_DIM = 2 ** 31 - 1;

export interface TensorContext {
  /** Folder that external-data locations are relative to; undefined when loading from bytes. */
  baseDir?: string;
  /** Where this tensor is used, for error messages. */
  where: string;
}

export function checkDims(dims: readonly number[], where: string): number[] {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) throw new ModelError(`${where}: dimension ${d} is invalid (must be 0 … 2^31-1)`);
  }
  if (sizeOf(dims) > 2 ** 32) throw new ModelError(`${where}: tensor of ${sizeOf(dims)} elements is too large`);
  return [...dims];
}

export function dtypeOf(code: number | null | undefined, where: string): DType {
  const d = dtypeFromOnnx(code ?? 0);
  if (!d) throw new UnsupportedError(`${where}: element type ${code ?? 0} is not supported`);
  return d;
}

export function tensorFromProto(p: TensorProto, ctx: TensorContext): Tensor {
  const where = `${ctx.where} tensor "${p.name ?? ''}"`;
  const dtype = dtypeOf(p.dataType, where);
  const shape = checkDims((p.dims ?? []).map(num), where);
  const n = sizeOf(shape);
  if (p.dataLocation === 1) return fromBytes(dtype, shape, readExternal(p, ctx, where, n), where);
  if (p.rawData && p.rawData.length > 0) return fromBytes(dtype, shape, p.rawData, where);
  return fromFields(dtype, shape, p, where);
}

function packedBytes(dtype: DType, n: number): number {
  return dtype === 'i4' || dtype === 'u4' ? Math.ceil(n / 2) : n * dtypeInfo(dtype).bytes;
}

function fromBytes(dtype: DType, shape: number[], bytes: Uint8Array, where: string): Tensor {
  const n = sizeOf(shape);
  const need = packedBytes(dtype, n);
  if (bytes.length !== need) throw new ModelError(`${where}: has ${bytes.length} bytes of data, its shape [${shape}] needs ${need}`);
  if (dtype === 'i4' || dtype === 'u4') return new Tensor(dtype, shape, unpackInt4(bytes, n, dtype === 'i4'));
  const info = dtypeInfo(dtype);
  const aligned = bytes.byteOffset % info.array.BYTES_PER_ELEMENT === 0;
  const src = aligned ? bytes : new Uint8Array(bytes); // a copy: Buffer#slice would be a view
  return new Tensor(dtype, shape, new info.array(src.buffer as ArrayBuffer, src.byteOffset, n));
}

function unpackInt4(bytes: Uint8Array, n: number, signed: boolean): TypedArray {
  const out = signed ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const nib = (bytes[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nib >= 8 ? nib - 16 : nib;
  }
  return out;
}

function fromFields(dtype: DType, shape: number[], p: TensorProto, where: string): Tensor {
  const n = sizeOf(shape);
  const pick = (): ArrayLike<number | bigint | { toNumber(): number }> => {
    switch (dtype) {
      case 'f32': return p.floatData ?? [];
      case 'f64': return p.doubleData ?? [];
      case 'i64': return p.int64Data ?? [];
      case 'u32': case 'u64': return (p as { uint64Data?: ArrayLike<number> }).uint64Data ?? [];
      default: return p.int32Data ?? [];
    }
  };
  let src = pick();
  // Check the count before allocating: the dims of a malformed file may claim billions of elements.
  const need = dtype === 'i4' || dtype === 'u4' ? Math.ceil(n / 2) : n; // int4: two values a stored element
  if (src.length !== need) throw new ModelError(`${where}: has ${src.length} values, its shape [${shape}] needs ${need}`);
  if (dtype === 'i4' || dtype === 'u4') {
    const bytes = Uint8Array.from(Array.from(src, (x) => Number(x)));
    src = Array.from(unpackInt4(bytes, n, dtype === 'i4') as Int8Array);
  }
  const t = new Tensor(dtype, shape);
  const d = t.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) { const v = src[i]; d[i] = typeof v === 'bigint' ? v : BigInt(typeof v === 'number' ? v : v.toString()); }
  } else {
    for (let i = 0; i < n; i++) { const v = src[i]; (d as Float32Array)[i] = typeof v === 'number' ? v : Number(typeof v === 'bigint' ? v : v.toNumber()); }
  }
  return t;
}

function readExternal(p: TensorProto, ctx: TensorContext, where: string, n: number): Uint8Array {
  const kv = new Map((p.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new ExternalDataError(`${where}: external data has no "location"`);
  if (ctx.baseDir === undefined) throw new ExternalDataError(`${where}: external data "${location}" needs the model's folder; load the model from a file`);
  const path = resolve(ctx.baseDir, location);
  const rel = relative(ctx.baseDir, path);
  if (isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
    throw new ExternalDataError(`${where}: external data location "${location}" points outside the model's folder`);
  }
  const offset = Number(kv.get('offset') ?? 0);
  const dtype = dtypeOf(p.dataType, where);
  const length = Number(kv.get('length') ?? packedBytes(dtype, n));
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new ExternalDataError(`${where}: bad external data offset/length ${kv.get('offset')}/${kv.get('length')}`);
  }
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) {
    throw new ExternalDataError(`${where}: cannot open external data file "${path}": ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (offset + length > size) throw new ExternalDataError(`${where}: external data ${offset}+${length} runs past the end of "${path}" (${size} bytes)`);
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const r = readSync(fd, buf, got, length - got, offset + got);
      if (r === 0) break;
      got += r;
    }
    return buf;
  } finally { closeSync(fd); }
}
