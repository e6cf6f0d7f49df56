// `gembench list`: methods with their parameters, suites with their datasets, the runner's synthetic presets, and
// which engine implements which method and parameters.
import { suites as suiteRegistry } from "../datasets/index.ts";
import { methods, methodSpec } from "../engines/index.ts";
import { createNativeEngineFactory, runnerArgsFromEnv } from "../engines/native-engine.ts";
import { toError } from "../core/errors.ts";
import { checkTransformersPython, transformersPython } from "../engines/transformers/engine.ts";
import { EXIT } from "./process.ts";

export async function listCommand(o: { json?: boolean }): Promise<number> {
  // Parameters as the runner declares them (its --method-specs), the one source of names, bounds and defaults.
  const methodList = Object.values(methods).map((m) => {
    const ms = methodSpec(m.name);
    return {
      name: m.name,
      description: ms.description,
      params: Object.entries(ms.params).map(([name, spec]) => ({
        name,
        kind: spec.kind,
        required: spec.default === undefined && spec.optional !== true,
        default: spec.default ?? null,
        ...(spec.kind === "enum" ? { values: spec.values } : {}),
        ...(spec.kind === "int"
          ? { min: spec.min, ...(spec.max !== undefined ? { max: spec.max } : {}), ...(spec.maxLayers ? { max: "layers-1" } : {}), ...(spec.odd ? { odd: true } : {}) }
          : {}),
        ...(spec.kind === "number" ? { min: spec.min, max: spec.max, ...(spec.minExclusive ? { minExclusive: true } : {}) } : {}),
        description: spec.description,
      })),
      rules: ms.rules.map((r) => (r.kind === "oneOf" ? `${r.a} or ${r.b}` : `${r.a} ${r.kind === "greater" ? ">" : "≤"} ${r.b}`)),
      ...(Object.keys(ms.paramSets).length > 0 ? { paramSets: ms.paramSets } : {}),
    };
  });
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
  // Which engine implements what: the native runner every method above; the transformers engine what its hello says.
  let transformers: { python: string | null; methods: string[] | null; methodParams: Record<string, string[]> | null; error: string | null };
  try {
    const python = transformersPython(null);
    try {
      const v = checkTransformersPython(python);
      transformers = { python, methods: v.capabilities.methods, methodParams: v.capabilities.methodParams, error: null };
    } catch (e) {
      transformers = { python, methods: null, methodParams: null, error: toError(e).message };
    }
  } catch (e) {
    transformers = { python: null, methods: null, methodParams: null, error: toError(e).message };
  }
  const engines = {
    native: { methods: methodList.map((m) => m.name), methodParams: Object.fromEntries(methodList.map((m) => [m.name, m.params.map((p) => p.name)])) },
    transformers,
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ methods: methodList, suites: suiteList, presets, runner, runnerError, engines })}\n`);
    return EXIT.ok;
  }
  const lines: string[] = ["Methods:"];
  for (const m of methodList) {
    lines.push(`  ${m.name} — ${m.description}`);
    for (const p of m.params) {
      const kind = p.kind === "enum" ? (p.values ?? []).join("|") : p.kind === "int" ? `int ${p.min}..${String(p.max ?? "")}${p.odd ? " odd" : ""}` : p.kind === "number" ? `number ${p.minExclusive ? "(" : "["}${p.min}, ${String(p.max)}]` : p.kind;
      lines.push(`      ${p.name} (${kind}${p.required ? ", required" : p.default === null ? ", optional" : `, default ${JSON.stringify(p.default)}`}): ${p.description}`);
    }
    if (m.rules.length > 0) lines.push(`      rules: ${m.rules.join(", ")}`);
  }
  lines.push("", "Suites:");
  for (const s of suiteList) {
    lines.push(`  ${s.name} — ${s.description}`);
    lines.push(`      datasets: ${s.datasets.join(", ")}`);
  }
  lines.push("", "Synthetic model presets (from the runner):");
  if (presets !== null) lines.push(`  ${presets.map((p) => `synthetic:${p}`).join(", ")}`, `  runner: ${runner?.build ?? "?"} (${runner?.backend ?? "?"}, ${runner?.device ?? "?"})`);
  else lines.push(`  unavailable: ${runnerError ?? "unknown"}`);
  lines.push("", "Engines:", `  native: ${engines.native.methods.join(", ")}`);
  lines.push(`  transformers: ${transformers.methods !== null ? `${transformers.methods.join(", ")} (${transformers.python ?? "?"})` : `unavailable: ${transformers.error ?? "?"}`}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}
