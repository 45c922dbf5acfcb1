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
 *
 * And one the camera it stands in for needs: its UDP socket for the pushed RTP gets a
 * receive buffer of RECEIVE_BUFFER_BYTES instead of the kernel's default 208 KiB. The relay
 * reads one packet per turn of its Perl event loop; on a busy machine it does not get a core
 * in time for a 720p keyframe's burst, and the kernel dropped the rest (about ten packets a
 * second under `bench glass`, every consumer's picture then smeared until the camera's next
 * keyframe). A real camera loses nothing between its encoder and its RTSP server. The size is
 * forced past `net.core.rmem_max` where the relay may (SO_RCVBUFFORCE: as root),
 * else capped at it.
 */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const RELAY_PROGRAM = [
  '$| = 1;',
  'require RTSP::Server::RTPListener;',
  '{ no warnings "redefine"; my $listen = \\&RTSP::Server::RTPListener::listen;',
  '*RTSP::Server::RTPListener::listen = sub { my $ok = $listen->(@_); my $sock = $_[0]->socket;',
  `setsockopt($sock, Socket::SOL_SOCKET(), Socket::SO_RCVBUFFORCE(), ${RECEIVE_BUFFER_BYTES}) or setsockopt($sock, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), ${RECEIVE_BUFFER_BYTES}) if $ok && $sock; $ok }; }`,
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

  /** The relay's process, while it runs. */
  get pid(): number | undefined {
    return this.#supervisor?.pid;
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
