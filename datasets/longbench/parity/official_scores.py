#!/usr/bin/env python3
"""Per-sample scores of the official LongBench metrics on the groups written by pairs.ts, as fingerprints.

    npx tsx pairs.ts <LongBench data folder> groups.json
    python3 official_scores.py --longbench <LongBench checkout with metrics.py> groups.json [--difflib] > out.json

Needs what LongBench's eval.py needs (jieba, fuzzywuzzy, rouge, numpy); with python-Levenshtein installed fuzz.ratio
uses it, with --difflib it is hidden so fuzzywuzzy falls back to difflib. Mirrors eval.py's call structure
(<module> -> scorer -> metric), so ROUGE's recursion limit is hit exactly where `python eval.py` hits it. For each
group: sha256 over the big-endian IEEE-754 bytes of every per-sample score (max over answers, first-line rule),
the dataset score round(100 * mean, 2) and, for groups with lengths, numpy's LongBench-E bucket scores.
"""
import hashlib
import json
import logging
import struct
import sys

args = [a for a in sys.argv[1:]]
if "--difflib" in args:
    args.remove("--difflib")
    sys.modules["Levenshtein"] = None
if len(args) != 3 or args[0] != "--longbench":
    sys.exit(__doc__)
sys.path.insert(0, args[1])

import jieba  # noqa: E402
import numpy as np  # noqa: E402
import metrics  # noqa: E402  (LongBench's metrics.py)

jieba.setLogLevel(logging.WARNING)


def scorer(groups):
    out = {}
    for g in groups:
        metric = getattr(metrics, g["metric"])
        per = []
        total_score = 0.
        for (prediction, ground_truths) in zip(g["preds"], g["answers"]):
            score = 0.
            if g["dataset"] in ["trec", "triviaqa", "samsum", "lsht"]:
                prediction = prediction.lstrip('\n').split('\n')[0]
            for ground_truth in ground_truths:
                score = max(score, metric(prediction, ground_truth, all_classes=g["all_classes"]))
            per.append(score)
            total_score += score
        h = hashlib.sha256()
        for s in per:
            h.update(struct.pack(">d", float(s)))
        entry = {"n": len(per), "sha256": h.hexdigest(), "score": round(100 * total_score / len(per), 2)}
        if g.get("lengths"):
            buckets = {"0-4k": [], "4-8k": [], "8k+": []}
            for s, length in zip(per, g["lengths"]):
                buckets["0-4k" if length < 4000 else "4-8k" if length < 8000 else "8k+"].append(s)
            entry["buckets"] = {k: (None if len(v) == 0 else float(round(100 * np.mean(v), 2))) for k, v in buckets.items()}
        out[g["name"]] = entry
    return out


if __name__ == '__main__':
    with open(args[2], encoding="utf-8") as f:
        groups = json.load(f)
    json.dump(scorer(groups), sys.stdout, indent=1)
    sys.stdout.write("\n")
