import { describe, expect, it } from 'vitest';
import { deriveKeys, newSrtpKey, SrtpContext } from '../../pipeline/media/srtp.ts';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('SRTP (AES_CM_128_HMAC_SHA1_80)', () => {
  it('derives the session keys of RFC 3711 appendix B.3', () => {
    const keys = deriveKeys(hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6'), { cipher: 0, auth: 1, salt: 2 });
    expect(keys.cipher.toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(keys.salt.toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(keys.auth.toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });

  it('round-trips SRTCP, refuses a forged or altered packet, and encrypts RTP past the header', () => {
    const key = newSrtpKey();
    const sender = new SrtpContext(key);
    const receiver = new SrtpContext(key);
    // A PLI: V=2, FMT=1, PT=206, length 2, sender SSRC, media SSRC.
    const pli = hex('81ce0002' + '11111111' + '22220001');
    const sealed = sender.protectRtcp(pli);
    expect(sealed.length).toBe(pli.length + 14);
    expect(receiver.unprotectRtcp(sealed)).toEqual(pli);
    const altered = Buffer.from(sealed);
    altered[9] = altered[9]! ^ 1;
    expect(receiver.unprotectRtcp(altered)).toBeUndefined();
    expect(new SrtpContext(newSrtpKey()).unprotectRtcp(sealed)).toBeUndefined();
    expect(receiver.unprotectRtcp(pli)).toBeUndefined();

    const rtp = Buffer.concat([hex('80660001' + '00000064' + '22220001'), Buffer.from('payload of a frame')]);
    const srtp = sender.protectRtp(rtp);
    expect(srtp.subarray(0, 12)).toEqual(rtp.subarray(0, 12));
    expect(srtp.subarray(12, rtp.length)).not.toEqual(rtp.subarray(12));
    expect(srtp.length).toBe(rtp.length + 10);
    expect(() => new SrtpContext(Buffer.alloc(16).toString('base64'))).toThrow(TypeError);
  });
});
