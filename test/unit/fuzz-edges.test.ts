import fc from 'fast-check';
import ical from 'node-ical';
import { describe, expect, it } from 'vitest';
import { isClasscastError } from '../../config/foundation/errors.ts';
import { ConfigInvalidError, parseConfig } from '../../config/load.ts';
import { checkSoapResponse } from '../../devices/camera/onvif/fault.ts';
import { codecFor } from '../../devices/micarray/codecs.ts';
import type { DeviceMessage, MicArrayProtocol } from '../../devices/micarray/types.ts';
import { requestSchema } from '../../daemon/signalling/protocol.ts';
import { answerRequestFrame } from '../../daemon/signalling/request-frame.ts';
import { icalOccurrences } from '../../daemon/schedule/ical.ts';

/**
 * Property-based fuzzing of every edge where outside bytes become data: serial streams, socket
 * frames, SOAP answers, config files and calendars. Each property: whatever arrives, the
 * parser answers with data or a coded error (ClasscastError), never an uncaught throw, and a
 * serial framer finds valid frames again after garbage. fast-check shrinks a failure to a
 * minimal input and prints its seed.
 */

const PROTOCOLS: MicArrayProtocol[] = ['shure-ascii', 'binary'];

/** Valid messages of a protocol: what resync must find again after garbage. */
const message: fc.Arbitrary<DeviceMessage> = fc.oneof(
  fc.record({ kind: fc.constant('gain' as const), channel: fc.integer({ min: 1, max: 8 }), gainDb: fc.integer({ min: -60, max: 20 }) }),
  fc.record({ kind: fc.constant('mute' as const), channel: fc.integer({ min: 1, max: 8 }), muted: fc.boolean() }),
  fc.record({ kind: fc.constant('deviceMute' as const), muted: fc.boolean() }),
);

/** A frame's opening bytes (either protocol's) and then a long run without its end. */
const frameStartThenFiller = fc
  .tuple(fc.constantFrom(Buffer.from('<'), Buffer.from([0xff, 0x55, 0x40])), fc.integer({ min: 0, max: 1500 }), fc.constantFrom(0x41, 0x20, 0x00))
  .map(([start, n, fill]) => new Uint8Array(Buffer.concat([start, Buffer.alloc(n, fill)])));

describe('fuzz: serial byte streams', () => {
  for (const protocol of PROTOCOLS) {
    const codec = codecFor(protocol);

    it(`${protocol}: any bytes in any chunking never throw, and nothing piles up`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), frameStartThenFiller), { maxLength: 30 }), (chunks) => {
          const framer = codec.createFramer();
          let fed = 0;
          let out = 0;
          for (const chunk of chunks) {
            fed += chunk.length;
            for (const item of framer.push(Buffer.from(chunk))) {
              if ('frame' in item) {
                out += item.frame.length;
                codec.decodeMessage(item.frame);
                codec.decodeCommand(item.frame);
              } else {
                out += item.garbage.length;
              }
            }
          }
          // What the framer still holds is at most one frame in the making.
          expect(fed - out).toBeLessThanOrEqual(520);
        }),
        { numRuns: 300 },
      );
    });

    it(`${protocol}: after garbage, the next valid messages are read again (resync)`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), message, message, fc.integer({ min: 1, max: 16 }), (garbage, first, second, chunkSize) => {
          const framer = codec.createFramer();
          const bytes = Buffer.concat([Buffer.from(garbage), codec.encodeMessage(first), codec.encodeMessage(second), codec.encodeMessage(second)]);
          const decoded: DeviceMessage[] = [];
          for (let i = 0; i < bytes.length; i += chunkSize) {
            for (const item of framer.push(bytes.subarray(i, i + chunkSize))) {
              if ('frame' in item) {
                const m = codec.decodeMessage(item.frame);
                if (m) decoded.push(m);
              }
            }
          }
          // Garbage may swallow the first message's start; the framer is back in step by the next.
          expect(decoded.slice(-1)).toEqual([second]);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('fuzz: signalling socket frames', () => {
  it('any text or JSON frame gets an answer frame, never a throw or an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), fc.record({ id: fc.integer(), method: fc.string(), data: fc.anything({ maxDepth: 2 }) }).map((f) => JSON.stringify(f))),
        fc.boolean(),
        async (text, isBinary) => {
          const unexpected: unknown[] = [];
          const answer = await answerRequestFrame(text, isBinary, { schema: requestSchema, handle: async (request) => request.method, onUnexpected: (e) => unexpected.push(e) });
          expect(unexpected).toEqual([]);
          if (!answer.ok) expect(answer.error.code).toBe('BAD_REQUEST');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: SOAP answers', () => {
  const xmlish = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.constantFrom('<?xml version="1.0"?>', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">', '<s:Body>', '<s:Fault>', '</s:Fault>', '</s:Body>', '</s:Envelope>', '<![CDATA[', '&amp;', '&#0;', '<!DOCTYPE x [<!ENTITY a "b">]>').chain((head) =>
      fc.array(fc.constantFrom('<s:Body>', '</s:Body>', '<s:Fault>', '<s:Code><s:Value>s:Sender</s:Value></s:Code>', '<x>', '</x>', 'text', '&lt;', '\u0000'), { maxLength: 12 }).map((parts) => head + parts.join('')),
    ),
  );

  it('any answer and status resolve or reject with a coded error', async () => {
    await fc.assert(
      fc.asyncProperty(xmlish, fc.constantFrom(200, 400, 401, 500, 503), async (xml, status) => {
        try {
          await checkSoapResponse(xml, status);
        } catch (error) {
          expect(isClasscastError(error), String(error)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('fuzz: config files', () => {
  it('any YAML-shaped value is a config or a ConfigInvalidError listing its problems', () => {
    const value = fc.oneof(
      fc.anything({ maxDepth: 3 }),
      // Close to real configs: known sections with values of any shape.
      fc.record(
        {
          site: fc.anything({ maxDepth: 2 }),
          api: fc.oneof(fc.anything({ maxDepth: 2 }), fc.record({ host: fc.string(), port: fc.oneof(fc.integer(), fc.string()) })),
          pipeline: fc.oneof(fc.anything({ maxDepth: 2 }), fc.record({ width: fc.integer(), height: fc.integer(), fps: fc.double(), audioChannels: fc.anything({ maxDepth: 2 }) })),
          cameras: fc.anything({ maxDepth: 3 }),
          micArrays: fc.anything({ maxDepth: 3 }),
          schedule: fc.anything({ maxDepth: 2 }),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(value, (raw) => {
        try {
          parseConfig(raw, 'fuzz.yaml', '/tmp');
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(ConfigInvalidError);
          expect((error as ConfigInvalidError).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('fuzz: calendar files', () => {
  const line = fc.oneof(
    fc.constantFrom('BEGIN:VCALENDAR', 'END:VCALENDAR', 'BEGIN:VEVENT', 'END:VEVENT', 'SUMMARY:Maths', 'UID:x@y', 'DTSTART:20261130T080000Z', 'DTEND:20261130T084500Z', 'DTSTART;TZID=Europe/Berlin:20261130T080000', 'DTSTART;VALUE=DATE:20261130', 'EXDATE:20261207T080000Z', 'RECURRENCE-ID:20261207T080000Z', 'STATUS:CANCELLED'),
    fc.constantFrom('RRULE:FREQ=', 'RRULE:FREQ=WEEKLY;BYDAY=', 'RRULE:FREQ=SECONDLY;INTERVAL=', 'RRULE:FREQ=DAILY;COUNT=', 'RRULE:FREQ=WEEKLY;UNTIL=', 'DTSTART:', 'DTEND:').chain((head) => fc.string({ maxLength: 20 }).map((tail) => head + tail)),
    fc.string({ maxLength: 60 }),
  );

  it('any text read as a calendar gives lessons or a parse error, and expanding them never throws', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), (lines) => {
        let calendar: ReturnType<typeof ical.sync.parseICS>;
        try {
          calendar = ical.sync.parseICS(lines.join('\r\n'));
        } catch {
          // loadIcalFile turns a parse failure into SCHEDULE_INVALID; nothing to expand.
          return;
        }
        const from = Date.UTC(2026, 10, 30);
        const occurrences = icalOccurrences(calendar, from, from + 14 * 86_400_000);
        for (const o of occurrences) expect(o.end).toBeGreaterThanOrEqual(o.start);
      }),
      { numRuns: 300 },
    );
  });
});
