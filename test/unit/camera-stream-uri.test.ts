import { describe, expect, it } from 'vitest';
import { checkStreamUri } from '../../devices/camera/onvif/stream-uri.ts';

const XADDR = 'http://192.168.1.20/onvif/device_service';

describe('checkStreamUri', () => {
  it('takes an RTSP(S) stream on the camera the driver reached', () => {
    expect(checkStreamUri('rtsp://192.168.1.20:554/stream1', XADDR)).toEqual({ uri: 'rtsp://192.168.1.20:554/stream1' });
    expect(checkStreamUri('rtsps://user:pw@192.168.1.20/s', XADDR)).toEqual({ uri: 'rtsps://user:pw@192.168.1.20/s' });
  });

  it('refuses what ffmpeg would open besides a camera stream, and other hosts', () => {
    for (const uri of ['file:///etc/passwd', 'concat:a|b', 'http://192.168.1.20/x.m3u8', 'tcp://192.168.1.20:9', '/dev/video0', 'not a url', '']) {
      expect(checkStreamUri(uri, XADDR), uri).toHaveProperty('problem');
    }
    expect(checkStreamUri('rtsp://10.0.0.5/stream', XADDR)).toEqual({ problem: expect.stringMatching(/10\.0\.0\.5.*streamUri in the config/) });
  });
});
