import { describe, expect, it } from 'vitest';
import { redactUrlCredentials } from '../../config/foundation/redact-url.ts';

describe('redactUrlCredentials', () => {
  it('hides the password of every URL in a text and keeps the rest', () => {
    expect(redactUrlCredentials('rtsp://admin:s3cr%40t@10.0.0.5:554/stream1')).toBe('rtsp://admin:***@10.0.0.5:554/stream1');
    expect(redactUrlCredentials("Input #0, rtsp, from 'rtsp://a:b@h/x' and http://u:p@h2/")).toBe("Input #0, rtsp, from 'rtsp://a:***@h/x' and http://u:***@h2/");
    expect(redactUrlCredentials('rtsp://10.0.0.5/stream1')).toBe('rtsp://10.0.0.5/stream1');
    expect(redactUrlCredentials('rtsp://user@10.0.0.5/')).toBe('rtsp://user@10.0.0.5/');
    expect(redactUrlCredentials('mail me at a:b@c')).toBe('mail me at a:b@c');
  });
});
