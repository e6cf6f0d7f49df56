#!/usr/bin/env python3
"""fuzzywuzzy's fuzz.ratio(prediction, answer) — what LongBench's code_sim_score computes on the chosen line — for
the boundary pairs written by pairs.ts, with whichever python-Levenshtein is importable.

    npx tsx pairs.ts --code-sim-boundaries boundaries.json
    python3 code_sim_packages.py boundaries.json > out.json

Run it once with python-Levenshtein 0.12.x (Debian bookworm's python3-levenshtein) and once with ≥ 0.13 (pip's
Levenshtein); code-sim-boundaries.json in this folder holds both answers.
"""
import json
import sys

from fuzzywuzzy import fuzz
import fuzzywuzzy
import Levenshtein

if len(sys.argv) != 2:
    sys.exit(__doc__)
pairs = json.load(open(sys.argv[1], encoding="utf-8"))
json.dump({
    "fuzzywuzzy": fuzzywuzzy.__version__,
    "Levenshtein": getattr(Levenshtein, "__version__", "0.12 (no __version__)"),
    "ratios": [fuzz.ratio(p["prediction"], p["answer"]) for p in pairs],
}, sys.stdout)
