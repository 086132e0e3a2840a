// Shape rules of the norm family: batch/instance/layer/group normalization, LRN, MVN, the
// softmax-like ops and DepthToSpace/SpaceToDepth. Resize's rule is in resize.ts.
import { dtypeFromOnnx } from '../dtype.ts';
import type { Dim } from '../graph.ts';
import { defineOp, normAxis, tt, type InferCtx } from './registry.ts';
import {
  MAX_OUTPUT_ELEMENTS, expectBroadcastable, expectShape, floatInput, isComputeFloat, knownProduct, mvnAxes, unsupported,
} from './norm-util.ts';
import './resize.ts';

defineOp({
  name: 'BatchNormalization',
  infer: (c) => {
    const x = floatInput(c, 0);
    if (c.attr.int('training_mode', 0) !== 0) {
      unsupported(c, 'training_mode=1 (batch statistics) is not supported; export the model in inference (eval) mode');
    }
    if (c.node.outputs.length > 1) {
      unsupported(c, `declares ${c.node.outputs.length} outputs; the running/saved statistics outputs exist only in training mode, which is not supported`);
    }
    if (x.shape.length < 2) c.fail(`input must have rank ≥ 2 (N, C, …), got rank ${x.shape.length}`);
    // Opsets 7–8 allow spatial=0: one parameter per (C, D1, …) position instead of per channel.
    const spatial = c.opset < 9 ? c.attr.int('spatial', 1) !== 0 : true;
    const param = spatial ? [x.shape[1]] : x.shape.slice(1);
    ['scale', 'bias', 'mean', 'var'].forEach((what, k) => expectShape(c, k + 1, param, what));
    return [x];
  },
});

defineOp({
  name: 'InstanceNormalization',
  infer: (c) => {
    const x = floatInput(c, 0);
    if (x.shape.length < 3) c.fail(`input must have rank ≥ 3 (N, C, D1, …), got rank ${x.shape.length}`);
    expectShape(c, 1, [x.shape[1]], 'scale');
    expectShape(c, 2, [x.shape[1]], 'bias');
    return [x];
  },
});

defineOp({
  name: 'LayerNormalization',
  infer: (c) => {
    const x = floatInput(c, 0);
    const axis = normAxis(c, c.attr.int('axis', -1), x.shape.length);
    const code = c.attr.int('stash_type', 1), stash = dtypeFromOnnx(code);
    if (!stash || !isComputeFloat(stash)) return c.fail(`stash_type ${code} is not a float type`);
    const normShape = x.shape.slice(axis);
    expectBroadcastable(c, 1, normShape, 'scale');
    if (c.inputs[2]) expectBroadcastable(c, 2, normShape, 'bias');
    // Mean and InvStdDev keep the reduced axes as 1s and use the stash type.
    const stat = tt(stash, [...x.shape.slice(0, axis), ...normShape.map(() => 1)]);
    return [x, stat, stat];
  },
});

defineOp({
  name: 'GroupNormalization',
  infer: (c) => {
    const x = floatInput(c, 0);
    if (x.shape.length < 2) c.fail(`input must have rank ≥ 2 (N, C, …), got rank ${x.shape.length}`);
    const groups = c.attr.int('num_groups');
    if (groups <= 0) c.fail(`num_groups must be positive, got ${groups}`);
    const ch = x.shape[1];
    if (typeof ch === 'number' && ch % groups !== 0) c.fail(`${ch} channels do not divide into ${groups} groups`);
    // Opset 18 has one scale/bias per group; opset 21 fixed that to one per channel.
    const param: Dim = c.opset >= 21 ? ch : groups;
    expectShape(c, 1, [param], 'scale');
    expectShape(c, 2, [param], 'bias');
    return [x];
  },
});

defineOp({
  name: 'LRN',
  infer: (c) => {
    const x = floatInput(c, 0);
    if (x.shape.length < 3) c.fail(`input must have rank ≥ 3 (N, C, D1, …), got rank ${x.shape.length}`);
    const size = c.attr.int('size');
    if (size <= 0) c.fail(`size must be positive, got ${size}`);
    return [x];
  },
});

defineOp({
  name: 'MeanVarianceNormalization',
  infer: (c) => {
    const x = floatInput(c, 0);
    mvnAxes(c, c.attr.ints('axes', [0, 2, 3]), x.shape.length);
    return [x];
  },
});

for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
  defineOp({
    name: op,
    infer: (c) => {
      const x = floatInput(c, 0);
      normAxis(c, c.attr.int('axis', -1), x.shape.length);
      return [x];
    },
  });
}

function blocksize(c: InferCtx): number {
  const b = c.attr.int('blocksize');
  if (b <= 0) c.fail(`blocksize must be positive, got ${b}`);
  return b;
}

/** d·k for a known d; a symbol passes through when k is 1, otherwise it becomes a fresh symbol. */
function mulDim(c: InferCtx, d: Dim, k: number): Dim { return typeof d === 'number' ? d * k : k === 1 ? d : c.fresh(); }

function checkSize(c: InferCtx, shape: readonly Dim[]): Dim[] {
  const n = knownProduct(shape);
  if (n !== undefined && n > MAX_OUTPUT_ELEMENTS) c.fail(`output shape [${shape.join(',')}] is too large`);
  return [...shape];
}

defineOp({
  name: 'DepthToSpace',
  infer: (c) => {
    const x = c.input(0);
    if (x.shape.length !== 4) c.fail(`input must have rank 4 (N, C, H, W), got rank ${x.shape.length}`);
    const b = blocksize(c);
    const mode = c.attr.string('mode', 'DCR');
    if (mode !== 'DCR' && mode !== 'CRD') c.fail(`mode "${mode}" must be DCR or CRD`);
    const [n, ch, h, w] = x.shape;
    if (typeof ch === 'number' && ch % (b * b) !== 0) c.fail(`${ch} channels are not divisible by blocksize² = ${b * b}`);
    const outC: Dim = typeof ch === 'number' ? ch / (b * b) : b === 1 ? ch : c.fresh();
    return [tt(x.dtype, checkSize(c, [n, outC, mulDim(c, h, b), mulDim(c, w, b)]))];
  },
});

defineOp({
  name: 'SpaceToDepth',
  infer: (c) => {
    const x = c.input(0);
    if (x.shape.length !== 4) c.fail(`input must have rank 4 (N, C, H, W), got rank ${x.shape.length}`);
    const b = blocksize(c);
    const [n, ch, h, w] = x.shape;
    const down = (d: Dim, what: string): Dim => {
      if (typeof d !== 'number') return b === 1 ? d : c.fresh();
      if (d % b !== 0) c.fail(`${what} ${d} is not divisible by blocksize ${b}`);
      return d / b;
    };
    return [tt(x.dtype, checkSize(c, [n, mulDim(c, ch, b * b), down(h, 'height'), down(w, 'width')]))];
  },
});
