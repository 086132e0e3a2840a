// Single ops that take the CUDA target's less common paths, end to end against onnxruntime:
// half-precision storage (fp16 MatMul: f32 accumulation, one rounding on store), shared-memory
// tiles whose side divides the plane (Conv at 28×42 → 14×14 tiles), the guarded 16×16 tiles of a
// long prime-sized plane, and a multi-stage reduction (Softmax: one launch per stage).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { compileCase, emulateAndCompare, nvccCheck } from './harness.ts';

const w = (shape: number[], seed: number): Tensor => randomTensor('f32', shape, seed, -0.5, 0.5);

const CASES: { name: string; bytes: Uint8Array; tol: number; expect: RegExp }[] = [
  {
    name: 'fp16 MatMul 48×64 · 64×80 (half storage; tol 1e-3: one f16 rounding of the result)',
    bytes: oneOpModel({ op: 'MatMul', inputs: [['f16', [48, 64]], ['f16', [64, 80]]] }),
    tol: 1e-3, expect: /const half\* __restrict__/,
  },
  {
    name: 'Conv 3×3 32→12 at 28×42 (14×14 tiles, operands in shared memory)',
    bytes: oneOpModel({ op: 'Conv', inputs: [['f32', [1, 32, 28, 42]], w([12, 32, 3, 3], 3)], attrs: { pads: [1, 1, 1, 1] } }),
    tol: 1e-4, expect: /__shared__ float/,
  },
  {
    name: 'MatMul 67×53 · 53×131 (guarded 16×16 tiles)',
    bytes: oneOpModel({ op: 'MatMul', inputs: [['f32', [67, 53]], w([53, 131], 4)] }),
    tol: 1e-4, expect: /if \(\(\(/,
  },
  {
    name: 'Softmax over 300 (max, sum, normalize: one launch each)',
    bytes: oneOpModel({ op: 'Softmax', inputs: [['f32', [6, 300]]], attrs: { axis: -1 } }),
    tol: 1e-4, expect: /_s2\(/,
  },
];

describe('CUDA target: single ops', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { compiled } = await compileCase({ bytes: c.bytes });
      expect(String(compiled.artifact.files.get('kernels.cu'))).toMatch(c.expect);
      const [, worst] = await Promise.all([nvccCheck(compiled), emulateAndCompare({ bytes: c.bytes }, compiled, c.tol)]);
      expect(worst).toBeLessThanOrEqual(c.tol);
    }, 120_000);
  }
});
