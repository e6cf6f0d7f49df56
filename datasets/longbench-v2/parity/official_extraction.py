#!/usr/bin/env python3
"""The official LongBench v2 extraction and aggregation on made-up outputs, for test/longbench-v2-official-parity.

    python3 official_extraction.py <LongBench v2 checkout with pred.py and result.py> made-up-outputs.json > official-extraction.json

Runs the checkout's own code without its dependencies: `extract_answer` is taken from pred.py's syntax tree and
executed on each output's strip() (as get_pred does), and result.py runs unchanged in a temporary folder on one
results/made-up.jsonl holding the items with their official pred and judge.
"""
import ast
import json
import os
import re
import subprocess
import sys
import tempfile

if len(sys.argv) != 3:
    sys.exit(__doc__)
checkout, outputs_file = sys.argv[1], sys.argv[2]
tree = ast.parse(open(os.path.join(checkout, "pred.py"), encoding="utf-8").read())
fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "extract_answer")
ns = {"re": re}
exec(compile(ast.Module(body=[fn], type_ignores=[]), "pred.py", "exec"), ns)
extract_answer = ns["extract_answer"]

items = json.load(open(outputs_file, encoding="utf-8"))["items"]
preds = []
with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(os.path.join(tmp, "results"))
    with open(os.path.join(tmp, "results", "made-up.jsonl"), "w", encoding="utf-8") as f:
        for it in items:
            pred = extract_answer(it["output"].strip())
            preds.append(pred)
            f.write(json.dumps({"pred": pred, "judge": pred == it["answer"], "difficulty": it["difficulty"], "length": it["length"]}) + "\n")
    subprocess.run([sys.executable, os.path.join(os.path.abspath(checkout), "result.py")], cwd=tmp, check=True)
    lines = open(os.path.join(tmp, "result.txt"), encoding="utf-8").read().split("\n")
header = lines[0].split("\t")
row = lines[1].split("\t")
json.dump({"preds": preds, "result": dict(zip(header[1:], [float(x) for x in row[1:]]))}, sys.stdout, indent=1)
print()
