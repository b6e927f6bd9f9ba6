// Realistic Segment track events of about 600 bytes, varied so no two are the same.
export function realisticEvents(count: number): Record<string, unknown>[] {
  const products = ['SKU-RED-SHIRT-M', 'SKU-BLUE-JEANS-32', 'SKU-WOOL-HAT', 'SKU-RUNNING-SHOE-42']
  return Array.from({ length: count }, (_, i) => ({
    type: 'track',
    event: i % 3 === 0 ? 'Order Completed' : 'Product Viewed',
    messageId: `ajs-next-${(1_000_000 + i).toString(36)}-4f2a9c1e8b7d`,
    userId: `user-${i % 97}`,
    anonymousId: `5f1c2a9e-7b61-4b0e-9d1c-${(100000000000 + i).toString(16)}`,
    timestamp: new Date(Date.UTC(2026, 10, 27, 7, 0, i % 60)).toISOString(),
    receivedAt: '2026-11-27T07:01:00.120Z',
    properties: {
      orderId: `ord_${i}`,
      total: Math.round((20 + i * 1.37) * 100) / 100,
      currency: 'USD',
      products: [
        { sku: products[i % 4], price: 19.99, quantity: 1 + (i % 3) },
        { sku: products[(i + 1) % 4], price: 54.5, quantity: 1 },
      ],
    },
    context: {
      ip: `203.0.113.${i % 255}`,
      library: { name: 'analytics-node', version: '2.2.0' },
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0',
      page: { path: '/checkout' },
    },
    integrations: {},
  }))
}
