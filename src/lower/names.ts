// Identifiers of one lowered function. Graph value names ("/layer1/conv/Conv_output_0", "onnx::Add_7")
// become identifiers the Tensor IR text accepts, distinct from the text's keywords, type and
// function names, and from the loop variables lowering creates (i0, i1 … and the reduction axes),
// so printing and parsing back never confuses a buffer with anything else.
import { ALL_DTYPES } from '../ir/graph/dtype.ts';
import { MATH_FUNCS } from '../ir/tensor/expr.ts';
import { SCOPES } from '../ir/tensor/buffer.ts';
import { THREAD_AXES } from '../ir/tensor/stmt.ts';

const RESERVED = new Set<string>([
  ...ALL_DTYPES, ...MATH_FUNCS, ...SCOPES, ...THREAD_AXES.map((a) => a.split('.')[0]),
  'func', 'for', 'in', 'range', 'alloc', 'if', 'else', 'select', 'barrier', 'intrin', 'bind', 'unroll',
  'vectorize', 'parallel', 'serial', 'min', 'max', 'pow', 'nan', 'inf', 'true', 'false',
]);

/** Spatial loop variables (i0, i1 …) are shared by every stage, so no buffer may take their names. */
const LOOP_VAR = /^i\d+$/;

export function sanitize(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '').replace(/_+$/, '').replace(/__+/g, '_');
  if (s === '') s = 'v';
  if (/^[0-9]/.test(s)) s = `v${s}`;
  if (RESERVED.has(s) || LOOP_VAR.test(s)) s = `${s}_`;
  return s;
}

/** One namespace per function: every name handed out is unique in it. */
export class BufferNames {
  private readonly used = new Set<string>();

  /** A buffer name derived from `hint`. */
  take(hint: string): string { return this.claim(sanitize(hint)); }

  /** A loop-variable name derived from `hint` (already a valid identifier). */
  takeVar(hint: string): string { return this.claim(hint); }

  private claim(base: string): string {
    let s = base;
    for (let k = 1; this.used.has(s); k++) s = `${base}_${k}`;
    this.used.add(s);
    return s;
  }
}
