import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../config/foundation/atomic-file.ts';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { AudioRing } from './audio-ring.ts';
import type { CameraFeed } from './camera-feed.ts';
import { loopbackSdp, type RtpStreamDescription } from './loopback-sdp.ts';
import type { PictureIngest } from './picture-ingest.ts';
import { talkbackSource } from './program.ts';

/** A talk-back room's sound and picture, as the SFU sends them. */
export interface TalkbackStreams {
  audio: RtpStreamDescription;
  video: RtpStreamDescription;
}

/**
 * The talk-back rooms' way into the compositor: for a room on air on place `k`, one ingest (an
 * ffmpeg reading the SFU's RTP through an SDP file) decodes its picture, a source of the
 * program (`talkback-<k+1>`), and its sound, into the pump's channel of that place, both on
 * the room's one timeline. The places' channels exist from the compositor's start (silent
 * while nobody speaks), so a room going on air never restarts the encoder.
 */
export class TalkbackIntake {
  readonly #dir: string;
  readonly #pictures: PictureIngest | undefined;
  readonly #rings: ReadonlyMap<string, AudioRing>;

  constructor(options: { workDir: string; pictures: PictureIngest | undefined; rings: ReadonlyMap<string, AudioRing> }) {
    this.#dir = options.workDir;
    this.#pictures = options.pictures;
    this.#rings = options.rings;
  }

  /** Starts the ingest of the room on air on `place`; its picture is there from its first frame. */
  open(place: number, streams: TalkbackStreams): CameraFeed {
    const id = talkbackSource(place);
    const ring = this.#rings.get(id);
    if (!ring || !this.#pictures) throw new ClasscastError('INVALID_STATE', `no talk-back place ${place + 1} in this pipeline`);
    const path = join(this.#dir, `${id}.sdp`);
    writeFileAtomic(
      path,
      loopbackSdp('classcast talk-back', [
        { type: 'video', stream: streams.video },
        { type: 'audio', stream: streams.audio },
      ]),
    );
    return this.#pictures.addGuest(
      {
        id,
        url: path,
        // Low delay as for a camera; the SFU's packets carry header extensions ffmpeg skips.
        inputOptions: ['-protocol_whitelist', 'file,udp,rtp', '-buffer_size', String(1024 * 1024), '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '500000', '-analyzeduration', '500000', '-reorder_queue_size', '16'],
      },
      ring,
    );
  }

  /** The room on `place` leaves: its ingest stops, its channel falls silent. */
  async close(place: number): Promise<void> {
    const id = talkbackSource(place);
    await this.#pictures?.removeGuest(id);
    this.#rings.get(id)?.reset();
    await rm(join(this.#dir, `${id}.sdp`), { force: true });
  }
}
