// Enriches events with the user's account from a CRM API (Basic auth from an API key), caching the
// account per user for a minute, and asks for a retry when the API is overloaded.
// Settings: { "apiKey": "...", "apiBase": "https://crm.example.com" }

const headers = new Headers({ Accept: 'application/json', 'User-Agent': 'insertfn-enrich/1.0' })
let lookups = 0 // module-level state survives between invocations of this function

async function account(userId, settings) {
  const url = new URL(`/v1/accounts/by-user/${encodeURIComponent(userId)}`, settings.apiBase)
  const auth = new Headers(headers)
  auth.set('Authorization', 'Basic ' + btoa(settings.apiKey + ':'))
  let res
  try {
    res = await fetch(url, { headers: auth })
  } catch (err) {
    throw new RetryError(`CRM unreachable: ${err.message}`)
  }
  if (res.status >= 500 || res.status === 429) throw new RetryError(`CRM answered ${res.status}`)
  if (res.status === 404) return null
  if (!res.ok) throw new Error(`CRM answered ${res.status} ${res.statusText}`)
  lookups++
  return res.json()
}

onTrack = async (event, settings) => {
  if (!settings.apiKey) throw new ValidationError('the apiKey setting is required')
  if (!event.userId) return event
  const acct = await cache.load(`acct:${event.userId}`, 60000, () => account(event.userId, settings))
  if (acct) {
    event.context = event.context || {}
    event.context.groupId = acct.id
    event.properties = { ...event.properties, plan: acct.plan, accountName: acct.name }
  }
  console.log(`enriched ${event.messageId} (${lookups} API lookups so far)`)
  return event
}

onIdentify = onTrack
