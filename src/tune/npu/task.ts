// The NPU layer as a TuneTask. Knobs: which of the target's own candidate schedules (gemmSpace: tile
// shape, split, stationary operand, conv mode) and the accumulator chunking on top of it (mChunk,
// nChunk; 0 = the target's rule). Features are computed from the schedule record and the layer's GEMM
// shape (M, N, K), including the target's analytic cycle estimate, padded to FEATURE_LENGTH so the
// same model and database serve every target.
import type { Node } from '../../ir/graph/graph.ts';
import { estimateGemm, type GemmSchedule } from '../../../targets/npu/codegen/schedule.ts';
import { featureVector, lg } from '../features/features.ts';
import type { Config } from '../keys.ts';
import { type TuneTask, recordTask } from '../task.ts';
import { type NpuLayerEnv, SpaceError, emitLayer, layerCycles, layerKey } from './layer.ts';

const MCHUNK = [0, 8, 32, 128, 512];
const NCHUNK = [0, 1, 2, 4]; // multiples of nT

/** GEMM dims of the layer in the 'act' orientation (M = output channels / rows, N = pixels / cols). */
export function gemmDims(n: Node): { M: number; N: number; K: number } {
  const out = n.outputs[0].type.shape as number[];
  const w = n.inputs[1]!.type.shape as number[];
  if (n.op === 'Conv') return { M: w[0], N: out.slice(2).reduce((a, b) => a * b, 1) * out[0], K: w.slice(1).reduce((a, b) => a * b, 1) };
  const a = n.inputs[0]!.type.shape as number[];
  const K = a[a.length - 1];
  return { M: a.slice(0, -1).reduce((x, y) => x * y, 1), N: out[out.length - 1], K };
}

export function npuFeatures(env: NpuLayerEnv, n: Node, s: GemmSchedule): Float32Array {
  const { M, N, K } = gemmDims(n);
  const w = s.stationary === 'weight';
  const [m, nn] = w ? [N, M] : [M, N];
  return featureVector([
    lg(M), lg(N), lg(K), lg(s.nT), lg(s.kT), lg(s.mChunk ?? 0), lg(s.nChunk ?? 0),
    s.split === 'm' ? 1 : 0, w ? 1 : 0, s.conv === 'direct' ? 1 : 0, s.conv === 'im2col' ? 1 : 0,
    lg(Math.ceil(nn / s.nT)), lg(Math.ceil(K / s.kT)), lg(Math.ceil(m / Math.max(1, s.mChunk ?? m))),
    lg(estimateGemm(env.cfg, m, nn, K, s)), lg(env.cfg.H), lg(env.cfg.W), env.cfg.cores, lg(env.cfg.accBytes),
    n.op === 'Conv' ? 1 : 0,
  ]);
}

export function npuTask(env: NpuLayerEnv, n: Node): TuneTask | undefined {
  const base = emitLayer(env, n, null);
  if (!base || base.space.length === 0) return undefined;
  const space = base.space;
  const emit = (s: GemmSchedule) => {
    const em = emitLayer(env, n, s);
    if (!em) throw new SpaceError(`${n.name} is not an array layer`);
    return em;
  };
  return recordTask<GemmSchedule>({
    name: n.name, workloadKey: layerKey(n, env.cfg), description: `${n.op} ${JSON.stringify(gemmDims(n))} on npu:${env.cfg.name}`,
    knobs: [['s', space.map((_, i) => i)], ['mc', MCHUNK], ['nc', NCHUNK]],
    scheduleOf(c: Config): GemmSchedule {
      const s = space[c.s];
      return { ...s, ...(c.mc ? { mChunk: c.mc } : {}), ...(c.nc ? { nChunk: c.nc * s.nT } : {}) };
    },
    // The code generator validates capacity while emitting; its rejection is static (no simulation).
    validate: (s) => { emit(s); },
    rejects: (e) => e instanceof SpaceError,
    features: (s) => npuFeatures(env, n, s),
    defaultSchedule: base.chosen ?? space[0],
    cost: (s) => layerCycles(env, emit(s)),
  });
}
