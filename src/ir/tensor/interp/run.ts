// The Tensor IR interpreter: executes any PrimFunc, scheduled or not, and is the numerical
// specification every transform and backend is checked against.
//
//   runFunc(f, inputs)         inputs in f.inputs order → fresh outputs in f.outputs order
//   runFuncInPlace(f, params)  one tensor per parameter (inputs then outputs), written in place
//
// Semantics (compile.ts, expr-js.ts and values.ts hold the details): i32 arithmetic wraps,
// floordiv/floormod round toward −∞ and x/0 is 0 for integers, as in constant folding; f32 rounds
// after every operation; f16/bf16 compute in f32 and round on store and on a cast; `select`
// evaluates only the chosen operand. Loads and stores out of bounds throw a KernelError naming the
// buffer and indices. Bound thread loops run as cooperating threads in lock step between barriers.
// Outputs and allocations start poisoned (NaN or an extreme integer), never zero.
import { Tensor } from '../../graph/tensor.ts';
import { InputError } from '../../../util/errors.ts';
import type { Buffer } from '../buffer.ts';
import type { PrimFunc } from '../func.ts';
import { compileFunc } from './compile.ts';
import { poison } from './values.ts';

export { compileFunc, type CompiledFunc } from './compile.ts';
export { KernelError } from './runtime.ts';

function check(f: PrimFunc, b: Buffer, t: Tensor, role: string): void {
  const same = t.dtype === b.dtype && t.shape.length === b.shape.length && t.shape.every((d, i) => d === b.shape[i]);
  if (!same) {
    throw new InputError(`kernel ${f.name}: ${role} ${b.name} is ${b.dtype}[${b.shape.join(', ')}], ` +
      `given ${t.dtype}[${t.shape.join(', ')}]`);
  }
}

/** A fresh output tensor, poisoned so that elements the kernel never writes are visibly wrong. */
function freshOutput(b: Buffer): Tensor {
  const t = new Tensor(b.dtype, b.shape);
  (t.data as { fill(v: number | bigint): unknown }).fill(poison(b.dtype));
  return t;
}

/** Runs `f` on its inputs and returns its outputs. */
export function runFunc(f: PrimFunc, inputs: readonly Tensor[]): Tensor[] {
  if (inputs.length !== f.inputs.length) {
    throw new InputError(`kernel ${f.name} takes ${f.inputs.length} inputs, given ${inputs.length}`);
  }
  const outputs = f.outputs.map(freshOutput);
  runFuncInPlace(f, [...inputs, ...outputs]);
  return outputs;
}

/** Runs `f` on caller-provided tensors for every parameter; outputs are written in place. */
export function runFuncInPlace(f: PrimFunc, params: readonly Tensor[]): void {
  const decl = f.params;
  if (params.length !== decl.length) throw new InputError(`kernel ${f.name} has ${decl.length} parameters, given ${params.length}`);
  decl.forEach((b, i) => check(f, b, params[i], i < f.inputs.length ? 'input' : 'output'));
  compileFunc(f).run(params.map((t) => t.data));
}
