// Shape rules of tscc's OCP Microscaling ops (domain com.tscc):
//  - MxQuantizeDequantize(x) → y: x rounded through an MX format in blocks of 32 along `axis`,
//    scales computed at run time (activations). attrs: format, axis (default −1). y has x's type.
//  - MxDequantize(elements: u8[packed bytes], scales: u8 E8M0) → f32[shape]: an MX weight.
//    attrs: format, axis (default −1), shape (ints). scales has `shape` with the axis dim divided
//    by 32, rounded up; elements holds ceil(n · bits / 8) bytes (4-bit two a byte, low nibble
//    first; 6-bit a little-endian bit stream).
import type { Dim } from '../graph.ts';
import { defineOp, normAxis, tt, type InferCtx } from './registry.ts';

export const MX_DOMAIN = 'com.tscc';
/** Element formats and their bit widths (names as src/quant's MxElement). */
export const MX_FORMATS: Readonly<Record<string, number>> = { e4m3: 8, e5m2: 8, e2m3: 6, e3m2: 6, e2m1: 4, int8: 8 };

export function mxFormat(c: { attr: { string(n: string): string }; fail(m: string): never }): string {
  const f = c.attr.string('format');
  if (!(f in MX_FORMATS)) c.fail(`format "${f}" is not an MX element type (expected one of ${Object.keys(MX_FORMATS).join(', ')})`);
  return f;
}

function floatInput(c: InferCtx, i: number, what: string): void {
  const d = c.input(i).dtype;
  if (d !== 'f32' && d !== 'f16' && d !== 'bf16') c.fail(`${what} must be f32, f16 or bf16, got ${d}`);
}

defineOp({
  name: 'MxQuantizeDequantize',
  domain: MX_DOMAIN,
  infer: (c) => {
    const x = c.input(0);
    floatInput(c, 0, 'x');
    mxFormat(c);
    if (x.shape.length === 0) c.fail('x must have rank ≥ 1 (blocks run along an axis)');
    normAxis(c, c.attr.int('axis', -1), x.shape.length);
    return [x];
  },
});

defineOp({
  name: 'MxDequantize',
  domain: MX_DOMAIN,
  infer: (c) => {
    const el = c.input(0), sc = c.input(1);
    if (el.dtype !== 'u8' || sc.dtype !== 'u8') c.fail(`elements and scales must be u8, got ${el.dtype} and ${sc.dtype}`);
    const bits = MX_FORMATS[mxFormat(c)];
    const shape = c.attr.ints('shape');
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) c.fail(`shape must list positive dims, got [${shape.join(',')}]`);
    const axis = normAxis(c, c.attr.int('axis', -1), shape.length);
    const want: Dim[] = shape.map((d, i) => (i === axis ? Math.ceil(d / 32) : d));
    if (sc.shape.length !== want.length || sc.shape.some((d, i) => typeof d === 'number' && d !== want[i])) {
      c.fail(`scales has shape [${sc.shape.join(',')}], expected [${want.join(',')}] for shape [${shape.join(',')}] blocked by 32 along axis ${axis}`);
    }
    const bytes = Math.ceil((shape.reduce((a, b) => a * b, 1) * bits) / 8);
    if (el.shape.length !== 1 || (typeof el.shape[0] === 'number' && el.shape[0] !== bytes)) {
      c.fail(`elements must be 1-D with ${bytes} bytes (${bits}-bit ${c.attr.string('format')} × [${shape.join(',')}]), got [${el.shape.join(',')}]`);
    }
    return [tt('f32', shape)];
  },
});
