import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { checkUsernameToken, envelope, faultEnvelope, faults, parseRequest, SoapFault } from './soap.ts';
import { deviceHandlers, mediaHandlers, ptzHandlers, type Handler, type SimContext } from './services.ts';

const SERVICES: Record<string, Record<string, Handler>> = {
  '/onvif/device_service': deviceHandlers,
  '/onvif/media_service': mediaHandlers,
  '/onvif/ptz_service': ptzHandlers,
};

/** ONVIF access class PRE_AUTH: answered without credentials (clients need the clock first). */
const PRE_AUTH = new Set(['GetSystemDateAndTime']);
const MAX_BODY = 256 * 1024;

export interface OnvifServerOptions {
  host: string;
  /** 0 picks a free port; a restart passes the old one. */
  port: number;
  user: string;
  password: string;
  /** Accepted UsernameToken clock skew (default 5 min, a common camera default). */
  authWindowMs?: number;
  context: Omit<SimContext, 'baseUrl'>;
  /** Answers the snapshot URL (a JPEG of the current picture). */
  snapshot?: () => Promise<Buffer>;
  logger: Logger;
}

/** The simulator's SOAP endpoint: Device, Media and PTZ services on node:http. */
export class OnvifServer {
  readonly #options: OnvifServerOptions & { context: { rtspUrl: string } };
  readonly #logger: Logger;
  readonly #nonces = new Map<string, number>();
  #server: Server | undefined;
  #port = 0;

  constructor(options: OnvifServerOptions) {
    this.#options = { ...options, context: { ...options.context } };
    this.#port = options.port;
    this.#logger = options.logger.child({ component: 'onvif-sim' });
  }

  /** The RTSP URL is known only once the relay runs, after the SOAP port is. */
  setRtspUrl(url: string): void {
    this.#options.context.rtspUrl = url;
  }

  get port(): number {
    return this.#port;
  }

  get baseUrl(): string {
    return `http://${this.#options.host}:${this.#port}`;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        this.#logger.error({ err: error }, 'request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#options.host, () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops answering, dropping open connections (a camera that lost power). */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/onvif/snapshot.jpg' && this.#options.snapshot) {
      const jpeg = await this.#options.snapshot();
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg);
      return;
    }
    const handlers = SERVICES[path];
    if (req.method !== 'POST' || !handlers) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    let status = 200;
    let xml: string;
    try {
      const request = await parseRequest(Buffer.concat(chunks).toString('utf8'));
      const handler = handlers[request.action];
      if (!handler) throw faults.notSupported(request.action);
      if (!PRE_AUTH.has(request.action)) {
        const ok = checkUsernameToken(request.header, {
          user: this.#options.user,
          password: this.#options.password,
          nowMs: this.#options.context.now().getTime(),
          windowMs: this.#options.authWindowMs ?? 300_000,
          seenNonces: this.#nonces,
        });
        if (!ok) throw faults.notAuthorized();
      }
      this.#logger.debug({ action: request.action }, 'soap request');
      xml = envelope(await handler(request, { ...this.#options.context, baseUrl: this.baseUrl }));
    } catch (error) {
      if (!(error instanceof SoapFault)) throw error;
      status = error.httpStatus;
      xml = faultEnvelope(error);
    }
    res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' }).end(xml);
  }
}
