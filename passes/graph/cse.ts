// Common-subexpression elimination: nodes with the same op, attributes and (already merged) inputs
// compute the same values, so later ones alias the first; small constants with equal contents merge
// first so that nodes reading copies of one scalar become equal too.
import type { Attr } from '../../src/ir/graph/attrs.ts';
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { GraphPass } from '../pass.ts';
import { rewriteGraph, type Rule } from './rewrite.ts';

/** Constants up to this many elements are compared by content. */
const CONST_LIMIT = 1024;
/** Ops that must not merge: their results differ between calls. */
const IMPURE = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial']);

function attrKey(a: Attr): string | undefined {
  if (a.kind === 'graph') return undefined;
  if (a.kind === 'tensor') return `${a.value.dtype}[${a.value.shape}]:${a.value.toNumbers().join(',')}`;
  return JSON.stringify(a.value);
}

function nodeKey(n: Parameters<Rule>[0]): string | undefined {
  if (IMPURE.has(n.op) || n.body) return undefined;
  const attrs: string[] = [];
  for (const k of Object.keys(n.attrs ?? {}).sort()) {
    const s = attrKey(n.attrs![k]);
    if (s === undefined) return undefined;
    attrs.push(`${k}=${s}`);
  }
  return `${n.domain ?? ''}.${n.op}(${n.inputs.join(',')}){${attrs.join(';')}}#${n.outputs.length}`;
}

function duplicateConstants(g: Graph): Map<string, string> {
  const first = new Map<string, string>();
  const alias = new Map<string, string>();
  const outputs = new Set(g.outputs.map((v) => v.name));
  for (const c of g.constants) {
    const t = c.constant!;
    if (t.size > CONST_LIMIT || outputs.has(c.name)) continue;
    const raw = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const key = `${t.dtype}[${t.shape}]:${raw.toString('base64')}`;
    const f = first.get(key);
    if (f) alias.set(c.name, f); else first.set(key, c.name);
  }
  return alias;
}

export const csePass: GraphPass = {
  name: 'cse',
  doc: 'merge equal constants and nodes computing the same thing',
  run: (g) => {
    const seen = new Map<string, readonly string[]>();
    const rule: Rule = (n) => {
      const key = nodeKey(n);
      if (key === undefined) return undefined;
      const prev = seen.get(key);
      if (!prev) { seen.set(key, n.outputs); return undefined; }
      return { alias: Object.fromEntries(n.outputs.map((o, k) => [o, prev[k]]).filter(([o]) => o !== '')) };
    };
    return rewriteGraph(g, rule, { alias: duplicateConstants(g) });
  },
};
