// Hardware description of one NPU, read from a preset (presets/<name>.json) or a user's JSON file.
// Keys follow ONNXim's config files where they mean the same thing (num_cores, core_width, spad_size
// in KB, dram_channels, …); ONNXim's nested `core_config.core_0` form is accepted too.
import { existsSync, readFileSync } from 'node:fs';
import { TargetError } from '../../src/util/errors.ts';

export interface NpuConfig {
  readonly name: string;
  readonly cores: number;
  /** MHz. */
  readonly coreFreq: number;
  /** Array rows (H: the reduction depth of a weight tile) and columns (W). */
  readonly H: number;
  readonly W: number;
  /** Bytes per core. */
  readonly spadBytes: number;
  readonly accBytes: number;
  /** Vector lanes for 16-bit elements (vector_process_bit / 16). */
  readonly lanes: number;
  readonly latency: Readonly<Record<'add' | 'mul' | 'mac' | 'exp' | 'gelu' | 'div' | 'addTree' | 'sqrt', number>>;
  readonly dramFreq: number;
  readonly dramChannels: number;
  readonly dramReqSize: number;
  /** DRAM cycles. */
  readonly dramLatency: number;
  readonly icntLatency: number;
  readonly dmaReqPerCycle: number;
  /** Array operand type: f16 data with f32 accumulation, or int8 with int32. */
  readonly dataType: 'f16' | 'int8';
}

export const PRESETS = ['onnxim-tpuv4', 'edge16'] as const;
export const DEFAULT_PRESET = 'onnxim-tpuv4';

function num(o: Record<string, unknown>, k: string, file: string, dflt?: number): number {
  const v = o[k] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TargetError(`${file}: "${k}" must be a positive number`);
  return v;
}

export function parseConfig(raw: unknown, file: string): NpuConfig {
  if (!raw || typeof raw !== 'object') throw new TargetError(`${file}: not a JSON object`);
  const top = raw as Record<string, unknown>;
  const nested = (top.core_config as Record<string, Record<string, unknown>> | undefined)?.core_0;
  const core = { ...top, ...(nested ?? {}) };
  const dt = String(top.data_type ?? ((top.precision ?? 2) === 1 ? 'int8' : 'f16'));
  if (dt !== 'f16' && dt !== 'int8') throw new TargetError(`${file}: "data_type" must be "f16" or "int8"`);
  const H = num(core, 'core_height', file), W = num(core, 'core_width', file);
  if (H > 4096 || W > 4096) throw new TargetError(`${file}: arrays larger than 4096 PEs a side are not supported`);
  return {
    name: String(top.name ?? file), cores: num(top, 'num_cores', file), coreFreq: num(top, 'core_freq', file),
    H, W, spadBytes: num(core, 'spad_size', file) * 1024, accBytes: num(core, 'accum_spad_size', file) * 1024,
    lanes: Math.max(1, Math.floor(num(core, 'vector_process_bit', file) / 16)),
    latency: {
      add: num(core, 'add_latency', file, 1), mul: num(core, 'mul_latency', file, 1), mac: num(core, 'mac_latency', file, 1),
      exp: num(core, 'exp_latency', file, 1), gelu: num(core, 'gelu_latency', file, 1), div: num(core, 'div_latency', file, 1),
      addTree: num(core, 'add_tree_latency', file, 1), sqrt: num(core, 'scalar_sqrt_latency', file, 1),
    },
    dramFreq: num(top, 'dram_freq', file), dramChannels: num(top, 'dram_channels', file), dramReqSize: num(top, 'dram_req_size', file, 32),
    dramLatency: num(top, 'dram_latency', file, 10), icntLatency: num(top, 'icnt_latency', file, 1),
    dmaReqPerCycle: num(top, 'dma_requests_per_cycle', file, 1), dataType: dt,
  };
}

/** `variant` is a preset name, a path to a JSON file, or undefined for the default preset. */
export function loadConfig(variant: string | undefined): NpuConfig {
  const v = variant ?? DEFAULT_PRESET;
  const preset = new URL(`./presets/${v}.json`, import.meta.url);
  const path = (PRESETS as readonly string[]).includes(v) ? preset : existsSync(v) ? v : null;
  if (!path) throw new TargetError(`npu: "${v}" is neither a preset (${PRESETS.join(', ')}) nor a config file`);
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new TargetError(`npu config ${v}: ${(e as Error).message}`); }
  return parseConfig(raw, v);
}
