// Reading untyped YAML/JSON (clouds.yaml, API bodies) without trusting its shape.

export type Loose = Record<string, unknown>

export function isLoose(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  const s = String(value)
  return s === '' ? undefined : s
}
