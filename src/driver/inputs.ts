// Inputs for a run: given .npy files first, the rest drawn from a fixed seed, with symbolic dims
// bound by --shape or by the files given.
import { InputError, UsageError } from '../util/errors.ts';
import type { Graph } from '../ir/graph/graph.ts';
import type { Tensor } from '../ir/graph/tensor.ts';
import type { TensorMap } from '../runtime/interpreter.ts';
import { readNpy } from '../runtime/npy.ts';
import { randomTensor } from '../runtime/random.ts';
import { castTensor } from '../runtime/kernels/elementwise.ts';

export const INPUT_SEED = 20261122;

/** Parses `NAME=FILE.npy` flags into tensors. */
export function readInputFlags(flags: readonly string[]): TensorMap {
  const out: TensorMap = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input expects NAME=FILE.npy, got "${f}"`);
    out[f.slice(0, eq)] = readNpy(f.slice(eq + 1));
  }
  return out;
}

/** Fills in every graph input not given, with seeded random values (never all zeros). */
export function completeInputs(graph: Graph, given: TensorMap, seed = INPUT_SEED): TensorMap {
  const out: TensorMap = {};
  const symbols = new Map<string, number>();
  for (const v of graph.inputs) {
    const t = given[v.name];
    if (!t) continue;
    if (t.rank !== v.type.shape.length) throw new InputError(`input "${v.name}" must have rank ${v.type.shape.length}, the file has shape [${t.shape}]`);
    v.type.shape.forEach((d, i) => { if (typeof d === 'string') symbols.set(d, t.shape[i]); });
    // Numeric files of another type are converted (e.g. float64 .npy from NumPy for an f32 input).
    out[v.name] = t.dtype === v.type.dtype ? t : castTensor(t, v.type.dtype);
  }
  for (const k of Object.keys(given)) {
    if (!graph.inputs.some((v) => v.name === k)) throw new InputError(`unknown input "${k}" (the model's inputs: ${graph.inputs.map((v) => v.name).join(', ')})`);
  }
  graph.inputs.forEach((v, i) => {
    if (out[v.name]) return;
    const shape = v.type.shape.map((d) => {
      if (typeof d === 'number') return d;
      const s = symbols.get(d);
      if (s === undefined) throw new UsageError(`input "${v.name}" has a symbolic dimension "${d}": bind it with --shape ${v.name}=… or give --input ${v.name}=FILE.npy`);
      return s;
    });
    const range: [number, number] = v.type.dtype === 'bool' ? [0, 2] : /^[iu]/.test(v.type.dtype) ? [0, 8] : [-1, 1];
    out[v.name] = randomTensor(v.type.dtype, shape, seed + i, range[0], range[1]) as Tensor;
  });
  return out;
}

/** Parses `NAME=d0,d1,…` flags. */
export function parseShapeFlags(flags: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const f of flags) {
    const m = /^([^=]+)=(\d+(?:,\d+)*)$/.exec(f);
    if (!m) throw new UsageError(`--shape expects NAME=d0,d1,… (e.g. x=1,3,224,224), got "${f}"`);
    out[m[1]] = m[2].split(',').map(Number);
  }
  return out;
}
