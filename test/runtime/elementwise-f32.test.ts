// The interpreter's f32 fast path for Add/Sub/Mul/Div (src/runtime/kernels/elementwise.ts, session 6)
// gives exactly the bits of the per-element definition: fround(a[i] ⊕ b[broadcast i]), for every
// broadcast shape it takes (same shape, scalar, indexed) and the ones it leaves to the generic path.
import { describe, expect, it } from 'vitest';
import { evaluateNode } from '../../src/runtime/evaluate.ts';
import { randomTensor } from '../../src/runtime/random.ts';

const OPS: Record<string, (x: number, y: number) => number> = { Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y) => x / y };

/** Row-major index of output element i into a tensor of `shape` broadcast to `out` (numpy rules). */
function source(i: number, shape: readonly number[], out: readonly number[]): number {
  let rem = i, idx = 0, stride = 1;
  const off = out.length - shape.length;
  const coords = [...out].reverse().map((d) => { const c = rem % d; rem = Math.floor(rem / d); return c; }).reverse();
  for (let k = shape.length - 1; k >= 0; k--) {
    idx += (shape[k] === 1 ? 0 : coords[k + off]) * stride;
    stride *= shape[k];
  }
  return idx;
}

describe('f32 Add/Sub/Mul/Div fast path', () => {
  it.each([
    ['same shape', [2, 3, 4, 5], [2, 3, 4, 5]],
    ['scalar', [2, 3, 4, 5], []],
    ['one-element', [2, 3, 4, 5], [1, 1, 1, 1]],
    ['per channel', [2, 3, 4, 5], [1, 3, 1, 1]],
    ['trailing', [2, 3, 4, 5], [5]],
    ['a broadcast (generic path)', [3, 1, 5], [2, 3, 4, 5]],
  ])('%s', (_, sa, sb) => {
    const a = randomTensor('f32', sa, 11, -2, 2), b = randomTensor('f32', sb, 12, 0.5, 3);
    const out = sa.length >= sb.length ? [...sa] : [...sb];
    for (let k = 1; k <= Math.min(sa.length, sb.length); k++) out[out.length - k] = Math.max(sa[sa.length - k], sb[sb.length - k]);
    const A = a.toF32(), B = b.toF32(), n = out.reduce((x, y) => x * y, 1);
    for (const [op, f] of Object.entries(OPS)) {
      const [y] = evaluateNode({ name: op, op, inputs: ['a', 'b'], outputs: ['y'] }, [a, b], 17);
      expect(y.shape).toEqual(out);
      const want = Float32Array.from({ length: n }, (_, i) => f(A[source(i, sa, out)], B[source(i, sb, out)]));
      expect(new Uint32Array(y.toF32().slice().buffer)).toEqual(new Uint32Array(want.buffer));
    }
  });
});
