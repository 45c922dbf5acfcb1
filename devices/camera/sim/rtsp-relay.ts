import type { Logger } from 'pino';
import { ClasscastError, InvalidStateError } from '../../../config/foundation/errors.ts';
import { Supervisor } from '../../../config/foundation/process/supervisor.ts';
import { freeTcpPort, pickRtpStartPort, waitForTcp } from './net.ts';

export interface RtspRelayOptions {
  name: string;
  host: string;
  logger: Logger;
}

/**
 * /usr/bin/rtsp-server-perl, with two changes the relay needs to run several times on one
 * machine: RTSP::Server resets its RTP port counter to the package constant $RTP_START_PORT
 * (20000) whenever a connection ends while nothing is mounted (`housekeeping`), so the
 * --rtp_start_port flag alone is forgotten and every relay collides on 20000; and $| = 1,
 * so its log lines reach us as they happen rather than when Perl's pipe buffer fills.
 */
const RELAY_PROGRAM = [
  '$| = 1;',
  '$RTSP::Server::RTP_START_PORT = shift @ARGV;',
  'my $server = RTSP::Server->new_with_options();',
  '$server->listen;',
  'my $cv = AnyEvent->condvar;',
  '$SIG{INT} = $SIG{TERM} = sub { $cv->send };',
  '$cv->recv;',
].join(' ');

/**
 * Debian's rtsp-server-perl (its RTSP::Server module), the relay that makes ffmpeg's pushed stream pullable the way a
 * camera serves it: ffmpeg ANNOUNCEs/RECORDs on the source port, viewers DESCRIBE/SETUP/PLAY
 * on the client port, RTP over UDP only (an interleaved SETUP is refused with 400).
 */
export class RtspRelay {
  readonly #options: RtspRelayOptions;
  readonly #logger: Logger;
  #supervisor: Supervisor | undefined;
  #clientPort = 0;
  #sourcePort = 0;
  #closed = false;

  constructor(options: RtspRelayOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'rtsp-relay' });
  }

  get clientPort(): number {
    return this.#clientPort;
  }

  get sourcePort(): number {
    return this.#sourcePort;
  }

  /** Where a publisher pushes `path`. */
  sourceUrl(path: string): string {
    return `rtsp://${this.#options.host}:${this.#sourcePort}/${path}`;
  }

  /** Where viewers pull `path`. */
  clientUrl(path: string): string {
    return `rtsp://${this.#options.host}:${this.#clientPort}/${path}`;
  }

  async start(): Promise<void> {
    if (this.#closed) throw new InvalidStateError('relay closed');
    let lastError: unknown;
    // Ports are picked free and then handed over, so another process may take one in
    // between; a relay that dies before it listens is retried on fresh ports.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await this.#startOnce();
        return;
      } catch (error) {
        lastError = error;
        await this.#supervisor?.stop();
        this.#supervisor = undefined;
        if (this.#closed) throw new InvalidStateError('relay closed');
      }
    }
    throw new ClasscastError('FFMPEG_START_FAILED', 'rtsp-server-perl did not start', { cause: lastError });
  }

  async #startOnce(): Promise<void> {
    const { host } = this.#options;
    this.#clientPort = await freeTcpPort(host);
    this.#sourcePort = await freeTcpPort(host);
    const rtpStart = await pickRtpStartPort(host);
    const args = [
      '-MRTSP::Server',
      '-MAnyEvent',
      '-e',
      RELAY_PROGRAM,
      String(rtpStart),
      '--clientport', String(this.#clientPort),
      '--serverport', String(this.#sourcePort),
      '--client_listen_address', host,
      '--source_listen_address', host,
      '--rtp_start_port', String(rtpStart),
      '--loglevel', '2',
    ];
    const supervisor = new Supervisor({
      name: `rtsp-relay-${this.#options.name}`,
      command: 'perl',
      args,
      logger: this.#logger,
      backoff: { initialMs: 250, maxMs: 5_000 },
    });
    this.#supervisor = supervisor;
    const exited = new Promise<never>((_, reject) => {
      supervisor.once('exit', (code) => reject(new ClasscastError('FFMPEG_EXITED', `rtsp-server-perl exited with ${code} before listening`)));
    });
    exited.catch(() => {});
    await supervisor.start();
    // Both ports accepting a connection is the readiness signal (log lines vary by level).
    await Promise.race([
      Promise.all([waitForTcp(host, this.#clientPort, 10_000), waitForTcp(host, this.#sourcePort, 10_000)]),
      exited,
    ]);
    this.#logger.info({ clientPort: this.#clientPort, sourcePort: this.#sourcePort, rtpStart }, 'rtsp relay listening');
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#supervisor?.stop();
  }
}
