// Every error a user can cause is a TsccError with a stable `code`; anything else is an internal bug.
// Codes are part of the public API: add new ones, never rename.

export type ErrorCode =
  | 'E_FILE'          // cannot read a file (missing, permission, not a regular file)
  | 'E_PARSE'         // bytes are not a valid ONNX / .npy / .tir document
  | 'E_MODEL'         // the model is structurally invalid (cycle, missing value, duplicate name, bad dims)
  | 'E_UNSUPPORTED'   // a valid model uses something tscc does not implement (op, dtype, attribute value)
  | 'E_ATTR'          // an attribute is missing or of the wrong type
  | 'E_SHAPE'         // shapes or dtypes do not agree
  | 'E_INPUT'         // a runtime input is missing, extra, or of the wrong shape/dtype
  | 'E_USAGE'         // bad CLI flag or API option
  | 'E_EXTERNAL_DATA' // an external-data tensor cannot be resolved
  | 'E_TARGET'        // unknown target or target-specific failure the user can act on
  | 'E_SCHEDULE';     // a schedule step is illegal for the function it is applied to

export class TsccError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

export class FileError extends TsccError { constructor(m: string) { super('E_FILE', m); } }
export class ParseError extends TsccError { constructor(m: string) { super('E_PARSE', m); } }
export class ModelError extends TsccError { constructor(m: string) { super('E_MODEL', m); } }
export class UnsupportedError extends TsccError { constructor(m: string) { super('E_UNSUPPORTED', m); } }
export class AttributeError extends TsccError { constructor(m: string) { super('E_ATTR', m); } }
export class ShapeError extends TsccError { constructor(m: string) { super('E_SHAPE', m); } }
export class InputError extends TsccError { constructor(m: string) { super('E_INPUT', m); } }
export class UsageError extends TsccError { constructor(m: string) { super('E_USAGE', m); } }
export class ExternalDataError extends TsccError { constructor(m: string) { super('E_EXTERNAL_DATA', m); } }
export class TargetError extends TsccError { constructor(m: string) { super('E_TARGET', m); } }

/** Prefix for messages about one node: `node "conv1" (Conv)`. */
export function nodeRef(n: { name: string; op: string }): string {
  return `node "${n.name}" (${n.op})`;
}
