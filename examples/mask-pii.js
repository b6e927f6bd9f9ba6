// Masks personal data before it leaves for a destination: emails and phone numbers are replaced by
// salted SHA-256 hashes, free-text fields are removed, internal test users are dropped.
// Try it: npx insertfn run examples/mask-pii.js --event examples/identify.json --settings examples/settings.json

const PII_FIELDS = ['email', 'phone']
const DROP_FIELDS = ['address', 'notes', 'password']

function hash(value, salt) {
  return crypto.createHash('sha256').update(salt + String(value).trim().toLowerCase()).digest('hex')
}

function mask(obj, salt) {
  if (!_.isPlainObject(obj)) return obj
  const out = _.omit(obj, DROP_FIELDS)
  for (const field of PII_FIELDS) {
    if (out[field] !== undefined) out[field] = hash(out[field], salt)
  }
  return out
}

async function onIdentify(event, settings) {
  if (String(event.traits && event.traits.email).endsWith('@test.internal')) throw new DropEvent('internal test user')
  event.traits = mask(event.traits, settings.salt || '')
  return event
}

async function onTrack(event, settings) {
  event.properties = mask(event.properties, settings.salt || '')
  _.set(event, 'context.traits', mask(_.get(event, 'context.traits'), settings.salt || ''))
  return event
}

onPage = async (event) => event
onScreen = async (event) => event
onGroup = async (event) => event
onAlias = async (event) => event
