import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// In `npm run dev` the API runs on API_PORT and the browser's /api calls are proxied to it.
const apiOrigin = `http://127.0.0.1:${process.env.API_PORT ?? '3001'}`;

export default defineConfig({
  // Compiles web/messages/*.json into tree-shaken message functions (options in project.inlang/).
  plugins: [paraglideVitePlugin({ project: './project.inlang' }), sveltekit()],
  server: { port: Number(process.env.PORT ?? 3000), proxy: { '/api': apiOrigin } },
});
