// Dead-code elimination: nodes no graph output needs, and constants nothing reads.
import type { GraphPass } from '../pass.ts';
import { buildLive } from './rewrite.ts';

export const dcePass: GraphPass = {
  name: 'dce',
  doc: 'drop nodes and constants that no graph output needs',
  run: (g) => {
    const spec = g.toSpec();
    return buildLive(spec, spec.nodes, new Map([...spec.types, ...spec.inputs.map((v) => [v.name, v.type] as const)]));
  },
};
