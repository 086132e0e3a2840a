// Does the bigger WGSL space (session 4: subgroup sharing `bcast`, lane loop `lane`, partial
// unrolling `kunroll`, tile factor 16; targets/wgsl/config.ts) beat the best config of the old one
// (session 3's: workgroup × tile pair and factors ≤ 8 × window unroll × split, no sharing) on this
// adapter? Per kernel:
//
//   1. old space: its default + `--old N` configs drawn at random (seeded) from it,
//      each timed against the default in alternating pairs → the best old config;
//   2. new space: the new-knob variants of the two best old configs + `--new N` random configs that
//      use a new knob, each timed against the best old config in pairs → the best new config;
//   3. head to head: best new vs best old, freshly loaded, `--pairs N` alternating pairs.
//
// Printed per kernel: the median ratio new/old of GPU time (timestamp queries) and of process CPU
// time, both configs' median GPU ms, and the load average. Outputs are checked against the
// default's (max error / max output ≤ 1e-5).
// Run: nice -n 10 npx tsx bench/wgsl-space.ts [--only NAME] [--old 24] [--new 12] [--pairs 21]
import { oneOpModel } from '../test/helpers/check.ts';
import { loadOnnxBytes } from '../src/frontend/onnx/import.ts';
import { compileModel } from '../src/driver/compile.ts';
import { randomTensor } from '../src/runtime/random.ts';
import { median } from '../src/util/stats.ts';
import type { StageConfig, WgslConfig } from '../targets/wgsl/config.ts';
import { wgslSpace } from '../targets/wgsl/config.ts';
import type { WgslPayload } from '../targets/wgsl/index.ts';
import { nodeGpu } from '../targets/wgsl/node.ts';
import { createSession } from '../targets/wgsl/runtime.js';
import { loadavg } from 'node:os';

const arg = (name: string, d: number) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : d; };
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;

const conv = (ci: number, co: number, hw: number, k: number, group = 1) => oneOpModel({
  op: 'Conv', attrs: { kernel_shape: [k, k], pads: [k >> 1, k >> 1, k >> 1, k >> 1], group },
  inputs: [['f32', [1, ci, hw, hw]], randomTensor('f32', [co, ci / group, k, k], 7, -0.1, 0.1), randomTensor('f32', [co], 8, -0.1, 0.1)],
});
const KERNELS: Record<string, () => Uint8Array> = {
  'mm128': () => oneOpModel({ op: 'MatMul', inputs: [['f32', [128, 128]], ['f32', [128, 128]]] }),
  'mm256x512x256': () => oneOpModel({ op: 'MatMul', inputs: [['f32', [256, 512]], ['f32', [512, 256]]] }),
  'conv3x3-64-56': () => conv(64, 64, 56, 3),
  'conv1x1-64-256-56': () => conv(64, 256, 56, 1),
  'conv1x1-144-24-56': () => conv(144, 24, 56, 1),
  'dw3x3-144-56': () => conv(144, 144, 56, 3, 144),
};

const isNew = (s: StageConfig) => Boolean(s.bcast || s.kunroll || s.lane || (s.tile && Math.max(s.tile.ta, s.tile.tb) > 8));
type Session = Awaited<ReturnType<typeof createSession>>;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** A seeded pick of n items (LCG). */
function pick<T>(xs: readonly T[], n: number, seed: number): T[] {
  const out = new Set<T>();
  let s = seed;
  while (out.size < Math.min(n, xs.length)) { s = (s * 1103515245 + 12345) % 2147483648; out.add(xs[s % xs.length]); }
  return [...out];
}

async function main(): Promise<void> {
  const { gpu } = await nodeGpu();
  for (const [name, bytes] of Object.entries(KERNELS)) {
    if (only && !name.includes(only)) continue;
    const c = await compileModel(loadOnnxBytes(bytes()), { target: 'wgsl' });
    const { profile, built: b0 } = c.artifact.payload as WgslPayload;
    const open = async (cfg: WgslConfig | undefined): Promise<Session> => {
      const built = cfg ? (await c.target.compile({ ...c.plan, kernels: c.plan.kernels.map((k) => ({ ...k, config: cfg })) })).payload as WgslPayload : { built: b0 };
      const s = await createSession(gpu, built.built.plan, built.built.weights.slice().buffer, built.built.shaderCode);
      await s.ready;
      return s;
    };
    const inputs = Object.fromEntries(b0.plan.inputs.map((p, i) => [p.name, randomTensor('f32', p.shape, 11 + i, -1, 1).data as Float32Array]));
    const time = async (s: Session) => { const c0 = cpuMs(); await s.run(inputs, { timing: true }); return { gpu: s.lastTiming!.totalMs, cpu: cpuMs() - c0 }; };
    const first = await open(undefined);
    const ref = Object.values(await first.run(inputs))[0].data as Float32Array;
    first.destroy();
    /** Median ratios of `cfg` to the session `base` over n alternating pairs (and both configs' GPU ms). */
    const versus = async (base: Session, cfg: WgslConfig, n: number) => {
      const s = await open(cfg);
      try {
        const got = Object.values(await s.run(inputs))[0].data as Float32Array;
        let err = 0, scale = 0;
        for (let i = 0; i < ref.length; i++) { err = Math.max(err, Math.abs(got[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
        if (!(err <= 1e-5 * scale)) throw new Error(`${name}: ${JSON.stringify(cfg)} differs from the default by ${err} (scale ${scale})`);
        await s.run(inputs); await base.run(inputs);
        const rg: number[] = [], rc: number[] = [], gb: number[] = [], gv: number[] = [];
        for (let r = 0; r < n; r++) {
          // Which one runs first alternates, so neither is always the one after a pause.
          let a, v;
          if (r % 2) { a = await time(base); v = await time(s); } else { v = await time(s); a = await time(base); }
          rg.push(v.gpu / a.gpu); rc.push(v.cpu / a.cpu); gb.push(a.gpu); gv.push(v.gpu);
        }
        return { gpu: median(rg), cpu: median(rc), baseMs: median(gb), ms: median(gv) };
      } finally { s.destroy(); }
    };
    // The old space is session 3's: the base space without subgroup sharing (which session 4 made
    // part of the default rule and of the base space's tiled configs).
    const unshared = (x: WgslConfig): WgslConfig => ({ version: 1, stages: x.stages.map(({ bcast: _, ...st }) => st) });
    const space = [...new Map(wgslSpace(c.plan.kernels[0].func, c.plan.kernels[0].node, profile).map((x) => [JSON.stringify(unshared(x)), unshared(x)])).values()];
    const old = space;
    const fresh = wgslSpace(c.plan.kernels[0].func, c.plan.kernels[0].node, profile, { extended: true }).filter((x) => x.stages.some(isNew));
    const t0 = performance.now();
    // 1. old space: default + random old configs against the default.
    const dflt = await open(space[0]);
    const oldScores: [WgslConfig, number][] = [[space[0], 1]];
    for (const cfg of pick(old.slice(1), arg('old', 24), 7)) oldScores.push([cfg, (await versus(dflt, cfg, 5)).gpu]);
    dflt.destroy();
    oldScores.sort((x, y) => x[1] - y[1]);
    const bestOld = oldScores[0][0];
    // 2. new space: variants of the two best old configs + random new configs, against the best old.
    const key = (x: WgslConfig) => JSON.stringify(x);
    // The new knobs around an old config (its split dropped: sharing excludes it).
    const strip = (st: StageConfig) => key({ version: 1, stages: [{ ...st, bcast: undefined, lane: undefined, kunroll: undefined, split: undefined }] });
    const near = (o: WgslConfig) => fresh.filter((x) => x.stages.every((st, i) => strip(st) === strip(o.stages[i])));
    const tried = new Map<string, WgslConfig>();
    for (const cfg of [...near(space[0]), ...near(oldScores[0][0]), ...(oldScores[1] ? near(oldScores[1][0]) : []), ...pick(fresh, arg('new', 12), 11)]) tried.set(key(cfg), cfg);
    const base = await open(bestOld);
    let newScores: [WgslConfig, number][] = [];
    for (const cfg of tried.values()) newScores.push([cfg, (await versus(base, cfg, 5)).gpu]);
    const screened = newScores.length;
    newScores.sort((x, y) => x[1] - y[1]);
    // The three best screened again with more pairs (the least of 5-pair medians flatters).
    const again: [WgslConfig, number][] = [];
    for (const [cfg] of newScores.slice(0, 3)) again.push([cfg, (await versus(base, cfg, 9)).gpu]);
    newScores = again.sort((x, y) => x[1] - y[1]);
    // 3. head to head.
    const head = newScores.length ? await versus(base, newScores[0][0], arg('pairs', 21)) : undefined;
    base.destroy();
    const load = loadavg()[0].toFixed(1);
    console.log(`${name}: old space ${old.length} configs (timed ${oldScores.length}), new ${fresh.length} (timed ${screened}), ${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load}`);
    console.log(`  best old (${oldScores[0][1].toFixed(3)}× default): ${JSON.stringify(bestOld.stages)}`);
    if (head) {
      console.log(`  best new: ${JSON.stringify(newScores[0][0].stages)}`);
      console.log(`  new/old: GPU ${head.gpu.toFixed(3)}× CPU ${head.cpu.toFixed(3)}× (old ${head.baseMs.toFixed(2)} ms, new ${head.ms.toFixed(2)} ms GPU, median of ${arg('pairs', 21)} pairs)`);
    }
  }
}

await main();
