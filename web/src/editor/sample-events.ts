// One realistic event of each type, for the test panel and the filter preview.
const common = {
  anonymousId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
  messageId: 'test-message-1',
  timestamp: '2026-11-27T09:00:00.000Z',
  context: { ip: '203.0.113.7', library: { name: 'analytics.js', version: '1.84.3' }, page: { url: 'https://shop.example/checkout' } },
}

export const SAMPLE_EVENTS: Record<string, Record<string, unknown>> = {
  track: { ...common, type: 'track', userId: 'user-42', event: 'Order Completed', properties: { orderId: 'o-1001', revenue: 99.5, currency: 'EUR' } },
  identify: { ...common, type: 'identify', userId: 'user-42', traits: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' } },
  page: { ...common, type: 'page', userId: 'user-42', name: 'Checkout', category: 'Shop', properties: { path: '/checkout', title: 'Checkout' } },
  screen: { ...common, type: 'screen', userId: 'user-42', name: 'Cart', properties: { items: 3 } },
  group: { ...common, type: 'group', userId: 'user-42', groupId: 'acme', traits: { name: 'Acme Inc', employees: 120 } },
  alias: { ...common, type: 'alias', userId: 'user-42', previousId: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a' },
  delete: { ...common, type: 'delete', userId: 'user-42' },
}

export const pretty = (v: unknown): string => JSON.stringify(v, null, 2)
