// Turning whatever was thrown into an Error, and errors that carry a user-facing hint.

/** Whatever was thrown, as an Error (strings and other values are wrapped, Errors pass through). */
export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === "string") return new Error(e);
  try {
    return new Error(JSON.stringify(e));
  } catch {
    return new Error(String(e));
  }
}

/** A bad config or bad command-line usage: the CLI exits 2 and prints the message, no stack. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** An input file that cannot be used (missing, not a regular file, too large, not valid JSON …): exit 2, like bad usage. */
export class InputError extends UsageError {}
