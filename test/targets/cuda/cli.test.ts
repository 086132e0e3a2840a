// The CUDA target through the command line: compile writes the artifact folder and report.json for
// each architecture, run executes it (here on the CPU emulation: this machine has no GPU) and says
// so, and the folder builds with its own Makefile and nvcc (shared library and tscc_run linked).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../../src/cli/main.ts';
import { runGraph } from '../../../src/runtime/interpreter.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { encodeNpy, parseNpy } from '../../../src/runtime/npy.ts';
import { randomInputs } from '../../helpers/check.ts';
import { findNvcc, hasGpu } from '../../../targets/cuda/runner.ts';

const exec = promisify(execFile);
const MODEL = 'models/tiny-cnn.onnx';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
}

describe('tscc CLI with --target cuda', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscc-cuda-cli-'));

  it('compile --target cuda:sm_80 / cuda writes the folder and report.json; an unknown arch is a user error', async () => {
    for (const [spec, arch] of [['cuda:sm_80', 'sm_80'], ['cuda', 'sm_90']]) {
      const io = capture();
      const out = join(dir, arch);
      expect(await main(['compile', MODEL, '--target', spec, '-o', out], io)).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.target).toBe(spec);
      expect(report.totals.kernels).toBeGreaterThan(3);
      expect(report.kernels[0].target).toBe(`cuda:${arch}`);
      expect(readFileSync(join(out, 'Makefile'), 'utf8')).toContain(`ARCH ?= ${arch}`);
    }
    const io = capture();
    expect(await main(['compile', MODEL, '--target', 'cuda:sm_70', '-o', join(dir, 'x')], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('sm_70');
  });

  it('run --target cuda says how it ran and writes outputs equal to the reference runtime', async () => {
    const bytes = readFileSync(MODEL);
    const inputs = randomInputs(bytes, { seed: 5 });
    const [name] = Object.keys(inputs);
    writeFileSync(join(dir, 'in.npy'), encodeNpy(inputs[name]));
    const io = capture();
    expect(await main(['run', MODEL, '--target', 'cuda', '--input', `${name}=${join(dir, 'in.npy')}`, '--out', join(dir, 'out')], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain(hasGpu() ? 'CUDA on the GPU' : 'CPU emulation of the CUDA source');
    const ref = runGraph(loadOnnxBytes(bytes).graph, inputs);
    const got = parseNpy(readFileSync(join(dir, 'out', 'probs.npy')));
    expect(got.shape).toEqual(ref.probs.shape);
    const r = ref.probs.toNumbers(), g = got.toNumbers();
    expect(Math.max(...r.map((v, i) => Math.abs(v - g[i])))).toBeLessThanOrEqual(1e-4 * Math.max(...r.map(Math.abs)));
  }, 120_000);

  it('inspect --emit cuda prints the kernels (templates included); an unknown arch is a user error', async () => {
    const io = capture();
    expect(await main(['inspect', MODEL, '--emit', 'cuda'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/__global__ void __launch_bounds__\(\d+\)/);
    expect(text).toContain('tscc_c['); // the register-tiled GEMM of its convolutions
    const bad = capture();
    expect(await main(['inspect', MODEL, '--emit', 'cuda:sm_70'], bad)).toBe(1);
    expect(bad.stderr.join('\n')).toContain('sm_70');
  });

  it('the folder builds with `make` (nvcc: libtscc_model.so and tscc_run)', async () => {
    const out = join(dir, 'sm_90');
    await exec('make', ['-s'], { cwd: out, env: { ...process.env, NVCC: findNvcc() ?? 'nvcc' } });
    expect(existsSync(join(out, 'libtscc_model.so'))).toBe(true);
    expect(existsSync(join(out, 'tscc_run'))).toBe(true);
  }, 180_000);
});
