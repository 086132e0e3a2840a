#!/bin/sh
# Generates the TypeScript parser for the tensor IR text form from src/ir/tensor/text/TIR.g4.
# Usage: scripts/gen-parser.sh [OUTDIR]   (default: src/ir/tensor/text/generated, which is committed)
# The currency test in test/ir/tensor/text.test.ts runs this with a temporary OUTDIR and compares.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/src/ir/tensor/text/generated"}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
mkdir -p "$out"
# Run from the grammar's folder with a bare file name so the "Generated from" header is path-independent.
cd "$root/src/ir/tensor/text"
exec java -jar "$root/node_modules/antlr4ng-cli/antlr4-4.13.2-SNAPSHOT-complete.jar" \
  -Dlanguage=TypeScript -no-visitor -no-listener -Xexact-output-dir -o "$out" TIR.g4
