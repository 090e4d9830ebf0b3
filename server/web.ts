import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { bridgeClientIpHeader, installApiBridge } from './web-bridge';

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

export const webBuildHandlerPath = new URL('../web/build/handler.js', import.meta.url);

/**
 * Serves the SvelteKit app (adapter-node build) for every path outside /api and the health
 * routes. The request stream is left unread so SvelteKit's form actions can read it.
 */
export const webPlugin: FastifyPluginAsync<{ publicUrl?: string }> = async (app, opts) => {
  installApiBridge(app);
  // adapter-node derives the page origin (and so its CSRF check) from these; without them it
  // assumes https. A set PUBLIC_URL is the one origin; otherwise the request's own protocol.
  if (opts.publicUrl) process.env.ORIGIN ??= opts.publicUrl.replace(/\/$/, '');
  else process.env.PROTOCOL_HEADER ??= 'x-solidarity-protocol';
  // Form posts carry a cover image (at most 2 MB, as the API allows) plus the form around it.
  process.env.BODY_SIZE_LIMIT ??= String(3 * 1024 * 1024);
  const handler = await loadHandler();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/*',
    schema: { hide: true },
    handler: (req, reply) => {
      // Fastify's hooks set security headers on the reply; hand them to the raw response first.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value as string | string[]);
      }
      req.raw.headers['x-solidarity-protocol'] = req.protocol;
      // The pages call the API in process; this lets those calls count against the browser's own
      // address (rate limits, sign-in limits), never the server's. Set here, so a client's copy is overwritten.
      req.raw.headers[bridgeClientIpHeader] = req.ip;
      // SvelteKit reads a body through a stream that pauses the request until the page reads it. A
      // body it never reads (an action that redirects first, a 415, sign-out) would stall the
      // keep-alive connection, and the browser's next request on it would never be answered
      // (sveltejs/kit#15526): once the answer is sent, the rest is read and dropped, as Node does.
      reply.raw.once('finish', () => {
        if (req.raw.complete || req.raw.destroyed) return;
        req.raw.removeAllListeners('data');
        req.raw.resume();
      });
      reply.hijack();
      handler(req.raw, reply.raw, () => {
        reply.raw.statusCode = 404;
        reply.raw.end('Not found');
      });
    },
  });
};

async function loadHandler(): Promise<NodeHandler> {
  if (!existsSync(webBuildHandlerPath)) {
    return (_req, res) => {
      res.statusCode = 503;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('The web app is not built yet: run `npm run build` (npm start does it for you).');
    };
  }
  const mod = (await import(pathToFileURL(webBuildHandlerPath.pathname).href)) as { handler: NodeHandler };
  return mod.handler;
}
