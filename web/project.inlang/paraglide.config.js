// Paraglide's compiler options, shared by the Vite plugin (builds) and `npm run prepare` (type checks).
// The locale is never read by Paraglide's own strategies: hooks.server.ts picks it per request
// (cookie, then Accept-Language) and hooks.client.ts reads it back from <html lang>.
import { defineConfig } from '@inlang/paraglide-js';

export default defineConfig({
  outdir: './src/lib/paraglide',
  strategy: ['globalVariable', 'baseLocale'],
  isServer: 'import.meta.env.SSR',
  emitReadme: false,
  emitPrettierIgnore: false,
});
