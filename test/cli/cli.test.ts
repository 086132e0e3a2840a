import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main.ts';
import { OnnxBuilder } from '../../models/builder.ts';
import { parseNpy, encodeNpy } from '../../src/runtime/npy.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
}

const dir = mkdtempSync(join(tmpdir(), 'tscc-cli-'));
const model = join(dir, 'm.onnx');
{
  const b = new OnnxBuilder({ opset: 13 });
  const x = b.input('x', 'f32', ['N', 4]);
  b.output(b.node('Sigmoid', [b.op('Add', [x, x])], {}, 1, { name: 'act' })[0], 'f32', ['N', 4]);
  writeFileSync(model, b.toBytes());
}

describe('tscc CLI', () => {
  it('run writes each output as DIR/<name>.npy and drawn inputs are seeded', async () => {
    const io = capture();
    expect(await main(['run', model, '--target', 'ref', '--shape', 'x=2,4', '--out', join(dir, 'o1')], io)).toBe(0);
    expect(await main(['run', model, '--shape', 'x=2,4', '--out', join(dir, 'o2')], io)).toBe(0);
    const a = parseNpy(readFileSync(join(dir, 'o1', 'act_out.npy')));
    const b = parseNpy(readFileSync(join(dir, 'o2', 'act_out.npy')));
    expect(a.shape).toEqual([2, 4]);
    expect(a.toNumbers()).toEqual(b.toNumbers());
    expect(new Set(a.toNumbers()).size).toBeGreaterThan(1);
  });
  it('run takes --input NAME=FILE.npy and binds symbolic dims from it', async () => {
    const x = Tensor.fromNumbers('f32', [3, 4], Array.from({ length: 12 }, (_, i) => i / 10 - 0.5));
    writeFileSync(join(dir, 'x.npy'), encodeNpy(x));
    const io = capture();
    expect(await main(['run', model, '--input', `x=${join(dir, 'x.npy')}`, '--out', join(dir, 'o3')], io)).toBe(0);
    const y = parseNpy(readFileSync(join(dir, 'o3', 'act_out.npy'))).toNumbers();
    expect(y[0]).toBeCloseTo(1 / (1 + Math.exp(1)), 6);
  });
  it('inspect prints nodes, shapes and the parameter count', async () => {
    const io = capture();
    expect(await main(['inspect', model], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain('act: act_out = Sigmoid(');
    expect(text).toContain('f32[N,4]');
    expect(text).toMatch(/2 nodes, 0 parameters/);
  });
  it('verify compares with onnxruntime-node', async () => {
    const io = capture();
    expect(await main(['verify', model, '--shape', 'x=5,4'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/ok +act_out: max abs/);
  });
  it('user errors exit 1 with a one-line coded message naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['run', join(dir, 'missing.onnx')], /E_FILE.*missing\.onnx/],
      [['run', model], /E_USAGE.*symbolic dimension "N"/],
      [['run', model, '--target', 'warp9', '--shape', 'x=1,4'], /E_TARGET.*warp9/],
      [['run', model, '--shape', 'x=1,a'], /E_USAGE.*--shape/],
      [['run', model, '--shape', 'y=1,4'], /"y", which is not a model input/],
      [['inspect', model, '--emit', 'nonsense'], /E_USAGE/],
    ];
    for (const [argv, re] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(1);
      expect(io.stderr.join('\n')).toMatch(re);
      expect(io.stderr.join('\n')).not.toMatch(/\n\s+at /);
    }
  });
  it('the bin exits 1 on a bad flag and on a non-ONNX file, without a stack trace', () => {
    const notOnnx = join(dir, 'x.onnx');
    writeFileSync(notOnnx, 'this is not a model');
    for (const argv of [['run', model, '--bogus'], ['inspect', notOnnx]]) {
      const r = spawnSync(process.execPath, ['bin/tscc.mjs', ...argv], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync('bin/tscc.mjs')).toBe(true);
  });
});
