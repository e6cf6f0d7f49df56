// Reading the files gembench is given (configs, tokenizer files, dataset JSONL, records, prediction files): only
// regular files (or links to them) are read — a FIFO would block forever and a link to /dev/zero would grow without
// bound — and each kind has a size bound. Every failure is an InputError naming the file.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { InputError } from "./errors.ts";

const MiB = 1024 * 1024;

/** Size bounds per kind of file: far above any real one, far below what would exhaust memory. */
export const MAX_BYTES = {
  /** Experiment configs, thresholds files, tokenizer_config.json, chat templates, model-info caches. */
  smallJson: 64 * MiB,
  /** tokenizer.json (the largest real ones are ~30 MB). */
  tokenizer: 512 * MiB,
  /** Dataset JSONL, prediction files, records.jsonl (node cannot hold a string above ~512 MiB anyway). */
  data: 1024 * MiB,
} as const;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * The bytes of `path`, which must be a regular file of at most `maxBytes`. `what` names the file's role in errors
 * ("config", "tokenizer.json", …).
 */
export function readRegularFile(path: string, opts: { maxBytes: number; what: string }): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable (permission denied)" : `cannot be opened (${(e as Error).message})`;
    throw new InputError(`${opts.what} ${path} ${why}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError(`${opts.what} ${path} is ${kindOf(st)}, not a regular file`);
    if (st.size > opts.maxBytes) {
      throw new InputError(`${opts.what} ${path} is ${st.size} bytes, more than the ${opts.maxBytes} such a file can be (is it the right file?)`);
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break; // shrank while read: what is there
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** A regular file as UTF-8 text; a leading byte-order mark (editors on Windows write one) is dropped. */
export function readTextFile(path: string, opts: { maxBytes: number; what: string }): string {
  const text = readRegularFile(path, opts).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A regular file holding one JSON value; syntax errors name the file. */
export function readJsonFile(path: string, opts: { maxBytes: number; what: string }): unknown {
  const text = readTextFile(path, opts);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${opts.what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}
