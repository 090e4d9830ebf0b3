import type { FastifyInstance } from 'fastify';

/** What SvelteKit's server code uses to call our API in process, without a network hop. */
export interface ApiBridge {
  fetch(request: Request): Promise<Response>;
}

declare global {
  var __solidarityApi: ApiBridge | undefined;
}

// Pages get their data from the same API the outside world uses, through fastify.inject, so
// there is one set of rules (validation, authorization) for every caller.
export function installApiBridge(app: FastifyInstance): void {
  globalThis.__solidarityApi = {
    async fetch(request) {
      const url = new URL(request.url);
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.from(await request.arrayBuffer());
      const res = await app.inject({
        method: request.method as 'GET',
        url: url.pathname + url.search,
        headers: Object.fromEntries(request.headers),
        payload: body,
      });
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v));
      }
      const nullBody = res.statusCode === 204 || res.statusCode === 304 || request.method === 'HEAD';
      return new Response(nullBody ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers });
    },
  };
}
