// The quantizer hands the NPU `Fused` precision groups (node.quant set): the target accepts them and
// splices their bodies back into a flat graph. Two bodies may use the same inner value name, so
// inner values are renamed per group; the result runs on the NPU like the reference runs the groups.
import { describe, expect, it } from 'vitest';
import { Graph, type TensorType } from '../../../src/ir/graph/graph.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { runGraph } from '../../../src/runtime/interpreter.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { inlineFused } from '../../../targets/npu/codegen/inline.ts';
import { createTarget } from '../../../targets/npu/index.ts';
import { loadConfig } from '../../../targets/npu/config.ts';
import { compileNpu, runNpu } from '../../../targets/npu/npu.ts';

const f32 = (shape: number[]): TensorType => ({ dtype: 'f32', shape });
const opsets = { '': 17 };

/** body: t = Relu(in); out = op(t, …rest) — the inner name `t` is the same in every body. */
function body(input: string, out: string, op: string, outShape: number[], rest: { name: string; type: TensorType }[] = []): Graph {
  const inShape = [1, 4, 6, 6];
  return Graph.build({
    name: `body_${out}`, opsets, inputs: [{ name: input, type: f32(inShape) }, ...rest], constants: [],
    nodes: [
      { name: 'relu', op: 'Relu', inputs: [input], outputs: ['t'] },
      { name: 'op', op, inputs: ['t', ...rest.map((r) => r.name)], outputs: [out], attrs: op === 'Conv' ? { pads: { kind: 'ints', value: [1, 1, 1, 1] } } : {} },
    ],
    outputs: [out], types: new Map([['t', f32(inShape)], [out, f32(outShape)]]),
  });
}

describe('npu and the quantizer\'s Fused groups', () => {
  it('accepts quantized Fused nodes, declines plain ones, and runs the spliced bodies', () => {
    const w = randomTensor('f32', [4, 4, 3, 3], 3);
    const g = Graph.build({
      name: 'main', opsets, inputs: [{ name: 'x', type: f32([1, 4, 6, 6]) }], constants: [{ name: 'w', type: f32([4, 4, 3, 3]), constant: w }],
      nodes: [
        { name: 'A', op: 'Fused', inputs: ['x', 'w'], outputs: ['a'], quant: { precision: 'fp16' }, body: body('x', 'a', 'Conv', [1, 4, 6, 6], [{ name: 'w', type: f32([4, 4, 3, 3]) }]) },
        { name: 'B', op: 'Fused', inputs: ['a'], outputs: ['b'], quant: { precision: 'fp16' }, body: body('a', 'b', 'Neg', [1, 4, 6, 6]) },
      ],
      outputs: ['b'], types: new Map([['a', f32([1, 4, 6, 6])], ['b', f32([1, 4, 6, 6])]]),
    });
    const t = createTarget('onnxim-tpuv4');
    expect(g.nodes.every((n) => t.supports(n).ok)).toBe(true);
    expect(t.supports(g.nodes[1].body!.nodes[0]).ok).toBe(true);
    const plain = Graph.build({ ...g.toSpec(), nodes: g.toSpec().nodes.map((n) => ({ ...n, quant: undefined })) });
    expect(t.supports(plain.nodes[0]).ok).toBe(false);
    const flat = inlineFused(g);
    expect(flat.nodes.map((n) => n.name)).toEqual(['A/relu', 'A/op', 'B/relu', 'B/op']);
    expect(flat.nodes.map((n) => n.outputs[0].name)).toEqual(['A/t', 'a', 'B/t', 'b']);
    const inputs = { x: randomTensor('f32', [1, 4, 6, 6], 5) };
    const ref = runGraph(g, inputs);
    const c = compileNpu(flat, loadConfig('onnxim-tpuv4'));
    expect(c.program.host).toEqual([]);
    const d = compareTensors('b', runNpu(c, inputs).outputs.b, ref.b as Tensor, 1e-2);
    expect(d.ok, `${d.maxAbs} vs ${d.maxRef}`).toBe(true);
  });
});
