// A PrimFunc: one kernel. Inputs are read, outputs written; everything else is allocated inside.
import type { Buffer } from './buffer.ts';
import type { Stmt } from './stmt.ts';

export class PrimFunc {
  constructor(
    readonly name: string,
    readonly inputs: readonly Buffer[],
    readonly outputs: readonly Buffer[],
    readonly body: Stmt,
  ) {}
  get params(): Buffer[] { return [...this.inputs, ...this.outputs]; }
  withBody(body: Stmt): PrimFunc { return new PrimFunc(this.name, this.inputs, this.outputs, body); }
}
