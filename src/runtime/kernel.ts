// The reference kernels' table. A kernel computes a node's outputs from input tensors; it is written
// to be obviously correct first, and tight-loop fast second (no closures per element in hot loops).
import { UnsupportedError, nodeRef } from '../util/errors.ts';
import type { AttrReader } from '../ir/graph/attrs.ts';
import type { Graph } from '../ir/graph/graph.ts';
import type { Tensor } from '../ir/graph/tensor.ts';

export interface KernelNode {
  readonly name: string;
  readonly op: string;
  readonly attr: AttrReader;
  /** Number of outputs the node declares (some may be '' = unused). */
  readonly outputCount: number;
  /** The member sub-graph of a fused node. */
  readonly body?: Graph;
}

export interface KernelCtx {
  readonly opset: number;
  /** Runs a subgraph (If branches) with values of the enclosing scope visible. */
  runSubgraph(g: Graph, captured: ReadonlyMap<string, Tensor>): Tensor[];
}

export type Kernel = (inputs: readonly (Tensor | null)[], node: KernelNode, ctx: KernelCtx) => Tensor[];

export interface KernelDef {
  readonly kernel: Kernel;
  /**
   * 'compute': narrow floats (f16, bf16) are widened to f32 before the kernel and results narrowed
   * back; 'any': the kernel handles every dtype itself (data movement, casts, comparisons).
   */
  readonly dtypes: 'compute' | 'any';
}

const KERNELS = new Map<string, KernelDef>();

export function defineKernel(op: string, kernel: Kernel, dtypes: KernelDef['dtypes'] = 'compute', domain = ''): void {
  const key = domain ? `${domain}::${op}` : op;
  if (KERNELS.has(key)) throw new Error(`kernel ${key} defined twice`);
  KERNELS.set(key, { kernel, dtypes });
}

export function lookupKernel(domain: string, op: string, node: { name: string; op: string }): KernelDef {
  const k = KERNELS.get(domain ? `${domain}::${op}` : op);
  if (!k) throw new UnsupportedError(`${nodeRef(node)}: the reference runtime has no kernel for ${op}`);
  return k;
}

export function hasKernel(domain: string, op: string): boolean { return KERNELS.has(domain ? `${domain}::${op}` : op); }
