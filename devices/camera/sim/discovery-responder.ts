import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { parseStringPromise, processors } from 'xml2js';
import { endpointFor, MULTICAST_ADDRESS, probeMatchesMessage } from '../discovery/ws-discovery.ts';
import { text } from './soap.ts';

export interface DiscoveryResponderOptions {
  host: string;
  /** 3702 for the real thing; 0 picks a free port (tests probe it by unicast). */
  port: number;
  /** Join 239.255.255.250 (needs port 3702 and a multicast-capable interface). */
  multicast: boolean;
  xaddr: string;
  name: string;
  uuid: string;
  logger: Logger;
}

/** Answers WS-Discovery Probes for NetworkVideoTransmitter (or untyped) with a ProbeMatch. */
export class DiscoveryResponder {
  readonly #options: DiscoveryResponderOptions;
  readonly #logger: Logger;
  #socket: Socket | undefined;
  #port = 0;

  constructor(options: DiscoveryResponderOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'ws-discovery-responder' });
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const { host, port, multicast } = this.#options;
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (msg, rinfo) => {
      this.#answer(msg.toString('utf8'), rinfo.address, rinfo.port).catch(() => {});
    });
    socket.on('error', (error) => this.#logger.warn({ err: error }, 'discovery socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, multicast ? '0.0.0.0' : host, () => resolve());
    });
    if (multicast) socket.addMembership(MULTICAST_ADDRESS, host === '127.0.0.1' ? undefined : host);
    this.#port = socket.address().port;
    this.#socket = socket;
  }

  async #answer(xml: string, address: string, port: number): Promise<void> {
    const envelope = (await parseStringPromise(xml, { explicitArray: false, explicitRoot: false, tagNameProcessors: [processors.stripPrefix] })) as any;
    const probe = envelope?.Body?.Probe;
    if (probe === undefined) return;
    const types = text(probe?.Types) ?? '';
    if (types && !/NetworkVideoTransmitter|Device/.test(types)) return;
    const relatesTo = text(envelope?.Header?.MessageID) ?? '';
    const name = encodeURIComponent(this.#options.name);
    const reply = probeMatchesMessage({
      endpoint: endpointFor(this.#options.uuid),
      relatesTo,
      scopes: [
        'onvif://www.onvif.org/type/video_encoder',
        'onvif://www.onvif.org/type/ptz',
        'onvif://www.onvif.org/Profile/Streaming',
        `onvif://www.onvif.org/name/${name}`,
        'onvif://www.onvif.org/hardware/SimPTZ',
        'onvif://www.onvif.org/location/classroom',
      ],
      xaddrs: [this.#options.xaddr],
    });
    this.#socket?.send(reply, port, address);
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
