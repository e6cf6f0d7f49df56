// The house: the import graph of our TypeScript folders, its floors and the rules that keep it standing.
//   core/                  the record schema and records file, suite and engine contracts, errors, statistics
//   engines/  datasets/    method adapters and the runner client; the suites (neither imports the other)
//   harness/               config, sweep, runner pool, the run loop, tokenizers
//   reports/               every presentation and the one aggregation of records
//   cli/                   one file per command
// A file may import its own folder or a lower floor, never a higher floor or a neighbour on its own floor, and no
// chain of imports (type-only ones included) may come back to where it started.
// `npx tsx scripts/house.ts` prints the folder graph (mermaid) and any violation; test/house-imports.test.ts fails on one.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const FLOORS: Readonly<Record<string, number>> = { core: 0, engines: 1, datasets: 1, harness: 2, reports: 3, cli: 4 };

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Repo-relative .ts files under the layered folders (the runner's C++ tree and build output excluded). */
function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const p = posix.join(dir, e.name);
      if (e.isDirectory()) {
        if (p !== "engines/native") walk(p);
      } else if (e.name.endsWith(".ts")) out.push(p);
    }
  };
  for (const top of Object.keys(FLOORS)) if (existsSync(join(root, top))) walk(top);
  return out.sort();
}

/** file → the files of ours it imports (static, dynamic, re-exports and type-only imports alike). */
export function importGraph(root: string = REPO): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((f) => f.fileName)
      .filter((s) => s.startsWith("./") || s.startsWith("../"))
      .map((s) => posix.normalize(posix.join(posix.dirname(file), s)));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

export const floorOf = (file: string): string => file.split("/")[0]!;

/** Imports that point up a floor or sideways to another folder on the same floor. */
export function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of graph) {
    for (const to of tos) {
      const a = floorOf(from);
      const b = floorOf(to);
      if (a === b) continue;
      const fa = FLOORS[a];
      const fb = FLOORS[b];
      if (fa === undefined || fb === undefined || fb >= fa) bad.push(`${from} → ${to} (${a} may not import ${b})`);
    }
  }
  return bad;
}

/** Every import cycle, each as its files in order (Tarjan's strongly connected components of more than one file, or a self-import). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.reverse());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The folder-level graph as a mermaid flowchart: an arrow A --> B means files in A import files in B (with the count). */
export function mermaid(graph: ReadonlyMap<string, readonly string[]>): string {
  const edges = new Map<string, number>();
  for (const [from, tos] of graph) {
    for (const to of tos) {
      const a = floorOf(from);
      const b = floorOf(to);
      if (a === b) continue;
      edges.set(`${a}|${b}`, (edges.get(`${a}|${b}`) ?? 0) + 1);
    }
  }
  const lines = ["flowchart TD"];
  for (const [k, n] of [...edges].sort()) {
    const [a, b] = k.split("|") as [string, string];
    lines.push(`  ${a}["${a}/"] -->|${n}| ${b}["${b}/"]`);
  }
  return lines.join("\n");
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = importGraph();
  process.stdout.write(`${mermaid(graph)}\n`);
  const problems = [...upwardImports(graph), ...importCycles(graph).map((c) => `import cycle among: ${c.join(", ")}`)];
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.stderr.write(`${graph.size} files, ${[...graph.values()].reduce((a, t) => a + t.length, 0)} imports, ${problems.length} problems (${relative(process.cwd(), REPO) || "."})\n`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
