// Test access to the native runner: one gem-runner process per test file, requests answered in order.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

// GEMBENCH_RUNNER overrides the binary (e.g. a build in another tree), as it does for the harness.
export const runnerPath =
  process.env.GEMBENCH_RUNNER ?? fileURLToPath(new URL("../../engines/native/build/gem-runner", import.meta.url));

export interface RunnerError {
  code: string;
  message: string;
  hint?: string;
}
export type Reply = { id: unknown; ok: true; result: Record<string, unknown> } | { id: unknown; ok: false; error: RunnerError };

export interface RunnerHandle {
  hello: Record<string, unknown>;
  /** Sends one request, resolves with the raw reply. */
  send(req: Record<string, unknown>): Promise<Reply>;
  /** Sends one raw line (malformed on purpose), resolves with the reply whatever its id. */
  sendRaw(line: string): Promise<Reply>;
  /** Sends one request; throws unless the reply is ok; resolves with its result. */
  ok(req: Record<string, unknown>): Promise<Record<string, unknown>>;
  alive(): boolean;
  close(): Promise<void>;
}

// GEMBENCH_RUNNER_ARGS adds arguments to every runner the tests open (the GPU check runs the reference tests with
// "--backend cuda").
const extraArgs = (process.env.GEMBENCH_RUNNER_ARGS ?? "").split(/\s+/).filter((a) => a !== "");

// withExtraArgs = false leaves them out (a CPU reference runner beside the runner under test).
export async function openRunner(args: string[] = ["--threads", "2"], withExtraArgs = true): Promise<RunnerHandle> {
  if (!fs.existsSync(runnerPath)) throw new Error(`${runnerPath} is missing: run npm run build:native`);
  const child: ChildProcessWithoutNullStreams = spawn(runnerPath, [...args, ...(withExtraArgs ? extraArgs : [])], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stderr.resume();
  let exited = false;
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const queued: string[] = [];
  child.on("exit", (code, signal) => {
    exited = true;
    for (const w of waiting.splice(0)) w.reject(new Error(`runner exited (code ${String(code)}, signal ${String(signal)})`));
  });
  const lines = readline.createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    const w = waiting.shift();
    if (w) w.resolve(line);
    else queued.push(line);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const q = queued.shift();
      if (q !== undefined) return resolve(q);
      if (exited) return reject(new Error("runner exited"));
      waiting.push({ resolve, reject });
    });
  const hello = JSON.parse(await nextLine()) as Record<string, unknown>;
  let nextId = 1;
  const handle: RunnerHandle = {
    hello,
    async send(req) {
      const id = nextId++;
      child.stdin.write(`${JSON.stringify({ id, ...req })}\n`);
      const reply = JSON.parse(await nextLine()) as Reply;
      if (reply.id !== id) throw new Error(`reply id ${String(reply.id)} for request ${id}`);
      return reply;
    },
    async sendRaw(line) {
      child.stdin.write(`${line}\n`);
      return JSON.parse(await nextLine()) as Reply;
    },
    async ok(req) {
      const reply = await handle.send(req);
      if (!reply.ok) throw new Error(`${String(req.op)} failed: ${reply.error.code}: ${reply.error.message}`);
      return reply.result;
    },
    alive: () => !exited,
    async close() {
      if (exited) return;
      child.stdin.end();
      await new Promise<void>((resolve) => {
        if (exited) resolve();
        else child.once("exit", () => resolve());
      });
    },
  };
  return handle;
}
