// Runs one node on tensors: the step shared by the interpreter and constant folding.
import { AttrReader } from '../ir/graph/attrs.ts';
import type { NodeSpec } from '../ir/graph/graph.ts';
import { isPackedFloat } from '../ir/graph/dtype.ts';
import { Tensor } from '../ir/graph/tensor.ts';
import { type KernelCtx, type KernelNode, lookupKernel } from './kernel.ts';
import './kernels/index.ts';

export function runKernel(
  domain: string, node: KernelNode, inputs: readonly (Tensor | null)[], ctx: KernelCtx,
): Tensor[] {
  const def = lookupKernel(domain, node.op, node);
  const narrow = def.dtypes === 'compute' ? inputs.find((t) => t && isPackedFloat(t.dtype))?.dtype : undefined;
  if (!narrow) return def.kernel(inputs, node, ctx);
  const wide = inputs.map((t) => (t && isPackedFloat(t.dtype) ? new Tensor('f32', t.shape, t.toF32()) : t));
  return def.kernel(wide, node, ctx).map((t) => (t.dtype === 'f32' ? Tensor.fromNumbers(narrow, t.shape, t.data as Float32Array) : t));
}

export function kernelNode(n: NodeSpec): KernelNode {
  return { name: n.name, op: n.op, attr: new AttrReader({ name: n.name, op: n.op, attrs: n.attrs ?? {} }), outputCount: n.outputs.length, body: n.body };
}

const NO_SUBGRAPHS: KernelCtx['runSubgraph'] = () => { throw new Error('subgraphs are not evaluated while folding'); };

/** Constant folding entry point for shape inference. */
export function evaluateNode(n: NodeSpec, inputs: (Tensor | null)[], opset: number): Tensor[] {
  return runKernel(n.domain ?? '', kernelNode(n), inputs, { opset, runSubgraph: NO_SUBGRAPHS });
}
