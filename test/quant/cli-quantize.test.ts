// `tscc compile/run --quantize …`: flags, the loud calibration warning, report.json's quantization section.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main.ts';
import { encodeNpy, parseNpy } from '../../src/runtime/npy.ts';
import { randomTensor } from '../../src/runtime/random.ts';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
}
const dir = mkdtempSync(join(tmpdir(), 'tscc-q-'));
const MODEL = 'models/tiny-cnn.onnx';

interface QReport {
  calibration: { source: string; warning?: string; samples: number; method: string };
  sizeBytes: { before: number; after: number };
  metrics: { sqnr: number; top1: number | null };
  layers: { group: string; ops: string[]; precision: string; sqnr?: number }[];
  substituted: unknown[];
  budget?: string; met?: boolean;
}

describe('tscc --quantize', () => {
  it('compile int8 without --calib: warns loudly, report lists layers, sizes and the calibration source', async () => {
    const io = capture();
    expect(await main(['compile', MODEL, '--target', 'npu', '--quantize', 'int8', '-o', join(dir, 'a')], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/!!! WARNING: no --calib DIR given.*GENERATED/);
    const q = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8')).quantization as QReport;
    expect(q.calibration.source).toBe('generated');
    expect(q.calibration.warning).toMatch(/GENERATED/);
    expect(q.sizeBytes.after).toBeLessThan(q.sizeBytes.before * 0.35);
    expect(q.layers.length).toBeGreaterThan(2);
    for (const l of q.layers) { expect(l.precision).toBe('int8'); expect(l.sqnr).toBeGreaterThan(20); expect(l.ops.length).toBeGreaterThan(0); }
    expect(Array.isArray(q.substituted)).toBe(true);
  });

  it('uniform bf16 fits the weights by default (refitted biases compile for the NPU); --no-weight-fit rounds to nearest', async () => {
    const run = async (out: string, ...extra: string[]) => {
      const io = capture();
      expect(await main(['compile', MODEL, '--target', 'npu', '--quantize', 'bf16', ...extra, '-o', join(dir, out)], io)).toBe(0);
      return { text: io.stdout.join('\n'), q: JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8')).quantization as QReport & { weightFit: { convs: number; bias: boolean } | string } };
    };
    const fit = await run('fit'), rtn = await run('rtn', '--no-weight-fit');
    expect(fit.q.weightFit).toEqual({ target: 'sequential', convs: 3, bias: true });
    expect(fit.text).toMatch(/error-compensating fit of 3 conv/);
    expect(rtn.q.weightFit).toBe('round to nearest');
    // Measured on the calibration samples both plans are judged on: the fit is at least as close to fp32.
    expect(fit.q.metrics.sqnr).toBeGreaterThanOrEqual(rtn.q.metrics.sqnr - 0.05);
  });

  it('compile auto with --calib DIR and an accuracy floor', async () => {
    const calib = join(dir, 'calib');
    for (let i = 0; i < 3; i++) { mkdirSync(join(calib, `s${i}`), { recursive: true }); writeFileSync(join(calib, `s${i}`, 'x.npy'), encodeNpy(randomTensor('f32', [1, 3, 32, 32], 50 + i))); }
    const io = capture();
    expect(await main(['compile', MODEL, '--target', 'npu', '--quantize', 'auto', '--calib', calib, '--calib-method', 'minmax', '--accuracy', 'sqnr>=35', '-o', join(dir, 'b')], io)).toBe(0);
    expect(io.stdout.join('\n')).not.toMatch(/WARNING/);
    const q = JSON.parse(readFileSync(join(dir, 'b', 'report.json'), 'utf8')).quantization as QReport;
    expect(q.calibration).toMatchObject({ source: 'dir', samples: 3, method: 'minmax' });
    expect(q.budget).toBe('sqnr>=35dB');
    expect(q.met).toBe(true);
    expect(q.metrics.sqnr).toBeGreaterThanOrEqual(35);
  });

  it('compile auto with a latency target on the NPU (int8-native edge16): cycles from the simulator', async () => {
    const io = capture();
    expect(await main(['compile', MODEL, '--target', 'npu:edge16', '-o', join(dir, 'f')], io)).toBe(0);
    const fp32 = JSON.parse(readFileSync(join(dir, 'f', 'report.json'), 'utf8')).totals.cycles as number;
    const target = Math.round(fp32 * 0.9);
    expect(await main(['compile', MODEL, '--target', 'npu:edge16', '--quantize', 'auto', '--latency', String(target), '-o', join(dir, 'l')], io)).toBe(0);
    const r = JSON.parse(readFileSync(join(dir, 'l', 'report.json'), 'utf8'));
    expect(r.quantization.met).toBe(true);
    expect(r.totals.cycles).toBeLessThanOrEqual(target);
    expect((r.quantization as QReport).layers.some((l) => l.precision === 'int8')).toBe(true);
    expect(await main(['compile', MODEL, '--target', 'wgsl', '--quantize', 'auto', '--latency', '100'], io)).toBe(1);
  });

  it('run --quantize fp16 on the reference runtime stays close to fp32', async () => {
    const io = capture();
    expect(await main(['run', MODEL, '--out', join(dir, 'f32')], io)).toBe(0);
    expect(await main(['run', MODEL, '--quantize', 'fp16', '--out', join(dir, 'f16')], io)).toBe(0);
    const a = parseNpy(readFileSync(join(dir, 'f32', 'probs.npy'))).toF32(), b = parseNpy(readFileSync(join(dir, 'f16', 'probs.npy'))).toF32();
    let s = 0, e = 0;
    a.forEach((x, i) => { s += x * x; e += (x - b[i]) ** 2; });
    expect(10 * Math.log10(s / e)).toBeGreaterThan(45);
    expect(io.stdout.join('\n')).toMatch(/quantize fp16: \d+×fp16/);
  });

  it('user mistakes exit 1 with one line', async () => {
    for (const args of [
      ['--quantize', 'int9'], ['--quantize', 'int8', '--accuracy', 'sqnr>=30'], ['--quantize', 'auto', '--accuracy', 'sqnr>30'],
      ['--quantize', 'int8', '--calib', join(dir, 'nope')], ['--quantize', 'int8', '--calib-method', 'median'],
    ]) {
      const io = capture();
      expect(await main(['compile', MODEL, '--target', 'npu', ...args], io), args.join(' ')).toBe(1);
      expect(io.stderr.join('\n')).toMatch(/^tscc: error/);
      expect(io.stderr.join('\n')).not.toMatch(/\n\s+at /);
    }
  });
});
