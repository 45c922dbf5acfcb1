import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface WebAsset {
  body: Buffer | string;
  contentType: string;
}

/**
 * Builds a page's script with esbuild in memory (about 100 ms), once per daemon start, so the
 * pages ship with the daemon and need no separate build step or network.
 */
export async function bundlePage(page: 'classroom' | 'console'): Promise<Record<string, WebAsset>> {
  const dir = path.join(here, page);
  const result = await build({
    entryPoints: [path.join(dir, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]!.contents;
  const html = await readFile(path.join(dir, 'index.html'), 'utf8');
  return {
    '': { body: html, contentType: 'text/html; charset=utf-8' },
    'index.html': { body: html, contentType: 'text/html; charset=utf-8' },
    'app.js': { body: Buffer.from(js), contentType: 'text/javascript; charset=utf-8' },
  };
}
