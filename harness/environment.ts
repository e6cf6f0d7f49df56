// Where a run happened: commit, runner build/backend/device/timer (from the runner's hello), CPU model and SIMD
// features, the load average at a case's start and end, GPU/driver/CUDA (nvidia-smi, when present), host and Node
// version.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, hostname, loadavg } from "node:os";
import type { Environment } from "../core/records.ts";

export interface RunnerHelloInfo {
  build: string;
  backend: string;
  device: string;
  timer: string;
}

function run(cmd: string, args: string[], cwd?: string): string | null {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
  } catch {
    return null;
  }
}

export function gitCommit(cwd: string): string {
  const out = run("git", ["rev-parse", "HEAD"], cwd);
  const sha = out?.trim() ?? "";
  if (!/^[0-9a-f]{40}$/.test(sha)) return "unknown";
  const dirty = run("git", ["status", "--porcelain", "--untracked-files=no"], cwd);
  return dirty !== null && dirty.trim() !== "" ? `${sha}-dirty` : sha;
}

/**
 * Split one CSV line into fields (RFC 4180 quoting: "…" with "" for a quote). nvidia-smi's
 * `--format=csv,noheader,nounits` writes ", " between fields, so fields are trimmed.
 */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur.trim() === "") {
      quoted = true;
      cur = "";
    } else if (ch === ",") {
      fields.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  fields.push(cur.trim());
  return fields;
}

export interface GpuInfo {
  gpu: string | null;
  driver: string | null;
  cuda: string | null;
}

/** Parse `nvidia-smi --query-gpu=name,driver_version --format=csv,noheader,nounits` (one line per GPU). */
export function parseGpuQuery(csv: string): { name: string; driver: string }[] {
  return csv
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [name = "", driver = ""] = parseCsvLine(l);
      return { name, driver };
    });
}

/** The "CUDA Version: 12.4" of nvidia-smi's banner (the query interface has no field for it). */
export function parseCudaVersion(banner: string): string | null {
  return /CUDA Version:\s*([0-9.]+)/.exec(banner)?.[1] ?? null;
}

/** GPU names (joined with " + " when several differ, "N× name" when equal), driver, CUDA; nulls without nvidia-smi. */
export function gpuInfo(visibleDevices?: string): GpuInfo {
  const q = run("nvidia-smi", ["--query-gpu=name,driver_version", "--format=csv,noheader,nounits"]);
  if (q === null) return { gpu: null, driver: null, cuda: null };
  let gpus = parseGpuQuery(q);
  if (visibleDevices !== undefined && /^\d+(,\d+)*$/.test(visibleDevices)) {
    const idx = visibleDevices.split(",").map(Number);
    const picked = idx.map((i) => gpus[i]).filter((g): g is { name: string; driver: string } => g !== undefined);
    if (picked.length > 0) gpus = picked;
  }
  const names = [...new Set(gpus.map((g) => g.name))];
  const gpu = names.length === 0 ? null : names.length === 1 ? (gpus.length > 1 ? `${gpus.length}× ${names[0]}` : names[0]!) : names.join(" + ");
  const banner = run("nvidia-smi", []);
  return { gpu, driver: gpus[0]?.driver ?? null, cuda: banner === null ? null : parseCudaVersion(banner) };
}

export function hostDescription(): string {
  const cs = cpus();
  const model = cs[0]?.model.trim() ?? "unknown CPU";
  return `${hostname()} (${model}, ${cs.length} cores)`;
}

/** The SIMD features that decide which kernels can run (from /proc/cpuinfo's flags; none listed elsewhere). */
const SIMD_FLAGS = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile"];
export function cpuDescription(cpuinfo: string | null, model: string): string {
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo ?? "")?.[1] ?? "").split(/\s+/));
  const have = SIMD_FLAGS.filter((f) => flags.has(f));
  return have.length === 0 ? model : `${model}; ${have.join(" ")}`;
}
let cpuCache: string | null = null;
function cpuOfHost(): string {
  if (cpuCache === null) {
    let info: string | null = null;
    try {
      info = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      info = null;
    }
    cpuCache = cpuDescription(info, cpus()[0]?.model.trim() ?? "unknown CPU");
  }
  return cpuCache;
}

/** The 1/5/15-minute load averages now, rounded to 0.01. */
export function loadAverageNow(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}

/**
 * The environment of a run on one runner. GPU facts and the commit are looked up once per process and cached: the
 * commit is the code this process loaded, even if the working tree changes during a long run (and no git process is
 * spawned per case).
 */
let gpuCache: GpuInfo | null = null;
const commitCache = new Map<string, string>();
export function collectEnvironment(runner: RunnerHelloInfo, repoDir: string, loadAverageAtStart?: number[]): Environment {
  gpuCache ??= gpuInfo(process.env.CUDA_VISIBLE_DEVICES);
  let commit = commitCache.get(repoDir);
  if (commit === undefined) {
    commit = gitCommit(repoDir);
    commitCache.set(repoDir, commit);
  }
  return {
    commit,
    runnerBuild: runner.build,
    backend: runner.backend,
    device: runner.device,
    timer: runner.timer,
    cpu: cpuOfHost(),
    ...(loadAverageAtStart === undefined ? {} : { loadAverage: { start: loadAverageAtStart, end: loadAverageNow() } }),
    gpu: gpuCache.gpu,
    driver: gpuCache.driver,
    cuda: gpuCache.cuda,
    host: hostDescription(),
    node: process.version,
  };
}
