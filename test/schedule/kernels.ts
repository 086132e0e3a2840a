// The kernels of the random-schedule property tests, lowered from one-node graphs by the real
// lowering (src/lower), small enough that hundreds of scheduled variants run in seconds.
import type { Attr } from '../../src/ir/graph/attrs.ts';
import { Node, Value } from '../../src/ir/graph/graph.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { lowerNode } from '../../src/lower/lower.ts';

const ints = (...value: number[]): Attr => ({ kind: 'ints', value });
const int = (value: number): Attr => ({ kind: 'int', value });

function lower(name: string, op: string, ins: Record<string, number[]>, out: number[], attrs: Record<string, Attr> = {}): PrimFunc {
  const v = (n: string, shape: number[]) => new Value(n, { dtype: 'f32', shape });
  const node = new Node(name, op, '', Object.entries(ins).map(([n, s]) => v(n, s)), [v('y', out)], attrs);
  return lowerNode(node, { simplify: true, name });
}

export interface Kernel { readonly name: string; readonly func: PrimFunc }

export function scheduleKernels(): Kernel[] {
  const ks: [string, () => PrimFunc][] = [
    ['matmul', () => lower('matmul', 'MatMul', { a: [8, 12], b: [12, 8] }, [8, 8])],
    ['matmul_odd', () => lower('matmul_odd', 'MatMul', { a: [6, 10], b: [10, 9] }, [6, 9])],
    ['conv', () => lower('conv', 'Conv', { x: [1, 3, 6, 6], w: [4, 3, 3, 3], b: [4] }, [1, 4, 6, 6], { pads: ints(1, 1, 1, 1) })],
    ['conv_strided', () => lower('conv_strided', 'Conv', { x: [1, 2, 9, 9], w: [4, 2, 3, 3] }, [1, 4, 4, 5],
      { strides: ints(2, 2), dilations: ints(2, 1), pads: ints(2, 1, 1, 1) })],
    ['conv_grouped', () => lower('conv_grouped', 'Conv', { x: [1, 4, 6, 6], w: [6, 2, 3, 3] }, [1, 6, 6, 6], { group: int(2), pads: ints(1, 1, 1, 1) })],
    ['depthwise', () => lower('depthwise', 'Conv', { x: [1, 4, 8, 8], w: [4, 1, 3, 3] }, [1, 4, 4, 4], { group: int(4), strides: ints(2, 2), pads: ints(1, 1, 1, 1) })],
    ['maxpool', () => lower('maxpool', 'MaxPool', { x: [1, 3, 7, 7] }, [1, 3, 4, 4], { kernel_shape: ints(3, 3), strides: ints(2, 2), pads: ints(1, 1, 1, 1) })],
    ['avgpool', () => lower('avgpool', 'AveragePool', { x: [1, 2, 8, 8] }, [1, 2, 4, 4], { kernel_shape: ints(3, 3), strides: ints(2, 2), pads: ints(1, 1, 1, 1) })],
    ['softmax', () => lower('softmax', 'Softmax', { x: [4, 10] }, [4, 10], { axis: int(-1) })],
    ['layernorm', () => lower('layernorm', 'LayerNormalization', { x: [4, 8], s: [8], b: [8] }, [4, 8], { axis: int(-1) })],
  ];
  return ks.map(([name, make]) => ({ name, func: make() }));
}
