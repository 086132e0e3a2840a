// Einsum equations: parsing into one label list per operand and for the output, shared by the
// shape rule and the reference kernel. Ellipsis dims become labels ".0", ".1", … numbered so that
// they align from the right across operands, which is how numpy (and ONNX) broadcast them.
import type { Fail } from './nn-window.ts';

export interface EinsumSpec {
  /** Labels of each operand, one per dim (repeats mean a diagonal). */
  readonly inputs: readonly (readonly string[])[];
  /** Labels of the output, one per dim, all distinct. */
  readonly output: readonly string[];
}

const ELLIPSIS = '...';
const LETTER = /^[A-Za-z]$/;

interface Term { readonly letters: string[]; readonly ellipsisAt: number }

function parseTerm(t: string, fail: Fail): Term {
  const at = t.indexOf(ELLIPSIS);
  if (at >= 0 && t.indexOf(ELLIPSIS, at + 1) >= 0) fail(`einsum term "${t}" has more than one ellipsis`);
  const body = at >= 0 ? t.slice(0, at) + t.slice(at + ELLIPSIS.length) : t;
  const letters = [...body];
  for (const ch of letters) if (!LETTER.test(ch)) fail(`einsum term "${t}" has an invalid character "${ch}"`);
  return { letters, ellipsisAt: at >= 0 ? [...t.slice(0, at)].length : -1 };
}

function expand(term: Term, ellipsisDims: number, total: number): string[] {
  if (term.ellipsisAt < 0) return term.letters;
  const dots = Array.from({ length: ellipsisDims }, (_, j) => `.${total - ellipsisDims + j}`);
  return [...term.letters.slice(0, term.ellipsisAt), ...dots, ...term.letters.slice(term.ellipsisAt)];
}

/** Parses `equation` for operands of the given ranks. */
export function parseEinsum(equation: string, ranks: readonly number[], fail: Fail): EinsumSpec {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 2) >= 0) fail(`einsum equation "${equation}" has more than one "->"`);
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',').map((t) => parseTerm(t, fail));
  if (terms.length !== ranks.length) fail(`einsum equation "${equation}" has ${terms.length} operands, the node has ${ranks.length} inputs`);

  let total = 0;
  const ellDims = terms.map((t, i) => {
    const e = ranks[i] - t.letters.length;
    if (t.ellipsisAt < 0 ? e !== 0 : e < 0) fail(`einsum term ${i} names ${t.letters.length} dims, the operand has rank ${ranks[i]}`);
    total = Math.max(total, t.ellipsisAt < 0 ? 0 : e);
    return e;
  });
  const inputs = terms.map((t, i) => expand(t, ellDims[i], total));

  let output: string[];
  if (arrow >= 0) {
    const o = parseTerm(eq.slice(arrow + 2), fail);
    output = expand(o, total, total);
    const seen = new Set(inputs.flat());
    for (const l of o.letters) if (!seen.has(l)) fail(`einsum output label "${l}" does not occur in any input`);
    if (new Set(output).size !== output.length) fail(`einsum output "${eq.slice(arrow + 2)}" repeats a label`);
    if (o.ellipsisAt < 0 && total > 0) {
      // numpy allows dropping the ellipsis from the output only when its dims are summed away; ONNX
      // exporters never emit that, so reject rather than guess.
      fail(`einsum output "${eq.slice(arrow + 2)}" omits the ellipsis of its inputs`);
    }
  } else {
    // Implicit output: the broadcast dims, then letters that occur once, in alphabetical order.
    const count = new Map<string, number>();
    for (const l of inputs.flat()) if (!l.startsWith('.')) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([, n]) => n === 1).map(([l]) => l).sort();
    output = [...Array.from({ length: total }, (_, j) => `.${j}`), ...once];
  }
  return { inputs, output };
}
