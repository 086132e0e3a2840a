// The calibration set: samples (one tensor per graph input) read from a folder of .npy files, or
// generated when none is given — which the CLI and report.json then say loudly, because ranges from
// random inputs are not the ranges of real data.
//
// Folder layouts (passes/quantize/README.md):
//   DIR/<sample>/<input>.npy      one subfolder per sample
//   DIR/<input>.npy               leading axis stacks samples ([N, …shape]); exactly the input's shape = 1 sample
//   DIR/*.npy                     single-input models only: any file names, one sample (or a stack) each
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../ir/graph/graph.ts';
import { Tensor } from '../ir/graph/tensor.ts';
import type { TensorMap } from '../runtime/interpreter.ts';
import { readNpy } from '../runtime/npy.ts';
import { completeInputs, INPUT_SEED } from '../driver/inputs.ts';
import { FileError, InputError } from '../util/errors.ts';

export interface CalibSet {
  readonly samples: readonly TensorMap[];
  readonly source: 'dir' | 'generated';
  readonly dir?: string;
  /** Set for generated samples: the loud warning the CLI prints and the report carries. */
  readonly warning?: string;
}

export const GENERATED_WARNING =
  'WARNING: no --calib DIR given: activation ranges were calibrated on GENERATED random inputs, not real data; accuracy on real inputs may be worse';

/** `count` seeded random samples (seeds disjoint from `tscc run`'s default inputs). */
export function generatedCalib(graph: Graph, count = 8, seed = INPUT_SEED + 1000): CalibSet {
  const samples = Array.from({ length: count }, (_, i) => completeInputs(graph, {}, seed + 97 * i));
  return { samples, source: 'generated', warning: GENERATED_WARNING };
}

export function loadCalibDir(dir: string, graph: Graph, limit = 64): CalibSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FileError(`${dir}: the calibration folder does not exist`);
  const entries = readdirSync(dir).sort();
  const subdirs = entries.filter((e) => statSync(join(dir, e)).isDirectory());
  const files = entries.filter((e) => e.endsWith('.npy'));
  let samples: TensorMap[];
  if (subdirs.length) {
    samples = subdirs.slice(0, limit).map((s) => readSample(join(dir, s), graph)); // a large folder: read only what is used
  } else if (graph.inputs.every((v) => files.includes(`${v.name}.npy`))) {
    const stacks = graph.inputs.map((v) => split(readNpy(join(dir, `${v.name}.npy`)), graph, v.name));
    const n = stacks[0].length;
    if (stacks.some((s) => s.length !== n)) throw new InputError(`${dir}: the input files stack different numbers of samples`);
    samples = Array.from({ length: n }, (_, i) => Object.fromEntries(graph.inputs.map((v, k) => [v.name, stacks[k][i]])));
  } else if (graph.inputs.length === 1 && files.length) {
    const name = graph.inputs[0].name;
    samples = [];
    for (const f of files) {
      if (samples.length >= limit) break; // a large folder: read only what is used
      samples.push(...split(readNpy(join(dir, f)), graph, name).map((t) => ({ [name]: t })));
    }
  } else {
    throw new InputError(`${dir}: no calibration samples (expected <sample>/<input>.npy subfolders or ${graph.inputs.map((v) => `${v.name}.npy`).join(', ')})`);
  }
  if (samples.length === 0) throw new InputError(`${dir}: the calibration folder holds no samples`);
  return { samples: samples.slice(0, limit).map((s) => completeInputs(graph, s)), source: 'dir', dir };
}

function readSample(path: string, graph: Graph): TensorMap {
  const out: TensorMap = {};
  for (const v of graph.inputs) {
    const f = join(path, `${v.name}.npy`);
    if (!existsSync(f)) throw new InputError(`${path}: missing ${v.name}.npy for input "${v.name}"`);
    out[v.name] = readNpy(f);
  }
  return out;
}

/** One sample if the tensor has the input's rank, else the leading axis stacks samples. */
function split(t: Tensor, graph: Graph, input: string): Tensor[] {
  const rank = graph.inputs.find((v) => v.name === input)!.type.shape.length;
  if (t.rank === rank) return [t];
  if (t.rank !== rank + 1) throw new InputError(`calibration file for "${input}" has shape [${t.shape}]; expected rank ${rank} (one sample) or ${rank + 1} (stacked)`);
  const shape = t.shape.slice(1), per = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: t.shape[0] }, (_, i) => new Tensor(t.dtype, shape, t.data.slice(i * per, (i + 1) * per)));
}
