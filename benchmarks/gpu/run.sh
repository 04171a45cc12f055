#!/usr/bin/env bash
# madbench's prepared GPU check (benchmarks/gpu/check.py says what it runs and reports).
# On a machine with one NVIDIA GPU and madbench installed (pip install -e .), from anywhere:
#   bash benchmarks/gpu/run.sh            # figures on stdout, JSON in $OUT/gpu-check.json if set
# It installs nothing and stops after 8 minutes at most.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! python -c "import madbench, torch" 2>/dev/null; then
    echo "madbench is not installed in this Python: pip install -e . first" >&2
    exit 2
fi
exec timeout 480 python benchmarks/gpu/check.py "$@"
