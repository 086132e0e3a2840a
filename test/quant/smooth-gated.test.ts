// Smoothing through a squeeze-excitation gate (smooth.ts `gated`, session 6): the conv reads
// y = u ⊙ hardsigmoid(SE(GlobalAveragePool(u))), u from an affine Mul(a) → Add(b) (PP-OCRv4 det's
// `p2o.Conv.24` / `.28`). Scaling the affine by 1/s and the input channels of both the gated conv and
// the SE's first conv by s keeps the fp32 output; the gated input's channels get evened out.
import { describe, expect, it } from 'vitest';
import { Graph, type NodeSpec, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor, rng } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { findSmoothSites, smoothChannels } from '../../passes/quantize/smooth.ts';
import { chainSamples, constant, spreadChannels } from './spread-chain.ts';

const t = (shape: number[]): TensorType => ({ dtype: 'f32', shape });

/** x[1,4,10,10] → conv1 3×3 (8, spread) → Mul(a) → Add(b) = u; gate = hardsigmoid(conv_se2(relu(conv_se1(GAP(u))))); conv2 1×1 (6) reads u·gate. */
function gatedBlock(): Graph {
  const next = rng(41);
  const constants = [
    constant('w1', spreadChannels(randomTensor('f32', [8, 4, 3, 3], 42), next)), constant('b1', randomTensor('f32', [8], 43, 0, 0.5)),
    constant('a', randomTensor('f32', [1, 8, 1, 1], 44, 0.5, 2)), constant('b', randomTensor('f32', [1, 8, 1, 1], 45, -0.5, 0.5)),
    constant('ws1', randomTensor('f32', [2, 8, 1, 1], 46)), constant('bs1', randomTensor('f32', [2], 47)),
    constant('ws2', randomTensor('f32', [8, 2, 1, 1], 48, -0.3, 0.3)), constant('bs2', randomTensor('f32', [8], 49, -0.3, 0.3)), // no saturated gate
    constant('w2', randomTensor('f32', [6, 8, 1, 1], 50)), constant('b2', randomTensor('f32', [6], 51)),
  ];
  const nodes: NodeSpec[] = [
    { name: 'conv1', op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['y1'], attrs: { pads: { kind: 'ints', value: [1, 1, 1, 1] } } },
    { name: 'mul', op: 'Mul', inputs: ['y1', 'a'], outputs: ['m'] },
    { name: 'add', op: 'Add', inputs: ['m', 'b'], outputs: ['u'] },
    { name: 'gap', op: 'GlobalAveragePool', inputs: ['u'], outputs: ['p'] },
    { name: 'se1', op: 'Conv', inputs: ['p', 'ws1', 'bs1'], outputs: ['q1'] },
    { name: 'relu', op: 'Relu', inputs: ['q1'], outputs: ['q2'] },
    { name: 'se2', op: 'Conv', inputs: ['q2', 'ws2', 'bs2'], outputs: ['q3'] },
    { name: 'hs', op: 'HardSigmoid', inputs: ['q3'], outputs: ['gate'] },
    { name: 'gmul', op: 'Mul', inputs: ['u', 'gate'], outputs: ['yg'] },
    { name: 'conv2', op: 'Conv', inputs: ['yg', 'w2', 'b2'], outputs: ['y'] },
  ];
  const types = new Map<string, TensorType>([
    ...['y1', 'm', 'u', 'yg'].map((v) => [v, t([1, 8, 10, 10])] as const),
    ['p', t([1, 8, 1, 1])], ['q1', t([1, 2, 1, 1])], ['q2', t([1, 2, 1, 1])], ['q3', t([1, 8, 1, 1])], ['gate', t([1, 8, 1, 1])], ['y', t([1, 6, 10, 10])],
  ]);
  return Graph.build({ name: 'gated', opsets: { '': 17 }, inputs: [{ name: 'x', type: t([1, 4, 10, 10]) }], constants, nodes, outputs: ['y'], types });
}

describe('smoothing through a squeeze-excitation gate', () => {
  const g = gatedBlock(), xs = chainSamples(4, 300);

  it('is a site only with `gated`, the SE conv a pooled reader', () => {
    expect(findSmoothSites(g).map((s) => s.group)).not.toContain('conv2');
    const site = findSmoothSites(g, { gated: true }).find((s) => s.group === 'conv2')!;
    expect(site).toMatchObject({ input: 'yg', mul: 'mul', adds: ['add'], depthwise: false, also: [{ group: 'se1', pooled: true }] });
  });

  it('keeps the fp32 output and evens out the gated input channels', () => {
    const acts = calibrate(g, xs).activations;
    const s = smoothChannels(g, acts, { gated: true, alpha: 1 });
    const spread = (m: Graph) => {
      const amax = new Array<number>(8).fill(0);
      for (const env of calibrate(m, xs).activations) {
        const d = env.get('yg')!.data as Float32Array;
        d.forEach((v, i) => { amax[Math.floor(i / 100)] = Math.max(amax[Math.floor(i / 100)], Math.abs(v)); });
      }
      return Math.max(...amax) / Math.min(...amax);
    };
    expect(spread(g)).toBeGreaterThan(5);
    expect(spread(s)).toBeLessThan(1.01); // α = 1: every channel's max |y| becomes 1
    for (const x of chainSamples(2, 400)) {
      const a = runGraph(g, x).y.data as Float32Array, b = runGraph(s, x).y.data as Float32Array;
      const amax = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-4 * amax));
    }
    expect((s.value('ws1')!.constant as Tensor).data).not.toEqual(g.value('ws1')!.constant!.data);
  });
});
