#!/usr/bin/env bash
# madbench's prepared GPU check (benchmarks/gpu/check.py says what it runs and reports).
# On a machine with one NVIDIA GPU, from anywhere:
#   bash benchmarks/gpu/run.sh            # figures on stdout, JSON in $OUT/gpu-check.json if set
# It installs nothing: madbench runs from this tree (installed or not), with the Python that has
# torch (python3, or $PYTHON); FAISS's section is skipped where faiss is not installed. It stops
# after 8 minutes at most.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
if ! missing=$("$PYTHON" -c "import madbench.metrics.fused, madbench.adapters" 2>&1); then
    echo "this Python cannot import madbench's metrics: ${missing##*$'\n'}" >&2
    echo "install madbench's dependencies (pip install -e .) or set PYTHON" >&2
    exit 2
fi
exec timeout 480 "$PYTHON" benchmarks/gpu/check.py "$@"
