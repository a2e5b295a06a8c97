// Building the one string an SSH exec request carries. The remote side hands it to the login shell, so every argv
// element becomes one single-quoted POSIX shell word: inside single quotes nothing is special except the quote
// itself, which is closed, emitted escaped, and reopened. Always quoting (even plain words) keeps `a=b` in first
// position from turning into an assignment and `~` from expanding.

/** Quote one argument as a single POSIX shell word. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument cannot contain a NUL byte')
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

/** Quote an argv so that a POSIX shell splits it back into exactly these words, with no expansion. */
export function shellQuote(argv: string[]): string {
  if (argv.length === 0) throw new Error('an empty argv cannot be run')
  return argv.map(quoteArg).join(' ')
}
