// Shape rules of control flow: If (outputs typed from both branches), Loop and Scan (outputs typed from
// the body, which the importer builds with inputs typed by `bodyInputTypes`).
import type { Dim, Graph, TensorType } from '../graph.ts';
import type { AttrReader } from '../attrs.ts';
import { defineOp, tt, type InferCtx } from './registry.ts';

/** Joins two types a value may take: dims that differ become a fresh symbol; dtype and rank must agree. */
function join(c: InferCtx, what: string, a: TensorType, b: TensorType): TensorType {
  if (a.dtype !== b.dtype) c.fail(`${what}: types differ (${a.dtype} and ${b.dtype})`);
  if (a.shape.length !== b.shape.length) c.fail(`${what}: ranks differ ([${a.shape.join(',')}] and [${b.shape.join(',')}])`);
  return tt(a.dtype, a.shape.map((d, i) => (d === b.shape[i] ? d : c.fresh())));
}

function scalarInput(c: InferCtx, i: number, dtype: TensorType['dtype'], what: string): void {
  const t = c.inputs[i];
  if (!t) return;
  if (t.dtype !== dtype) c.fail(`${what} must be ${dtype}, got ${t.dtype}`);
  if (t.shape.some((d) => typeof d === 'number' && d !== 1)) c.fail(`${what} must hold one value, got shape [${t.shape.join(',')}]`);
}

defineOp({
  name: 'If',
  infer: (c) => {
    scalarInput(c, 0, 'bool', 'cond');
    if (!c.inputs[0]) c.fail('cond is required');
    const then = c.attr.graph('then_branch'), els = c.attr.graph('else_branch');
    if (then.outputs.length !== els.outputs.length) c.fail(`branches have ${then.outputs.length} and ${els.outputs.length} outputs`);
    return then.outputs.map((v, i) => join(c, `output ${i}`, v.type, els.outputs[i].type));
  },
});

export interface ScanAttrs {
  readonly scanInputs: number;
  /** Leading inputs (and body outputs) that are state carried from step to step. */
  readonly states: number;
  readonly inAxes: readonly number[]; readonly inReverse: readonly boolean[];
  readonly outAxes: readonly number[]; readonly outReverse: readonly boolean[];
}

/** Scan's attributes with defaults, checked against its input and body output counts; axes as written. */
export function scanAttrs(attr: AttrReader, inputCount: number, bodyOutputs: number, fail: (m: string) => never): ScanAttrs {
  const scanInputs = attr.int('num_scan_inputs');
  if (scanInputs < 1 || scanInputs > inputCount) fail(`num_scan_inputs ${scanInputs} must be in [1, ${inputCount}]`);
  const states = inputCount - scanInputs;
  if (bodyOutputs < states) fail(`the body has ${bodyOutputs} outputs, needs at least ${states} (one per state)`);
  const list = (name: string, n: number) => {
    const v = attr.intsOpt(name) ?? new Array<number>(n).fill(0);
    if (v.length !== n) fail(`${name} has ${v.length} values, expected ${n}`);
    return v;
  };
  return {
    scanInputs, states,
    inAxes: list('scan_input_axes', scanInputs), inReverse: list('scan_input_directions', scanInputs).map((d) => d !== 0),
    outAxes: list('scan_output_axes', bodyOutputs - states), outReverse: list('scan_output_directions', bodyOutputs - states).map((d) => d !== 0),
  };
}

export function normalizeAxis(axis: number, rank: number, fail: (m: string) => never): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/**
 * Types of a Loop or Scan body's inputs, from the node's input types: Loop feeds (iteration i64,
 * condition bool, carried values…); Scan feeds (state…, one slice of each scan input).
 */
export function bodyInputTypes(op: string, attr: AttrReader, inputs: readonly (TensorType | null)[], bodyOutputs: number, fail: (m: string) => never): TensorType[] {
  if (op === 'Loop') {
    return [tt('i64', []), tt('bool', []), ...inputs.slice(2).map((t, k) => t ?? fail(`loop-carried input ${k} is missing`))];
  }
  const ins = inputs.map((t, i) => t ?? fail(`input ${i} is missing`));
  const a = scanAttrs(attr, ins.length, bodyOutputs, fail);
  return ins.map((t, i) => {
    if (i < a.states) return t;
    const axis = normalizeAxis(a.inAxes[i - a.states], t.shape.length, fail);
    return tt(t.dtype, t.shape.filter((_, k) => k !== axis));
  });
}

/**
 * Body input types widened where an iteration changes a carried value's shape (a Loop that grows a
 * tensor, say): those dims become symbols, so the body is typed for every iteration, not just the
 * first. Undefined when the first types already fit.
 */
export function widenCarried(op: string, attr: AttrReader, name: string, types: readonly TensorType[], body: Graph): TensorType[] | undefined {
  // Carried values: Loop inputs 2… ↔ body outputs 1…; Scan states: inputs 0… ↔ outputs 0…
  const [first, outFirst, count] = op === 'Loop' ? [2, 1, types.length - 2] : [0, 0, types.length - attr.int('num_scan_inputs')];
  let changed = false;
  const out = types.map((t, i) => {
    const k = i - first, o = body.outputs[outFirst + k]?.type;
    if (k < 0 || k >= count || !o || o.shape.length !== t.shape.length) return t;
    return tt(t.dtype, t.shape.map((d, j) => {
      if (d === o.shape[j]) return d;
      changed = true;
      return `${name}_state${k}_dim${j}`;
    }));
  });
  return changed ? out : undefined;
}

defineOp({
  name: 'Loop',
  infer: (c) => {
    scalarInput(c, 0, 'i64', 'M (trip count)');
    scalarInput(c, 1, 'bool', 'cond');
    const body = c.attr.graph('body');
    const N = c.inputs.length - 2;
    if (body.inputs.length !== N + 2) c.fail(`body takes ${body.inputs.length} inputs, the loop supplies ${N + 2}`);
    if (body.outputs.length < N + 1) c.fail(`body has ${body.outputs.length} outputs, needs at least ${N + 1}`);
    if (body.outputs[0].type.dtype !== 'bool') c.fail('body output 0 (condition) must be bool');
    const states = c.inputs.slice(2).map((t, k) => join(c, `carried value ${k}`, t ?? c.fail(`input ${k + 2} is missing`), body.outputs[1 + k].type));
    const m = c.constant(0), cond = c.constant(1);
    // The trip count is known only when no condition can stop the loop early.
    const condTrue = !c.inputs[1] || (cond !== undefined && Number(cond.data[0]) !== 0);
    const trips: Dim = m && condTrue && bodyCondAlwaysTrue(body) ? Math.max(0, Number(m.data[0])) : c.fresh();
    const scans = body.outputs.slice(1 + N).map((v) => tt(v.type.dtype, [trips, ...v.type.shape]));
    return [...states, ...scans];
  },
});

/** Whether the body's condition output is constant true or passes its condition input through. */
function bodyCondAlwaysTrue(body: Graph): boolean {
  let v = body.outputs[0];
  while (v.producer?.op === 'Identity' && v.producer.inputs[0]) v = v.producer.inputs[0];
  return (v.isConstant && Number(v.constant!.data[0]) !== 0) || v === body.inputs[1];
}

defineOp({
  name: 'Scan',
  infer: (c) => {
    const body = c.attr.graph('body');
    const n = c.inputs.length, a = scanAttrs(c.attr, n, body.outputs.length, c.fail), states = a.states;
    if (body.inputs.length !== n) c.fail(`body takes ${body.inputs.length} inputs, the scan supplies ${n}`);
    const first = c.input(states);
    const seq = first.shape[normalizeAxis(a.inAxes[0], first.shape.length, c.fail)];
    const stateTypes = c.inputs.slice(0, states).map((t, k) => join(c, `state ${k}`, t ?? c.fail(`input ${k} is missing`), body.outputs[k].type));
    const scans = body.outputs.slice(states).map((v, j) => {
      const shape = [...v.type.shape];
      shape.splice(normalizeAxis(a.outAxes[j], shape.length + 1, c.fail), 0, seq);
      return tt(v.type.dtype, shape);
    });
    return [...stateTypes, ...scans];
  },
});
