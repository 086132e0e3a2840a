// A TypeScript evaluator for XGBoost tree ensembles, read from the binary model that ml-xgboost saves
// (the XGBoost 0.7x format). ml-xgboost predicts one row per call into wasm (~30k rows/s); walking the
// trees here over a packed Float32Array scores millions of rows per second.
//
// Layout (little-endian): LearnerModelParam {f32 base_score, u32 num_feature, i32 num_class,
// i32 contain_extra_attrs, i32 contain_eval_metrics, i32 reserved[29]} = 136 bytes; string objective;
// string booster (u64 length + bytes); GBTreeModelParam {i32 num_trees, num_roots, num_feature, pad,
// i64 num_pbuffer, i32 num_output_group, size_leaf_vector, reserved[32]} = 160 bytes; then per tree
// TreeParam {i32 num_roots, num_nodes, num_deleted, max_depth, num_feature, size_leaf_vector,
// reserved[31]} = 148 bytes, num_nodes × Node {i32 parent, cleft, cright; u32 sindex; f32 value}
// (20 bytes), num_nodes × RTreeNodeStat (16 bytes), leaf vectors.

export interface TreeEnsemble {
  readonly baseScore: number;
  readonly numFeature: number;
  readonly objective: string;
  /** Per node over all trees: left child (-1 for a leaf), right child, feature, threshold or leaf value. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly feature: Int32Array;
  readonly value: Float32Array;
  /** Index of each tree's root in the node arrays. */
  readonly roots: Int32Array;
}

export function parseXgbModel(bytes: Uint8Array): TreeEnsemble {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const baseScore = v.getFloat32(0, true), numFeature = v.getUint32(4, true);
  p = 136;
  const str = (): string => {
    const n = Number(v.getBigUint64(p, true));
    p += 8;
    const s = new TextDecoder().decode(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const objective = str(), booster = str();
  if (booster !== 'gbtree') throw new Error(`unsupported booster ${booster}`);
  const numTrees = v.getInt32(p, true);
  const leafVec = v.getInt32(p + 28, true);
  if (leafVec !== 0) throw new Error('leaf vectors are not supported');
  p += 160;
  const left: number[] = [], right: number[] = [], feature: number[] = [], value: number[] = [], roots: number[] = [];
  for (let t = 0; t < numTrees; t++) {
    const nodes = v.getInt32(p + 4, true);
    p += 148;
    const base = left.length;
    roots.push(base);
    for (let i = 0; i < nodes; i++, p += 20) {
      const cl = v.getInt32(p + 4, true), cr = v.getInt32(p + 8, true);
      left.push(cl < 0 ? -1 : base + cl);
      right.push(cr < 0 ? -1 : base + cr);
      feature.push(v.getUint32(p + 12, true) & 0x7fffffff);
      value.push(v.getFloat32(p + 16, true));
    }
    p += nodes * 16;
  }
  return {
    baseScore, numFeature, objective, roots: Int32Array.from(roots),
    left: Int32Array.from(left), right: Int32Array.from(right), feature: Int32Array.from(feature), value: Float32Array.from(value),
  };
}

/** Raw margin per row: base score plus one leaf per tree (no missing values in our features). */
export function predictTrees(m: TreeEnsemble, x: Float32Array, dims: number): Float64Array {
  const n = x.length / dims;
  const out = new Float64Array(n);
  const { left, right, feature, value, roots } = m;
  for (let r = 0; r < n; r++) {
    const off = r * dims;
    let sum = m.baseScore;
    for (let t = 0; t < roots.length; t++) {
      let k = roots[t];
      while (left[k] >= 0) k = x[off + feature[k]] < value[k] ? left[k] : right[k];
      sum += value[k];
    }
    out[r] = sum;
  }
  return out;
}
