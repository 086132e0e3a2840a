// Shared pieces of the small conv chains in the int8-accuracy tests (smooth.test.ts,
// depthwise-channels.test.ts): conv1's output channels differ ~100× in range, the case
// per-tensor activation scales handle badly.
import { Graph, type NodeSpec, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';

/** Scales each output channel (dim 0) of `t` by 10^u, u uniform in [−1, 1) from `next`. */
export function spreadChannels(t: Tensor, next: () => number): Tensor {
  const d = t.data as Float32Array, inner = d.length / t.shape[0];
  const f = Array.from({ length: t.shape[0] }, () => 10 ** (2 * next() - 1));
  for (let i = 0; i < d.length; i++) d[i] *= f[Math.floor(i / inner)];
  return t;
}

/** A graph constant spec. */
export const constant = (name: string, t: Tensor): { name: string; type: TensorType; constant: Tensor } => ({ name, type: { dtype: 'f32', shape: t.shape }, constant: t });

/** conv1 3×3 4→8 (spread), depthwise 3×3 (8), conv 1×1 8→6: weights and biases w1 b1 w2 b2 w3 b3. */
export function chainConstants(seed: number, next: () => number) {
  return [
    constant('w1', spreadChannels(randomTensor('f32', [8, 4, 3, 3], seed + 1), next)), constant('b1', randomTensor('f32', [8], seed + 2, 0, 0.5)),
    constant('w2', randomTensor('f32', [8, 1, 3, 3], seed + 3)), constant('b2', randomTensor('f32', [8], seed + 4, 0, 0.5)),
    constant('w3', randomTensor('f32', [6, 8, 1, 1], seed + 5)), constant('b3', randomTensor('f32', [6], seed + 6)),
  ];
}

/**
 * x[1,4,10,10] → conv1 3×3 (8) → [Relu] → depthwise 3×3 (8) → Relu → conv3 1×1 (6), on `constants`
 * (w1 b1 w2 b2 w3 b3). `relu1: false` feeds conv1's output to the depthwise conv directly.
 */
export function chainGraph(constants: ReturnType<typeof constant>[], { relu1 = true } = {}): Graph {
  const pads = { pads: { kind: 'ints' as const, value: [1, 1, 1, 1] } };
  const nodes: NodeSpec[] = [
    { name: 'conv1', op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['y1'], attrs: pads },
    ...(relu1 ? [{ name: 'relu1', op: 'Relu', inputs: ['y1'], outputs: ['r1'] }] : []),
    { name: 'conv2', op: 'Conv', inputs: [relu1 ? 'r1' : 'y1', 'w2', 'b2'], outputs: ['y2'], attrs: { ...pads, group: { kind: 'int', value: 8 } } },
    { name: 'relu2', op: 'Relu', inputs: ['y2'], outputs: ['r2'] },
    { name: 'conv3', op: 'Conv', inputs: ['r2', 'w3', 'b3'], outputs: ['y'] },
  ];
  const t = (shape: number[]): TensorType => ({ dtype: 'f32', shape });
  const types = new Map(['y1', 'r1', 'y2', 'r2'].map((v) => [v, t([1, 8, 10, 10])]));
  types.set('y', t([1, 6, 10, 10]));
  return Graph.build({ name: 'chain', opsets: { '': 17 }, inputs: [{ name: 'x', type: t([1, 4, 10, 10]) }], constants, nodes, outputs: ['y'], types });
}

/** n inputs x[1,4,10,10] for the chain, uniform in [−0.2, 1), seeds seed … seed + n − 1. */
export const chainSamples = (n: number, seed: number): TensorMap[] => Array.from({ length: n }, (_, i) => ({ x: randomTensor('f32', [1, 4, 10, 10], seed + i, -0.2, 1) }));
