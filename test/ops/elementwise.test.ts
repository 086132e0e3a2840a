import { describe, it } from 'vitest';
import { checkOp } from '../helpers/check.ts';
import { float } from '../../models/builder.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';

const UNARY = ['Abs', 'Neg', 'Exp', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Erf', 'Sin', 'Cos', 'Tan',
  'Atan', 'Sinh', 'Cosh', 'Asinh', 'Relu', 'Sigmoid', 'Tanh', 'Softplus', 'Softsign', 'Mish', 'HardSwish', 'Identity'];

describe('elementwise ops match onnxruntime', () => {
  for (const op of UNARY) {
    it(op, async () => { await checkOp({ op, inputs: [['f32', [2, 3, 5]]], opset: op === 'Mish' ? 18 : 17 }, { range: [-3, 3] }); });
  }
  it('Log (positive inputs)', async () => { await checkOp({ op: 'Log', inputs: [['f32', [4, 5]]] }, { range: [0.1, 5] }); });
  it('Asin/Acos/Atanh in (-1, 1)', async () => {
    for (const op of ['Asin', 'Acos', 'Atanh']) await checkOp({ op, inputs: [['f32', [4, 5]]] }, { range: [-0.9, 0.9] });
  });
  it('Acosh (x ≥ 1)', async () => { await checkOp({ op: 'Acosh', inputs: [['f32', [4, 5]]] }, { range: [1, 4] }); });
  it('LeakyRelu / Elu / Selu / Celu / HardSigmoid / ThresholdedRelu with attributes', async () => {
    await checkOp({ op: 'LeakyRelu', inputs: [['f32', [8]]], attrs: { alpha: float(0.2) } }, { range: [-2, 2] });
    await checkOp({ op: 'Elu', inputs: [['f32', [8]]], attrs: { alpha: float(0.7) } }, { range: [-2, 2] });
    await checkOp({ op: 'Selu', inputs: [['f32', [8]]] }, { range: [-2, 2] });
    await checkOp({ op: 'Celu', inputs: [['f32', [8]]], attrs: { alpha: float(1.5) } }, { range: [-2, 2] });
    await checkOp({ op: 'HardSigmoid', inputs: [['f32', [8]]], attrs: { alpha: float(0.1666667), beta: float(0.5) } }, { range: [-5, 5] });
    await checkOp({ op: 'ThresholdedRelu', inputs: [['f32', [8]]], attrs: { alpha: float(0.3) } }, { range: [-2, 2] });
  });
  it('Gelu (opset 20, both forms)', async () => {
    await checkOp({ op: 'Gelu', inputs: [['f32', [3, 7]]], opset: 20 }, { range: [-3, 3] });
    await checkOp({ op: 'Gelu', inputs: [['f32', [3, 7]]], attrs: { approximate: 'tanh' }, opset: 20 }, { range: [-3, 3] });
  });
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']) {
    it(`${op} with broadcasting`, async () => {
      await checkOp({ op, inputs: [['f32', [2, 3, 4]], ['f32', [3, 1]]] });
      await checkOp({ op, inputs: [['f32', [1, 4]], ['f32', [5, 1]]] });
    });
  }
  it('integer Add/Sub/Mul/Div on int64 and int32', async () => {
    for (const dt of ['i64', 'i32'] as const) {
      for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
        await checkOp({ op, inputs: [[dt, [2, 6]], Tensor.fromNumbers(dt, [6], [3, -2, 5, 7, -9, 4])] }, { range: [-50, 50] });
      }
    }
  });
  it('Pow (float exponent)', async () => { await checkOp({ op: 'Pow', inputs: [['f32', [3, 4]], Tensor.fromNumbers('f32', [], [2])] }, { range: [0.1, 3] }); });
  it('Mod (fmod and integer mod)', async () => {
    await checkOp({ op: 'Mod', inputs: [['f32', [10]], Tensor.fromNumbers('f32', [10], [3, -3, 2.5, 1, 7, -1.5, 4, 2, 3, 9])], attrs: { fmod: 1 } }, { range: [-10, 10] });
    await checkOp({ op: 'Mod', inputs: [['i64', [10]], Tensor.fromNumbers('i64', [10], [3, -3, 2, 1, 7, -4, 4, 2, 3, 9])] }, { range: [-20, 20] });
  });
  it('PRelu with per-channel slope', async () => {
    await checkOp({ op: 'PRelu', inputs: [['f32', [2, 3, 4, 4]], Tensor.fromNumbers('f32', [3, 1, 1], [0.1, 0.2, 0.3])] });
  });
  it('Sum / Mean variadic with broadcasting', async () => {
    await checkOp({ op: 'Sum', inputs: [['f32', [2, 3]], ['f32', [3]], ['f32', [2, 1]]] });
    await checkOp({ op: 'Mean', inputs: [['f32', [2, 3]], ['f32', [3]]] });
  });
  it('comparisons, logic and Where', async () => {
    for (const op of ['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual']) {
      await checkOp({ op, inputs: [['i64', [4, 5]], ['i64', [5]]], opset: 17 }, { range: [0, 3] });
      await checkOp({ op, inputs: [['f32', [4, 5]], ['f32', [4, 1]]] });
    }
    for (const op of ['And', 'Or', 'Xor']) await checkOp({ op, inputs: [['bool', [3, 4]], ['bool', [4]]] });
    await checkOp({ op: 'Not', inputs: [['bool', [7]]] });
    await checkOp({ op: 'Where', inputs: [['bool', [3, 1]], ['f32', [3, 4]], ['f32', [4]]] });
  });
  it('Clip across opsets (attributes before 11, inputs after)', async () => {
    await checkOp({ op: 'Clip', inputs: [['f32', [10]]], attrs: { min: float(-0.5), max: float(0.25) }, opset: 7 });
    await checkOp({ op: 'Clip', inputs: [['f32', [10]], Tensor.scalar('f32', -0.5), Tensor.scalar('f32', 0.25)], opset: 13 });
    await checkOp({ op: 'Clip', inputs: [['f32', [10]], null, Tensor.scalar('f32', 0.25)], opset: 13 });
  });
  it('Cast between float, int and bool types', async () => {
    await checkOp({ op: 'Cast', inputs: [['f32', [10]]], attrs: { to: 7 } }, { range: [-100, 100] });
    await checkOp({ op: 'Cast', inputs: [['i64', [10]]], attrs: { to: 1 } }, { range: [-100, 100] });
    await checkOp({ op: 'Cast', inputs: [['f32', [10]]], attrs: { to: 9 } }, { range: [-2, 2] });
    await checkOp({ op: 'Cast', inputs: [['f32', [10]]], attrs: { to: 10 } }, { range: [-2, 2] });
    await checkOp({ op: 'Cast', inputs: [['bool', [10]]], attrs: { to: 1 } });
  });
});
