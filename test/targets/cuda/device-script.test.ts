// bench/cuda-device.sh --dry: the GPU bench script's steps that need no GPU, on a subset (one zoo
// model with bound shapes, the fp16 GEMMs, one f32 conv): models written, verify through the CPU
// emulation against onnxruntime, tscc compile + the artifact's Makefile with nvcc for sm_90, the
// inputs script, one emulated launch through tscc_run's time_ms line, and torch_bench.py's
// arguments and output lines joined into the table. ~30 s of CPU with a warm build cache (the
// whole dry run, every model and layer, is `DRY=1 bench/cuda-device.sh`: ~6 min here).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { findNvcc } from '../../../targets/cuda/runner.ts';

const exec = promisify(execFile);

/** Runs a command; resolves to its exit code and output either way. */
async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  try {
    const r = await exec(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('bench/cuda-device.sh --dry', () => {
  const work = mkdtempSync(join(tmpdir(), 'tscc-cuda-dry-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('verifies, builds with nvcc and tabulates a subset of the bench without a GPU', async () => {
    if (!findNvcc()) throw new Error('nvcc is not installed: the CUDA tests need the CUDA toolkit');
    const r = await run('bash', ['bench/cuda-device.sh', '--dry'], {
      WORK: work, GEMM_N: '64', ONLY: 'zoo-classifier-head gemm-f16-* conv-64x56',
    });
    const out = r.stdout;
    expect(r.code, `${out}\n${r.stderr.slice(-4000)}`).toBe(0);
    // the correctness step: exactly the selected models, each on the emulation and within tolerance
    const verified = [...out.matchAll(/\/([\w-]+)\.onnx: cuda:sm_90 \(CPU emulation[^\n]*\n\s+ok /g)].map((m) => m[1]);
    expect(verified.sort()).toEqual(['conv-64x56', 'gemm-f16-256', 'zoo-classifier-head']);
    expect(out).not.toMatch(/FAIL/);
    // the timing step: every selected layer built (nvcc) and launched once on the emulation, and
    // torch_bench.py answered under the same names
    for (const [layer, input] of [['gemm-f16-64', 'A'], ['conv-64x56', 'x']]) {
      expect(out).toMatch(new RegExp(`^${layer} +\\d+\\.\\d+ +nan +-$`, 'm'));
      for (const f of ['libtscc_model.so', 'tscc_run', 'tscc_run_emu', `in/${input}.npy`]) {
        expect(existsSync(join(work, layer, f)), `${layer}/${f}`).toBe(true);
      }
    }
    expect(r.stderr).toContain('torch_bench.py: dry run');
    expect(out).toContain('cuda-device.sh: all steps passed');
  }, 600_000);

  it('rejects an unknown flag, and torch_bench.py rejects a layer name it does not know', async () => {
    const bad = await run('bash', ['bench/cuda-device.sh', '--fast']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('usage: bench/cuda-device.sh');
    const py = await run('python3', ['bench/cuda/torch_bench.py', '--dry', 'gemm-f16-64', 'conv-64x55x2']);
    expect(py.code).toBe(2);
    expect(py.stderr).toContain('unknown layer "conv-64x55x2"');
    const ok = await run('python3', ['bench/cuda/torch_bench.py', '--dry', '--batch', '2', 'gemm-f16-64', 'conv-f16-512x7']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('gemm-f16-64 nan\nconv-f16-512x7 nan\n');
  });
});
