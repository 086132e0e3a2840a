// Text form of the graph IR, for `tscc inspect` and golden tests. One line per value or node:
//   in    x: f32[N,3,224,224]
//   const w: f32[64,3,7,7]
//   conv1: y = Conv(x, w, b) {pads=[1,1,1,1], strides=[2,2]} : f32[N,64,112,112]
//   out   y
import { formatAttr } from './attrs.ts';
import { dtypeInfo } from './dtype.ts';
import type { Graph, Node, TensorType } from './graph.ts';
import type { Tensor } from './tensor.ts';

export function formatType(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}

function formatConst(t: Tensor): string {
  if (t.size > 8) return '';
  const v = t.toNumbers().map((x) => (Number.isInteger(x) ? String(x) : x.toPrecision(6)));
  return ` = ${t.rank === 0 ? v[0] : `[${v.join(', ')}]`}`;
}

export function formatNode(n: Node, indent = '  '): string {
  const attrs = Object.keys(n.attrs).sort().map((k) => `${k}=${formatAttr(n.attrs[k])}`);
  const extras = [n.target && `target=${n.target}`, n.quant && `quant=${n.quant.precision}`].filter(Boolean);
  const braces = attrs.length ? ` {${attrs.join(', ')}}` : '';
  const op = n.domain ? `${n.domain}.${n.op}` : n.op;
  const head = `${indent}${n.name}: ${n.outputs.map((o) => o.name).join(', ')} = ${op}(${n.inputs.map((i) => i?.name ?? '_').join(', ')})`;
  let s = `${head}${braces} : ${n.outputs.map((o) => formatType(o.type)).join(', ')}${extras.length ? `  [${extras.join(' ')}]` : ''}`;
  for (const [k, a] of Object.entries(n.attrs)) if (a.kind === 'graph') s += `\n${indent}  ${k}:\n${printGraph(a.value, indent + '    ')}`;
  if (n.body) s += `\n${indent}  body:\n${printGraph(n.body, indent + '    ')}`;
  return s;
}

export function printGraph(g: Graph, indent = ''): string {
  const lines = [`${indent}graph "${g.name}" opset=${g.opset}`];
  for (const v of g.inputs) lines.push(`${indent}  in    ${v.name}: ${formatType(v.type)}`);
  for (const v of g.captures) lines.push(`${indent}  outer ${v.name}: ${formatType(v.type)}`);
  for (const v of g.constants) lines.push(`${indent}  const ${v.name}: ${formatType(v.type)}${formatConst(v.constant!)}`);
  for (const n of g.nodes) lines.push(formatNode(n, indent + '  '));
  for (const v of g.outputs) lines.push(`${indent}  out   ${v.name}`);
  return lines.join('\n');
}

export interface GraphStats {
  nodes: number;
  params: number;
  paramBytes: number;
  ops: Record<string, number>;
}

export function graphStats(g: Graph): GraphStats {
  let params = 0, paramBytes = 0;
  for (const c of g.constants) { params += c.constant!.size; paramBytes += c.constant!.size * dtypeInfo(c.constant!.dtype).bytes; }
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  return { nodes: g.nodes.length, params, paramBytes, ops };
}

export function formatStats(s: GraphStats): string {
  const ops = Object.entries(s.ops).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}×${v}`).join(' ');
  return `# ${s.nodes} nodes, ${s.params.toLocaleString('en-US')} parameters (${(s.paramBytes / 1e6).toFixed(2)} MB)\n# ops: ${ops}`;
}
