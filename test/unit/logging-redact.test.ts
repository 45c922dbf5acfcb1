import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRootLogger } from '../../daemon/logging.ts';

describe('root logger', () => {
  it('writes JSON lines and never a secret', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createRootLogger('info', sink);
    logger.child({ component: 'test' }).info(
      {
        password: 'camera-pass-1',
        camera: { password: 'camera-pass-2' },
        token: 'api-token-3',
        api: { joinTokenSecret: 'join-secret-4', publisherToken: 'publisher-5' },
        req: { headers: { authorization: 'Bearer header-6' } },
      },
      'something happened',
    );
    logger.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ msg: 'something happened', component: 'test', level: 30 });
    for (const secret of ['camera-pass-1', 'camera-pass-2', 'api-token-3', 'join-secret-4', 'publisher-5', 'header-6']) {
      expect(lines[0]).not.toContain(secret);
    }
  });
});
