// OCP MX v1.0: bit-exact encode/decode against hand-derived vectors (test/quant/vectors/mx.json),
// element codecs against the ONNX float8 codec, block layout along an axis, packed storage.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/runtime/random.ts';
import { decodeF8 } from '../../src/runtime/kernels/float8.ts';
import { decodeMini, dequantize, encodeMini, type MxElement, mxDecode, mxEncode, mxFakeQuantize, quantizeWeight, storageBytes } from '../../src/quant/index.ts';

interface Case { name: string; element: MxElement; input: (number | string)[]; scale: string; codes: string[]; decoded: (number | string)[]; packed?: string[]; fill?: string }
const vectors = JSON.parse(readFileSync(new URL('./vectors/mx.json', import.meta.url), 'utf8')) as { cases: Case[] };

function num(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Inf') return Infinity;
  if (v === '-0') return -0;
  const m = /^(-?[\d.]+)\*2\^(-?\d+)$/.exec(v);
  if (!m) throw new Error(`bad vector value ${v}`);
  return Number(m[1]) * 2 ** Number(m[2]);
}
const pad = <T>(xs: T[], fill: T) => [...xs, ...Array<T>(32 - xs.length).fill(fill)];

describe('MX test vectors (hand-derived from the spec rules)', () => {
  for (const c of vectors.cases) {
    it(c.name, () => {
      const x = Float32Array.from(pad(c.input.map(num), 0));
      const e = mxEncode(x, [32], 0, c.element);
      expect(e.scales.length).toBe(1);
      expect(e.scales[0]).toBe(Number(c.scale));
      expect(Array.from(e.codes)).toEqual(pad(c.codes.map(Number), 0));
      const y = mxDecode(e.codes, e.scales, [32], 0, c.element);
      const want = pad(c.decoded.map(num), num(c.fill ?? 0));
      y.forEach((v, i) => expect(Object.is(v, want[i]) || v === want[i], `element ${i}: ${v} vs ${want[i]}`).toBe(true));
      if (c.packed) {
        const precision = c.element === 'e2m1' ? 'mxfp4' : 'mxfp6';
        const q = quantizeWeight(x, [32], { precision, mxElement: c.element });
        expect(Array.from(q.data.subarray(0, c.packed.length))).toEqual(c.packed.map(Number));
        expect(Array.from(dequantize(q))).toEqual(Array.from(y));
      }
    });
  }
});

describe('element codecs', () => {
  it('e4m3 / e5m2 decode agrees with the ONNX float8 codec on all 256 codes', () => {
    for (let c = 0; c < 256; c++) {
      expect(Object.is(decodeMini(c, 'e4m3'), decodeF8(c, 'f8e4m3')) || decodeMini(c, 'e4m3') === decodeF8(c, 'f8e4m3')).toBe(true);
    }
  });
  it('every FP6/FP4 code round-trips, and the value grid is the spec\'s', () => {
    for (const [el, bits, max, minSub] of [['e2m3', 6, 7.5, 0.125], ['e3m2', 6, 28, 0.0625], ['e2m1', 4, 6, 0.5]] as const) {
      const vals = [];
      for (let c = 0; c < 1 << bits; c++) {
        const v = decodeMini(c, el);
        vals.push(v);
        if (v !== 0) expect(encodeMini(v, el)).toBe(c);
      }
      expect(Math.max(...vals)).toBe(max);
      expect(Math.min(...vals.filter((v) => v > 0))).toBe(minSub);
    }
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((c) => decodeMini(c, 'e2m1'))).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  });
  it('RNE: random values land on the nearest grid point (ties to the even code)', () => {
    const r = rng(5);
    for (const el of ['e2m3', 'e3m2', 'e2m1'] as const) {
      const grid = Array.from({ length: el === 'e2m1' ? 8 : 32 }, (_, c) => decodeMini(c, el));
      for (let i = 0; i < 2000; i++) {
        const v = (r() * 2 - 1) * grid[grid.length - 1] * 1.2;
        const got = decodeMini(encodeMini(v, el), el);
        const best = Math.min(...grid.map((g) => Math.abs(Math.abs(v) - g)));
        expect(Math.abs(Math.abs(got) - Math.abs(v))).toBeLessThanOrEqual(best + 1e-12);
      }
    }
  });
});

describe('MX tensors', () => {
  it('blocks run along the chosen axis: axis 0 of [64, 3] equals axis 1 of its transpose', () => {
    const r = rng(9);
    const x = Float32Array.from({ length: 64 * 3 }, () => (r() - 0.5) * 10 ** (r() * 4 - 2));
    const xt = new Float32Array(x.length);
    for (let i = 0; i < 64; i++) for (let j = 0; j < 3; j++) xt[j * 64 + i] = x[i * 3 + j];
    const a = mxEncode(x, [64, 3], 0, 'e4m3'), b = mxEncode(xt, [3, 64], 1, 'e4m3');
    expect(a.scaleShape).toEqual([2, 3]);
    expect(b.scaleShape).toEqual([3, 2]);
    for (let blk = 0; blk < 2; blk++) for (let j = 0; j < 3; j++) expect(a.scales[blk * 3 + j]).toBe(b.scales[j * 2 + blk]);
    const ya = mxDecode(a.codes, a.scales, [64, 3], 0, 'e4m3'), yb = mxDecode(b.codes, b.scales, [3, 64], 1, 'e4m3');
    for (let i = 0; i < 64; i++) for (let j = 0; j < 3; j++) expect(ya[i * 3 + j]).toBe(yb[j * 64 + i]);
  });
  it('error bounds per element type on random data, and model-size accounting', () => {
    const r = rng(21);
    const x = Float32Array.from({ length: 8 * 96 }, () => (r() * 2 - 1) * 3);
    // Worst error: half an ulp of the element format in the block's top binade, or, for elements the
    // format saturates (amax may exceed element max · X by less than one binade), the excess.
    const halfUlp: Record<MxElement, number> = { e4m3: 2 ** -4, e5m2: 2 ** -3, e2m3: 2 ** -4, e3m2: 2 ** -3, e2m1: 2 ** -2, int8: 2 ** -7 };
    const emax: Record<MxElement, number> = { e4m3: 8, e5m2: 15, e2m3: 2, e3m2: 4, e2m1: 2, int8: 0 };
    const elMax: Record<MxElement, number> = { e4m3: 448, e5m2: 57344, e2m3: 7.5, e3m2: 28, e2m1: 6, int8: 127 / 64 };
    for (const el of Object.keys(halfUlp) as MxElement[]) {
      const y = mxFakeQuantize(x, [8, 96], 1, el);
      for (let b = 0; b < 24; b++) {
        let amax = 0;
        for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[b * 32 + i]));
        const top = 2 ** Math.floor(Math.log2(amax)), X = top / 2 ** emax[el];
        for (let i = b * 32; i < b * 32 + 32; i++) {
          const excess = Math.abs(x[i]) - elMax[el] * X;
          expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(Math.max(halfUlp[el] * top, excess) + 1e-9);
        }
      }
    }
    const q4 = quantizeWeight(x, [8, 96], { precision: 'mxfp4' });
    expect(storageBytes(q4)).toBe(8 * 96 / 2 + 24);
    const q6 = quantizeWeight(x, [8, 96], { precision: 'mxfp6' });
    expect(storageBytes(q6)).toBe(8 * 96 * 6 / 8 + 24);
    expect(Array.from(dequantize(q6))).toEqual(Array.from(mxFakeQuantize(x, [8, 96], 1, 'e2m3')));
  });
});
