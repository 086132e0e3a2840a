// Errors of the PIM tools. Each carries the project-wide `code` (E_PARSE for bytes or text that are not
// a valid command stream, E_TARGET for a stream that is well formed but breaks the DRAM protocol or
// its timing) and a finer `pimCode` that tests and tools can match on.
import { TsccError } from '../../src/util/errors.ts';

export type PimCode =
  | 'PIM_MAGIC'      // not a tscc PIM stream, or an unknown version
  | 'PIM_TRUNCATED'  // the byte length does not match the header
  | 'PIM_OPCODE'     // unknown opcode or mnemonic
  | 'PIM_FIELD'      // a field out of range for the preset, or set where the opcode has none
  | 'PIM_SYNTAX'     // a text line that does not parse
  | 'PIM_PROTOCOL'   // e.g. a MAC on a closed bank, an ACT on an open one, a host address out of range
  | 'PIM_TIMING';    // a command issued before its minimum gap has elapsed

export class PimError extends TsccError {
  constructor(readonly pimCode: PimCode, message: string) {
    super(pimCode === 'PIM_PROTOCOL' || pimCode === 'PIM_TIMING' ? 'E_TARGET' : 'E_PARSE', `[${pimCode}] ${message}`);
  }
}
