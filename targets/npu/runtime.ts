// Between the graph world and the simulated DRAM: the initial image (weights), graph inputs in,
// graph outputs out, and host fallbacks run on the reference kernels over DRAM contents.
import type { Graph, Node, Value } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { isBigInt } from '../../src/ir/graph/dtype.ts';
import { kernelNode, runKernel } from '../../src/runtime/evaluate.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import { InputError } from '../../src/util/errors.ts';
import type { Layout, Placement } from './codegen/layout.ts';
import { F16, type Memory, toF16 } from './sim/memory.ts';

/** uint8 tensors are stored as int8 (value − 128) so the int8 array reads them as they are. */
const u8Offset = (v: Value) => (v.type.dtype === 'u8' ? 128 : 0);
const shifted = (d: ArrayLike<number>, by: number): ArrayLike<number> => (by ? Array.from(d, (x) => x - by) : d);

export function writeNumbers(m: Memory, p: { addr: number; dt: Placement['dt'] }, data: ArrayLike<number>): void {
  const n = data.length;
  const bytes = p.dt === 'f16' ? 2 : p.dt === 'i8' ? 1 : 4;
  m.range(p.addr, p.addr + n * bytes, bytes, -1, 'host write');
  if (p.dt === 'f16') { const b = p.addr >> 1; for (let k = 0; k < n; k++) m.u16[b + k] = toF16(data[k]); }
  else if (p.dt === 'i8') for (let k = 0; k < n; k++) m.i8[p.addr + k] = data[k];
  else { const b = p.addr >> 2; for (let k = 0; k < n; k++) m.i32[b + k] = data[k]; }
  m.mark(p.addr, p.addr + n * bytes);
}

export function readTensor(m: Memory, p: Placement, v: Value): Tensor {
  const n = p.shape.reduce((a, b) => a * b, 1);
  const bytes = p.dt === 'f16' ? 2 : p.dt === 'i8' ? 1 : 4;
  m.range(p.addr, p.addr + n * bytes, bytes, -1, `read ${v.name}`);
  m.checkWritten(p.addr, p.addr + n * bytes, -1, `read ${v.name}`);
  const vals = new Float64Array(n);
  if (p.dt === 'f16') { const b = p.addr >> 1; for (let k = 0; k < n; k++) vals[k] = F16[m.u16[b + k]]; }
  else if (p.dt === 'i8') for (let k = 0; k < n; k++) vals[k] = m.i8[p.addr + k] + u8Offset(v);
  else { const b = p.addr >> 2; for (let k = 0; k < n; k++) vals[k] = m.i32[b + k]; }
  return Tensor.fromNumbers(v.type.dtype, p.shape, vals);
}

function numbersOf(t: Tensor): ArrayLike<number> {
  return isBigInt(t.dtype) || t.dtype === 'f16' || t.dtype === 'bf16' ? t.toNumbers() : (t.data as ArrayLike<number>);
}

export function initDram(m: Memory, layout: Layout, graph: Graph, inputs: TensorMap): void {
  for (const e of layout.image) writeNumbers(m, e, e.data);
  for (const v of graph.inputs) {
    const t = inputs[v.name];
    if (!t) throw new InputError(`missing input "${v.name}"`);
    const p = layout.get(v);
    if (t.size !== p.shape.reduce((a, b) => a * b, 1)) throw new InputError(`input "${v.name}" has shape [${t.shape}], the compiled model expects [${p.shape}]`);
    writeNumbers(m, p, shifted(numbersOf(t), u8Offset(v)));
  }
}

export function runHost(m: Memory, layout: Layout, node: Node, opset: number): void {
  const ins = node.inputs.map((v) => (v ? (v.constant ?? readTensor(m, layout.get(v), v)) : null));
  const outs = runKernel(node.domain, kernelNode(node.toSpec()), ins, {
    opset, runSubgraph: () => { throw new Error(`${node.op}: subgraphs are not run by the NPU host fallback`); },
  });
  node.outputs.forEach((v, k) => writeNumbers(m, layout.get(v), shifted(numbersOf(outs[k]), u8Offset(v))));
}
