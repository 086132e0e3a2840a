// The target through the CLI: `tscc compile --target npu[:preset|config.json] -o DIR` writes the binary,
// assembly, .mapping file and report; `tscc run --target npu` runs the simulator; host fallbacks are
// reported and carry no NPU cycles; LSTM is unrolled by the driver (the NPU refuses it) and runs on the NPU.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../../src/cli/main.ts';
import { assemble } from '../../../targets/npu/asm.ts';
import { encodeProgram } from '../../../targets/npu/isa.ts';
import { oneOpModel } from '../../helpers/check.ts';

const io = (): Io & { out: (s: string) => void; lines: string[] } => {
  const lines: string[] = [];
  return { lines, out: (s) => lines.push(s), err: (s) => lines.push(s) };
};
const models = new URL('../../../models/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tscc-npu-'));

describe('tscc with --target npu', () => {
  it('compile writes binary, assembly, mapping and a report with simulated cycles', async () => {
    const out = join(dir, 'cnn');
    const o = io();
    expect(await main(['compile', join(models, 'tiny-cnn.onnx'), '--target', 'npu', '-o', out], o), o.lines.join('\n')).toBe(0);
    for (const f of ['program.bin', 'program.s', 'model.mapping', 'report.json', 'npu.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const bin = readFileSync(join(out, 'program.bin'));
    expect(Buffer.from(encodeProgram(assemble(readFileSync(join(out, 'program.s'), 'utf8'))))).toEqual(bin);
    expect(readFileSync(join(out, 'model.mapping'), 'utf8')).toMatch(/^\[T\] N1 C3 M16 P16 Q16 S3 R3 - \[O\] .* - \[I\] /m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.totals.latencySource).toBe('simulated');
    expect(report.totals.cycles).toBeGreaterThan(0);
    expect(report.kernels.every((k: { target: string }) => k.target === 'npu')).toBe(true);
  });

  it('runs on the edge16 preset and on a config file', async () => {
    const cfg = join(dir, 'npu.json');
    writeFileSync(cfg, readFileSync(new URL('../../../targets/npu/presets/edge16.json', import.meta.url)));
    for (const t of ['npu:edge16', `npu:${cfg}`]) {
      const o = io();
      expect(await main(['run', join(models, 'tiny-cnn.onnx'), '--target', t, '--out', join(dir, 'r')], o), o.lines.join('\n')).toBe(0);
      expect(existsSync(join(dir, 'r', 'probs.npy'))).toBe(true);
    }
    const bad = io();
    expect(await main(['run', join(models, 'tiny-cnn.onnx'), '--target', 'npu:no-such-preset'], bad)).toBe(1);
  });

  it('unrolls LSTM onto the NPU (no host layer) and reports what remains a host fallback with zero NPU cycles', async () => {
    const vad = join(dir, 'vad');
    const o = io();
    expect(await main(['compile', join(models, 'tiny-vad.onnx'), '--target', 'npu', '-o', vad], o), o.lines.join('\n')).toBe(0);
    const r = JSON.parse(readFileSync(join(vad, 'report.json'), 'utf8'));
    expect(r.kernels.filter((k: { target: string }) => k.target === 'host')).toEqual([]);
    expect(JSON.parse(readFileSync(join(vad, 'npu.json'), 'utf8')).hostFallbacks).toEqual([]);
    // ArgMax has no NPU form: a host layer between barriers, listed with its reason.
    const file = join(dir, 'argmax.onnx');
    writeFileSync(file, oneOpModel({ op: 'ArgMax', inputs: [['f32', [4, 10]]], attrs: { axis: 1 } }));
    const out = join(dir, 'argmax');
    const o2 = io();
    expect(await main(['compile', file, '--target', 'npu', '-o', out], o2), o2.lines.join('\n')).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const host = report.kernels.filter((k: { target: string }) => k.target === 'host');
    expect(host.length).toBe(1);
    expect(host.every((k: { cycles: number }) => k.cycles === 0)).toBe(true);
    const npu = JSON.parse(readFileSync(join(out, 'npu.json'), 'utf8'));
    expect(npu.hostFallbacks.map((h: { op: string }) => h.op)).toEqual(['ArgMax']);
  });
});
