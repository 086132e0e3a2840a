// The NPU schedule: one small serializable record per layer (not Tensor IR steps — this target's code
// generator works from graph nodes, so `defaultSchedule` returns no Steps and the tiling lives here).
// The tuner searches `gemmSpace`; `defaultGemm` is the rule used without tuning.
import type { NpuConfig } from '../config.ts';

export interface GemmSchedule {
  /** Columns of a stationary tile (≤ W) and its depth (≤ H). */
  readonly nT: number;
  readonly kT: number;
  /** Rows/columns the accumulator holds per chunk (default: the core's whole share, shrunk to fit). */
  readonly mChunk?: number;
  readonly nChunk?: number;
  /** Which GEMM dimension is divided among the cores. */
  readonly split: 'm' | 'n';
  /** Conv only: which operand sits in the array — the input patch ('act', M = Cout streamed) or the weights ('weight', M = pixels streamed). */
  readonly stationary?: 'act' | 'weight';
  /** Conv only: 'direct' reads a 1×1/stride-1 input as the B operand with no im2col; 'im2col' builds patches on the vector unit. */
  readonly conv?: 'direct' | 'im2col';
}

/** Per-layer schedules, keyed by layer name (the first ONNX node's name). */
export type NpuSchedule = Readonly<Record<string, GemmSchedule>>;

const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Operand sizes for the DRAM side of the estimate: bytes of A, B and C when each is read once. */
export interface GemmBytes { readonly a: number; readonly b: number; readonly c: number }

/** Cycle estimate of one GEMM: the larger of array time under the ONNXim cost model (preload H,
 *  stream max(m,4) per tile, per core) and DRAM time for the operand traffic this split implies. */
export function estimateGemm(cfg: NpuConfig, M: number, N: number, K: number, s: GemmSchedule, bytes?: GemmBytes): number {
  const cores = cfg.cores;
  const mCore = s.split === 'm' ? ceil(M, cores) : M, nCore = s.split === 'n' ? ceil(ceil(N, s.nT), cores) * s.nT : N;
  const nPad = ceil(Math.min(nCore, s.nChunk ?? nCore), s.nT) * s.nT;
  const mC = Math.max(1, Math.min(mCore, s.mChunk ?? mCore, Math.floor(cfg.accBytes / 8 / nPad)));
  const mChunks = ceil(mCore, mC), nChunks = ceil(nCore, Math.min(nCore, s.nChunk ?? nCore));
  const tiles = mChunks * ceil(nCore, s.nT) * ceil(K, s.kT);
  const warm = cfg.H + Math.max(mC, 4);
  if (!bytes) return tiles * warm;
  const split = s.split === 'n';
  const perCore = (split ? bytes.a : bytes.a / cores) * nChunks + (split ? bytes.b / cores : bytes.b) * mChunks;
  const bw = cfg.dramChannels * cfg.dramReqSize * cfg.dramFreq / cfg.coreFreq;
  // When DRAM cannot feed a tile per `warm` cycles the array drains and every preload is cold (+2H−1).
  const dramPerTile = (perCore * cores + bytes.c) / bw / tiles;
  const step = dramPerTile > warm ? Math.max(dramPerTile, warm + 2 * cfg.H - 1) : warm;
  return tiles * step;
}

const WEIGHT_BIAS = 1.1, IM2COL_BIAS = 1.6;

export function defaultGemm(cfg: NpuConfig, M: number, N: number, K: number, opts: { conv?: boolean; direct?: boolean; bytes?: GemmBytes; weightBytes?: GemmBytes } = {}): GemmSchedule {
  let best: GemmSchedule | null = null;
  let bestCost = Infinity;
  for (const s of gemmSpace(cfg, M, N, K, opts)) {
    const w = s.stationary === 'weight';
    const [m, n] = w ? [N, M] : [M, N];
    // The estimate leaves out what the weight orientation adds (im2col of every pixel tile, a transpose
    // per output tile) and what direct mode saves (no patch, no im2col). The two factors were fit on
    // ResNet-18/50 against the simulator (a sweep, see README); tune.ts measures instead of guessing.
    const bias = (w ? WEIGHT_BIAS : 1) * (s.conv === 'im2col' && opts.direct ? IM2COL_BIAS : 1);
    const c = estimateGemm(cfg, m, n, K, s, w ? opts.weightBytes : opts.bytes) * bias;
    if (c < bestCost) { bestCost = c; best = s; }
  }
  return best!;
}

/** The space the tuner searches for one GEMM-like layer (M, N as in the 'act' orientation for convs). */
export function gemmSpace(cfg: NpuConfig, M: number, N: number, K: number, opts: { conv?: boolean; direct?: boolean } = {}): GemmSchedule[] {
  const out: GemmSchedule[] = [];
  const orient: ('act' | 'weight' | undefined)[] = opts.conv ? ['act', 'weight'] : [undefined];
  for (const st of orient) {
    const n = st === 'weight' ? M : N;
    for (const nT of [cfg.W, cfg.W / 2].map((x) => Math.max(1, Math.min(x, n)))) {
      for (const kT of [cfg.H, cfg.H / 2].map((x) => Math.max(1, Math.min(x, K)))) {
        for (const split of ['n', 'm'] as const) {
          const modes: ('direct' | 'im2col' | undefined)[] = !opts.conv ? [undefined] : opts.direct && st === 'act' ? ['direct', 'im2col'] : ['im2col'];
          for (const conv of modes) out.push({ nT, kT, split, ...(st ? { stationary: st } : {}), ...(conv ? { conv } : {}) });
        }
      }
    }
  }
  const seen = new Set<string>();
  return out.filter((s) => { const k = JSON.stringify(s); if (seen.has(k)) return false; seen.add(k); return true; });
}
