import type { FastifyReply } from 'fastify';
import { layout } from './checkout-page';

// What every hosted page (checkout, customer portal) answers with: no caching, no framing, no script.
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
};

export function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(body);
}

export function notFoundPage(reply: FastifyReply, title: string, text: string): FastifyReply {
  return html(reply, 404, layout('Not found', `<h1>${title}</h1><p>${text}</p>`));
}
