// An insert function: runs on each event before it reaches the destination. Return the event (changed
// or not) to send it on, return nothing to filter it out, throw RetryError to have it tried again later.
// Types come from insertfn/types (see tsconfig.json); there are no imports: fetch, crypto, _ and the
// error classes are globals, as in Segment's runtime.

/** The settings declared in insertfn.json, as the function receives them. */
interface FunctionSettings {
  apiKey: string
  apiUrl: string
}

async function onTrack(event: SegmentTrackEvent, settings: FunctionSettings) {
  if (event.properties?.internal === true) throw new DropEvent('internal test event')
  const plan = await lookUpPlan(event.userId, settings)
  return { ...event, properties: { ...event.properties, plan } }
}

async function onIdentify(event: SegmentIdentifyEvent) {
  return event
}

/** The user's plan from the profile service; "unknown" when it has no profile for them. */
async function lookUpPlan(userId: string | null | undefined, settings: FunctionSettings): Promise<string> {
  if (!userId) return 'unknown'
  const res = await fetch(`${settings.apiUrl}/profiles/${encodeURIComponent(userId)}`, {
    headers: { authorization: `Bearer ${settings.apiKey}` },
  })
  if (res.status === 429 || res.status >= 500) throw new RetryError(`profile service answered ${res.status}`)
  if (!res.ok) return 'unknown'
  const profile = (await res.json()) as { plan?: string }
  return profile.plan ?? 'unknown'
}
