// System descriptions: the presets in systems/*.json, or a user's JSON file of the same shape
// (passes/partition/system.ts), and the `hetero[:a,b,…]` target spec resolved against one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { FileError, UsageError } from '../../util/errors.ts';
import type { SystemSpec } from '../../../passes/partition/system.ts';
import { CODEGEN_TARGETS } from '../registry.ts';

const DIR = new URL('./systems/', import.meta.url);

/** Preset names, in the order a default is chosen. */
export const SYSTEM_PRESETS = ['npu-pim', 'gpu-npu-pim', 'soc-wgsl-npu', 'workstation'];

export function isHeteroSpec(spec: string): boolean {
  return spec === 'hetero' || spec.startsWith('hetero:');
}

function parse(text: string, where: string): SystemSpec {
  let s: SystemSpec;
  try { s = JSON.parse(text) as SystemSpec; } catch (e) { throw new UsageError(`${where}: not valid JSON (${(e as Error).message})`); }
  if (!s || typeof s.name !== 'string' || !Array.isArray(s.devices) || !Array.isArray(s.links)) {
    throw new UsageError(`${where}: a system needs "name", "devices" and "links"`);
  }
  for (const d of s.devices) {
    if (!CODEGEN_TARGETS.includes(d.id)) throw new UsageError(`${where}: device id "${d.id}" is not a target (${CODEGEN_TARGETS.join(', ')})`);
    if (typeof d.target !== 'string' || d.target.split(':')[0] !== d.id) throw new UsageError(`${where}: device "${d.id}" needs "target": "${d.id}[:variant]"`);
    if (!(d.memoryBytes > 0)) throw new UsageError(`${where}: device "${d.id}" needs "memoryBytes" > 0`);
  }
  for (const l of s.links) {
    const [a, b] = l.between ?? [];
    for (const x of [a, b]) if (!s.devices.some((d) => d.id === x)) throw new UsageError(`${where}: link between "${a}" and "${b}" names an unknown device`);
    if (!l.shared && !(l.gbps! > 0)) throw new UsageError(`${where}: link ${a}–${b} needs "gbps" > 0 or "shared": true`);
  }
  return s;
}

/** A preset name or a path to a JSON file. */
export function loadSystem(nameOrFile: string): SystemSpec {
  if (SYSTEM_PRESETS.includes(nameOrFile)) return parse(readFileSync(new URL(`${nameOrFile}.json`, DIR), 'utf8'), `system preset ${nameOrFile}`);
  if (!nameOrFile.endsWith('.json') || !existsSync(nameOrFile)) {
    throw new UsageError(`--system ${nameOrFile}: not a preset (${SYSTEM_PRESETS.join(', ')}) nor an existing .json file`);
  }
  let text: string;
  try { text = readFileSync(nameOrFile, 'utf8'); } catch (e) { throw new FileError(`${nameOrFile}: cannot read (${(e as NodeJS.ErrnoException).code})`); }
  return parse(text, nameOrFile);
}

export interface HeteroSetup { readonly system: SystemSpec; readonly devices: readonly string[] }

/** `hetero` (every device of the system) or `hetero:npu,pim[,…]`, with `--system` or the first preset holding them all. */
export function resolveHetero(spec: string, system?: string): HeteroSetup {
  const listed = spec === 'hetero' ? undefined : spec.slice('hetero:'.length).split(',').map((s) => s.trim());
  for (const d of listed ?? []) {
    if (!CODEGEN_TARGETS.includes(d)) throw new UsageError(`--target ${spec}: "${d}" is not a target (${CODEGEN_TARGETS.join(', ')}); variants come from --system`);
  }
  if (listed && new Set(listed).size !== listed.length) throw new UsageError(`--target ${spec}: a device is listed twice`);
  let sys: SystemSpec;
  if (system) sys = loadSystem(system);
  else {
    const name = SYSTEM_PRESETS.find((n) => (listed ?? ['npu', 'pim']).every((d) => loadSystem(n).devices.some((x) => x.id === d)));
    if (!name) throw new UsageError(`--target ${spec}: no preset has all of ${listed!.join(', ')}; give --system FILE.json`);
    sys = loadSystem(name);
  }
  const devices = listed ?? sys.devices.map((d) => d.id);
  for (const d of devices) if (!sys.devices.some((x) => x.id === d)) throw new UsageError(`--target ${spec}: system "${sys.name}" has no ${d} device`);
  return { system: sys, devices };
}

export function presetFiles(): string[] {
  return readdirSync(DIR).filter((f) => f.endsWith('.json'));
}
