import { createSocket } from 'node:dgram';
import { parseStringPromise, processors } from 'xml2js';
import { DISCOVERY_PORT, MULTICAST_ADDRESS, probeMessage } from './ws-discovery.ts';

export interface DiscoveredCamera {
  /** The device's endpoint reference, e.g. urn:uuid:… */
  urn: string;
  xaddrs: string[];
  scopes: string[];
  types: string[];
  /** From the `onvif://www.onvif.org/name/…` and `/hardware/…` scopes. */
  name?: string;
  hardware?: string;
  /** Who answered. */
  address: string;
}

export interface ProbeOptions {
  /** Where to send the Probe: the multicast group by default, or one device by unicast. */
  address?: string;
  port?: number;
  /** How long to collect ProbeMatches (default 3,000 ms). */
  timeoutMs?: number;
  /** Local address to send from (picks the interface for multicast). */
  bindAddress?: string;
  /** Stop collecting early once this many cameras answered. */
  expect?: number;
}

const textOf = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' && '_' in v ? String((v as { _: unknown })._) : '');
const words = (v: unknown) => textOf(v).split(/\s+/).filter(Boolean);

function scopeValue(scopes: string[], kind: string): string | undefined {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const scope = scopes.find((s) => s.startsWith(prefix));
  if (!scope) return undefined;
  try {
    return decodeURIComponent(scope.slice(prefix.length));
  } catch {
    return scope.slice(prefix.length);
  }
}

/** Sends one WS-Discovery Probe and collects the ProbeMatches that answer it. */
export async function probeCameras(options: ProbeOptions = {}): Promise<DiscoveredCamera[]> {
  const address = options.address ?? MULTICAST_ADDRESS;
  const port = options.port ?? DISCOVERY_PORT;
  const { messageId, xml } = probeMessage();
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const found = new Map<string, DiscoveredCamera>();
  const parsing: Promise<void>[] = [];
  let enough: () => void = () => {};
  const enoughFound = new Promise<void>((resolve) => (enough = resolve));
  socket.on('message', (msg, rinfo) => {
    parsing.push(
      (async () => {
        const envelope = (await parseStringPromise(msg.toString('utf8'), {
          explicitArray: false,
          explicitRoot: false,
          tagNameProcessors: [processors.stripPrefix],
        })) as any;
        if (textOf(envelope?.Header?.RelatesTo) !== messageId) return;
        const matches = envelope?.Body?.ProbeMatches?.ProbeMatch;
        for (const match of Array.isArray(matches) ? matches : matches ? [matches] : []) {
          const urn = textOf(match?.EndpointReference?.Address);
          if (!urn || found.has(urn)) continue;
          const scopes = words(match?.Scopes);
          const name = scopeValue(scopes, 'name');
          const hardware = scopeValue(scopes, 'hardware');
          found.set(urn, {
            urn,
            xaddrs: words(match?.XAddrs),
            scopes,
            types: words(match?.Types),
            ...(name ? { name } : {}),
            ...(hardware ? { hardware } : {}),
            address: rinfo.address,
          });
        }
        if (options.expect !== undefined && found.size >= options.expect) enough();
      })().catch(() => {}), // someone else's garbage on the port is ignored
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.bindAddress, () => resolve());
    });
    if (address === MULTICAST_ADDRESS) socket.setMulticastTTL(1);
    await new Promise<void>((resolve, reject) => socket.send(xml, port, address, (error) => (error ? reject(error) : resolve())));
    // Answers come within the window devices are given to reply (WS-Discovery's
    // MATCH_TIMEOUT is 4 s, devices wait a random 0–500 ms before answering).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([enoughFound, new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 3_000)))]);
    clearTimeout(timer);
    await Promise.all(parsing);
  } finally {
    socket.close();
  }
  return [...found.values()];
}
