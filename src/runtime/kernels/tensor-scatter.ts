// Reference kernels of ScatterND and ScatterElements, with reduction none/add/mul/max/min.
// 'compute' kernels, so f16 data is decoded before a reduction combines it.
import { Tensor, stridesOf } from '../../ir/graph/tensor.ts';
import { defineKernel, type KernelNode } from '../kernel.ts';
import { fail, normAxis } from './util.ts';
import { axisBases, cells, indexValues, ndOffsets, normIndex } from './tensor-util.ts';

type Combine = (a: number, b: number) => number;
// Written on `number` but applied to bigint cells too: each operator below is defined for both.
const COMBINE: Record<string, Combine> = {
  none: (_a, b) => b,
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  max: (a, b) => (a > b ? a : b),
  min: (a, b) => (a < b ? a : b),
};

function combiner(n: KernelNode): Combine {
  const red = n.attr.string('reduction', 'none');
  return COMBINE[red] ?? fail(n, `reduction "${red}" is not one of ${Object.keys(COMBINE).join(', ')}`);
}

function copyOf(x: Tensor): Tensor { return new Tensor(x.dtype, x.shape, x.data.slice()); }

defineKernel('ScatterND', ([x, idx, upd], n) => {
  const f = combiner(n);
  const { offsets, slice } = ndOffsets(n, x!, idx!, 0);
  const want = [...idx!.shape.slice(0, -1), ...x!.shape.slice(idx!.shape[idx!.rank - 1])];
  if (upd!.rank !== want.length || upd!.shape.some((d, i) => d !== want[i])) fail(n, `updates have shape [${upd!.shape}], expected [${want}]`);
  const out = copyOf(x!);
  const O = cells(out), U = cells(upd!);
  for (let t = 0, p = 0; t < offsets.length; t++) {
    const base = offsets[t];
    for (let k = 0; k < slice; k++, p++) O[base + k] = f(O[base + k], U[p]);
  }
  return [out];
}, 'compute');

defineKernel('ScatterElements', ([x, idx, upd], n) => {
  const f = combiner(n);
  const axis = normAxis(n, n.attr.int('axis', 0), x!.rank);
  const shape = idx!.shape, rank = shape.length;
  if (rank !== x!.rank || upd!.rank !== rank || upd!.shape.some((d, i) => d !== shape[i])) {
    fail(n, `indices [${shape}] and updates [${upd!.shape}] must have one shape, of data's rank ${x!.rank}`);
  }
  if (shape.some((d, i) => i !== axis && d > x!.shape[i])) fail(n, `indices [${shape}] exceed data [${x!.shape}]`);
  const out = copyOf(x!);
  const I = indexValues(idx!), O = cells(out), U = cells(upd!);
  const xs = stridesOf(x!.shape), dim = x!.shape[axis];
  const bases = axisBases(shape, xs, axis);
  for (let i = 0; i < I.length; i++) {
    const at = bases[i] + normIndex(n, I[i], dim) * xs[axis];
    O[at] = f(O[at], U[i]);
  }
  return [out];
}, 'compute');
