import { describe, expect, it } from 'vitest';
import { checkModel, checkOp, randomInputs } from '../helpers/check.ts';
import { OnnxBuilder, floats, type AttrInput } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { TsccError } from '../../src/util/errors.ts';

const GATES = { RNN: 1, GRU: 3, LSTM: 4 } as const;
type Op = keyof typeof GATES;

interface Case {
  op: Op; seq?: number; batch?: number; input?: number; hidden?: number;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  bias?: boolean; lens?: number[]; initH?: boolean; initC?: boolean; peep?: boolean;
  attrs?: Record<string, AttrInput>; outputs?: number;
}

/** Inputs of a recurrent node in ONNX order: X, W, R, B, sequence_lens, initial_h, initial_c, P. */
function rnnInputs(c: Case): (['f32', number[]] | Tensor | null)[] {
  const S = c.seq ?? 5, B = c.batch ?? 3, I = c.input ?? 4, H = c.hidden ?? 6;
  const D = c.direction === 'bidirectional' ? 2 : 1, G = GATES[c.op];
  const ins: (['f32', number[]] | Tensor | null)[] = [
    ['f32', [S, B, I]], ['f32', [D, G * H, I]], ['f32', [D, G * H, H]],
    c.bias === false ? null : ['f32', [D, 2 * G * H]],
    c.lens ? Tensor.fromNumbers('i32', [B], c.lens) : null,
    c.initH ? ['f32', [D, B, H]] : null,
  ];
  if (c.op === 'LSTM') ins.push(c.initC ? ['f32', [D, B, H]] : null, c.peep ? ['f32', [D, 3 * H]] : null);
  while (ins.length && ins[ins.length - 1] === null) ins.pop();
  return ins;
}

async function checkRnn(c: Case, tol = 1e-4) {
  const attrs = { hidden_size: c.hidden ?? 6, direction: c.direction ?? 'forward', ...c.attrs };
  await checkOp({ op: c.op, inputs: rnnInputs(c), attrs, outputs: c.outputs ?? (c.op === 'LSTM' ? 3 : 2), opset: 14 }, { range: [-1, 1], tol });
}

describe('LSTM matches onnxruntime', () => {
  for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
    it(`${direction}, with bias and initial states`, async () => {
      await checkRnn({ op: 'LSTM', direction, initH: true, initC: true });
    });
  }
  it('without bias or initial states', async () => { await checkRnn({ op: 'LSTM', bias: false }); });
  it('opset 7 (before layout existed) reads the same way', async () => {
    for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
      await checkOp({ op, inputs: rnnInputs({ op, initH: true, lens: [5, 4, 2] }), attrs: { hidden_size: 6 }, outputs: op === 'LSTM' ? 3 : 2, opset: 7 }, { range: [-1, 1] });
    }
  });
  it('sequence_lens, all directions', async () => {
    for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
      await checkRnn({ op: 'LSTM', direction, lens: [5, 2, 3], initH: true, initC: true });
    }
  });
  it('peepholes', async () => {
    await checkRnn({ op: 'LSTM', direction: 'bidirectional', peep: true, initC: true, initH: true });
  });
  it('input_forget and clip', async () => {
    await checkRnn({ op: 'LSTM', attrs: { input_forget: 1 }, initC: true });
    await checkRnn({ op: 'LSTM', direction: 'bidirectional', attrs: { clip: 0.5 } });
  });
  it('custom activations with alpha/beta per direction', async () => {
    await checkRnn({
      op: 'LSTM', direction: 'bidirectional',
      attrs: {
        activations: ['HardSigmoid', 'LeakyRelu', 'Softsign', 'Sigmoid', 'ScaledTanh', 'Elu'],
        activation_alpha: floats([0.3, 0.05, 0.8, 1.2]), activation_beta: floats([0.4, 0.9]),
      },
    });
    await checkRnn({ op: 'LSTM', attrs: { activations: ['Sigmoid', 'Affine', 'Softplus'], activation_alpha: floats([0.7]), activation_beta: floats([0.1]) } });
  });
  it('only Y_h requested (Y omitted by an empty name)', async () => {
    const b = new OnnxBuilder({ opset: 14 });
    const ins = [b.input('x', 'f32', [4, 2, 3]), b.input('w', 'f32', [1, 20, 3]), b.input('r', 'f32', [1, 20, 5])];
    b.node('LSTM', ins, { hidden_size: 5 }, 1, { name: 'lstm' });
    b.graphProto().node![0].output = ['', 'yh'];
    b.output('yh');
    await checkModel(b.toBytes());
  });
});

describe('GRU matches onnxruntime', () => {
  for (const lbr of [0, 1]) {
    for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
      it(`${direction}, linear_before_reset=${lbr}`, async () => {
        await checkRnn({ op: 'GRU', direction, initH: true, attrs: { linear_before_reset: lbr } });
      });
    }
    it(`sequence_lens and no bias, linear_before_reset=${lbr}`, async () => {
      await checkRnn({ op: 'GRU', direction: 'bidirectional', lens: [1, 5, 4], bias: false, attrs: { linear_before_reset: lbr } });
    });
  }
  it('clip and custom activations', async () => {
    await checkRnn({ op: 'GRU', attrs: { clip: 0.7, activations: ['HardSigmoid', 'Tanh'], activation_alpha: floats([0.25]), activation_beta: floats([0.45]) } });
    await checkRnn({ op: 'GRU', direction: 'bidirectional', attrs: { activations: ['Sigmoid', 'Relu', 'Sigmoid', 'Softsign'] } });
  });
});

describe('RNN matches onnxruntime', () => {
  for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
    it(`${direction} with initial state and sequence_lens`, async () => {
      await checkRnn({ op: 'RNN', direction, initH: true, lens: [5, 3, 1] });
    });
  }
  it('Relu and LeakyRelu activations, clip', async () => {
    await checkRnn({ op: 'RNN', attrs: { activations: ['Relu'] } });
    await checkRnn({ op: 'RNN', direction: 'bidirectional', attrs: { activations: ['LeakyRelu', 'Tanh'], activation_alpha: floats([0.2, 0]), clip: 0.9 } });
  });
});

describe('layout = 1 (batch-major), which onnxruntime does not run: compared with the transposed time-major model', () => {
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
    it(op, async () => { await checkBatchMajor(op); });
  }
});

describe('recurrent shape inference', () => {
  it('symbolic batch and sequence pass through, both layouts', () => {
    for (const layout of [0, 1]) {
      const b = new OnnxBuilder({ opset: 14 });
      const x = b.input('x', 'f32', layout ? ['N', 'T', 3] : ['T', 'N', 3]);
      const w = b.initializer(Tensor.fromNumbers('f32', [2, 16, 3], new Array(96).fill(0.1)));
      const r = b.initializer(Tensor.fromNumbers('f32', [2, 16, 4], new Array(128).fill(0.1)));
      const outs = b.node('LSTM', [x, w, r], { hidden_size: 4, direction: 'bidirectional', layout }, 3);
      outs.forEach((o) => b.output(o));
      const g = loadOnnxBytes(b.toBytes()).graph;
      const shapes = g.nodes[0].outputs.map((v) => v.type.shape);
      expect(shapes).toEqual(layout ? [['N', 'T', 2, 4], ['N', 2, 4], ['N', 2, 4]] : [['T', 2, 'N', 4], [2, 'N', 4], [2, 'N', 4]]);
    }
  });
  it('rejects inconsistent weights and bad attributes with coded errors', () => {
    const bad = (attrs: Record<string, AttrInput>, wShape = [1, 12, 3]) => {
      const b = new OnnxBuilder({ opset: 14 });
      const x = b.input('x', 'f32', [2, 1, 3]), w = b.input('w', 'f32', wShape), r = b.input('r', 'f32', [1, 12, 4]);
      b.output(b.node('GRU', [x, w, r], attrs, 2)[1]);
      return () => loadOnnxBytes(b.toBytes());
    };
    expect(bad({ hidden_size: 4 }, [1, 12, 5])).toThrow(TsccError);
    expect(bad({ hidden_size: 5 })).toThrow(TsccError);
    expect(bad({ hidden_size: 4, direction: 'sideways' })).toThrow(TsccError);
    expect(bad({ hidden_size: 4, activations: ['Sigmoid'] })).toThrow(TsccError);
    expect(bad({ hidden_size: 4, activations: ['Sigmoid', 'Gelu'] })).toThrow(TsccError);
    expect(bad({ hidden_size: 4, layout: 2 })).toThrow(TsccError);
    expect(bad({ hidden_size: 4 })).not.toThrow();
  });
});

/** Runs a layout-1 node on tscc and the same node in layout 0 between Transposes on onnxruntime. */
async function checkBatchMajor(op: Op) {
  const S = 4, B = 3, I = 5, H = 3, D = 2, G = GATES[op];
  const build = (layout: number) => {
    const b = new OnnxBuilder({ opset: 14 });
    const x = b.input('x', 'f32', [B, S, I]), w = b.input('w', 'f32', [D, G * H, I]), r = b.input('r', 'f32', [D, G * H, H]);
    const bias = b.input('b', 'f32', [D, 2 * G * H]), h0 = b.input('h0', 'f32', [B, D, H]);
    const lens = b.initializer(Tensor.fromNumbers('i32', [B], [4, 2, 3]), 'lens');
    const attrs = { hidden_size: H, direction: 'bidirectional', layout };
    const t = (v: string, perm: number[]) => (layout ? v : b.op('Transpose', [v], { perm }));
    const ins = [t(x, [1, 0, 2]), w, r, bias, lens, t(h0, [1, 0, 2])];
    if (op === 'LSTM') ins.push(t(b.input('c0', 'f32', [B, D, H]), [1, 0, 2]));
    const outs = b.node(op, ins, attrs, op === 'LSTM' ? 3 : 2);
    const names = ['y', 'yh', 'yc'];
    outs.forEach((o, i) => b.output(b.node('Identity', [t(o, i === 0 ? [2, 0, 1, 3] : [1, 0, 2])], {}, 1, { name: names[i] })[0]));
    return b.toBytes();
  };
  const ours = build(1), theirs = build(0);
  const inputs = randomInputs(ours);
  const got = runGraph(loadOnnxBytes(ours).graph, inputs);
  const ref = await runOrt(theirs, inputs, { optimization: 'disabled' });
  expect(Object.keys(got).sort()).toEqual(Object.keys(ref).sort());
  for (const [k, r] of Object.entries(ref)) {
    const d = compareTensors(k, got[k], r, 1e-4);
    expect(d.shapeMatch && d.ok, `${k}: shape [${got[k].shape}] vs [${r.shape}], max diff ${d.maxAbs}`).toBe(true);
  }
}
