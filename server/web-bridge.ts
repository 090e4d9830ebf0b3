import type { FastifyInstance } from 'fastify';

/** The browser's address as Fastify saw it (proxy-aware), stamped on each page request by server/web.ts. */
export const bridgeClientIpHeader = 'x-solidarity-client-ip';

/** What SvelteKit's server code uses to call our API in process, without a network hop. */
export interface ApiBridge {
  /** `clientIp`: the browser's address, so the API's per-client limits see the person, not the server. */
  fetch(request: Request, opts?: { clientIp?: string }): Promise<Response>;
}

declare global {
  var __solidarityApi: ApiBridge | undefined;
}

// Pages get their data from the same API the outside world uses, through fastify.inject, so
// there is one set of rules (validation, authorization) for every caller.
export function installApiBridge(app: FastifyInstance): void {
  globalThis.__solidarityApi = {
    async fetch(request, opts = {}) {
      const url = new URL(request.url);
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.from(await request.arrayBuffer());
      const headers = Object.fromEntries(request.headers);
      delete headers[bridgeClientIpHeader];
      const res = await app.inject({
        method: request.method as 'GET',
        url: url.pathname + url.search,
        headers,
        payload: body,
        remoteAddress: opts.clientIp && /^[0-9a-fA-F:.]{2,45}$/.test(opts.clientIp) ? opts.clientIp : undefined,
      });
      const out = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) out.append(name, String(v));
      }
      const nullBody = res.statusCode === 204 || res.statusCode === 304 || request.method === 'HEAD';
      return new Response(nullBody ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: out });
    },
  };
}
