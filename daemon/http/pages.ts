import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asset, bundlePage, type WebAsset } from '../web/bundle.ts';

export interface PageOptions {
  /**
   * Data the page needs before its first request (e.g. the SFU's router capabilities), put
   * into the HTML as JSON at `<!--classcast:boot-->`; undefined leaves the placeholder empty.
   */
  boot?: () => Record<string, unknown> | undefined;
  /**
   * For the page's `?token=`: the base URL of another server that serves this page to its
   * holder (302 there, the query kept), or undefined to serve it here.
   */
  redirect?: (token: string) => string | undefined;
}

/** The encoding to send, from the request's Accept-Encoding (brotli, else gzip, else none). */
function pickEncoding(request: FastifyRequest): 'br' | 'gzip' | undefined {
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accepted)) return 'br';
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  return undefined;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: WebAsset) {
  const encoding = pickEncoding(request);
  reply
    .header('content-type', asset.contentType)
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('vary', 'accept-encoding');
  if (encoding) reply.header('content-encoding', encoding);
  return reply.send(encoding ? asset[encoding] : asset.body);
}

/** JSON inside a <script> element: nothing in it may close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * Serves a bundled page under `/<page>/` (HTML at the folder URL, its script beside it). The
 * script is named by its hash and cached for good; the HTML is small and revalidated, and
 * carries the page's boot data when it has any.
 */
export async function registerPage(app: FastifyInstance, page: 'classroom' | 'console', options: PageOptions = {}): Promise<void> {
  const { assets, html } = await bundlePage(page);
  const htmlAsset = assets['']!;
  app.get(`/${page}`, async (_request, reply) => reply.redirect(`/${page}/`));
  let withBoot: { json: string; asset: WebAsset } | undefined;
  const serveHtml = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = (request.query as Record<string, unknown> | undefined)?.token;
    const elsewhere = typeof token === 'string' ? options.redirect?.(token) : undefined;
    if (elsewhere) return reply.redirect(`${elsewhere}/${page}/${request.url.slice(request.url.indexOf('?'))}`, 302);
    const boot = options.boot?.();
    if (!boot) return send(request, reply, htmlAsset);
    // Compressed like the script (a few KiB less through a rural link on every load), once
    // per boot data: the router's capabilities change only with the room.
    const json = scriptJson(boot);
    if (withBoot?.json !== json) {
      const body = html.replace('<!--classcast:boot-->', `<script id="classcast-boot" type="application/json">${json}</script>`);
      withBoot = { json, asset: asset(Buffer.from(body), htmlAsset.contentType, false) };
    }
    return send(request, reply, withBoot.asset);
  };
  app.get(`/${page}/`, serveHtml);
  app.get<{ Params: { file: string } }>(`/${page}/:file`, async (request, reply) => {
    if (request.params.file === 'index.html' || request.params.file === '') return serveHtml(request, reply);
    const asset = assets[request.params.file];
    if (!asset) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no such file' } });
    return send(request, reply, asset);
  });
}
