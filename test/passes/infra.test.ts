// The pass infrastructure: registry and default pipeline, instruments (verify, print, time), purity,
// the post-dominator tree, the fusion constraints, and the target hook that may refuse a fused node.
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../models/builder.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { Graph } from '../../src/ir/graph/graph.ts';
import { printGraph } from '../../src/ir/graph/print.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { main, type Io } from '../../src/cli/main.ts';
import type { Target } from '../../targets/target.ts';
import {
  DEFAULT_PIPELINE, type GraphPass, PASSES, lookupPass, optimizeGraph, passContext, printInstrument, runPasses,
  timeInstrument, verifyInstrument,
} from '../../passes/index.ts';
import { postDominators, ROOT } from '../../passes/graph/fuse/postdom.ts';
import { fuseGraph } from '../../passes/graph/fuse.ts';
import { TsccError } from '../../src/util/errors.ts';

/** x → Conv → Relu → Reshape → LayerNormalization → (+0) → Sigmoid. */
function mixedModel(): Graph {
  const b = new OnnxBuilder({ opset: 17 });
  const x = b.input('x', 'f32', [1, 2, 4, 4]);
  const w = b.initializer(Tensor.fromNumbers('f32', [2, 2, 1, 1], [0.5, -1, 2, 0.25]));
  const r = b.op('Relu', [b.op('Conv', [x, w])]);
  const flat = b.op('Reshape', [r, b.initializer(Tensor.i64([2, 16]))]);
  const ln = b.op('LayerNormalization', [flat, b.initializer(Tensor.fromNumbers('f32', [16], Array(16).fill(1))), b.initializer(Tensor.fromNumbers('f32', [16], Array(16).fill(0)))], { axis: -1 });
  b.output(b.op('Sigmoid', [b.op('Add', [ln, b.initializer(Tensor.scalar('f32', 0))])]));
  return loadOnnxBytes(b.toBytes()).graph;
}

describe('pass registry and pipeline', () => {
  it('every pass of the default pipeline is registered, and fusion comes last', () => {
    for (const p of DEFAULT_PIPELINE) expect(PASSES.has(p), p).toBe(true);
    expect(DEFAULT_PIPELINE[DEFAULT_PIPELINE.length - 1]).toBe('fuse');
  });
  it('an unknown pass name is a usage error naming the passes', () => {
    expect(() => lookupPass('nope')).toThrow(TsccError);
    expect(() => lookupPass('nope')).toThrow(/unknown pass "nope" \(passes: fold, /);
  });
  it('passes are pure: the input graph prints the same after the pipeline ran on it', () => {
    const g = mixedModel();
    const before = printGraph(g);
    const out = optimizeGraph(g);
    expect(printGraph(g)).toBe(before);
    expect(out.nodes.length).toBeLessThan(g.nodes.length);
  });
  it('the pipeline is idempotent on its own result apart from fusion', () => {
    const once = optimizeGraph(mixedModel(), { passes: DEFAULT_PIPELINE.slice(0, -1) });
    const twice = optimizeGraph(once, { passes: DEFAULT_PIPELINE.slice(0, -1) });
    expect(printGraph(twice)).toBe(printGraph(once));
  });
});

describe('instruments', () => {
  it('time records every pass with node counts; print writes before and after', () => {
    const log: Parameters<typeof timeInstrument>[0] = [];
    const text: string[] = [];
    optimizeGraph(mixedModel(), { instruments: [timeInstrument(log), printInstrument((s) => text.push(s), { before: true, after: true })] });
    expect(log.map((l) => l.pass)).toEqual([...DEFAULT_PIPELINE]);
    expect(log.every((l) => l.ms >= 0)).toBe(true);
    expect(log[log.length - 1].nodesAfter).toBeLessThan(log[0].nodesBefore);
    expect(text).toHaveLength(2 * DEFAULT_PIPELINE.length);
    expect(text[0]).toMatch(/^\/\/ before fold\ngraph "main"/);
    expect(text[text.length - 1]).toMatch(/^\/\/ after fuse\n[\s\S]*Fused\(/);
  });
  it('verify names the pass that broke a fused node', () => {
    const g = fuseGraph(mixedModel());
    const fused = g.nodes.find((n) => n.body)!;
    const broken: GraphPass = {
      name: 'drop-an-input', doc: 'test',
      run: (h) => {
        const spec = h.toSpec();
        const nodes = spec.nodes.map((n) => (n.name === fused.name ? { ...n, inputs: n.inputs.slice(1) } : n));
        return Graph.build({ ...spec, nodes });
      },
    };
    expect(() => runPasses(g, [broken], passContext({}, [verifyInstrument()]))).toThrow(/pass "drop-an-input": fused node "fused_/);
  });
});

describe('post-dominators', () => {
  it('a diamond post-dominates at its join; a value that escapes has ROOT', () => {
    const b = new OnnxBuilder({ opset: 17 });
    const x = b.input('x', 'f32', [4]);
    const a = b.op('Relu', [x]);                         // 0
    const l = b.op('Exp', [a]), r = b.op('Neg', [a]);    // 1, 2
    const j = b.op('Add', [l, r]);                       // 3
    b.output(b.op('Sqrt', [j]));                         // 4
    b.output(l);
    const g = loadOnnxBytes(b.toBytes()).graph;
    const { ipdom } = postDominators(g);
    expect(Array.from(ipdom)).toEqual([ROOT, ROOT, 3, 4, ROOT]);
  });
});

describe('fusion constraints and the target hook', () => {
  it('at most one complex op per group; a reduction takes no epilogue', () => {
    const g = optimizeGraph(mixedModel());
    const bodies = g.nodes.filter((n) => n.body).map((n) => n.body!.nodes.map((m) => m.op));
    for (const ops of bodies) expect(ops.filter((o) => ['Conv', 'MatMul', 'Gemm'].includes(o)).length).toBeLessThanOrEqual(1);
    const ln = g.nodes.find((n) => n.body?.nodes.some((m) => m.op === 'LayerNormalization'));
    expect(ln, 'Reshape → LayerNormalization fuse').toBeDefined();
    expect(ln!.body!.nodes.at(-1)!.op).toBe('LayerNormalization');
    expect(g.nodes.some((n) => n.op === 'Sigmoid'), 'the Sigmoid after the norm stays outside').toBe(true);
  });
  it('a target that refuses a fused node gets its members back', () => {
    const refuse = (pattern: RegExp): Target => ({
      name: 'test', variant: '', fingerprint: () => 'test',
      supports: (n) => (n.body && pattern.test(String(n.attrs.pattern?.value)) ? { ok: false, reason: 'no' } : { ok: true, precisions: ['f32'] }),
      defaultSchedule: () => [], compile: () => { throw new Error('not used'); },
    });
    const all = optimizeGraph(mixedModel());
    const some = optimizeGraph(mixedModel(), { target: refuse(/Conv/) });
    const none = optimizeGraph(mixedModel(), { target: refuse(/./) });
    expect(all.nodes.some((n) => n.attrs.pattern?.value === 'Conv+Relu')).toBe(true);
    expect(some.nodes.some((n) => String(n.attrs.pattern?.value).includes('Conv'))).toBe(false);
    expect(some.nodes.some((n) => n.op === 'Conv')).toBe(true);
    expect(none.nodes.some((n) => n.body)).toBe(false);
    expect(none.nodes.length).toBeGreaterThan(some.nodes.length);
  });
});

describe('tscc inspect --passes', () => {
  const io = (): Io & { stdout: string[]; stderr: string[] } => {
    const stdout: string[] = [], stderr: string[] = [];
    return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
  };
  it('runs a list of passes, or the default pipeline', async () => {
    const a = io();
    expect(await main(['inspect', 'models/tiny-cnn.onnx', '--passes', 'fold-bn'], a)).toBe(0);
    expect(a.stdout.join('\n')).not.toContain('BatchNormalization(');
    expect(a.stdout.join('\n')).not.toContain('Fused(');
    const d = io();
    expect(await main(['inspect', 'models/tiny-cnn.onnx', '--passes', 'default'], d)).toBe(0);
    expect(d.stdout.join('\n')).toContain('Fused(');
  });
  it('an unknown pass is a usage error', async () => {
    const e = io();
    expect(await main(['inspect', 'models/tiny-cnn.onnx', '--passes', 'fold,bogus'], e)).toBe(1);
    expect(e.stderr.join('\n')).toMatch(/E_USAGE.*unknown pass "bogus"/);
  });
});
