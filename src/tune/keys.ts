// Tuning keys (STYLE.md §7): content hashes, so a record can only ever be found again by the same
// kernel on the same target with the same code generator and search space.
//   workload key = hash of the printed, canonical Tensor IR (shapes and dtypes are in the text)
//   target key   = hash of Target.fingerprint() + tscc version + codegen and search-space versions
//   config hash  = hash of the knob values, with keys sorted
import { createHash } from 'node:crypto';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { printFunc } from '../ir/tensor/print.ts';
import { uniqueLoopNames } from '../schedule/find.ts';
import { VERSION } from '../version.ts';

/** Bump when the knobs, their steps or the feature vector change: old records then miss. */
export const SEARCH_SPACE_VERSION = 1;
export const FEATURE_VERSION = 2; // 2: WGSL lane-loop features (session 5)

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** The printed function with its name replaced: two nodes computing the same thing share records. */
export function canonicalTir(f: PrimFunc): string {
  const text = printFunc(uniqueLoopNames(f));
  return text.replace(/^func [^(]*\(/, 'func kernel(');
}

export function workloadKey(f: PrimFunc): string { return sha(canonicalTir(f)); }

export function targetFingerprint(fingerprint: string): string {
  return `${fingerprint}|tscc ${VERSION}|space ${SEARCH_SPACE_VERSION}|features ${FEATURE_VERSION}`;
}

export function targetKey(fingerprint: string): string { return sha(targetFingerprint(fingerprint)); }

export type Config = Readonly<Record<string, number>>;

export function configJson(c: Config): string {
  return JSON.stringify(Object.fromEntries(Object.keys(c).sort().map((k) => [k, c[k]])));
}

export function configHash(c: Config): string { return sha(configJson(c)); }

/** Trial 0: the target's default schedule, recorded under this config. */
export const DEFAULT_CONFIG: Config = Object.freeze({ default: 1 });
