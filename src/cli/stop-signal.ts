/**
 * Resolves at the first SIGINT or SIGTERM. The handlers stay: a terminal's Ctrl-C reaches a server twice
 * (from the terminal and from the bin wrapper), and the first starts a clean stop that a second must not
 * cut short by the default action, which kills.
 */
export function stopSignal(): Promise<void> {
  return new Promise((done) => {
    process.on('SIGINT', () => done())
    process.on('SIGTERM', () => done())
  })
}
