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

function funcs(): PrimFunc[] {
  const out: PrimFunc[] = [parseFunc(OPS), parseFunc(NARROW)];
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
    for (const h of ['tscc_cuda.h', 'tscc_emu.h']) copyFileSync(join(runtime, h), join(dir, h));
    writeFileSync(join(dir, 'prog.cu'), kernelsProgram(fs).source);
    built = run('g++', ['-O1', '-std=c++17', '-Wall', '-Werror', '-x', 'c++', 'prog.cu', '-o', 'prog'], { cwd: dir }).then(() => undefined, (e: unknown) => e);
  });

  it('has shared-memory kernels with barriers among its cases', () => {
    const src = readFileSync(join(dir, 'prog.cu'), 'utf8');
    expect(src).toContain('__shared__');
    expect(src).toContain('__syncthreads();');
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
        expect(err / (isFloat(b.dtype) ? scale : 1), `${f.name} output ${b.name}`).toBeLessThanOrEqual(isFloat(b.dtype) ? 1e-6 : 0);
      });
    }
  }, 120_000);
});
