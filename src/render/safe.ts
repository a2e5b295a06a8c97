// Names in a snapshot come from remote hosts. Before text reaches a terminal, control characters (ANSI escapes, C1
// CSI, carriage returns) are shown as \xNN, so a hostile device or namespace name cannot rewrite the screen.

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g

export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
