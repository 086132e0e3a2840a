// What the kernel templates (gemm.ts, warp.ts) share: printing IR expressions of a matched loop
// nest as C, with the nest's loop variables recovered from flat indices.
import type { Buffer } from '../../src/ir/tensor/buffer.ts';
import { type Expr, type Var, freeVars } from '../../src/ir/tensor/expr.ts';
import type { PrimFunc } from '../../src/ir/tensor/func.ts';
import type { For } from '../../src/ir/tensor/stmt.ts';
import { ExprPrinter } from './expr.ts';
import { type KernelSource, cName, paramDecl } from './kernel.ts';
import { ACC, extentOf } from './match.ts';

export class TemplateText {
  readonly ex = new ExprPrinter((b: Buffer) => cName(b.name), cName);
  readonly acc = cName(ACC.name);

  constructor(loops: readonly For[]) {
    // Loop variables are decoded from non-negative flat indices: floordiv/floormod print as / and %.
    for (const l of loops) this.ex.nonneg.add(l.loopVar.name);
  }

  expr(e: Expr): string { return this.ex.expr(e); }

  /**
   * `const int v = …;` for each loop of `loops` (row-major over them) whose variable `exprs` read,
   * from the flat index `flat` (C text).
   */
  decode(loops: readonly For[], flat: string, exprs: readonly Expr[]): string[] {
    const used = new Set<Var>();
    for (const e of exprs) freeVars(e, used);
    const lines: string[] = [];
    let stride = 1;
    for (let d = loops.length - 1; d >= 0; d--) {
      const l = loops[d], n = extentOf(l);
      if (used.has(l.loopVar)) {
        const q = stride === 1 ? flat : `(${flat}) / ${stride}`;
        const v = d === 0 ? q : `(${q}) % ${n}`;
        lines.push(`const int ${cName(l.loopVar.name)} = ${n === 1 ? '0' : v};`);
      }
      stride *= n;
    }
    return lines;
  }
}

/** The kernel around a template body. */
export function kernelSource(f: PrimFunc, body: string[], grid: readonly number[], block: readonly number[]): KernelSource {
  const threads = block[0] * block[1] * block[2];
  const sig = f.params.map((b) => paramDecl(b, f.outputs.includes(b))).join(',\n    ');
  const name = cName(f.name);
  const text = `__global__ void __launch_bounds__(${threads}) ${name}(\n    ${sig}) {\n${body.map((l) => (l ? `  ${l}` : '')).join('\n')}\n}\n`;
  return {
    name, text, barrier: true, params: f.params,
    grid: [grid[0], grid[1], grid[2]] as const, block: [block[0], block[1], block[2]] as const,
  };
}

/** Indents lines by one level. */
export const indent = (lines: readonly string[]) => lines.map((l) => (l ? `  ${l}` : l));
