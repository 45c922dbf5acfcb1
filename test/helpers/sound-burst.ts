import type { Browser } from 'playwright-core';

/** What Chromium's audio jitter buffer (NetEq) did with one lone burst of late sound. */
export interface BurstAnswer {
  /** NetEq's highest target (mean over a 100 ms poll) after the burst, ms. */
  peakTargetMs: number;
  /** From the burst's arrival to the last poll that found NetEq's target at `settledMs` or more, ms (0: none did). */
  targetUpMs: number;
  /** From the burst's arrival until NetEq's buffer had let the backlog out (under `settledMs` again), ms. */
  bufferBackMs: number;
}

/**
 * Plays a tone from one peer connection to another inside a page of `browser` and, once 3 s of
 * it have played, holds the sender's encoded sound for `holdMs` and then lets it all go at once:
 * one burst of late packets, as a page stalled on a busy core receives them. Polls the
 * receiver's stats every 100 ms until the burst has been in NetEq (its buffer held more than
 * half the hold) and has left it (the buffer back under `settledMs`): how long NetEq kept its
 * target up for it, and how long the sound stayed late. 30 s at most.
 */
export async function answerToBurst(browser: Browser, holdMs = 400, settledMs = 100): Promise<BurstAnswer> {
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto('about:blank');
    return await page.evaluate(
      async ({ holdMs, settledMs }) => {
        const sending = new RTCPeerConnection({ encodedInsertableStreams: true } as RTCConfiguration);
        const receiving = new RTCPeerConnection();
        sending.onicecandidate = (e) => void (e.candidate && receiving.addIceCandidate(e.candidate));
        receiving.onicecandidate = (e) => void (e.candidate && sending.addIceCandidate(e.candidate));
        const context = new AudioContext();
        const tone = context.createOscillator();
        const out = context.createMediaStreamDestination();
        tone.connect(out);
        tone.start();
        const sender = sending.addTrack(out.stream.getAudioTracks()[0]!, out.stream);
        let holdUntil = 0;
        let releasedAt = 0;
        const held: unknown[] = [];
        const { readable, writable } = (sender as unknown as { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } }).createEncodedStreams();
        void readable
          .pipeThrough(
            new TransformStream({
              transform(frame, controller) {
                if (performance.now() < holdUntil) {
                  held.push(frame);
                  return;
                }
                if (held.length > 0 && releasedAt === 0) releasedAt = performance.now();
                for (const f of held.splice(0)) controller.enqueue(f);
                controller.enqueue(frame);
              },
            }),
          )
          .pipeTo(writable);
        const track = new Promise<MediaStreamTrack>((resolve) => (receiving.ontrack = (e) => resolve(e.track)));
        await sending.setLocalDescription();
        await receiving.setRemoteDescription(sending.localDescription!);
        await receiving.setLocalDescription();
        await sending.setRemoteDescription(receiving.localDescription!);
        const player = new Audio();
        player.srcObject = new MediaStream([await track]);
        await player.play();

        const deadline = performance.now() + 30_000;
        let last = { delay: 0, target: 0, emitted: 0 };
        /** The next 100 ms poll: NetEq's mean buffer and target over it (ms), NaN when nothing played. */
        const poll = async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          if (performance.now() > deadline) throw new Error('NetEq did not settle within 30 s');
          let inbound: { jitterBufferDelay: number; jitterBufferTargetDelay: number; jitterBufferEmittedCount: number } | undefined;
          (await receiving.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp') inbound = s;
          });
          const now = { delay: inbound?.jitterBufferDelay ?? 0, target: inbound?.jitterBufferTargetDelay ?? 0, emitted: inbound?.jitterBufferEmittedCount ?? 0 };
          const emitted = now.emitted - last.emitted;
          const mean = (k: 'delay' | 'target') => (emitted > 0 ? ((now[k] - last[k]) / emitted) * 1000 : Number.NaN);
          const answer = { bufferMs: mean('delay'), targetMs: mean('target'), played: now.emitted };
          last = now;
          return answer;
        };
        try {
          while ((await poll()).played < 3 * 48_000);
          holdUntil = performance.now() + holdMs;
          let inNetEq = false;
          let peakTargetMs = 0;
          let lastHighAt = Number.NaN;
          for (;;) {
            const { bufferMs, targetMs } = await poll();
            if (releasedAt === 0) continue;
            inNetEq ||= bufferMs > holdMs / 2;
            peakTargetMs = Math.max(peakTargetMs, targetMs || 0);
            if (targetMs >= settledMs) lastHighAt = performance.now();
            if (inNetEq && bufferMs < settledMs) {
              const since = (t: number) => Math.round(t - releasedAt);
              return { peakTargetMs: Math.round(peakTargetMs), targetUpMs: Number.isNaN(lastHighAt) ? 0 : since(lastHighAt), bufferBackMs: since(performance.now()) };
            }
          }
        } finally {
          sending.close();
          receiving.close();
          await context.close();
        }
      },
      { holdMs, settledMs },
    );
  } finally {
    await page.context().close();
  }
}
