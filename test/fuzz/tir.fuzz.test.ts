// Fuzzes the .tir parser and the verifier with 2,000 seeded mutations of the fixtures (which cover
// every construct of the text form). Whatever the input, the only acceptable failures are coded
// TsccErrors, parse errors carry file:line:column, each input takes well under a second, and any
// mutant that does parse still round-trips: print → parse → print is identical.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';
import { printModule } from '../../src/ir/tensor/print.ts';
import { parseTir } from '../../src/ir/tensor/text/parser.ts';
import { verifyFunc } from '../../src/ir/tensor/verify.ts';
import { rng } from '../../src/runtime/random.ts';
import { ParseError, TsccError } from '../../src/util/errors.ts';

const VARIANTS = 2000;
const SEED = 0x7172;
const LIMIT_MS = 1000;

const FIXTURES = fileURLToPath(new URL('../ir/tensor/fixtures/', import.meta.url));
const SEEDS = readdirSync(FIXTURES).filter((f) => f.endsWith('.tir')).sort()
  .map((f) => ({ name: f, text: readFileSync(join(FIXTURES, f), 'utf8') }));

/** Tokens worth splicing in: the grammar's words and symbols, names that mean something, edge numbers. */
const VOCAB = [
  'func', 'for', 'in', 'range', 'alloc', 'if', 'else', 'barrier', 'intrin', 'unroll', 'vectorize', 'parallel', 'bind',
  '(', ')', '[', ']', '{', '}', ',', ':', ';', '=', '->', '+', '-', '*', '/', '//', '%', '<', '<=', '>', '>=', '==', '!=',
  '&&', '||', '!', '#', 'f32', 'f16', 'bf16', 'i64', 'i32', 'i8', 'u8', 'bool', 'f8e4m3', 'shared', 'local', 'global',
  'scratchpad', 'accumulator', 'threadIdx.x', 'threadIdx.w', 'blockIdx.y', 'select', 'min', 'max', 'pow', 'exp', 'isnan',
  'matmul_tile', 'mac', 'inf', 'nan', '0', '1', '-1', '2147483648', '99999999999999999999', '1e999', '0.5', '1.', '.5e-3',
  'i', 'j', 'A', 'C', 'S', 'x.y', '_',
];
const CHARS = '{}[]();,:.-+*/%!<>=&|#_ \n\t0123456789eEabcfijnxABCSXYZ@$"\'\\';

/** Words that may stand for each other: swapping them keeps the text parseable but can break the
 * verifier's rules (a scope, a thread axis, a loop kind, a size), which is what reaches the verifier. */
const CLASSES = [
  ['shared', 'local', 'global', 'scratchpad', 'accumulator'],
  ['blockIdx.x', 'blockIdx.y', 'blockIdx.z', 'threadIdx.x', 'threadIdx.y', 'threadIdx.z'],
  ['unroll', 'vectorize', 'parallel', 'bind threadIdx.x', 'bind blockIdx.y'],
  ['0', '1', '2', '3', '4', '16', '31', '1024', '2048'],
];

type Mutation = (text: string, r: () => number) => [string, string];
const at = (r: () => number, n: number) => Math.floor(r() * n);
const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[at(r, xs.length)];

/** Token spans of a text: words (with dots), numbers, two-char operators, single characters. */
function tokens(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(/[A-Za-z_][\w.]*|\d+\.?\d*(?:[eE][+-]?\d+)?|\/\/|->|[<>=!]=|&&|\|\||\S/g)) out.push([m.index!, m.index! + m[0].length]);
  return out;
}

const MUTATIONS: Record<string, Mutation> = {
  charInsert: (t, r) => { const p = at(r, t.length + 1), c = pick(r, [...CHARS]); return [t.slice(0, p) + c + t.slice(p), `insert ${JSON.stringify(c)} at ${p}`]; },
  charDelete: (t, r) => { const p = at(r, t.length); return [t.slice(0, p) + t.slice(p + 1), `delete char at ${p}`]; },
  charReplace: (t, r) => { const p = at(r, t.length), c = pick(r, [...CHARS]); return [t.slice(0, p) + c + t.slice(p + 1), `replace char at ${p} by ${JSON.stringify(c)}`]; },
  tokenInsert: (t, r) => {
    const [s] = pick(r, tokens(t)), w = pick(r, VOCAB);
    return [`${t.slice(0, s)}${w} ${t.slice(s)}`, `insert token ${w} at ${s}`];
  },
  tokenDelete: (t, r) => { const [s, e] = pick(r, tokens(t)); return [t.slice(0, s) + t.slice(e), `delete token ${t.slice(s, e)} at ${s}`]; },
  tokenReplace: (t, r) => {
    const [s, e] = pick(r, tokens(t)), w = pick(r, VOCAB);
    return [t.slice(0, s) + w + t.slice(e), `replace token ${t.slice(s, e)} at ${s} by ${w}`];
  },
  swapWord: (t, r) => {
    const spans = tokens(t).filter(([s, e]) => CLASSES.some((c) => c.includes(t.slice(s, e))));
    if (spans.length === 0) return [t, 'no word to swap'];
    const [s, e] = pick(r, spans), w = pick(r, CLASSES.find((c) => c.includes(t.slice(s, e)))!);
    return [t.slice(0, s) + w + t.slice(e), `swap ${t.slice(s, e)} at ${s} for ${w}`];
  },
  truncate: (t, r) => { const p = at(r, t.length); return [t.slice(0, p), `truncate at ${p}`]; },
  lineSwap: (t, r) => {
    const ls = t.split('\n'), a = at(r, ls.length), b = at(r, ls.length);
    [ls[a], ls[b]] = [ls[b], ls[a]];
    return [ls.join('\n'), `swap lines ${a + 1} and ${b + 1}`];
  },
  lineDuplicate: (t, r) => {
    const ls = t.split('\n'), a = at(r, ls.length);
    ls.splice(a, 0, ls[a]);
    return [ls.join('\n'), `duplicate line ${a + 1}`];
  },
};

// Word swaps are weighted up: most other mutations end in a syntax error and never reach the verifier.
const PICKS = [...Object.keys(MUTATIONS), 'swapWord', 'swapWord', 'swapWord'];

function variant(r: () => number): { text: string; how: string } {
  const seed = pick(r, SEEDS);
  let text = seed.text;
  const hows = [seed.name];
  const n = 1 + at(r, 3);
  for (let k = 0; k < n; k++) {
    const name = pick(r, PICKS);
    const [next, how] = MUTATIONS[name](text, r);
    text = next;
    hows.push(how);
  }
  return { text, how: hows.join('; ') };
}

type Outcome = 'parsed' | 'parse error' | 'verify error';

function attempt(text: string, file: string): Outcome {
  let fs;
  try {
    fs = parseTir(text, file);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    const positioned = e.message.startsWith(`${file}:`) && /^[^:]+:\d+:\d+: /.test(e.message);
    if (!positioned && e.message !== `${file}: input nests too deeply to parse`) throw new Error(`unpositioned parse error: ${e.message}`);
    return 'parse error';
  }
  const printed = printModule(fs);
  const again = printModule(parseTir(printed, `${file} (reprinted)`));
  if (again !== printed) throw new Error(`print → parse → print differs:\n${printed}\n---\n${again}`);
  try {
    for (const f of fs) verifyFunc(f);
  } catch (e) {
    if (e instanceof TsccError) return 'verify error';
    throw e;
  }
  return 'parsed';
}

it(`${VARIANTS} mutated .tir files fail only with coded, positioned errors, each within ${LIMIT_MS} ms`, () => {
  const r = rng(SEED);
  const counts: Record<Outcome, number> = { parsed: 0, 'parse error': 0, 'verify error': 0 };
  const bad: string[] = [];
  const consoleError = vi.spyOn(console, 'error'); // antlr's default listeners print there
  for (let id = 0; id < VARIANTS; id++) {
    const { text, how } = variant(r);
    const file = `v${id}.tir`;
    const t0 = performance.now();
    try {
      counts[attempt(text, file)]++;
    } catch (e) {
      bad.push(`${file} (${how}): ${e instanceof TsccError ? `${e.code} ${e.message}` : String((e as Error).stack ?? e)}`);
      continue;
    }
    const ms = performance.now() - t0;
    if (ms > LIMIT_MS) bad.push(`${file} (${how}): took ${ms.toFixed(0)} ms`);
  }
  expect(bad).toEqual([]);
  expect(consoleError).not.toHaveBeenCalled();
  // The mutations must reach every outcome, or the fuzzer is not exercising the parser.
  expect(counts.parsed).toBeGreaterThan(20);
  expect(counts['verify error']).toBeGreaterThan(20);
  expect(counts['parse error']).toBeGreaterThan(VARIANTS / 2);
}, 600_000);
