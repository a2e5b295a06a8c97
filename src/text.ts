// Text from hosts and documents, quoted back in problems and messages: cut to a length a person reads.

/** `text` cut at `max` characters, with an ellipsis when it was longer. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
