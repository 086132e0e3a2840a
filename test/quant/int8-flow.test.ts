// `tscc compile --quantize int8 --int8-flow`: the uniform-int8 flow of passes/quantize/int8-flow.ts runs
// and is reported; without the flag, the plain flow (calibrate, round to nearest) as before. The model is PP-LCNetV3's block in small: conv (channels
// ~100× apart) → Mul(a) → Add(b) → depthwise conv → Relu → Mul → Add → 1×1 conv.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main.ts';
import { OnnxBuilder } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor, rng } from '../../src/runtime/random.ts';
import { spreadChannels } from './spread-chain.ts';
import { writeNpy } from '../../src/runtime/npy.ts';

function capture(): Io & { stdout: string[] } {
  const stdout: string[] = [];
  return { stdout, out: (s) => stdout.push(s), err: () => {} };
}

function blockModel(): Uint8Array {
  const b = new OnnxBuilder({ opset: 17 }), next = rng(5);
  const x = b.input('x', 'f32', [1, 4, 12, 12]);
  const k = (v: number) => b.initializer(new Tensor('f32', [], Float32Array.of(v)));
  const y1 = b.op('Conv', [x, b.initializer(spreadChannels(randomTensor('f32', [8, 4, 3, 3], 6), next)), b.initializer(randomTensor('f32', [8], 7, 0, 0.5))], { pads: [1, 1, 1, 1] });
  const s1 = b.op('Add', [b.op('Mul', [y1, k(0.7)]), k(0.1)]);
  const y2 = b.op('Relu', [b.op('Conv', [s1, b.initializer(randomTensor('f32', [8, 1, 3, 3], 8)), b.initializer(randomTensor('f32', [8], 9, 0, 0.5))], { pads: [1, 1, 1, 1], group: 8 })]);
  const s2 = b.op('Add', [b.op('Mul', [y2, k(1.3)]), k(-0.2)]);
  b.node('Conv', [s2, b.initializer(randomTensor('f32', [6, 8, 1, 1], 10))], {}, 1, { name: 'head' });
  b.output(b.graphProto().node!.at(-1)!.output![0], 'f32', [1, 6, 12, 12]);
  return b.toBytes();
}

describe('tscc --quantize int8 --int8-flow', () => {
  it('smooths (variant measured), reports it in report.json and on stdout; without the flag the plain flow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscc-i8-')), model = join(dir, 'block.onnx');
    writeFileSync(model, blockModel());
    const compile = async (extra: string[], out: string) => {
      const io = capture();
      expect(await main(['compile', model, '--target', 'npu', '--quantize', 'int8', ...extra, '-o', join(dir, out)], io)).toBe(0);
      return { stdout: io.stdout.join('\n'), q: JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8')).quantization };
    };
    const flow = await compile(['--int8-flow'], 'a');
    expect(flow.q.int8Flow.smoothing).toMatch(/^(depthwise|all)$/);
    expect(flow.q.int8Flow.smoothedSites).toBeGreaterThan(0);
    expect(Object.keys(flow.q.int8Flow.measured).sort()).toEqual(['all', 'depthwise']);
    expect(flow.stdout).toMatch(/int8 flow: smoothing (depthwise|all) \(\d+ sites\)/);
    const plain = await compile([], 'b');
    expect(plain.q.int8Flow).toBe('plain');
    expect(plain.stdout).not.toMatch(/int8 flow/);
  });

  it('splits a --calib folder: the last --clip-judge-samples only judge the clip search (onnxruntime), reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscc-i8j-')), model = join(dir, 'block.onnx');
    writeFileSync(model, blockModel());
    const stack = (n: number) => new Tensor('f32', [n, 1, 4, 12, 12], randomTensor('f32', [n * 4 * 144], 77, -1, 1).data);
    const folder = (name: string, n: number) => {
      const d = join(dir, name);
      mkdirSync(d);
      writeNpy(join(d, 'x.npy'), new Tensor('f32', [n, 1, 4, 12, 12], (stack(14).data as Float32Array).slice(0, n * 4 * 144)));
      return d;
    };
    const compile = async (calib: string, extra: string[], out: string) => {
      const io = capture();
      expect(await main(['compile', model, '--target', 'npu', '--quantize', 'int8', '--int8-flow', '--calib', calib, ...extra, '-o', join(dir, out)], io)).toBe(0);
      return { stdout: io.stdout.join('\n'), q: JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8')).quantization };
    };
    // 14 samples read (the flow reads a folder up to 112), 8 set ranges, 6 judge
    const split = await compile(folder('all', 14), ['--clip-judge-samples', '6'], 'a');
    const c = split.q.int8Flow.clipSearch;
    expect(split.q.calibration.samples).toBe(14);
    expect(c).toMatchObject({ engine: 'onnxruntime', samples: { ranges: 8, judge: 6 }, sites: expect.any(Number) });
    expect(c.judgeSqnr.after).toBeGreaterThanOrEqual(c.judgeSqnr.before);
    expect(c.evaluations).toBe(1 + c.sites * 4);
    expect(c.seconds).toBeGreaterThanOrEqual(0);
    expect(split.stdout).toMatch(/clip search on onnxruntime over 6 judging samples \(ranges from 8\): \d+ of \d+ sites moved/);
    // the judging samples set nothing: the first 8 alone measure the same smoothing variants
    const first = await compile(folder('first', 8), [], 'b');
    expect(first.q.int8Flow.measured).toEqual(split.q.int8Flow.measured);
    expect(first.q.int8Flow.clipSearch).toMatchObject({ engine: 'none', samples: { ranges: 8, judge: 0 } });
    expect(first.stdout).toMatch(/int8 flow: no clip search — no judging split/);
  });

  it('--clip-judge-samples must be an integer ≥ 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscc-i8f-')), model = join(dir, 'block.onnx');
    writeFileSync(model, blockModel());
    const io = capture();
    const errs: string[] = [];
    expect(await main(['compile', model, '--target', 'npu', '--quantize', 'int8', '--int8-flow', '--clip-judge-samples', '-2'], { ...io, err: (s) => errs.push(s) })).toBe(1);
    expect(errs.join('\n')).toMatch(/--clip-judge-samples "-2": expected an integer ≥ 0/);
  });
});
