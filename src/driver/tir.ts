// Tensor IR files as first-class inputs: `tscc inspect K.tir` and `tscc run K.tir --target ref`.
import { readFileSync } from 'node:fs';
import { FileError, InputError, UsageError } from '../util/errors.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { parseTir } from '../ir/tensor/text/parser.ts';
import { verifyFunc } from '../ir/tensor/verify.ts';
import { runFunc } from '../ir/tensor/interp/run.ts';
import type { Tensor } from '../ir/graph/tensor.ts';
import type { TensorMap } from '../runtime/interpreter.ts';
import { randomTensor } from '../runtime/random.ts';
import { castTensor } from '../runtime/kernels/elementwise.ts';
import { INPUT_SEED } from './inputs.ts';

export function isTirFile(path: string): boolean { return path.endsWith('.tir'); }

export function loadTir(path: string): PrimFunc[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new FileError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const funcs = parseTir(text, path);
  for (const f of funcs) verifyFunc(f);
  return funcs;
}

/** Picks the function to run: the named one, or the only one. */
export function pickFunc(funcs: PrimFunc[], name: string | undefined, file: string): PrimFunc {
  if (name) return funcs.find((f) => f.name === name) ?? (() => { throw new UsageError(`${file}: no function "${name}" (functions: ${funcs.map((f) => f.name).join(', ')})`); })();
  if (funcs.length !== 1) throw new UsageError(`${file} has ${funcs.length} functions: choose one with --func (${funcs.map((f) => f.name).join(', ')})`);
  return funcs[0];
}

/** Runs one function on the Tensor IR interpreter; inputs not given are seeded random. */
export function runTirFunc(f: PrimFunc, given: TensorMap): TensorMap {
  for (const k of Object.keys(given)) {
    if (!f.inputs.some((b) => b.name === k)) throw new InputError(`unknown input "${k}" (the function's inputs: ${f.inputs.map((b) => b.name).join(', ')})`);
  }
  const inputs: Tensor[] = f.inputs.map((b, i) => {
    const t = given[b.name];
    if (!t) return randomTensor(b.dtype, b.shape, INPUT_SEED + i, /^[iu]/.test(b.dtype) ? 0 : -1, /^[iu]/.test(b.dtype) ? 8 : 1);
    if (t.shape.length !== b.shape.length || t.shape.some((d, k) => d !== b.shape[k])) {
      throw new InputError(`input "${b.name}" must have shape [${b.shape}], the file has [${t.shape}]`);
    }
    return t.dtype === b.dtype ? t : castTensor(t, b.dtype);
  });
  const outs = runFunc(f, inputs);
  return Object.fromEntries(f.outputs.map((b, i) => [b.name, outs[i]]));
}
