// Single ops through each kernel template of the CUDA target, end to end against onnxruntime on
// the CPU emulation (and nvcc-clean): tensor cores for f16 MatMul and Conv (implicit GEMM, fused
// bias + Relu epilogue), register-tiled SIMT GEMMs (fused epilogue, guarded prime-sized edges, a
// 12-row plane), a warp-per-output GEMV, and Softmax (warp-shuffle row statistics).
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { OnnxBuilder } from '../../../models/builder.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { compileCase, emulateAndCompare, nvccCheck } from './harness.ts';

const w = (shape: number[], seed: number): Tensor => randomTensor('f32', shape, seed, -0.5, 0.5);

/** Conv 3×3 (pad 1) + bias + Relu with weights of `dtype`: one fused node, a contraction and its epilogue. */
function convRelu(dtype: 'f32' | 'f16', cin: number, cout: number, hw: number): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  const x = b.input('x', dtype, [2, cin, hw, hw]);
  const wt = b.initializer(randomTensor(dtype, [cout, cin, 3, 3], 3, -0.5, 0.5), 'w');
  const bias = b.initializer(randomTensor(dtype, [cout], 4), 'bias');
  const y = b.node('Conv', [x, wt, bias], { pads: [1, 1, 1, 1] })[0];
  b.output(b.node('Relu', [y])[0]);
  return b.toBytes();
}

const CASES: { name: string; bytes: Uint8Array; tol: number; expect: RegExp; kernels?: number; inputs?: TensorMap }[] = [
  {
    name: 'fp16 MatMul 48×64 · 64×80 (tensor cores: wmma fragments, f32 accumulate, f16 rounding in the epilogue; tol 1e-3)',
    bytes: oneOpModel({ op: 'MatMul', inputs: [['f16', [48, 64]], ['f16', [64, 80]]] }),
    tol: 1e-3, expect: /const half\* __restrict__[^]*nvcuda::wmma::mma_sync/, kernels: 1,
  },
  {
    // 132 batches × one 128×128 tile: a block per SM of an H100, so the 128×128 tile (8 warps of
    // 64×32) is chosen; K = 72 takes three double-buffered steps (both stages, a ragged last one);
    // rows of 72 and 128 halves: both operands fill as 16-byte vectors.
    name: 'fp16 batched MatMul 132 × 128×72 · 72×128 (tensor cores, 128×128 block tile, double-buffered K; tol 1e-3)',
    bytes: oneOpModel({ op: 'MatMul', inputs: [['f16', [132, 128, 72]], ['f16', [132, 72, 128]]] }),
    tol: 1e-3, expect: /__launch_bounds__\(256\)[^]*tscc_c\[4\]\[2\][^]*tscc_load16\(&in0\[[^]*tscc_kt \+ 1 < 3/, kernels: 1,
  },
  {
    name: 'fp16 Conv 3×3 8→24 + bias + Relu (implicit GEMM on tensor cores, epilogue fused; tol 1e-3)',
    bytes: convRelu('f16', 8, 24, 10), tol: 1e-3, expect: /nvcuda::wmma::load_matrix_sync/, kernels: 1,
  },
  {
    // The int32 sums are exact; only a requantization landing on a rounding tie could differ by a step.
    name: 'int8 QDQ MatMul 40×96 · 96×56 (x quantized in the kernel, per-channel i8 weights in [-127, 127], requantized output: __dp4a)',
    bytes: qdqMatMul(40, 96, 56), tol: 1e-4, expect: /__dp4a\(tscc_a\[tscc_i\], tscc_b\[tscc_j\]/, kernels: 1,
    inputs: { x: randomTensor('f32', [40, 96], 1, -2, 2), wq: randomTensor('i8', [96, 56], 2, -127, 127) },
  },
  {
    // onnxruntime sums the f32 products in another order: one output of 2592 sits on a rounding tie
    // of the requantization and differs by one step (0.05 = 7.8e-3·max|ref|); tscc's reference
    // interpreter agrees with the exact int32 sums everywhere.
    name: 'int8 QDQ Conv 3×3 8→16 + bias + Relu (padding reads the zero point; requantized output: __dp4a; tol one step)',
    bytes: qdqConv(), tol: 1e-2, expect: /__dp4a\(tscc_a\[tscc_i\], tscc_b\[tscc_j\]/, kernels: 1,
    inputs: { x: randomTensor('f32', [2, 8, 9, 9], 3, -2, 2), wq: randomTensor('i8', [16, 8, 3, 3], 4, -127, 127) },
  },
  {
    name: 'Conv 3×3 16→32 + bias + Relu (register-tiled SIMT GEMM, epilogue fused)',
    bytes: convRelu('f32', 16, 32, 12), tol: 1e-4, expect: /float tscc_c\[4\]\[2\]/, kernels: 1,
  },
  {
    name: 'Conv 3×3 32→12 at 28×42 (SIMT GEMM, 1×4 register tiles, operand tiles in shared memory)',
    bytes: oneOpModel({ op: 'Conv', inputs: [['f32', [1, 32, 28, 42]], w([12, 32, 3, 3], 3)], attrs: { pads: [1, 1, 1, 1] } }),
    tol: 1e-4, expect: /__shared__ float tscc_As/,
  },
  {
    name: 'MatMul 67×53 · 53×131 (4×4 register tiles, guarded edges)',
    bytes: oneOpModel({ op: 'MatMul', inputs: [['f32', [67, 53]], w([53, 131], 4)] }),
    tol: 1e-4, expect: /float tscc_c\[4\]\[4\][^]*if \(tscc_m < 67 && tscc_n < 131\)/,
  },
  {
    name: 'GEMV 1×512 · 512×40 (a warp per output, shuffle reduction)',
    bytes: oneOpModel({ op: 'MatMul', inputs: [['f32', [1, 512]], w([512, 40], 5)] }),
    tol: 1e-4, expect: /__shfl_xor_sync\(0xffffffffu, tscc_v, tscc_off\)/,
  },
  {
    name: 'Softmax over 300 (max and sum: a warp per row; normalize: element-wise; one launch each)',
    bytes: oneOpModel({ op: 'Softmax', inputs: [['f32', [6, 300]]], attrs: { axis: -1 } }),
    tol: 1e-4, expect: /_s1\([^]*__shfl_xor_sync[^]*_s2\(/, kernels: 3,
  },
];

/**
 * Standard ONNX QDQ around a MatMul: x quantized per tensor (asymmetric i8), the weight an i8 input
 * dequantized per output channel (an input, so constant folding keeps it int8), the result
 * requantized (step 0.05) and dequantized. Fusion puts it all in one group: the dp4a pattern.
 */
function qdqMatMul(m: number, k: number, n: number): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  const x = b.input('x', 'f32', [m, k]);
  const wq = b.input('wq', 'i8', [k, n]);
  const scalar = (dtype: 'f32' | 'i8', v: number, name: string) => b.initializer(Tensor.fromNumbers(dtype, [], [v]), name);
  const sx = scalar('f32', 0.02, 'sx'), zx = scalar('i8', 3, 'zx'), sy = scalar('f32', 0.05, 'sy'), zy = scalar('i8', -2, 'zy');
  const sw = b.initializer(Tensor.fromNumbers('f32', [n], Array.from({ length: n }, (_, i) => 0.004 + i * 1e-4)), 'sw');
  const dq = b.node('DequantizeLinear', [b.node('QuantizeLinear', [x, sx, zx])[0], sx, zx])[0];
  const dw = b.node('DequantizeLinear', [wq, sw], { axis: 1 })[0];
  const yq = b.node('QuantizeLinear', [b.node('MatMul', [dq, dw])[0], sy, zy])[0];
  b.output(b.node('DequantizeLinear', [yq, sy, zy])[0]);
  return b.toBytes();
}

/** The same QDQ pattern around Conv + bias + Relu (weights per output channel, axis 0). */
function qdqConv(): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 });
  const x = b.input('x', 'f32', [2, 8, 9, 9]);
  const wq = b.input('wq', 'i8', [16, 8, 3, 3]);
  const scalar = (dtype: 'f32' | 'i8', v: number, name: string) => b.initializer(Tensor.fromNumbers(dtype, [], [v]), name);
  const sx = scalar('f32', 0.02, 'sx'), zx = scalar('i8', 3, 'zx'), sy = scalar('f32', 0.05, 'sy'), zy = scalar('i8', -2, 'zy');
  const sw = b.initializer(Tensor.fromNumbers('f32', [16], Array.from({ length: 16 }, (_, i) => 0.004 + i * 1e-4)), 'sw');
  const bias = b.initializer(Tensor.fromNumbers('f32', [16], Array.from({ length: 16 }, (_, i) => 0.1 * i - 0.5)), 'bias');
  const dq = b.node('DequantizeLinear', [b.node('QuantizeLinear', [x, sx, zx])[0], sx, zx])[0];
  const dw = b.node('DequantizeLinear', [wq, sw], { axis: 0 })[0];
  const y = b.node('Relu', [b.node('Conv', [dq, dw, bias], { pads: [1, 1, 1, 1] })[0]])[0];
  b.output(b.node('DequantizeLinear', [b.node('QuantizeLinear', [y, sy, zy])[0], sy, zy])[0]);
  return b.toBytes();
}

describe('CUDA target: single ops', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { compiled } = await compileCase({ bytes: c.bytes });
      expect(String(compiled.artifact.files.get('kernels.cu'))).toMatch(c.expect);
      if (c.kernels !== undefined) expect(compiled.artifact.kernels.length).toBe(c.kernels);
      const [, worst] = await Promise.all([nvccCheck(compiled), emulateAndCompare({ bytes: c.bytes, inputs: c.inputs }, compiled, c.tol)]);
      expect(worst).toBeLessThanOrEqual(c.tol);
    }, 120_000);
  }
});
