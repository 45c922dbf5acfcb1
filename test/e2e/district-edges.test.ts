import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { launchChromium, receivedMedia, waitFor } from '../helpers/browser.ts';
import { startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.ts';
import { TestLan } from '../helpers/netns.ts';
import { descendants, isAlive } from '../helpers/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const secret = () => randomBytes(24).toString('base64url');
/**
 * Every box listens on this port of its own network namespace: each namespace is created for
 * this run and holds nothing else, so the port is free by construction.
 */
const PORT = 8080;
const ROOM = 'physics-101';

interface EdgeView {
  name: string;
  online: boolean;
  classrooms: number;
  link: { sendKbps: number; sentBytes: number; pulls: { room: string; pipes: number }[] };
}

/**
 * A district on one machine: a broadcast classroom ("school") publishing over its WAN link to
 * a central origin SFU, and two edge SFUs ("north", "south") pulling from it, each box in its
 * own network namespace on a bridged LAN, the origin's and the school's uplinks shaped with
 * `tc tbf`. The member classrooms (Chromium) sit in the test's own namespace.
 */
describe('a district: origin and edges in network namespaces', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'classcast-district-'));
  const joinTokenSecret = secret() + secret();
  const technicianToken = secret();
  const publisherToken = secret();
  const edgeTokens = { north: secret(), south: secret() };
  let lan: TestLan;
  const daemons = new Map<string, DaemonProcess>();
  const configs = new Map<string, string>();
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const base = (box: string) => `http://${lan.boxes.get(box)!.ip}:${PORT}`;
  const tech = { authorization: `Bearer ${technicianToken}`, 'content-type': 'application/json' };
  const getJson = async <T,>(url: string): Promise<T> => {
    const response = await fetch(url, { headers: tech });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const feedOf = async (box: string) => {
    const status = await getJson<{ sfu: { rooms: { id: string; feed: { bytes: number; audioPackets: number } }[] } }>(`${base(box)}/api/status`);
    return status.sfu.rooms.find((r) => r.id === ROOM)!.feed;
  };
  const edges = async () => (await getJson<{ edges: EdgeView[] }>(`${base('origin')}/api/status`)).edges;

  const start = async (box: string) => {
    const daemon = await startDaemonProcess(configs.get(box)!, 90_000, (command, args) => lan.spawn(box, command, args, { cwd: ROOT }));
    daemons.set(box, daemon);
    return daemon;
  };
  const kill = async (box: string) => {
    const daemon = daemons.get(box)!;
    const children = descendants(daemon.child.pid!);
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    for (const child of children) if (isAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
  };
  const joinLink = async (classroom: string) => {
    const answer = await fetch(`${base('school')}/api/join-tokens`, { method: 'POST', headers: tech, body: JSON.stringify({ classroom, minutes: 60 }) });
    expect(answer.status).toBe(201);
    return (await answer.json()) as { token: string; url: string };
  };
  const openClassroom = async (classroom: string): Promise<Page> => {
    const page = await chromium.browser.newPage();
    await page.goto((await joinLink(classroom)).url);
    return page;
  };
  const server = (page: Page) => page.evaluate(() => (window as unknown as { classcast: { server: () => string } }).classcast.server());
  /**
   * Frames keep coming: the page decodes `more` frames from now on (counted across a new
   * transport, whose counters start again from zero).
   */
  const decodesMore = async (page: Page, more: number, what: string, timeoutMs = 30_000) => {
    let previous = (await receivedMedia(page)).framesDecoded;
    let decoded = 0;
    const probe = async () => {
      const media = await receivedMedia(page);
      decoded += media.framesDecoded >= previous ? media.framesDecoded - previous : media.framesDecoded;
      previous = media.framesDecoded;
      return { ...media, decoded };
    };
    return waitFor(probe, (m) => m.phase === 'live' && m.decoded >= more, timeoutMs, what);
  };

  beforeAll(async () => {
    lan = new TestLan();
    for (const box of ['school', 'origin', 'north', 'south']) lan.add(box);
    // The WAN: what the origin sends (to the edges) and what the school sends (to the origin).
    lan.shape('origin', '20mbit');
    lan.shape('school', '10mbit');
    const common = (box: string) => ({
      dataDir: path.join(dir, box),
      logLevel: 'info',
      api: { host: lan.boxes.get(box)!.ip, port: PORT, publicUrl: base(box), joinTokenSecret, tokens: [{ name: 'ops', role: 'technician', token: technicianToken }] },
    });
    const write = (box: string, config: Record<string, unknown>) => {
      const file = path.join(dir, `${box}.yaml`);
      writeFileSync(file, stringify({ ...common(box), ...config }));
      configs.set(box, file);
    };
    write('origin', {
      site: { name: 'district origin', classroom: 'unused' },
      roles: { classroom: false, sfu: true },
      sfu: {
        workers: 1,
        listenIp: lan.boxes.get('origin')!.ip,
        publishers: [{ name: 'physics room', room: ROOM, token: publisherToken }],
        edges: [
          { name: 'north', url: base('north'), token: edgeTokens.north, classrooms: ['north-a', 'north-b'] },
          { name: 'south', url: base('south'), token: edgeTokens.south, classrooms: ['south-a', 'south-b', 'south-c'] },
        ],
      },
    });
    for (const edge of ['north', 'south'] as const) {
      write(edge, {
        site: { name: `${edge} edge` },
        roles: { classroom: false, sfu: false, edge: true },
        sfu: { workers: 1, listenIp: lan.boxes.get(edge)!.ip },
        edge: { origin: base('origin'), token: edgeTokens[edge], lingerMs: 1000 },
      });
    }
    write('school', {
      site: { name: 'strong school', classroom: ROOM },
      roles: { classroom: true, sfu: false },
      sfu: { url: base('origin'), publisherToken },
      pipeline: {
        width: 640,
        height: 360,
        fps: 15,
        videoBitrateKbps: 700,
        lowLayer: { enabled: true, width: 320, bitrateKbps: 200 },
        audioChannels: [{ id: 'teacher', name: 'Teacher', role: 'teacher', source: { kind: 'tone', frequency: 440 } }],
      },
      recording: { enabled: false },
    });
    await start('origin');
    await Promise.all([start('north'), start('south'), start('school')]);
    await waitFor(edges, (list) => list.every((e) => e.online), 30_000, 'both edges connected to the origin');
    const started = await fetch(`${base('school')}/api/broadcast/start`, { method: 'POST', headers: tech, body: JSON.stringify({ title: 'District physics', minutes: 60 }) });
    expect(started.status).toBeLessThan(300);
    chromium = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await chromium?.close();
    for (const box of daemons.keys()) {
      if (daemons.get(box)!.child.exitCode === null) await kill(box).catch(() => undefined);
    }
    lan?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an edge pulls one copy per broadcast, only while watched, in every layer, and its classrooms reach the encoder', async () => {
    const keyframeRequests = async () => {
      const text = await (await fetch(`${base('school')}/metrics`)).text();
      return Number(/^classcast_pipeline_keyframe_requests (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await keyframeRequests();
    const pages = await Promise.all(['south-a', 'south-b'].map(openClassroom));
    try {
      for (const page of pages) {
        // The link the school hands out points at the origin, which sends the classroom to its edge.
        expect(page.url().startsWith(`${base('south')}/classroom/`)).toBe(true);
        const media = await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= 30 && m.audioSamples > 48_000 && m.frameWidth === 640, 60_000, 'picture (high layer) and sound at the south edge');
        expect(media.phase).toBe('live');
      }
      // A newcomer's keyframe request went up the pipe to the school's encoder.
      expect(await keyframeRequests()).toBeGreaterThan(before);

      // Two classrooms behind the edge, one pipe from the origin, carrying one copy.
      const south = await waitFor(edges, (list) => list.find((e) => e.name === 'south')!.classrooms === 2, 15_000, 'the south edge reporting its classrooms');
      expect(south.find((e) => e.name === 'south')!.link.pulls).toEqual([{ room: ROOM, pipes: 1 }]);
      // On the wire: over the same few seconds, the pipe carries what the school sends in (every
      // layer once, plus SRTP and retransmissions), not once per classroom.
      const counters = async () => ({ pipe: (await edges()).find((e) => e.name === 'south')!.link.sentBytes, feed: (await feedOf('origin')).bytes });
      const first = await counters();
      await decodesMore(pages[0]!, 45, 'three more seconds of the lesson');
      const second = await counters();
      const ratio = (second.pipe - first.pipe) / (second.feed - first.feed);
      console.info(`pipe bytes / feed bytes with two classrooms behind the edge: ${ratio.toFixed(2)}`);
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.5);
      expect(lan.shaperStats('origin')).toMatch(/Sent [1-9]\d{5,} bytes/);

      // The origin's metrics and console show its edges: online, classrooms, the link.
      const metrics = await (await fetch(`${base('origin')}/metrics`)).text();
      expect(metrics).toContain(`classcast_edge_pipes{edge="south",room="${ROOM}"} 1`);
      expect(metrics).toContain('classcast_edge_up{edge="south"} 1');
      expect(metrics).toMatch(/classcast_edge_link_kbps\{edge="south"\} [1-9]/);
      const consolePage = await chromium.browser.newPage();
      await consolePage.goto(`${base('origin')}/console/?token=${encodeURIComponent(technicianToken)}`);
      const row = consolePage.locator('[data-edge="south"]');
      await row.waitFor({ timeout: 20_000 });
      await waitFor(() => row.innerText(), (text) => text.includes('2 classrooms') && text.includes(ROOM), 20_000, 'the console listing the south edge');
      expect(await row.getAttribute('data-state')).toBe('online');
      expect(await consolePage.locator('[data-edge="north"]').count()).toBe(1);
      await consolePage.close();

    } finally {
      // The last classroom leaves: the edge lets the broadcast go.
      await Promise.all(pages.map((p) => p.close()));
    }
    await waitFor(edges, (list) => list.find((e) => e.name === 'south')!.link.pulls.length === 0, 20_000, 'the south edge to stop pulling');
  }, 180_000);

  it('a stranger who knows the ingest port reaches no classroom', async () => {
    const page = await openClassroom('south-c');
    await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= 15, 60_000, 'the classroom live');
    const origin = daemons.get('origin')!;
    const opened = origin.logs.filter((l) => l.msg === 'ingest open').at(-1) as { ip: string; audio: number };
    expect(opened).toBeDefined();
    const figures = async () => (await feedOf('origin')).audioPackets;
    const socket = createSocket('udp4');
    try {
      const first = await figures();
      // The programme's sound stream as the publisher sends it (payload type, SSRC), in the clear.
      for (let seq = 0; seq < 1000; seq += 1) {
        const rtp = Buffer.alloc(12 + 80, 0x55);
        rtp[0] = 0x80;
        rtp[1] = 100;
        rtp.writeUInt16BE((seq * 7919) & 0xffff, 2);
        rtp.writeUInt32BE(seq * 480, 4);
        rtp.writeUInt32BE(0x1111_0001, 8);
        socket.send(rtp, opened.audio, opened.ip);
        if (seq % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const started = Date.now();
      await decodesMore(page, 15, 'the classroom still playing after the stranger');
      const second = await figures();
      // Only the publisher's packets counted: about 100 a second of 10 ms Opus frames, not 1000 more.
      const seconds = (Date.now() - started) / 1000 + 2;
      expect(second - first).toBeLessThan(100 * seconds + 200);
      expect(second - first).toBeGreaterThan(0);
    } finally {
      socket.close();
      await page.close();
    }
  }, 120_000);

  it('a WHEP player (plain WebRTC, not the project page) plays the lesson at an edge', async () => {
    const { token } = await joinLink('south-a');
    const page = await chromium.browser.newPage();
    try {
      await page.goto(`${base('south')}/healthz`);
      const answer = await page.evaluate(
        async ({ token, endpoint }) => {
          const pc = new RTCPeerConnection();
          const video = document.createElement('video');
          video.muted = true;
          video.autoplay = true;
          document.body.append(video);
          const stream = new MediaStream();
          pc.ontrack = (event) => {
            stream.addTrack(event.track);
            video.srcObject = stream;
            void video.play();
          };
          pc.addTransceiver('video', { direction: 'recvonly' });
          pc.addTransceiver('audio', { direction: 'recvonly' });
          await pc.setLocalDescription(await pc.createOffer());
          const response = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
          const sdp = await response.text();
          if (response.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp });
          (window as unknown as { whep: RTCPeerConnection }).whep = pc;
          return { status: response.status, location: response.headers.get('location'), type: response.headers.get('content-type') };
        },
        { token, endpoint: `${base('south')}/whep` },
      );
      expect(answer.status).toBe(201);
      expect(answer.type).toBe('application/sdp');
      expect(answer.location).toMatch(/^\/whep\/sessions\/[0-9a-f-]{36}$/);
      const played = () =>
        page.evaluate(async () => {
          const result = { frames: 0, samples: 0 };
          for (const s of (await (window as unknown as { whep: RTCPeerConnection }).whep.getStats()).values()) {
            if (s.type !== 'inbound-rtp') continue;
            if (s.kind === 'video') result.frames += Number(s.framesDecoded ?? 0);
            else result.samples += Number(s.totalSamplesReceived ?? 0);
          }
          return result;
        });
      await waitFor(played, (m) => m.frames >= 30 && m.samples > 48_000, 60_000, 'the WHEP player decoding picture and sound');
      // A stranger without the link's token is refused; the session ends with DELETE.
      const refused = await fetch(`${base('south')}/whep`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0' });
      expect(refused.status).toBe(401);
      const ended = await fetch(`${base('south')}${answer.location}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      expect(ended.status).toBe(200);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('a dead edge sends its classrooms elsewhere, and edges pull again after the origin restarts', async () => {
    const pages = await Promise.all(['north-a', 'north-b'].map(openClassroom));
    try {
      for (const page of pages) {
        expect(page.url().startsWith(`${base('north')}/classroom/`)).toBe(true);
        await waitFor(() => receivedMedia(page), (m) => m.framesDecoded >= 15 && m.audioSamples > 24_000, 60_000, 'the classroom live at the north edge');
      }
      await kill('north');
      const killedAt = Date.now();
      const south = `ws://${lan.boxes.get('south')!.ip}:${PORT}/ws/sfu`;
      for (const page of pages) {
        // It moves by itself: to the other edge first.
        const moved = async () => ({ server: await server(page), phase: (await receivedMedia(page)).phase });
        await waitFor(moved, (m) => m.server === south && m.phase === 'live', 30_000, 'the classroom at the other edge');
      }
      console.info(`classrooms of the dead edge live at the other edge ${Date.now() - killedAt} ms after it died`);
      for (const page of pages) await decodesMore(page, 15, 'the classroom playing again after its edge died');
      await waitFor(edges, (list) => !list.find((e) => e.name === 'north')!.online && list.find((e) => e.name === 'south')!.classrooms === 2, 15_000, 'the origin seeing north gone');

      // The origin restarts: the school publishes again, the south edge pulls again by itself.
      await kill('origin');
      await start('origin');
      for (const page of pages) await decodesMore(page, 15, 'the classroom live again after the origin restarted', 90_000);
      const list = await waitFor(edges, (l) => l.find((e) => e.name === 'south')!.link.pulls.length === 1, 20_000, 'the south edge pulling again');
      expect(list.find((e) => e.name === 'south')!.link.pulls).toEqual([{ room: ROOM, pipes: 1 }]);
    } finally {
      await Promise.all(pages.map((p) => p.close()));
    }
  }, 300_000);
});
