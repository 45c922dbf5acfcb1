import type { Logger } from 'pino';
import type { CameraFeed } from '../../pipeline/media/camera-feed.ts';
import type { MediaPipeline } from '../../pipeline/media/media-pipeline.ts';
import { isTalkbackSource, talkbackSource, type Program } from '../../pipeline/media/program.ts';
import { freeEvenUdpPort } from '../../pipeline/media/loopback-sdp.ts';
import { jpegStill } from '../../pipeline/media/still.ts';
import type { BroadcastRoom } from '../../pipeline/sfu/room.ts';
import type { Sender } from '../../pipeline/sfu/sender.ts';
import { TalkbackTap } from '../../pipeline/sfu/talkback-tap.ts';
import type { Studio } from '../broadcast/studio.ts';
import type { TalkbackDesk, TalkbackRequest } from './desk.ts';

/** How often the line checks its rooms on air (a pipeline that came or went, a link that broke). */
const CHECK_MS = 1_000;
/** How often a room whose picture has not come (yet, or again) is asked for a keyframe. */
const KEYFRAME_MS = 250;

interface OnAir {
  id: string;
  classroom: string;
  place: number;
  /** What carries the room now: its tap in the SFU and its ingest in this pipeline. */
  link?: { pipeline: MediaPipeline; tap: TalkbackTap; feed: CameraFeed; keyframes: NodeJS.Timeout };
}

export interface TalkbackLineDeps {
  desk: TalkbackDesk;
  room: BroadcastRoom;
  studio: Studio;
  logger: Logger;
}

/**
 * Puts the rooms on air into the lesson: for each accepted request, once its page sends, the
 * SFU taps its microphone and camera to the pipeline's talk-back place (`TalkbackTap` →
 * `MediaPipeline.openTalkback`), and the program goes side by side, the teacher beside the
 * answering room, until the last room leaves the air, when the program goes back to what it
 * was (unless a technician chose another meanwhile). Checked on every change and once a
 * second: a lesson's pipeline that starts or restarts while a room is on air picks it up.
 */
export class TalkbackLine {
  readonly #deps: TalkbackLineDeps;
  readonly #logger: Logger;
  readonly #onAir = new Map<string, OnAir>();
  /** The program before the first room went on air. */
  #before: Program | undefined;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #onChanged = (request: TalkbackRequest) => this.#changed(request);
  readonly #onSender = () => this.#check();
  readonly #onNewSender = (sender: Sender) => {
    sender.on('producer', this.#onSender);
    sender.on('closed', this.#onSender);
  };

  constructor(deps: TalkbackLineDeps) {
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'talkback-line' });
    deps.desk.on('changed', this.#onChanged);
    deps.room.on('sender', this.#onNewSender);
  }

  /** The rooms on air and whether their picture reaches the pipeline (status, tests). */
  rooms(): { id: string; classroom: string; source: string; linked: boolean; frames: number }[] {
    return [...this.#onAir.values()].map((r) => ({ id: r.id, classroom: r.classroom, source: talkbackSource(r.place), linked: Boolean(r.link), frames: r.link?.feed.frames ?? 0 }));
  }

  /**
   * The latest picture of request `id`'s room as a JPEG, while it is on air and its picture
   * arrives (the console's preview); undefined otherwise. Never before acceptance: a room's
   * camera is used only while it is on air.
   */
  async preview(id: string): Promise<Buffer | undefined> {
    const feed = this.#onAir.get(id)?.link?.feed;
    const frame = feed?.latest();
    return feed && frame ? jpegStill(frame, feed.size) : undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#deps.desk.off('changed', this.#onChanged);
    this.#deps.room.off('sender', this.#onNewSender);
    await this.#queue;
    for (const room of this.#onAir.values()) await this.#unlink(room);
    this.#onAir.clear();
  }

  #changed(request: TalkbackRequest): void {
    const place = this.#deps.desk.placeOf(request.id);
    if (request.state === 'on-air' && place !== undefined) {
      this.#onAir.set(request.id, { id: request.id, classroom: request.classroom, place });
      this.#timer ??= setInterval(() => this.#check(), CHECK_MS);
      this.#enqueue(() => this.#showOnProgram());
    } else if (this.#onAir.has(request.id)) {
      const room = this.#onAir.get(request.id)!;
      this.#onAir.delete(request.id);
      this.#enqueue(async () => {
        await this.#unlink(room);
        await this.#showOnProgram();
      });
    }
    this.#check();
  }

  #check(): void {
    if (this.#onAir.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    this.#enqueue(() => this.#reconcile());
  }

  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue.then(() => (this.#closed ? undefined : step())).catch((error: unknown) => this.#logger.warn({ err: error }, 'talk-back line step failed'));
  }

  /** Links every room on air whose page sends to the running pipeline; drops links that broke. */
  async #reconcile(): Promise<void> {
    const pipeline = this.#deps.studio.pipeline;
    for (const room of this.#onAir.values()) {
      const sender = this.#deps.room.senders().find((s) => s.name === room.classroom && !s.closed && s.producer('audio') && s.producer('video'));
      if (room.link && (room.link.pipeline !== pipeline || room.link.tap.closed || !sender)) await this.#unlink(room);
      if (!room.link && sender && pipeline && pipeline.talkbackPlaces.length > room.place) {
        const ports = { audio: await freeEvenUdpPort(), video: await freeEvenUdpPort() };
        const tap = await TalkbackTap.open(sender, ports);
        try {
          const feed = pipeline.openTalkback(room.place, tap.streams);
          // Its decoder waits for a keyframe: at the start, and after its ingest restarted.
          const keyframes = setInterval(() => {
            if (feed.state !== 'online') tap.requestKeyFrame().catch(() => undefined);
          }, KEYFRAME_MS);
          room.link = { pipeline, tap, feed, keyframes };
          await tap.resume();
          this.#logger.info({ classroom: room.classroom, place: room.place + 1 }, 'talk-back room linked to the program');
        } catch (error) {
          tap.close();
          throw error;
        }
      }
    }
  }

  async #unlink(room: OnAir): Promise<void> {
    const link = room.link;
    if (!link) return;
    room.link = undefined;
    clearInterval(link.keyframes);
    link.tap.close();
    await link.pipeline.closeTalkback(room.place).catch((error: unknown) => this.#logger.warn({ err: error }, 'closing a talk-back ingest failed'));
  }

  /**
   * Side by side while a room is on air: the main place keeps the teacher, the second shows
   * the room that went on air last. Afterwards, the program as it was before.
   */
  async #showOnProgram(): Promise<void> {
    const studio = this.#deps.studio;
    const latest = [...this.#onAir.values()].at(-1);
    if (latest) {
      this.#before ??= studio.program;
      await studio.setProgram({ layout: 'side-by-side', second: talkbackSource(latest.place) });
      return;
    }
    const before = this.#before;
    this.#before = undefined;
    // A technician who changed the program meanwhile keeps their choice.
    if (before && isTalkbackSource(studio.program.second)) await studio.setProgram(before);
  }
}
