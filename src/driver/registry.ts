// Code-generating targets, loaded on demand: `--target npu:edge16` imports targets/npu and asks its
// factory for the `edge16` variant.
import { TargetError } from '../util/errors.ts';
import type { Target, TargetFactory } from '../../targets/target.ts';

/** Each lives in targets/<name>/index.ts and exports `createTarget`. */
export const CODEGEN_TARGETS = ['cuda', 'wgsl', 'npu', 'pim'];

function load(name: string): Promise<{ createTarget: TargetFactory }> {
  return import(new URL(`../../targets/${name}/index.ts`, import.meta.url).href);
}

/** Parses `name[:variant]` (the variant may itself contain colons or a path). */
export function splitTargetSpec(spec: string): { name: string; variant: string | undefined } {
  const i = spec.indexOf(':');
  return i < 0 ? { name: spec, variant: undefined } : { name: spec.slice(0, i), variant: spec.slice(i + 1) };
}

export async function loadTarget(spec: string): Promise<Target> {
  const { name, variant } = splitTargetSpec(spec);
  if (!CODEGEN_TARGETS.includes(name)) throw new TargetError(`unknown target "${spec}" (targets: ref, ${CODEGEN_TARGETS.join(', ')})`);
  let mod: { createTarget: TargetFactory };
  try {
    mod = await load(name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`targets/${name}/index.ts`)) {
      throw new TargetError(`target "${name}" is not built into this version of tscc yet`);
    }
    throw e;
  }
  return mod.createTarget(variant);
}
