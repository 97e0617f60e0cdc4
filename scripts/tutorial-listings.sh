#!/usr/bin/env bash
# Rewrites the DocC tutorial's code listings (Sources/Methods/Methods.docc/Resources/tutorial-NAME.swift)
# from the regions `// snippet: NAME` ... `// end snippet` of Tests/MethodsTests/TutorialTests.swift,
# the test that runs them. TutorialTests.testTutorialListingsAreTheTestedCode fails when they drift.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import os, re
src = open("Tests/MethodsTests/TutorialTests.swift").read().split("\n")
out = "Sources/Methods/Methods.docc/Resources"
os.makedirs(out, exist_ok=True)
name, lines = None, []
for line in src:
    t = line.strip()
    if t.startswith("// snippet: "):
        name, lines = t[len("// snippet: "):], []
    elif t == "// end snippet" and name:
        indent = min((len(l) - len(l.lstrip(" ")) for l in lines if l.strip()), default=0)
        with open(f"{out}/tutorial-{name}.swift", "w") as f:
            f.write("\n".join(l[indent:] if len(l) >= indent else "" for l in lines) + "\n")
        print(f"{out}/tutorial-{name}.swift")
        name = None
    elif name:
        lines.append(line)
PY
