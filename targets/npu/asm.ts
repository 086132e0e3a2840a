// Assembly text ⇄ instructions. One instruction per line:
//   <mnemonic>[.<vector fn>] c<core> <dtype> [flags=<n>] <field>=<value> …   ; comment
// Every field of the opcode is printed, so disassemble → assemble → encode is bit-exact.
import { DT, DT_NAMES, type Binary, type Instr, MNEMONIC, Op, VF, VF_NAMES, fieldsOf } from './isa.ts';

export class AsmError extends Error {
  constructor(readonly line: number, reason: string) { super(`line ${line}: ${reason}`); }
}

const fmt = (v: number, float?: boolean): string => (float ? String(v) : v < 0 || v < 4096 ? String(v) : '0x' + v.toString(16));

export function formatInstr(ins: Instr): string {
  const mn = ins.op === Op.VEC ? `vec.${VF_NAMES[ins.fn]}` : MNEMONIC[ins.op];
  const parts = [mn, `c${ins.core}`, DT_NAMES[ins.dt]];
  if (ins.flags) parts.push(`flags=${ins.flags}`);
  for (const fl of fieldsOf(ins.op, ins.fn)) parts.push(`${fl.name}=${fmt(ins.a[fl.name] ?? 0, fl.float)}`);
  return parts.join(' ');
}

/** Disassembly with a header line; `comments[i]` (e.g. the layer) is appended to instruction i. */
export function disassemble(p: Binary, comments?: ReadonlyMap<number, string>): string {
  const lines = [`.cores ${p.cores}`];
  p.instrs.forEach((ins, i) => {
    const c = comments?.get(i);
    if (c) lines.push(`; ${c}`);
    lines.push(formatInstr(ins));
  });
  return lines.join('\n') + '\n';
}

const BY_MNEMONIC = new Map(Object.entries(MNEMONIC).map(([k, v]) => [v, Number(k)]));

function parseNumber(s: string, line: number): number {
  const v = /^-?0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : Number(s);
  if (s === '' || Number.isNaN(v) && s !== 'NaN') throw new AsmError(line, `bad number "${s}"`);
  return v;
}

export function parseInstr(text: string, line: number): Instr {
  const toks = text.trim().split(/\s+/);
  const [mn, coreTok, dtTok, ...rest] = toks;
  let op: number, fn = 0;
  if (mn.startsWith('vec.')) {
    op = Op.VEC;
    const name = mn.slice(4).toUpperCase();
    if (!(name in VF)) throw new AsmError(line, `unknown vector function "${mn.slice(4)}"`);
    fn = VF[name as keyof typeof VF];
  } else {
    const o = BY_MNEMONIC.get(mn);
    if (o === undefined) throw new AsmError(line, `unknown mnemonic "${mn}"`);
    op = o;
  }
  if (!/^c\d+$/.test(coreTok ?? '')) throw new AsmError(line, `expected core "c<n>", got "${coreTok ?? ''}"`);
  if (!dtTok || !(dtTok in DT)) throw new AsmError(line, `expected a data type (${DT_NAMES.join('|')}), got "${dtTok ?? ''}"`);
  const fields = fieldsOf(op, fn);
  const a: Record<string, number> = {};
  let flags = 0;
  for (const t of rest) {
    const eq = t.indexOf('=');
    if (eq < 0) throw new AsmError(line, `expected field=value, got "${t}"`);
    const k = t.slice(0, eq), v = parseNumber(t.slice(eq + 1), line);
    if (k === 'flags') { flags = v; continue; }
    if (!fields.some((fl) => fl.name === k)) throw new AsmError(line, `${mn} has no field "${k}"`);
    a[k] = v;
  }
  for (const fl of fields) a[fl.name] ??= 0;
  return { op, core: Number(coreTok.slice(1)), flags, dt: DT[dtTok as keyof typeof DT], fn, a };
}

export function assemble(text: string): Binary {
  let cores = 1;
  const instrs: Instr[] = [];
  text.split('\n').forEach((raw, i) => {
    const s = raw.replace(/;.*$/, '').trim();
    if (!s) return;
    if (s.startsWith('.cores')) { cores = parseNumber(s.split(/\s+/)[1] ?? '', i + 1); return; }
    instrs.push(parseInstr(s, i + 1));
  });
  return { cores, instrs };
}
