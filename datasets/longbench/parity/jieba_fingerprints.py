#!/usr/bin/env python3
"""Fingerprints of Python jieba's tokens on LongBench files, for test/longbench-jieba-parity.test.ts.

For every line of each given <dataset>.jsonl: sha256 over the tokens of jieba.cut(text, cut_all=False) for the
line's input, context and each answer (in that order), each token written as "<length in code points>:<token>",
texts separated by "|". The first 16 hex digits are kept.

Usage (jieba 0.42.1, e.g. Debian's python3-jieba):
    python3 jieba_fingerprints.py ../../../../shared/data/longbench/{multifieldqa_zh,passage_retrieval_zh}.jsonl \
        > jieba-shared-files.json
"""
import hashlib
import json
import logging
import os
import sys

import jieba

jieba.setLogLevel(logging.WARNING)


def fingerprint(texts):
    h = hashlib.sha256()
    for i, text in enumerate(texts):
        if i:
            h.update(b"|")
        for tok in jieba.cut(text, cut_all=False):
            h.update(f"{len(tok)}:{tok}".encode("utf-8"))
    return h.hexdigest()[:16]


out = {"jieba": jieba.__version__, "files": {}}
for path in sys.argv[1:]:
    rows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            o = json.loads(line)
            rows[str(n)] = fingerprint([o["input"], o["context"], *o["answers"]])
    out["files"][os.path.basename(path)] = rows
json.dump(out, sys.stdout, indent=0, sort_keys=False)
sys.stdout.write("\n")
