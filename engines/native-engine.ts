// The Engine backed by the native gem-runner process (JSON lines over stdio, engines/native/PROTOCOL.md) — or by any
// other program that speaks the same protocol (the transformers speed peer, engines/transformers/engine.ts).
//
// Process handling:
// - One process per device; the harness sends one request at a time per process and matches answers by id.
// - The runner gets its own process group (detached), so a Ctrl-C in the terminal reaches the harness only: the
//   harness then stops the runners itself (shutdown, SIGKILL after 3 s), and an interrupted case is never mistaken for
//   a runner crash. Live runners are SIGKILLed when the harness process exits; after a kill -9 of the harness a runner
//   sees EOF on stdin and exits (PROTOCOL.md).
// - A request without an answer within its deadline kills the runner (`timeout`); a runner that exits, or writes a
//   stdout line that is not a protocol response, fails its pending request (`crashed`) with the exit status and the
//   last lines of its stderr. Either way the engine is `dead` and the pool starts a new one.
// - stderr is kept (last 8 KiB) for those messages; GEMBENCH_RUNNER_STDERR=1 also forwards it line by line to the log.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { GenerateResult, LoadedModel, type Engine, type EngineFactory, type EngineFailure, type EngineInfo, type GenerateRequest, type ModelSpec, type Outcome } from "../core/engine.ts";

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The protocol version this adapter speaks (PROTOCOL.md). */
export const PROTOCOL_VERSION = 1;

const STDERR_KEEP = 8192;
const CLOSE_GRACE_MS = 3000;

/** GEMBENCH_RUNNER overrides the runner binary; default engines/native/build/gem-runner. */
export function runnerPath(): string {
  return process.env.GEMBENCH_RUNNER ?? join(REPO_DIR, "engines", "native", "build", "gem-runner");
}

/** Extra runner arguments from GEMBENCH_RUNNER_ARGS (whitespace-separated), e.g. "--allow-faults --threads 2". */
export function runnerArgsFromEnv(): string[] {
  return (process.env.GEMBENCH_RUNNER_ARGS ?? "").split(/\s+/).filter((s) => s !== "");
}

const Hello = z.object({
  type: z.literal("hello"),
  protocol: z.number(),
  build: z.string(),
  backend: z.string(),
  device: z.string(),
  computeCapability: z.union([z.string(), z.number()]).nullable().optional(),
  timer: z.string().optional(),
  capabilities: z.object({ methods: z.array(z.string()).default([]), presets: z.array(z.string()).default([]), turnModes: z.array(z.string()).default([]) }).partial().default({}),
});

const Response = z.object({
  id: z.union([z.number(), z.string(), z.null()]),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().default("") }).optional(),
});

/** Another program speaking this protocol (the transformers engine, engines/transformers/): its command line and kind. */
export interface EngineCommand {
  bin: string;
  args: string[];
  kind: string;
}

type Pending = { op: string; resolve: (v: Outcome<unknown>) => void; timer: NodeJS.Timeout };

/** Runner processes still running, killed when this process exits (whatever the reason). */
const live = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;
function track(proc: ChildProcessWithoutNullStreams): void {
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const p of live) p.kill("SIGKILL");
    });
  }
}

/** The last `n` non-empty lines of a stderr tail, joined with " | ". */
function lastLines(tail: string, n: number): string {
  return tail
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .slice(-n)
    .join(" | ");
}

export class NativeEngine implements Engine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private deadFlag = false;
  private stderrTail = "";
  private exitNote = "";

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    readonly info: EngineInfo,
    private readonly device: string,
  ) {}

  get dead(): boolean {
    return this.deadFlag;
  }

  static async start(device: string, opts: { args: string[]; log: (m: string) => void; helloTimeoutMs?: number; command?: EngineCommand }): Promise<NativeEngine> {
    const bin = opts.command?.bin ?? runnerPath();
    if (opts.command === undefined && !existsSync(bin)) throw new Error(`runner not found at ${bin}; build it with \`npm run build:native\``);
    const args = opts.command?.args ?? (device === "cpu" ? ["--backend", "cpu", ...opts.args] : ["--backend", "cuda", ...opts.args]);
    const env = device === "cpu" ? process.env : { ...process.env, CUDA_VISIBLE_DEVICES: device };
    const proc = spawn(bin, args, { env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    track(proc);
    const forward = process.env.GEMBENCH_RUNNER_STDERR === "1";
    const lines = createInterface({ input: proc.stdout });
    let engine: NativeEngine | null = null;
    let stderrEarly = "";
    proc.stderr.on("data", (d: Buffer) => {
      const s = d.toString("utf8");
      if (forward) for (const l of s.split("\n")) if (l.trim() !== "") opts.log(`[runner ${device}] ${l}`);
      if (engine === null) stderrEarly = (stderrEarly + s).slice(-STDERR_KEEP);
      else engine.stderrTail = (engine.stderrTail + s).slice(-STDERR_KEEP);
    });
    proc.stdin.on("error", () => undefined); // EPIPE after the runner died; its exit is reported instead
    const helloTimeoutMs = opts.helloTimeoutMs ?? 30_000;
    let onError: (e: Error) => void = () => undefined;
    let onEarlyExit: (code: number | null, sig: NodeJS.Signals | null) => void = () => undefined;
    let hello: z.infer<typeof Hello>;
    try {
      hello = await new Promise<z.infer<typeof Hello>>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`runner ${bin} sent no hello within ${helloTimeoutMs} ms`)), helloTimeoutMs);
        onError = (e) => {
          clearTimeout(t);
          rej(new Error(`cannot start the runner ${bin}: ${e.message}`));
        };
        onEarlyExit = (code, sig) => {
          clearTimeout(t);
          rej(new Error(`runner exited before its hello (code ${String(code)}, signal ${String(sig)}): ${lastLines(stderrEarly, 5)}`));
        };
        proc.once("error", onError);
        proc.once("exit", onEarlyExit);
        lines.once("line", (line) => {
          clearTimeout(t);
          let h: z.infer<typeof Hello>;
          try {
            h = Hello.parse(JSON.parse(line));
          } catch (e) {
            rej(new Error(`bad runner hello: ${line.slice(0, 200)} (${(e as Error).message})`));
            return;
          }
          if (h.protocol !== PROTOCOL_VERSION) {
            rej(new Error(`runner ${bin} speaks protocol ${h.protocol}, this harness speaks ${PROTOCOL_VERSION}; rebuild it (npm run build:native)`));
            return;
          }
          res(h);
        });
      });
    } catch (e) {
      proc.kill("SIGKILL");
      throw e;
    } finally {
      proc.off("error", onError);
      proc.off("exit", onEarlyExit);
    }
    const info: EngineInfo = {
      kind: opts.command?.kind ?? "native",
      build: hello.build,
      backend: hello.backend,
      device: hello.device,
      computeCapability: hello.computeCapability === undefined || hello.computeCapability === null ? null : String(hello.computeCapability),
      // A runner built before the hello carried `timer` measured with steady_clock but did not say so.
      timer: hello.timer ?? "unknown",
      methods: hello.capabilities.methods ?? [],
      presets: hello.capabilities.presets ?? [],
      turnModes: hello.capabilities.turnModes ?? [],
    };
    engine = new NativeEngine(proc, info, device);
    const e = engine;
    e.stderrTail = stderrEarly;
    lines.on("line", (line) => e.onLine(line));
    proc.on("exit", (code, sig) => e.onExit(code, sig));
    proc.on("error", (err) => e.kill(`runner on ${device} failed: ${err.message}`));
    return engine;
  }

  private stderrNote(): string {
    const tail = lastLines(this.stderrTail, 3);
    return tail === "" ? "" : `; stderr: ${tail}`;
  }

  /** Fail every pending request with `failure` (the runner is gone or unusable). */
  private failPending(failure: EngineFailure): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve({ ok: false, failure });
    }
  }

  /** Kill the runner for a protocol violation: pending requests fail with `message`. */
  private kill(message: string): void {
    if (!this.deadFlag) {
      this.deadFlag = true;
      this.exitNote = message;
      this.proc.kill("SIGKILL");
    }
    this.failPending({ kind: "crashed", message: `${message}${this.stderrNote()}`, hint: "the runner is restarted for the next case; this is a runner bug (it must answer every request with one JSON line)" });
  }

  private onLine(line: string): void {
    let r: z.infer<typeof Response>;
    try {
      r = Response.parse(JSON.parse(line));
    } catch {
      // PROTOCOL.md: stdout carries responses only (logs go to stderr), so this line breaks the stream.
      this.kill(`runner on ${this.device} wrote a line that is not a protocol response: ${JSON.stringify(line.slice(0, 200))}`);
      return;
    }
    if (typeof r.id !== "number") {
      // Only a request the runner could not parse is answered with id null; ours are always valid JSON.
      if (r.id === null && !r.ok) this.kill(`runner on ${this.device} rejected a request as unreadable: ${r.error?.code ?? "?"}: ${r.error?.message ?? ""}`);
      return;
    }
    const p = this.pending.get(r.id);
    if (p === undefined) return; // e.g. the answer to shutdown
    this.pending.delete(r.id);
    clearTimeout(p.timer);
    if (r.ok) p.resolve({ ok: true, value: r.result ?? {} });
    else p.resolve({ ok: false, failure: { kind: "error", code: r.error?.code ?? "internal", message: r.error?.message ?? "runner error", hint: r.error?.hint ?? "" } });
  }

  private onExit(code: number | null, sig: NodeJS.Signals | null): void {
    this.deadFlag = true;
    if (this.exitNote === "") {
      const oom = sig === "SIGKILL" ? " — SIGKILL, possibly the out-of-memory killer" : "";
      this.exitNote = `runner on ${this.device} exited (code ${String(code)}, signal ${String(sig)})${oom}`;
    }
    this.failPending({
      kind: "crashed",
      message: `${this.exitNote}${this.stderrNote()}`,
      hint: "the runner is restarted and the model reloaded for the next case; a crash on one input usually means a runner bug or out of memory",
    });
  }

  private request(op: string, body: Record<string, unknown>, timeoutMs: number): Promise<Outcome<unknown>> {
    if (this.deadFlag) return Promise.resolve({ ok: false, failure: { kind: "crashed", message: this.exitNote || "runner is not running", hint: "restarted for the next case" } });
    const id = this.nextId++;
    return new Promise((res) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.deadFlag = true;
        this.exitNote = `runner on ${this.device} timed out on ${op}`;
        this.proc.kill("SIGKILL");
        res({
          ok: false,
          failure: {
            kind: "timeout",
            message: `runner on ${this.device} gave no answer to ${op} within ${timeoutMs} ms; killed${this.stderrNote()}`,
            hint: "raise run.timeoutMs (or run.loadTimeoutMs) for long inputs or large models, or look for a hang in the runner",
          },
        });
      }, timeoutMs);
      this.pending.set(id, { op, resolve: res, timer });
      this.proc.stdin.write(`${JSON.stringify({ id, op, ...body })}\n`);
    });
  }

  async load(spec: ModelSpec, opts: { timeoutMs: number }): Promise<Outcome<LoadedModel>> {
    return this.parsed(await this.request("load", modelBody(spec), opts.timeoutMs), LoadedModel);
  }

  async describe(spec: ModelSpec, opts: { timeoutMs: number }): Promise<Outcome<LoadedModel>> {
    return this.parsed(await this.request("describe", modelBody(spec), opts.timeoutMs), LoadedModel);
  }

  async generate(req: GenerateRequest, opts: { timeoutMs: number }): Promise<Outcome<GenerateResult>> {
    return this.parsed(await this.request("generate", { ...req, returnLogits: false }, opts.timeoutMs), GenerateResult);
  }

  async exportHf(dir: string, opts: { timeoutMs: number; overwrite: boolean; dtype: "f32" | "bf16" }): Promise<Outcome<unknown>> {
    return this.request("export", { dir, overwrite: opts.overwrite, dtype: opts.dtype }, opts.timeoutMs);
  }

  async fault(kind: "crash" | "hang" | "exit", opts: { timeoutMs: number }): Promise<Outcome<unknown>> {
    return this.request("fault", { kind }, opts.timeoutMs);
  }

  private parsed<T>(out: Outcome<unknown>, schema: z.ZodType<T>): Outcome<T> {
    if (!out.ok) return out;
    const r = schema.safeParse(out.value);
    if (r.success) return { ok: true, value: r.data };
    const failure: EngineFailure = { kind: "error", code: "bad_response", message: `unexpected runner result: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, hint: "runner and harness protocol versions disagree" };
    return { ok: false, failure };
  }

  /** Ask the runner to shut down (it answers after its current request), SIGKILL it after 3 s. */
  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((res) => this.proc.once("exit", () => res()));
    if (!this.deadFlag) {
      this.proc.stdin.write(`${JSON.stringify({ id: this.nextId++, op: "shutdown" })}\n`);
      this.proc.stdin.end();
    } else this.proc.kill("SIGKILL");
    const t = setTimeout(() => this.proc.kill("SIGKILL"), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(t);
  }
}

export function createNativeEngineFactory(opts: { args: string[]; log: (m: string) => void }): EngineFactory {
  return (device) => NativeEngine.start(device, opts);
}

/** The model fields of a load or describe request. */
function modelBody(spec: ModelSpec): Record<string, unknown> {
  const body: Record<string, unknown> = { model: spec.model, seed: spec.seed, dtype: spec.dtype, maxContext: spec.maxContext };
  if (Object.keys(spec.overrides).length > 0) body.overrides = spec.overrides;
  return body;
}
