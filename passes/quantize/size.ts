// Model size as deployed: every constant of the graph and of the fused bodies, with 4-bit types
// counted packed (two per byte, as ONNX stores them; in memory the IR keeps one per byte).
import type { Graph } from '../../src/ir/graph/graph.ts';

export function modelBytes(g: Graph): number {
  let bytes = 0;
  for (const c of g.constants) {
    const t = c.constant!;
    bytes += t.dtype === 'i4' || t.dtype === 'u4' ? Math.ceil(t.size / 2) : t.byteLength;
  }
  for (const n of g.nodes) if (n.body) bytes += modelBytes(n.body);
  return bytes;
}
