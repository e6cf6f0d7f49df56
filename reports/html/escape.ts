// Escaping for everything that reaches the page. Model outputs, dataset text, labels and config values are all
// untrusted: HTML text/attributes go through esc(), JSON inside <script> goes through jsonForScript().

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(s: string | number | boolean | null | undefined): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => HTML[c]!);
}

/**
 * JSON that is safe inside <script type="application/json">: `<`, `>`, `&` and U+2028/U+2029 become \uXXXX, so no
 * string can close the script element or open a comment, and the text still parses as the same JSON.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
