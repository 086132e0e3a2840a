// The frontend against malformed input: thousands of byte-mutated real and zoo models, each of which
// must load, or fail with a coded TsccError, within 5 s; and hand-made broken models whose errors
// must name what the user has to fix.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes, loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { onnx } from '../../src/frontend/onnx/proto.ts';
import { TsccError, type ErrorCode } from '../../src/util/errors.ts';
import { OnnxBuilder, floats } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import type { Report } from './worker.ts';
import type { onnx as P } from 'onnx-proto';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VARIANTS = 3000, WORKERS = 2, LIMIT_MS = 5000, HANG_MS = 20_000;

interface WorkerResult { reports: Report[]; problem?: string }

/** Runs variants [from, to) in a child process; a variant silent for HANG_MS counts as a hang. */
function runWorker(from: number, to: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), [String(from), String(to)], {
      cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const reports: Report[] = [];
    let last = performance.now(), next = from, settled = false;
    const finish = (problem?: string) => { if (!settled) { settled = true; clearInterval(timer); resolve({ reports, problem }); } };
    const timer = setInterval(() => {
      if (performance.now() - last < HANG_MS) return;
      child.kill('SIGKILL');
      finish(`variant ${next} hung for more than ${HANG_MS / 1000} s`);
    }, 250);
    child.on('message', (m: Report | 'done') => {
      if (m === 'done') return;
      reports.push(m);
      next = m.id + 1;
      last = performance.now();
    });
    child.on('exit', (code, signal) => finish(next < to ? `worker exited (${code ?? signal}) before variant ${next}` : undefined));
  });
}

describe('frontend fuzz: mutated models', () => {
  it(`${VARIANTS} mutated variants load or fail with a TsccError, each within ${LIMIT_MS / 1000} s`, async () => {
    const step = Math.ceil(VARIANTS / WORKERS);
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, w) => runWorker(w * step, Math.min(VARIANTS, (w + 1) * step))));
    const reports = results.flatMap((r) => r.reports);
    const show = (r: Report) => `#${r.id} ${r.seed} (${r.how}): ${r.outcome}${r.crash ? `\n${r.crash.split('\n').slice(0, 6).join('\n')}` : ''} ${r.ms.toFixed(0)} ms`;

    const counts: Record<string, number> = {};
    for (const r of reports) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    const slowest = reports.reduce((a, r) => (r.ms > a.ms ? r : a), reports[0]);
    console.log(`fuzz: ${reports.length} variants`, counts, slowest && `slowest ${show(slowest)}`);

    expect(results.map((r) => r.problem).filter(Boolean)).toEqual([]);
    expect(reports.length).toBe(VARIANTS);
    // About a quarter of the mutations are field-level; the byte-level ones alone must number 2000+.
    expect(reports.filter((r) => r.how.split('; ').some((m) => !m.startsWith('field:'))).length).toBeGreaterThanOrEqual(2000);
    const crashes = reports.filter((r) => r.outcome === 'crash');
    expect(crashes.length, `non-TsccError failures:\n${crashes.slice(0, 8).map(show).join('\n\n')}`).toBe(0);
    const slow = reports.filter((r) => r.ms > LIMIT_MS);
    expect(slow.map(show)).toEqual([]);
    // The mutations must reach past the protobuf decoder: some variants load, and errors are varied.
    expect((counts.loaded ?? 0) + (counts.ran ?? 0)).toBeGreaterThan(VARIANTS * 0.05);
    expect(Object.keys(counts).filter((k) => k.startsWith('E_')).length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});

/** Asserts `f` throws a TsccError with `code` whose message mentions every string in `names`. */
function expectError(f: () => unknown, code: ErrorCode, ...names: string[]): TsccError {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err, 'expected an error').toBeInstanceOf(TsccError);
  const e = err as TsccError;
  expect(e.code, e.message).toBe(code);
  for (const n of names) expect(e.message).toContain(n);
  return e;
}

function modelBytes(graph: P.IGraphProto, opset = 17): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph }).finish();
}

const f32Input = (name: string, dims: number[]): P.IValueInfoProto => ({
  name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

/** y = x + w: a graph around one initializer. */
function withInitializer(init: P.ITensorProto): P.IGraphProto {
  return { name: 'g', node: [{ name: 'use', opType: 'Add', input: ['x', init.name!], output: ['y'] }], initializer: [init], input: [f32Input('x', [1])], output: [{ name: 'y' }] };
}

describe('frontend: hand-made broken models', () => {
  it('a cyclic graph names a node on the cycle', () => {
    const b = new OnnxBuilder();
    b.input('x', 'f32', [2]);
    b.node('Add', ['x', 'loopB_out'], {}, 1, { name: 'loopA' });
    b.node('Relu', ['loopA_out'], {}, 1, { name: 'loopB' });
    b.output('loopB_out');
    const e = expectError(() => loadOnnxBytes(b.toBytes()), 'E_MODEL', 'cycle');
    expect(e.message).toMatch(/"loopA"|"loopB"/);
  });

  it('a node reading an undefined value names the node and the value', () => {
    const b = new OnnxBuilder();
    b.input('x', 'f32', [2]);
    b.output(b.node('Add', ['x', 'ghost'], {}, 1, { name: 'haunted' })[0]);
    expectError(() => loadOnnxBytes(b.toBytes()), 'E_MODEL', 'haunted', '"ghost"');
  });

  it('an unknown op names the op and the node', () => {
    const b = new OnnxBuilder();
    b.input('x', 'f32', [2]);
    b.output(b.node('FancyOp', ['x'], {}, 1, { name: 'mystery' })[0]);
    expectError(() => loadOnnxBytes(b.toBytes()), 'E_UNSUPPORTED', 'FancyOp', 'mystery');
  });

  it('an attribute of the wrong type names the attribute and the node', () => {
    const conv = new OnnxBuilder();
    conv.input('x', 'f32', [1, 1, 4, 4]);
    const w = conv.initializer(Tensor.fromNumbers('f32', [1, 1, 3, 3], Array(9).fill(0.5)), 'w');
    conv.output(conv.node('Conv', ['x', w], { kernel_shape: [3, 3], strides: floats([1.5, 1.5]) }, 1, { name: 'conv1' })[0]);
    expectError(() => loadOnnxBytes(conv.toBytes()), 'E_ATTR', 'conv1', '"strides"');
    const cast = new OnnxBuilder();
    cast.input('x', 'f32', [2]);
    cast.output(cast.node('Cast', ['x'], { to: 'float16' }, 1, { name: 'cast1' })[0]);
    expectError(() => loadOnnxBytes(cast.toBytes()), 'E_ATTR', 'cast1', '"to"');
  });

  it('an old-opset attribute of the wrong kind is refused while adapting it to an input', () => {
    const b = new OnnxBuilder({ opset: 11 });
    b.input('x', 'f32', [1, 3]);
    b.output(b.node('Squeeze', ['x'], { axes: 'zero' }, 1, { name: 'sq' })[0]);
    expectError(() => loadOnnxBytes(b.toBytes()), 'E_ATTR', 'sq', '"axes"');
    const clip = new OnnxBuilder({ opset: 10 });
    clip.input('x', 'i64', [4]);
    clip.output(clip.node('Clip', ['x'], { min: Number.NaN }, 1, { name: 'clamp' })[0]);
    expectError(() => loadOnnxBytes(clip.toBytes()), 'E_ATTR', 'clamp', '"min"');
  });

  it('an initializer with a dim ≥ 2^31 names the initializer', () => {
    const bytes = modelBytes(withInitializer({ name: 'huge', dataType: 1, dims: [2 ** 31, 1] }));
    expectError(() => loadOnnxBytes(bytes), 'E_MODEL', '"huge"', '2147483648');
  });

  it('an initializer claiming 2^32 elements without data fails fast, without allocating them', () => {
    const t0 = performance.now();
    const bytes = modelBytes(withInitializer({ name: 'claims', dataType: 1, dims: [65536, 65536], floatData: [1, 2] }));
    expectError(() => loadOnnxBytes(bytes), 'E_MODEL', '"claims"');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('an input with a dim ≥ 2^31 names the input', () => {
    const bytes = modelBytes({ name: 'g', node: [{ name: 'r', opType: 'Relu', input: ['wide'], output: ['y'] }], input: [f32Input('wide', [1, 2 ** 31])], output: [{ name: 'y' }] });
    expectError(() => loadOnnxBytes(bytes), 'E_MODEL', '"wide"', '2147483648');
  });

  it('a graph attribute without a graph names the node', () => {
    const bytes = modelBytes({
      name: 'g', input: [f32Input('x', [1])], output: [{ name: 'y' }],
      node: [{ name: 'branchy', opType: 'If', input: ['x'], output: ['y'], attribute: [{ name: 'then_branch', type: 5 }, { name: 'else_branch', type: 5 }] }],
    });
    expectError(() => loadOnnxBytes(bytes), 'E_MODEL', 'branchy', 'then_branch');
  });
});

describe('frontend: broken files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscc-fuzz-'));
  const external = (location: string): P.ITensorProto => ({
    name: 'weights', dataType: 1, dims: [1], dataLocation: 1, externalData: [{ key: 'location', value: location }],
  });
  const write = (name: string, bytes: Uint8Array | string) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };

  it('a missing external-data file names the file and the tensor', () => {
    const path = write('ext-missing.onnx', modelBytes(withInitializer(external('weights.bin'))));
    expectError(() => loadOnnxFile(path), 'E_EXTERNAL_DATA', 'weights.bin', '"weights"', 'ext-missing.onnx');
  });

  it('an external-data path escaping the model folder is refused, even when the file exists', () => {
    mkdirSync(join(dir, 'inner'), { recursive: true });
    write('x.bin', new Uint8Array(4));
    const path = write('inner/escape.onnx', modelBytes(withInitializer(external('../x.bin'))));
    expectError(() => loadOnnxFile(path), 'E_EXTERNAL_DATA', '../x.bin', 'outside');
  });

  it('a PNG, a text file and an empty file are parse errors naming the file', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
    expectError(() => loadOnnxFile(write('picture.png', png)), 'E_PARSE', 'picture.png');
    expectError(() => loadOnnxFile(write('notes.txt', 'this is not a model\nreally not\n')), 'E_PARSE', 'notes.txt');
    expectError(() => loadOnnxFile(write('empty.onnx', new Uint8Array(0))), 'E_PARSE', 'empty.onnx');
  });

  it('a missing path or a folder is a file error naming the path', () => {
    expectError(() => loadOnnxFile(join(dir, 'nope.onnx')), 'E_FILE', 'nope.onnx');
    expectError(() => loadOnnxFile(dir), 'E_FILE', dir);
  });
});
