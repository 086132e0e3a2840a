// The lines `tscc compile --target hetero…` prints under its summary, from report.json's sections.
export function heteroSummary(report: Record<string, unknown>): string[] {
  const h = report.hetero as undefined | {
    system: string; segments: number; crossings: number; transfers: { count: number; bytes: number };
    placement: { method: string; nodes: Record<string, string>; greedyEstimatedMs: number; singleEstimatedMs: Record<string, number | string>;
      dp: { exact: boolean; gapBound: number } };
  };
  if (!h) return [];
  const per = new Map<string, number>();
  for (const d of Object.values(h.placement.nodes)) per.set(d, (per.get(d) ?? 0) + 1);
  const singles = Object.entries(h.placement.singleEstimatedMs).map(([d, v]) => `${d} ${typeof v === 'number' ? `${(v * 1e3).toFixed(1)} µs` : `n/a (${v})`}`);
  return [
    `system ${h.system}: ${[...per].map(([d, n]) => `${n} nodes on ${d}`).join(', ')}; ${h.segments} segments (placement: ${h.placement.method}, ` +
      `DP ${h.placement.dp.exact ? 'exact' : `gap ≤ ${(h.placement.dp.gapBound * 100).toFixed(1)} %`})`,
    `device crossings ${h.crossings}, copies ${h.transfers.count} (${h.transfers.bytes.toLocaleString('en-US')} bytes)`,
    `estimates: greedy ${(h.placement.greedyEstimatedMs * 1e3).toFixed(1)} µs; single: ${singles.join(', ')}`,
  ];
}
