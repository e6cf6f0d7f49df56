// `gembench list`: methods with their parameters, suites with their datasets, the runner's synthetic presets.
import { suites as suiteRegistry } from "../datasets/index.ts";
import { methods } from "../engines/index.ts";
import { createNativeEngineFactory, runnerArgsFromEnv } from "../engines/native-engine.ts";
import { toError } from "../core/errors.ts";
import { EXIT } from "./process.ts";

export async function listCommand(o: { json?: boolean }): Promise<number> {
  const methodList = Object.values(methods).map((m) => ({
    name: m.name,
    description: m.description,
    params: Object.entries(m.params).map(([name, spec]) => ({
      name,
      kind: spec.kind,
      required: spec.default === undefined,
      default: spec.default ?? null,
      ...(spec.kind === "enum" ? { values: spec.values } : {}),
      ...(spec.kind === "int" ? { min: spec.min, ...(spec.max !== undefined ? { max: spec.max } : {}), ...(spec.odd ? { odd: true } : {}) } : {}),
      description: spec.description,
    })),
  }));
  const suiteList = Object.values(suiteRegistry).map((s) => ({ name: s.name, description: s.description, datasets: s.datasets() }));
  let presets: string[] | null = null;
  let runner: { build: string; backend: string; device: string } | null = null;
  let runnerError: string | null = null;
  try {
    const engine = await createNativeEngineFactory({ args: runnerArgsFromEnv(), log: () => undefined })("cpu");
    presets = engine.info.presets;
    runner = { build: engine.info.build, backend: engine.info.backend, device: engine.info.device };
    await engine.close();
  } catch (e) {
    runnerError = toError(e).message;
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ methods: methodList, suites: suiteList, presets, runner, runnerError })}\n`);
    return EXIT.ok;
  }
  const lines: string[] = ["Methods:"];
  for (const m of methodList) {
    lines.push(`  ${m.name} — ${m.description}`);
    for (const p of m.params) {
      const kind = p.kind === "enum" ? (p.values ?? []).join("|") : p.kind;
      lines.push(`      ${p.name} (${kind}${p.required ? ", required" : `, default ${JSON.stringify(p.default)}`}): ${p.description}`);
    }
  }
  lines.push("", "Suites:");
  for (const s of suiteList) {
    lines.push(`  ${s.name} — ${s.description}`);
    lines.push(`      datasets: ${s.datasets.join(", ")}`);
  }
  lines.push("", "Synthetic model presets (from the runner):");
  if (presets !== null) lines.push(`  ${presets.map((p) => `synthetic:${p}`).join(", ")}`, `  runner: ${runner?.build ?? "?"} (${runner?.backend ?? "?"}, ${runner?.device ?? "?"})`);
  else lines.push(`  unavailable: ${runnerError ?? "unknown"}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}
