// NumPy .npy read/write (format versions 1–3), the exchange format of `tscc run`.
import { readFileSync, writeFileSync } from 'node:fs';
import { FileError, ParseError, UnsupportedError } from '../util/errors.ts';
import { type DType, dtypeInfo } from '../ir/graph/dtype.ts';
import { Tensor, sizeOf, stridesOf } from '../ir/graph/tensor.ts';
import { castTensor } from './kernels/elementwise.ts';

const DESCR: Record<string, DType> = {
  f4: 'f32', f8: 'f64', f2: 'f16', i8: 'i64', i4: 'i32', i2: 'i16', i1: 'i8',
  u1: 'u8', u2: 'u16', u4: 'u32', u8: 'u64', b1: 'bool',
};
const TO_DESCR: Partial<Record<DType, string>> = {
  f32: '<f4', f64: '<f8', f16: '<f2', i64: '<i8', i32: '<i4', i16: '<i2', i8: '|i1',
  u8: '|u1', u16: '<u2', u32: '<u4', u64: '<u8', bool: '|b1',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function parseNpy(bytes: Uint8Array, file = '<bytes>'): Tensor {
  const bad = (why: string): never => { throw new ParseError(`${file}: not a valid .npy file (${why})`); };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) bad('missing \\x93NUMPY magic');
  const major = bytes[6];
  if (major < 1 || major > 3) bad(`format version ${major}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : bad('truncated');
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) bad('header runs past the end');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? bad('no descr');
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] ?? bad('no fortran_order');
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? bad('no shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31 - 1) bad(`bad dimension ${s}`);
    return n;
  });
  const order = descr[0];
  const dtype = DESCR[descr.slice(1)];
  if (!dtype || !'<>|='.includes(order)) throw new UnsupportedError(`${file}: .npy element type '${descr}' is not supported`);
  const n = sizeOf(shape);
  const elem = dtypeInfo(dtype).bytes;
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < n * elem) bad(`${bytes.length - dataStart} data bytes, shape (${shape}) needs ${n * elem}`);
  const raw = new Uint8Array(bytes.subarray(dataStart, dataStart + n * elem)); // a copy, aligned (Buffer#slice would be a view)
  if (order === '>' && elem > 1) for (let i = 0; i < raw.length; i += elem) raw.subarray(i, i + elem).reverse();
  const t = new Tensor(dtype, shape, new (dtypeInfo(dtype).array)(raw.buffer, 0, n));
  return fortran === 'True' ? fromFortran(t) : t;
}

function fromFortran(t: Tensor): Tensor {
  const out = new Tensor(t.dtype, t.shape);
  const cStrides = stridesOf(t.shape);
  const fStrides = t.shape.map((_, i) => t.shape.slice(0, i).reduce((a, b) => a * b, 1));
  for (let i = 0; i < t.size; i++) {
    let rem = i, f = 0;
    for (let d = 0; d < t.rank; d++) { const k = Math.floor(rem / cStrides[d]); rem -= k * cStrides[d]; f += k * fStrides[d]; }
    out.data[i] = t.data[f];
  }
  return out;
}

export function encodeNpy(t: Tensor): Uint8Array {
  const src = TO_DESCR[t.dtype] ? t : castTensor(t, 'f32'); // bf16/f8 have no NumPy type: written as f32
  const descr = TO_DESCR[src.dtype]!;
  const shape = src.shape.length === 1 ? `(${src.shape[0]},)` : `(${src.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + src.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(src.data.buffer, src.data.byteOffset, src.byteLength), 10 + header.length);
  return out;
}

export function readNpy(path: string): Tensor {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch (e) {
    throw new FileError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseNpy(bytes, path);
}

export function writeNpy(path: string, t: Tensor): void {
  try { writeFileSync(path, encodeNpy(t)); } catch (e) {
    throw new FileError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The contract's file name for an output: characters outside [A-Za-z0-9._-] become '_'. */
export function npyName(output: string): string {
  return `${output.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`;
}
