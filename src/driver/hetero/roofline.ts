// The analytic cost of a node on a device that has no simulator here (CUDA without a GPU, WebGPU):
// launch overhead + max(FLOPs / peak, bytes / bandwidth), the numbers taken from the system preset.
// A fused node moves only its own inputs and outputs (members' values stay on chip).
import type { Node } from '../../ir/graph/graph.ts';
import type { DeviceSpec } from '../../../passes/partition/system.ts';
import { valueBytes } from '../../../passes/partition/problem.ts';

const numel = (shape: readonly (number | string)[]) => shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);

/** Floating-point operations of one node (multiply-add = 2); element-wise ops count one per output. */
export function nodeFlops(node: Node): number {
  if (node.body) return node.body.nodes.reduce((s, m) => s + nodeFlops(m), 0);
  const out = node.outputs[0] ? numel(node.outputs[0].type.shape) : 0;
  const shape = (i: number) => node.inputs[i]?.type.shape ?? [];
  switch (node.op) {
    case 'MatMul': { const a = shape(0); return 2 * out * (typeof a[a.length - 1] === 'number' ? (a[a.length - 1] as number) : 1); }
    case 'Gemm': { const a = shape(0); const k = node.attr.int('transA', 0) ? a[0] : a[1]; return 2 * out * (typeof k === 'number' ? k : 1); }
    case 'Conv': case 'ConvTranspose': {
      const w = shape(1);
      const perOut = numel(w.slice(1));
      return 2 * (node.op === 'Conv' ? out : numel(shape(0))) * perOut;
    }
    default: return node.outputs.reduce((s, v) => s + numel(v.type.shape), 0);
  }
}

export function nodeBytes(node: Node): number {
  let b = 0;
  for (const v of node.inputs) if (v) b += valueBytes(v);
  for (const v of node.outputs) b += valueBytes(v);
  return b;
}

export function rooflineMs(node: Node, d: DeviceSpec): { ms: number; detail: string } | undefined {
  if (!d.peakGflops || !d.bandwidthGBps) return undefined;
  const flops = nodeFlops(node), bytes = nodeBytes(node);
  const compute = flops / (d.peakGflops * 1e6), memory = bytes / (d.bandwidthGBps * 1e6), launch = (d.launchUs ?? 0) / 1e3;
  return {
    ms: launch + Math.max(compute, memory),
    detail: `${(flops / 1e6).toFixed(2)} MFLOP, ${(bytes / 1e6).toFixed(2)} MB: ${compute >= memory ? 'compute' : 'memory'}-bound + ${d.launchUs ?? 0} us launch`,
  };
}
