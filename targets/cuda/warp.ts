// The kernel template of a long reduction with few outputs (Softmax/LayerNorm row statistics,
// ReduceSum/Mean/Max, global pooling, GEMV): one warp per output. Each lane folds every 32nd term
// (consecutive lanes read consecutive elements when the innermost reduction loop walks memory),
// then the warp combines its 32 partial values with __shfl_xor_sync butterflies, so all lanes end
// with the total and lane 0 stores it. Sums are re-associated (32 partial sums), within the f32
// tolerance the tests hold every target to.
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import { type Expr, type Load, type Var, freeVars } from '../../src/ir/tensor/expr.ts';
import { loadsOf } from '../../src/schedule/tree.ts';
import { flatIndex } from './expr.ts';
import { TemplateText, indent, kernelSource } from './emit.ts';
import { type KernelSource, cName } from './kernel.ts';
import { type Reduction, product } from './match.ts';

const WARPS = 8;
const IDENTITY = { add: '0.0f', max: '(-INFINITY)', min: 'INFINITY' };
const combine = (op: Reduction['op'], x: string, y: string) => (op === 'add' ? `${x} + ${y}` : `${op === 'max' ? 'fmaxf' : 'fminf'}(${x}, ${y})`);

/**
 * Worth a warp per output: at least 32 terms, and the largest operand is read along the reduction
 * (its innermost index is the innermost reduction loop alone: a Softmax row, a GEMV with the weights
 * along rows), so consecutive lanes read consecutive addresses. When it is read along the outputs
 * instead (x·W with W[k, n]) one thread per output reads coalesced, so a warp per output only pays
 * when there are too few outputs to fill the device; a window (conv) counts as neither.
 */
export function warpWorthy(r: Reduction): boolean {
  const K = product(r.red), S = product(r.spatial);
  if (K < 32) return false;
  const k = r.red[r.red.length - 1].loopVar, spatial = new Set<Var>(r.spatial.map((l) => l.loopVar));
  const s = r.spatial[r.spatial.length - 1].loopVar;
  const loads = loadsOf(r.term).filter((l) => l.indices.length > 0);
  const main = loads.reduce<Load | undefined>((m, l) => (!m || l.buffer.size > m.buffer.size ? l : m), undefined);
  if (!main) return S <= 4096;
  const v = freeVars(main.indices[main.indices.length - 1]);
  if (v.has(k) && ![...v].some((x) => spatial.has(x))) return true;
  if (v.has(s) && !v.has(k)) return S <= 256;
  return S <= 4096;
}

export function warpReduce(f: PrimFunc, r: Reduction & { tail: Expr }): KernelSource {
  const S = product(r.spatial), K = product(r.red), warps = Math.min(WARPS, S);
  const t = new TemplateText([...r.spatial, ...r.red]);
  const zeroInit = r.op === 'add' && r.init.kind === 'const' && r.init.value === 0;
  const total = zeroInit ? 'tscc_v' : combine(r.op, t.expr(r.init), 'tscc_v');
  const body = [
    `const int tscc_lane = threadIdx.x, tscc_s = blockIdx.x * ${warps} + threadIdx.y;`,
    // The whole warp takes this branch or not (one output per warp): the shuffles below see full warps.
    `if (tscc_s < ${S}) {`,
    ...indent([
      ...t.decode(r.spatial, 'tscc_s', [r.term, r.init, r.tail, ...r.spatial.map((l) => l.loopVar)]),
      `float tscc_v = ${IDENTITY[r.op]};`,
      `for (int tscc_k = tscc_lane; tscc_k < ${K}; tscc_k += 32) {`,
      ...indent([...t.decode(r.red, 'tscc_k', [r.term]), `tscc_v = ${combine(r.op, 'tscc_v', t.expr(r.term))};`]),
      '}',
      'for (int tscc_off = 16; tscc_off > 0; tscc_off /= 2)',
      `  tscc_v = ${combine(r.op, 'tscc_v', '__shfl_xor_sync(0xffffffffu, tscc_v, tscc_off)')};`,
      `if (tscc_lane == 0) {`,
      `  const float ${t.acc} = ${total};`,
      `  ${cName(r.acc.name)}[${flatIndex(r.acc, r.spatial.map((l) => l.loopVar), (x) => t.expr(x))}] = ${t.expr(r.tail)};`,
      '}',
    ]),
    '}',
  ];
  return kernelSource(f, body, [Math.ceil(S / warps), 1, 1], [32, warps, 1]);
}
