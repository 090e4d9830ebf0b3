export {};

// `npm run bench -- <name>`: runs one benchmark (or all) against real Postgres and prints its table.
const benches: Record<string, () => Promise<void>> = {
  ledger: async () => (await import('./ledger')).runLedgerBench(),
  webhook: async () => (await import('./webhook')).runWebhookBench(),
  appeals: async () => (await import('./appeals')).runAppealsBench(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  await bench();
}
