import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPage } from '../../daemon/http/pages.ts';

describe('the member-classroom page as served', () => {
  const app = Fastify();
  let boot: Record<string, unknown> | undefined = { routerRtpCapabilities: { codecs: [{ mimeType: 'video/H264' }] }, note: '</script><script>alert(1)</script>' };

  beforeAll(async () => {
    await registerPage(app, 'classroom', { boot: () => boot });
    await app.ready();
  });
  afterAll(() => app.close());

  it('names its script by content, caches it for good and sends it compressed', async () => {
    const html = await app.inject({ url: '/classroom/' });
    expect(html.headers['cache-control']).toBe('no-cache');
    // The HTML loads it after the first picture, from the name in its <meta>.
    const script = /<meta name="classcast-app" content="(app\.[0-9a-f]{16}\.js)">/.exec(html.body)?.[1];
    expect(script).toBeDefined();

    const plain = await app.inject({ url: `/classroom/${script}` });
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await app.inject({ url: `/classroom/${script}`, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    expect(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload)).toBe(true);
    const gzip = await app.inject({ url: `/classroom/${script}`, headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(gzip.headers.vary).toBe('accept-encoding');
  });

  it('carries the boot data as JSON nothing can break out of, and opens its socket early', async () => {
    const html = (await app.inject({ url: '/classroom/' })).body;
    const json = /<script id="classcast-boot" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1];
    expect(json).toBeDefined();
    expect(json).not.toContain('</script>');
    expect(JSON.parse(json!)).toEqual(boot);
    expect(html).toContain("new WebSocket(");
    // Compressed like the script, and the same page once unpacked.
    const br = await app.inject({ url: '/classroom/', headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(html);
    expect(br.rawPayload.length).toBeLessThan(Buffer.byteLength(html) / 2);
    // New boot data, a new page.
    boot = { routerRtpCapabilities: { codecs: [] } };
    const changed = await app.inject({ url: '/classroom/', headers: { 'accept-encoding': 'br' } });
    expect(brotliDecompressSync(changed.rawPayload).toString()).toContain('{"routerRtpCapabilities":{"codecs":[]}}');
    boot = undefined;
    const without = (await app.inject({ url: '/classroom/' })).body;
    expect(without).not.toContain('<script id="classcast-boot"');
  });

  it('answers 404 for anything else in the folder', async () => {
    const response = await app.inject({ url: '/classroom/app.0000000000000000.js' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
