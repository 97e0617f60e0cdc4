#!/usr/bin/env bash
# Regenerates docs/RESULTS.md: builds cfcam (release) and runs scripts/results.py (every method x
# metric x model on fixtures/eval with `cfcam evaluate`). About 30 minutes on 2 cores; a rerun
# resumes from .build/results (delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
source scripts/openblas-env.sh
swift build -c release --product cfcam
python3 scripts/results.py "$@"
