// The CUDA printer against the Tensor IR interpreter: every schedule golden case that applies (block
// and thread binding, shared-memory tiles with barriers, double buffering, intrinsics …) and kernels
// exercising the expression semantics and half / bfloat16 storage, printed as kernels of one
// program, compiled with g++ on the CPU emulation and run, must equal the interpreter; the same
// program compiles with nvcc -arch=sm_90 without warnings.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocArray, dtypeInfo, isFloat } from '../../../src/ir/graph/dtype.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { PrimFunc } from '../../../src/ir/tensor/func.ts';
import { runFunc } from '../../../src/ir/tensor/interp/run.ts';
import { parseFunc } from '../../../src/ir/tensor/text/parser.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { applySchedule } from '../../../src/schedule/apply.ts';
import { findNvcc } from '../../../targets/cuda/runner.ts';
import { kernelsProgram } from '../../../targets/cuda/single.ts';
import { defaultSteps } from '../../../targets/cuda/schedule.ts';
import { CASES } from '../../schedule/cases.ts';

const run = promisify(execFile);

const OPS = `
func ops(A: f32[64], I: i32[64]) -> (O: f32[64], Q: i32[64], L: i64[64]) {
  for i in range(0, 64) {
    O[i] = exp(A[i]) + tanh(A[i]) * sigmoid(A[i]) - erf(A[i]) + select(A[i] > 0.0, sqrt(A[i]), -A[i]) + max(A[i], 0.25) + min(A[i], -0.5) + round(A[i] * 4.0) + f32(I[i] // 3) + floor(A[i] * 3.0) + abs(A[i]) / (1.0 + A[i] * A[i]);
    Q[i] = I[i] // -3 + I[i] % 3 * 10 + I[i] % -4 * 100 + max(I[i], 2) * 1000 + i32(A[i] * 100.0) / 7 * 10000;
    L[i] = i64(I[i]) * i64(3000000000) + i64(i);
  }
}`;

/** Narrow floats: computed in f32, rounded (nearest even) on store, as the interpreter does. */
const NARROW = `
func narrow(A: bf16[64], B: f16[64]) -> (C: bf16[64], D: f16[64]) {
  for i in range(0, 64) {
    C[i] = bf16(f32(A[i]) * 3.0 + f32(B[i]) / 7.0);
    D[i] = f16(exp(f32(B[i])) - f32(A[i]));
  }
}`;

/**
 * Unscheduled functions the target writes from kernel templates (templates.ts): a register-tiled
 * SIMT GEMM, a bf16 contraction on tensor cores with its epilogue, warp-per-output reductions
 * (max with an in-place tail, sum), and an element-wise kernel under the default schedule
 * (float4 loads and stores, with a ragged tail). Names starting t_ are compared with tolerance
 * (re-associated sums; bf16 rounding of the result).
 */
const TEMPLATES = [`
func t_simt(A: f32[40, 24], B: f32[24, 36]) -> (C: f32[40, 36]) {
  for i in range(0, 40) {
    for j in range(0, 36) {
      C[i, j] = 0.0;
      for k in range(0, 24) {
        C[i, j] = C[i, j] + A[i, k] * B[k, j];
      }
    }
  }
}`, `
func t_wmma_bf16(A: bf16[2, 20, 40], B: bf16[40, 70], bias: f32[70]) -> (C: bf16[2, 20, 70]) {
  alloc acc: f32[2, 20, 70] local {
    for b in range(0, 2) {
      for i in range(0, 20) {
        for j in range(0, 70) {
          acc[b, i, j] = 0.0;
          for k in range(0, 40) {
            acc[b, i, j] = acc[b, i, j] + f32(A[b, i, k]) * f32(B[k, j]);
          }
        }
      }
    }
    for b in range(0, 2) {
      for i in range(0, 20) {
        for j in range(0, 70) {
          C[b, i, j] = bf16(max(acc[b, i, j] + bias[j], 0.0));
        }
      }
    }
  }
}`, `
func t_warp_max(A: f32[5, 3, 70]) -> (M: f32[5, 1]) {
  for i in range(0, 5) {
    for z in range(0, 1) {
      M[i, z] = -inf;
      for r in range(0, 3) {
        for k in range(0, 70) {
          M[i, z] = max(M[i, z], A[i, r, k] * 2.0);
        }
      }
      M[i, z] = exp(M[i, z] - 1.0);
    }
  }
}`, `
func t_warp_sum(A: f32[13, 100]) -> (S: f32[13]) {
  for i in range(0, 13) {
    S[i] = 1.5;
    for k in range(0, 100) {
      S[i] = S[i] + A[i, k] * A[i, k];
    }
  }
}`, `
func t_vector(A: f32[3, 50], B: f32[50]) -> (C: f32[3, 50]) {
  for i in range(0, 3) {
    for j in range(0, 50) {
      C[i, j] = A[i, j] * B[j] + A[i, 49 - j];
    }
  }
}`];

function funcs(): PrimFunc[] {
  const out: PrimFunc[] = [parseFunc(OPS), parseFunc(NARROW)];
  for (const t of TEMPLATES) {
    const f = parseFunc(t);
    out.push(applySchedule(f, defaultSteps(f)));
  }
  CASES.forEach((c, i) => {
    let f: PrimFunc;
    try { f = applySchedule(parseFunc(c.before), c.steps); } catch { return; } // cases that expect an error
    out.push(new PrimFunc(`c${i}_${c.name.replace(/[^A-Za-z0-9]/g, '_')}`, f.inputs, f.outputs, f.body));
  });
  return out;
}

function input(b: PrimFunc['inputs'][number], seed: number): Tensor {
  if (b.dtype === 'i32') return Tensor.fromNumbers('i32', b.shape, Array.from({ length: b.size }, (_, k) => ((k * 7919 + seed) % 41) - 20));
  return randomTensor(b.dtype, b.shape, seed);
}

const raw = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function fromRaw(bytes: Uint8Array, b: PrimFunc['outputs'][number]): Tensor {
  const data = allocArray(b.dtype, b.size);
  new Uint8Array(data.buffer).set(bytes.subarray(0, b.size * dtypeInfo(b.dtype).bytes));
  return new Tensor(b.dtype, b.shape, data);
}

describe('CUDA printer vs the Tensor IR interpreter', () => {
  const fs = funcs();
  const dir = mkdtempSync(join(tmpdir(), 'tscc-cuda-printer-'));
  let built: Promise<unknown> = Promise.resolve();
  beforeAll(() => {
    const runtime = new URL('../../../targets/cuda/runtime/', import.meta.url).pathname;
    for (const h of ['tscc_cuda.h', 'tscc_emu.h', 'tscc_emu_warp.h']) copyFileSync(join(runtime, h), join(dir, h));
    writeFileSync(join(dir, 'prog.cu'), kernelsProgram(fs).source);
    built = run('g++', ['-O1', '-std=c++17', '-Wall', '-Werror', '-x', 'c++', 'prog.cu', '-o', 'prog'], { cwd: dir }).then(() => undefined, (e: unknown) => e);
  });

  it('has shared-memory kernels with barriers, and every kernel template, among its cases', () => {
    const src = readFileSync(join(dir, 'prog.cu'), 'utf8');
    expect(src).toContain('__shared__');
    expect(src).toContain('__syncthreads();');
    expect(src).toMatch(/t_simt\([^]*?float tscc_c\[2\]\[2\]/);
    expect(src).toMatch(/t_wmma_bf16\([^]*?fragment<nvcuda::wmma::matrix_a, 16, 16, 16, __nv_bfloat16/);
    expect(src).toMatch(/t_warp_max\([^]*?__shfl_xor_sync/);
    expect(src).toMatch(/t_vector\([^]*?__ldg\(\(const float4\*\)/);
    expect(fs.length).toBeGreaterThan(20);
  });

  it('compiles with nvcc -arch=sm_90 with no warnings', async () => {
    const nvcc = findNvcc();
    expect(nvcc, 'nvcc must be installed (CUDA toolkit)').toBeDefined();
    await run(nvcc!, ['-arch=sm_90', '-std=c++17', '--Werror', 'all-warnings', '-Xcompiler', '-Wall,-Werror', '-c', 'prog.cu', '-o', 'prog.o'], { cwd: dir });
  }, 120_000);

  it('every kernel on the CPU emulation equals the interpreter', async () => {
    const failed = await built;
    if (failed) throw failed;
    for (const [k, f] of fs.entries()) {
      const ins = f.inputs.map((b, i) => input(b, 11 + i));
      const inFiles = ins.map((t, i) => { const p = join(dir, `k${k}_in${i}`); writeFileSync(p, raw(t)); return p; });
      const outFiles = f.outputs.map((_, j) => join(dir, `k${k}_out${j}`));
      await run(join(dir, 'prog'), [String(k), ...inFiles, ...outFiles]);
      const want = runFunc(f, ins);
      f.outputs.forEach((b, j) => {
        const got = fromRaw(readFileSync(outFiles[j]), b).toNumbers(), ref = want[j].toNumbers();
        const scale = Math.max(1e-30, ...ref.map(Math.abs));
        const err = Math.max(...ref.map((r, e) => Math.abs(r - got[e])));
        const tol = !isFloat(b.dtype) ? 0 : !f.name.startsWith('t_') ? 1e-6 : b.dtype === 'bf16' ? 1e-2 : 1e-5;
        expect(err / (isFloat(b.dtype) ? scale : 1), `${f.name} output ${b.name}`).toBeLessThanOrEqual(tol);
      });
    }
  }, 120_000);
});
