// An insert function: runs on each event before it reaches the destination. Return the event (changed
// or not) to send it on, return nothing to filter it out, throw RetryError to have it tried again later.
// There are no imports: fetch, crypto, _ and the error classes are globals, as in Segment's runtime.
// Editors complete them through jsconfig.json (insertfn/types).

/**
 * @param {SegmentTrackEvent} event
 * @param {{ apiKey: string, apiUrl: string }} settings
 */
async function onTrack(event, settings) {
  if (event.properties?.internal === true) throw new DropEvent('internal test event')
  const plan = await lookUpPlan(event.userId, settings)
  return { ...event, properties: { ...event.properties, plan } }
}

/** @param {SegmentIdentifyEvent} event */
async function onIdentify(event) {
  return event
}

/**
 * The user's plan from the profile service; "unknown" when it has no profile for them.
 * @param {string | null | undefined} userId
 * @param {{ apiKey: string, apiUrl: string }} settings
 * @returns {Promise<string>}
 */
async function lookUpPlan(userId, settings) {
  if (!userId) return 'unknown'
  const res = await fetch(`${settings.apiUrl}/profiles/${encodeURIComponent(userId)}`, {
    headers: { authorization: `Bearer ${settings.apiKey}` },
  })
  if (res.status === 429 || res.status >= 500) throw new RetryError(`profile service answered ${res.status}`)
  if (!res.ok) return 'unknown'
  const profile = await res.json()
  return profile.plan ?? 'unknown'
}
