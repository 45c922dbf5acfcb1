import type { Device, types } from 'mediasoup-client';
import type { TransportAnswer } from '../../signalling/protocol.ts';
import type { SignalClient } from './signal-client.ts';

/**
 * A classroom's microphone and camera while its talk-back is on air: captured with the
 * browser's echo cancellation and noise suppression, sent on a transport of their own, and
 * stopped (the camera light goes out) the moment the talk-back ends.
 */
export class TalkbackSender {
  readonly #client: SignalClient;
  readonly #device: Device;
  #stream: MediaStream | undefined;
  #transport: types.Transport | undefined;
  #stopped = false;

  constructor(client: SignalClient, device: Device) {
    this.#client = client;
    this.#device = device;
  }

  /** The capture tracks while sending (the page shows they are live; tests check they stop). */
  tracks(): MediaStreamTrack[] {
    return this.#stream?.getTracks() ?? [];
  }

  /** Asks for the devices and sends them; rejects with a message a person can act on. */
  async start(forceTcp: boolean): Promise<void> {
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } },
      });
    } catch (error) {
      const name = (error as DOMException).name;
      throw new Error(
        name === 'NotAllowedError'
          ? 'the browser was not allowed to use the microphone and camera'
          : name === 'NotFoundError'
            ? 'this room has no microphone or camera connected'
            : `the microphone and camera cannot be used (${name})`,
      );
    }
    if (this.#stopped) return this.stop();
    const answer = await this.#client.request('sendTransport', { forceTcp });
    const transport = this.#device.createSendTransport(answer as TransportAnswer as types.TransportOptions);
    this.#transport = transport;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#client.request('connectSendTransport', { dtlsParameters: dtlsParameters as never }).then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
      this.#client.request('produce', { kind, rtpParameters: rtpParameters as never }).then(({ id }) => callback({ id }), errback);
    });
    for (const track of this.#stream.getTracks()) {
      // Ended while starting: stop() already ran, this closes what came after it.
      if (this.#stopped) return this.stop();
      await transport.produce({ track, stopTracks: false });
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#transport?.close();
  }
}
