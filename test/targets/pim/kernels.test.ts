// PIM kernels on the simulator against onnxruntime-node (fp16 data, fp32 accumulation: ≤ 1e-2 of the
// output's max magnitude) and, bit for bit, against the code generator's intent (intent.ts).
import { describe, expect, it } from 'vitest';
import { float } from '../../../models/builder.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { checkPim } from './helpers.ts';
import { intentOutputs } from './intent.ts';

const w = (shape: number[], seed: number) => randomTensor('f32', shape, seed);

describe('GEMV and batched GEMV (M = 1…8) match onnxruntime and the intent bit for bit', () => {
  for (const M of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`MatMul [${M}, 200] × [200, 150]`, async () => {
      const r = await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [M, 200]], w([200, 150], M)] }), { seed: 10 + M });
      expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
      expect(r.cycles).toBeGreaterThan(0);
    });
  }
  it('GEMV 1×1100 × 1100×200 (several DRAM rows of k, split over pseudo-channels)', async () => {
    const r = await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [1, 1100]], w([1100, 200], 3)] }));
    expect(r.programs[0].gemv![0].layout.schedule.kSplit).toBeGreaterThan(1);
    expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
  });
  it('a vector input (rank-1 A)', async () => {
    await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [96]], w([96, 40], 4)] }));
  });
  it('Gemm with bias, transB, alpha and beta', async () => {
    const bytes = oneOpModel({
      op: 'Gemm', inputs: [['f32', [3, 120]], w([90, 120], 5), w([90], 6)],
      attrs: { transB: 1, alpha: float(0.75), beta: float(-1.5) },
    });
    const r = await checkPim(bytes);
    expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
  });
  it('Gemm with transA and a [M, N] bias input', async () => {
    await checkPim(oneOpModel({ op: 'Gemm', inputs: [['f32', [64, 4]], w([64, 33], 7), ['f32', [4, 33]]], attrs: { transA: 1 } }));
  });
  it('Gemm with a scalar and a column bias', async () => {
    await checkPim(oneOpModel({ op: 'Gemm', inputs: [['f32', [2, 48]], w([48, 20], 12), w([], 13)] }));
    await checkPim(oneOpModel({ op: 'Gemm', inputs: [['f32', [2, 48]], w([48, 20], 12), w([2, 1], 14)] }));
  });
  it('M > 8 is not a PIM kernel: --target pim names the node, the op and why', async () => {
    await expect(checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [16, 32]], w([32, 8], 1)] }))).rejects.toThrow(/node "MatMul_\d+" \(MatMul\) cannot run on pim: M = 16 rows/);
  });
  it('an fp16 model (fp16 inputs, weights and output)', async () => {
    const r = await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f16', [2, 160]], randomTensor('f16', [160, 48], 15)] }));
    expect(Object.values(r.outputs)[0].dtype).toBe('f16');
  });
  it('bf16 data', async () => {
    const r = await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [2, 256]], w([256, 64], 8)] }), { target: 'pim:hbm3:bf16', tol: 2e-2 });
    expect(r.programs[0].fmt).toBe('bf16');
    expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
  });
  for (const preset of ['hbm2', 'aim']) {
    it(`batched GEMV on the ${preset} preset`, async () => {
      const r = await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [4, 300]], w([300, 80], 9)] }), { target: `pim:${preset}`, tol: preset === 'aim' ? 2e-2 : 1e-2 });
      expect(r.programs[0].fmt).toBe(preset === 'aim' ? 'bf16' : 'fp16'); // each PU's own format
      expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
    });
  }
});

describe('attention decode: q·Kᵀ and p·V against a cached K/V', () => {
  it('scores = q [1,4,1,32] · Kᵀ [1,4,32,40] and out = p [1,4,1,40] · V [1,4,40,32]', async () => {
    const { OnnxBuilder } = await import('../../../models/builder.ts');
    const b = new OnnxBuilder({ opset: 17 });
    b.output(b.op('MatMul', [b.input('q', 'f32', [1, 4, 1, 32]), b.input('k_t', 'f32', [1, 4, 32, 40])]));
    b.output(b.op('MatMul', [b.input('p', 'f32', [1, 4, 1, 40]), b.input('v', 'f32', [1, 4, 40, 32])]));
    const r = await checkPim(b.toBytes());
    expect(r.programs.map((p) => p.gemv!.length)).toEqual([4, 4]); // one GEMV per head
    expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
  });
  it('grouped heads: K/V broadcast over the batch of queries', async () => {
    await checkPim(oneOpModel({ op: 'MatMul', inputs: [['f32', [2, 3, 2, 16]], ['f32', [1, 3, 16, 24]]] }));
  });
});

describe('element-wise Add and Mul are written back in the banks', () => {
  for (const op of ['Add', 'Mul']) {
    it(`${op} [3, 500] ∘ [3, 500]`, async () => {
      const r = await checkPim(oneOpModel({ op, inputs: [['f32', [3, 500]], ['f32', [3, 500]]] }));
      expect(r.programs[0].eltwise).toBeDefined();
      expect(intentOutputs(r)).toEqual(Object.values(r.outputs).map((t) => Array.from(t.toF32())));
    });
  }
  it('Add with broadcast of a constant row', async () => {
    await checkPim(oneOpModel({ op: 'Add', inputs: [['f32', [6, 70]], w([70], 11)] }));
  });
});
