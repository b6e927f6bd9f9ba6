// What a new function starts from: every handler, each showing the habit it needs.
import type { ResourceType } from '../api'

const INSERT = `// An insert function runs between the source and this destination.
// Return the event (changed or not) to pass it on; return nothing, or
// throw DropEvent, to filter it out. Throw RetryError to try again later.

async function onTrack(event, settings) {
  // Example: add a field, and drop internal test traffic.
  if (event.properties?.internal) return
  return { ...event, properties: { ...event.properties, enrichedBy: 'insertfn' } }
}

async function onIdentify(event, settings) {
  return event
}

async function onPage(event, settings) {
  return event
}

async function onScreen(event, settings) {
  return event
}

async function onGroup(event, settings) {
  return event
}

async function onAlias(event, settings) {
  return event
}

async function onDelete(event, settings) {
  return event
}

// With batching on, events arrive here in arrays; return the ones to pass on.
async function onBatch(events, settings) {
  return events
}
`

const DESTINATION = `// A destination function sends each event somewhere itself, usually
// with fetch. Throw RetryError to have the event tried again later.

async function onTrack(event, settings) {
  const res = await fetch(settings.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(event),
  })
  if (res.status >= 500 || res.status === 429) throw new RetryError(\`the endpoint answered \${res.status}\`)
  return res.json()
}

async function onIdentify(event, settings) {
  throw new EventNotSupported('identify is not supported')
}

async function onPage(event, settings) {
  throw new EventNotSupported('page is not supported')
}

async function onScreen(event, settings) {
  throw new EventNotSupported('screen is not supported')
}

async function onGroup(event, settings) {
  throw new EventNotSupported('group is not supported')
}

async function onAlias(event, settings) {
  throw new EventNotSupported('alias is not supported')
}

async function onDelete(event, settings) {
  throw new EventNotSupported('delete is not supported')
}

async function onBatch(events, settings) {
  return Promise.all(events.map((e) => onTrack(e, settings)))
}
`

export function template(resourceType: ResourceType): string {
  return resourceType === 'DESTINATION' ? DESTINATION : INSERT
}
