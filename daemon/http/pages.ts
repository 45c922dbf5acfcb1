import type { FastifyInstance } from 'fastify';
import { bundlePage, type WebAsset } from '../web/bundle.ts';

/** Serves a bundled page under `/<page>/` (HTML at the folder URL, its script beside it). */
export async function registerPage(app: FastifyInstance, page: 'classroom' | 'console'): Promise<void> {
  const assets: Record<string, WebAsset> = await bundlePage(page);
  app.get(`/${page}`, async (_request, reply) => reply.redirect(`/${page}/`));
  app.get<{ Params: { file: string } }>(`/${page}/:file`, async (request, reply) => {
    const asset = assets[request.params.file];
    if (!asset) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: 'no such file' } });
    return reply
      .header('content-type', asset.contentType)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  });
  app.get(`/${page}/`, async (_request, reply) =>
    reply.header('content-type', assets['']!.contentType).header('cache-control', 'no-cache').send(assets['']!.body),
  );
}
