// Child process of the frontend fuzz test: loads variants [from, to) and, when a variant loads and
// is small, runs it. Reports each variant's outcome over IPC; the parent watches for hangs.
import { loadOnnxBytes } from '../../src/frontend/onnx/import.ts';
import type { Graph } from '../../src/ir/graph/graph.ts';
import { isFloat } from '../../src/ir/graph/dtype.ts';
import { isConcrete } from '../../src/ir/graph/infer.ts';
import { sizeOf } from '../../src/ir/graph/tensor.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { TsccError } from '../../src/util/errors.ts';
import { fuzzSeeds } from './corpus.ts';
import { variant } from './mutate.ts';

export interface Report { id: number; seed: string; how: string; outcome: string; ms: number; crash?: string }

const MAX_INPUT = 1 << 14, MAX_VALUE = 1 << 18, MAX_TOTAL = 1 << 21;

/**
 * Run only graphs whose every value has a known, small size: the point is the frontend and the
 * kernels' handling of odd attributes, not big math (a mutated batch of 1000 is valid, just slow).
 */
function runnable(g: Graph): boolean {
  let total = 0;
  for (const v of g.values.values()) {
    if (!isConcrete(v.type.shape)) return false;
    const n = sizeOf(v.type.shape);
    total += n;
    if (n > MAX_VALUE || total > MAX_TOTAL) return false;
  }
  return g.inputs.every((v) => sizeOf(v.type.shape as number[]) <= MAX_INPUT);
}

function inputsFor(g: Graph): TensorMap {
  const out: TensorMap = {};
  g.inputs.forEach((v, i) => {
    const float = isFloat(v.type.dtype);
    out[v.name] = randomTensor(v.type.dtype, v.type.shape as number[], i + 1, float ? -1 : 0, float ? 1 : 3);
  });
  return out;
}

/** Symbolic input dims bound to small sizes (batch 1, other dims 32), so that such models run too. */
function boundShapes(g: Graph): Record<string, number[]> | undefined {
  if (g.inputs.every((v) => isConcrete(v.type.shape))) return undefined;
  return Object.fromEntries(g.inputs.map((v) => [v.name, v.type.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : 32))]));
}

export function attempt(bytes: Uint8Array): { outcome: string; crash?: string } {
  try {
    let { graph } = loadOnnxBytes(bytes);
    const shapes = boundShapes(graph);
    if (shapes) graph = loadOnnxBytes(bytes, { shapes }).graph;
    if (!runnable(graph)) return { outcome: 'loaded' };
    runGraph(graph, inputsFor(graph));
    return { outcome: 'ran' };
  } catch (e) {
    if (e instanceof TsccError && e.code && e.message) return { outcome: e.code };
    return { outcome: 'crash', crash: e instanceof Error ? e.stack ?? e.message : String(e) };
  }
}

async function main(from: number, to: number): Promise<void> {
  const seeds = fuzzSeeds(process.cwd());
  for (let id = from; id < to; id++) {
    const v = variant(seeds, id);
    const t0 = performance.now();
    const r = attempt(v.bytes);
    const report: Report = { id, seed: v.seed, how: v.how, ms: performance.now() - t0, ...r };
    process.send!(report);
    await new Promise(setImmediate); // let the report go out now, so the parent sees progress
  }
  process.send!('done', () => process.exit(0));
}

// Forked by the test (with an IPC channel); importing this file for `attempt` runs nothing.
if (process.send) {
  const [from, to] = process.argv.slice(2).map(Number);
  void main(from, to);
}
