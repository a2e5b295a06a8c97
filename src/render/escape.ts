// Names in a snapshot come from remote hosts and tenants (bridges, devices, namespaces, networks, VMs). Each output
// medium gets exactly one escaping function, used wherever that medium is written: terminal text, DOT, HTML, JSON.
// (Shell commands in remedies: ./shell.ts.)

/** What a terminal, a DOT label or an HTML page must never receive raw from a name: C0 and C1 control characters
 * (ESC, CSI, CR, LF, TAB ...), DEL, the Unicode line/paragraph separators and the bidirectional overrides that make
 * text display other than it reads. */
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu

/** Does the text hold a character no medium may receive raw (see UNSAFE)? */
export function hasControl(text: string): boolean {
  return new RegExp(UNSAFE.source, 'u').test(text)
}

/** A character as visible text: \x1b, \x0a, \u202e. */
function visible(c: string): string {
  const code = c.codePointAt(0)!
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** Terminal text, one field (a name, a message, a cell): every control character — newline and tab included — is
 * shown as \xNN, so a name cannot move the cursor, recolour the screen or forge a line ("Verdict: DELIVERED"). */
export function escapeTerminal(field: string): string {
  return field.replace(UNSAFE, visible)
}

/** Terminal text already composed of escaped fields: the lines and tabs the renderer put there stay, anything else
 * is escaped as in escapeTerminal (a last guard over the whole output; idempotent). */
export function terminalSafe(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\t').map(escapeTerminal).join('\t'))
    .join('\n')
}

/** A DOT quoted string (identifier or label) holding one line of text: quotes and backslashes escaped, control
 * characters written as a visible \xNN (the backslash doubled, so Graphviz prints it and never reads an escape), and
 * `&` written as `&amp;`: Graphviz reads HTML entities even in a quoted label, so a name `a&lt;b` would otherwise be
 * drawn `a<b`. */
export function dotString(text: string): string {
  return '"' + dotText(text) + '"'
}

/** A DOT label of several lines, each escaped as in dotString, joined by DOT's own line break. */
export function dotLabel(...lines: string[]): string {
  return '"' + lines.map(dotText).join('\\n') + '"'
}

function dotText(text: string): string {
  return text
    .replace(/[\\"]/g, (c) => '\\' + c)
    .replace(/&/g, '&amp;')
    .replace(UNSAFE, (c) => '\\' + visible(c))
}

const HTML_ENTITIES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}

/** HTML text content and quoted attribute values: the five markup characters as entities, control characters as a
 * visible \xNN (a newline in a name does not start a line of a <pre> either). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]).replace(UNSAFE, visible)
}

const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** JSON output: JSON.stringify escapes C0; this also writes DEL, C1, the line separators and the bidirectional
 * overrides as \uXXXX, so the document carries no raw control character for a terminal or a log viewer to obey. */
export function renderJson(value: unknown): string {
  // The only raw C0 characters left after JSON.stringify are its own indentation newlines.
  return JSON.stringify(value, null, 2).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  )
}
