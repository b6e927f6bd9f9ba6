// The `integrations` object routes an event: a destination's name set to false keeps it out, and
// `All: false` keeps it out of every destination not named true (spec section 9).

export function routedTo(event: Record<string, unknown>, destinationName: string): boolean {
  const integrations = event.integrations
  if (typeof integrations !== 'object' || integrations === null || Array.isArray(integrations)) return true
  const map = integrations as Record<string, unknown>
  const named = map[destinationName]
  if (named !== undefined) return named !== false
  return map.All !== false
}
