import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { rtspInputOptions } from '../../pipeline/media/graph.ts';
import { orphanSafe } from '../../config/foundation/process/orphan-safe.ts';

/**
 * What schools use instead of WebRTC: the same camera through an ffmpeg → HLS chain (x264
 * `veryfast`/`zerolatency`, a keyframe every second, 1 s segments, a live playlist of four),
 * served over HTTP and played by hls.js with its defaults, as a typical school streaming
 * setup does. Runs beside the demo in the same `bench glass` run.
 */
export class HlsChain {
  readonly #child: ChildProcess;
  readonly #server: Server;

  private constructor(child: ChildProcess, server: Server) {
    this.#child = child;
    this.#server = server;
  }

  static async start(rtspUrl: string, fps: number, dir: string): Promise<HlsChain> {
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error', ...rtspInputOptions(), '-i', rtspUrl, '-an',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
      '-f', 'hls', '-hls_time', '1', '-hls_list_size', '4', '-hls_flags', 'delete_segments+independent_segments',
      path.join(dir, 'live.m3u8'),
    ];
    const [command, finalArgs] = orphanSafe('ffmpeg', args);
    const child = spawn(command, finalArgs, { stdio: ['ignore', 'ignore', 'ignore'] });
    const hlsJs = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
    const server = createServer((request, response) => {
      const name = (request.url ?? '/').split('?')[0]!;
      const file =
        name === '/' ? { body: Promise.resolve(Buffer.from('<!doctype html><video muted autoplay playsinline></video>')), type: 'text/html' }
        : name === '/hls.js' ? { body: readFile(hlsJs), type: 'text/javascript' }
        : /^\/[a-z0-9]+\.(m3u8|ts)$/.test(name) ? { body: readFile(path.join(dir, name.slice(1))), type: name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' }
        : undefined;
      if (!file) return void response.writeHead(404).end();
      file.body.then(
        (body) => response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' }).end(body),
        () => response.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new HlsChain(child, server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
  }

  /** A page in `browser` playing the chain with hls.js (its defaults). */
  async open(browser: Browser): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(this.url);
    await page.addScriptTag({ url: '/hls.js' });
    await page.waitForFunction(() => 'Hls' in window);
    // The playlist appears after the first segment is written.
    for (const deadline = Date.now() + 30_000; ; ) {
      const ok = await fetch(`${this.url}live.m3u8`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('bench glass: the HLS chain wrote no playlist');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await page.evaluate(() => {
      const HlsCtor = (window as unknown as { Hls: new () => { loadSource(u: string): void; attachMedia(v: HTMLVideoElement): void } }).Hls;
      const hls = new HlsCtor();
      hls.loadSource('/live.m3u8');
      hls.attachMedia(document.querySelector('video')!);
    });
    return page;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
    // hls.js polls the playlist every second over keep-alive: wait for that and close never ends.
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
