/**
 * The only file that imports node-onvif. It adapts node-onvif 0.1.7 to the camera seam and
 * covers where it falls short:
 * - Its SOAP transport has a fixed 3,000 ms timeout, speaks plain http only, and turns every
 *   failure into an Error with text. We replace the transport (`soap._request`, a singleton
 *   shared by all devices) with one that takes a per-call timeout through AsyncLocalStorage,
 *   speaks https too, and rejects with stable codes (PTZ_TIMEOUT, PTZ_UNREACHABLE,
 *   PTZ_AUTH_FAILED, PTZ_FAULT, PTZ_BAD_RESPONSE).
 * - `init()` wraps errors into new Errors ("Failed to initialize the device: …"), losing our
 *   codes; the last transport error of the call is kept beside it and rethrown instead.
 * - xml2js with `explicitArray: false`: one preset comes back as an object, none as
 *   undefined; every list is normalised to an array here.
 * - ContinuousMove's Timeout must be whole seconds; the driver stops the move itself too.
 * - Values are pasted into the SOAP body unescaped, so tokens and names are checked first.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { ClasscastError, isClasscastError, withTimeout } from '../../../config/foundation/errors.ts';
import type { CameraInfo, CameraPreset, PtzStatus, PtzVector } from '../types.ts';
import { checkSoapResponse } from './fault.ts';
import { checkStreamUri } from './stream-uri.ts';

/**
 * The largest SOAP answer read (bytes). A camera's biggest answers (GetProfiles with many
 * profiles, GetCapabilities) are tens of KiB; a peer that sends more is cut off, not buffered.
 */
export const MAX_SOAP_ANSWER_BYTES = 1024 * 1024;

interface ParsedUrl {
  protocol: string | null;
  hostname: string | null;
  port: string | null;
  pathname: string | null;
}

interface NodeOnvifSoap {
  _request(oxaddr: ParsedUrl, soap: string): Promise<string>;
}

interface NodeOnvifResult {
  data: Record<string, any>;
}

type Call<P = Record<string, unknown>> = (params: P) => Promise<NodeOnvifResult>;

interface NodeOnvifDevice {
  init(): Promise<unknown>;
  time_diff: number;
  getInformation(): Record<string, string> | null;
  getCurrentProfile(): { token: string; stream: { rtsp: string; udp: string }; snapshot: string } | null;
  services: {
    ptz: {
      getPresets: Call;
      gotoPreset: Call;
      setPreset: Call;
      removePreset: Call;
      gotoHomePosition: Call;
      setHomePosition: Call;
      continuousMove: Call;
      absoluteMove: Call;
      stop: Call;
      getStatus: Call;
      getNodes(): Promise<NodeOnvifResult>;
    } | null;
  };
}

const require = createRequire(import.meta.url);
const OnvifDevice = require('node-onvif').OnvifDevice as new (params: { xaddr: string; user: string; pass: string }) => NodeOnvifDevice;
const soap = require('node-onvif/lib/modules/soap.js') as NodeOnvifSoap;

interface CallContext {
  timeoutMs: number;
  lastError?: Error;
}

const context = new AsyncLocalStorage<CallContext>();
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

function transport(oxaddr: ParsedUrl, body: string): Promise<string> {
  const ctx = context.getStore();
  const timeoutMs = ctx?.timeoutMs ?? 5_000;
  const secure = oxaddr.protocol === 'https:';
  const target = `${oxaddr.hostname}:${oxaddr.port ?? (secure ? 443 : 80)}`;
  const promise = new Promise<string>((resolve, reject) => {
    // Credentials travel in the WS-Security header only; oxaddr.auth is never sent or shown.
    const req = (secure ? httpsRequest : httpRequest)(
      {
        hostname: oxaddr.hostname ?? undefined,
        port: oxaddr.port ?? (secure ? 443 : 80),
        path: oxaddr.pathname ?? '/',
        method: 'POST',
        headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_SOAP_ANSWER_BYTES) {
            reject(new ClasscastError('PTZ_BAD_RESPONSE', `${target} sent an answer over ${MAX_SOAP_ANSWER_BYTES} bytes`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => reject(new ClasscastError('PTZ_UNREACHABLE', `connection to ${target} broke mid-answer`, { cause: error })));
        res.on('end', () => {
          const xml = Buffer.concat(chunks).toString('utf8');
          checkSoapResponse(xml, res.statusCode ?? 0).then(() => resolve(xml), reject);
        });
      },
    );
    req.on('timeout', () => req.destroy(new ClasscastError('PTZ_TIMEOUT', `no answer from ${target} within ${timeoutMs} ms`)));
    req.on('error', (error) => {
      if (isClasscastError(error)) reject(error);
      else if (UNREACHABLE.has((error as NodeJS.ErrnoException).code ?? '')) reject(new ClasscastError('PTZ_UNREACHABLE', `cannot reach ${target}`, { cause: error }));
      else reject(new ClasscastError('PTZ_UNREACHABLE', `request to ${target} failed`, { cause: error }));
    });
    req.end(body);
  });
  promise.then(
    () => {
      if (ctx) ctx.lastError = undefined;
    },
    (error: Error) => {
      if (ctx) ctx.lastError = error;
    },
  );
  return promise;
}

soap._request = transport;

/** Runs one node-onvif call with a deadline and turns its errors into coded ones. */
async function run<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const ctx: CallContext = { timeoutMs };
  try {
    // The outer deadline covers calls made of several requests (init) and node-onvif paths
    // that never settle.
    return await withTimeout(context.run(ctx, fn), timeoutMs * 8, 'PTZ_TIMEOUT', what);
  } catch (error) {
    if (isClasscastError(error)) throw error;
    if (ctx.lastError) throw ctx.lastError;
    throw new ClasscastError('PTZ_BAD_RESPONSE', `${what}: unexpected answer`, { cause: error });
  }
}

const list = <T>(value: T | T[] | undefined | null): T[] => (value == null ? [] : Array.isArray(value) ? value : [value]);
const textOf = (value: unknown): string =>
  typeof value === 'string' ? value : value && typeof value === 'object' && '_' in value ? String((value as { _: unknown })._) : '';
const numberAttr = (el: any, name: string): number => {
  const n = Number(el?.$?.[name]);
  return Number.isFinite(n) ? n : 0;
};

function vector(position: any): PtzVector {
  return { pan: numberAttr(position?.PanTilt, 'x'), tilt: numberAttr(position?.PanTilt, 'y'), zoom: numberAttr(position?.Zoom, 'x') };
}

/** node-onvif pastes values into XML unescaped; tokens and names must be plain ASCII. */
function safe(value: string, what: string): string {
  if (!/^[\x20-\x7e]{1,64}$/.test(value) || /[<>&"']/.test(value)) throw new TypeError(`${what} must be 1–64 printable ASCII characters without <>&"'`);
  return value;
}

function finite(v: number, what: string): number {
  if (!Number.isFinite(v)) throw new TypeError(`${what} must be a finite number`);
  return v;
}

function responseOf(result: NodeOnvifResult, name: string): any {
  const response = result?.data?.[name];
  if (response === undefined) throw new ClasscastError('PTZ_BAD_RESPONSE', `answer has no ${name}`);
  return response;
}

export interface OnvifSessionOptions {
  xaddr: string;
  user: string;
  password: string;
  timeoutMs: number;
}

/** One connected camera: the calls the driver makes, on the first media profile. */
export class OnvifSession {
  readonly info: CameraInfo;
  readonly #device: NodeOnvifDevice;
  readonly #timeoutMs: number;

  private constructor(device: NodeOnvifDevice, info: CameraInfo, timeoutMs: number) {
    this.#device = device;
    this.info = info;
    this.#timeoutMs = timeoutMs;
  }

  /** GetSystemDateAndTime (clock offset), GetCapabilities, GetDeviceInformation, GetProfiles, stream and snapshot URIs. */
  static async connect(options: OnvifSessionOptions): Promise<OnvifSession> {
    const device = new OnvifDevice({ xaddr: options.xaddr, user: options.user, pass: options.password });
    await run('connect', options.timeoutMs, () => device.init());
    const profile = device.getCurrentProfile();
    if (!profile) throw new ClasscastError('PTZ_BAD_RESPONSE', 'camera has no media profile');
    if (!device.services.ptz) throw new ClasscastError('PTZ_BAD_RESPONSE', 'camera has no PTZ service');
    const information = device.getInformation() ?? {};
    const stream = checkStreamUri(profile.stream.rtsp || profile.stream.udp, options.xaddr);
    const info: CameraInfo = {
      manufacturer: textOf(information.Manufacturer),
      model: textOf(information.Model),
      firmware: textOf(information.FirmwareVersion),
      serial: textOf(information.SerialNumber),
      profileToken: profile.token,
      streamUri: 'uri' in stream ? stream.uri : '',
      ...('problem' in stream ? { streamUriProblem: stream.problem } : {}),
      snapshotUri: profile.snapshot,
      clockOffsetMs: device.time_diff,
    };
    return new OnvifSession(device, info, options.timeoutMs);
  }

  get #ptz() {
    return this.#device.services.ptz!;
  }

  get #profile() {
    return { ProfileToken: this.info.profileToken };
  }

  #call(what: string, fn: () => Promise<NodeOnvifResult>): Promise<NodeOnvifResult> {
    return run(what, this.#timeoutMs, fn);
  }

  async getPresets(): Promise<CameraPreset[]> {
    const result = await this.#call('GetPresets', () => this.#ptz.getPresets(this.#profile));
    return list(responseOf(result, 'GetPresetsResponse')?.Preset).map((p: any) => ({
      token: String(p?.$?.token ?? ''),
      name: textOf(p?.Name),
      position: p?.PTZPosition ? vector(p.PTZPosition) : undefined,
    }));
  }

  async gotoPreset(token: string, speed?: number): Promise<void> {
    const s = speed === undefined ? undefined : finite(speed, 'speed');
    await this.#call('GotoPreset', () =>
      this.#ptz.gotoPreset({ ...this.#profile, PresetToken: safe(token, 'preset token'), ...(s === undefined ? {} : { Speed: { x: s, y: s, z: s } }) }),
    );
  }

  /** Creates a preset (no token) or overwrites one; resolves with its token. */
  async setPreset(name: string, token?: string): Promise<string> {
    const result = await this.#call('SetPreset', () =>
      this.#ptz.setPreset({ ...this.#profile, PresetName: safe(name, 'preset name'), ...(token ? { PresetToken: safe(token, 'preset token') } : {}) }),
    );
    const stored = textOf(responseOf(result, 'SetPresetResponse')?.PresetToken);
    if (!stored) throw new ClasscastError('PTZ_BAD_RESPONSE', 'SetPreset answer has no PresetToken');
    return stored;
  }

  async removePreset(token: string): Promise<void> {
    await this.#call('RemovePreset', () => this.#ptz.removePreset({ ...this.#profile, PresetToken: safe(token, 'preset token') }));
  }

  async gotoHome(speed?: number): Promise<void> {
    const s = speed === undefined ? undefined : finite(speed, 'speed');
    await this.#call('GotoHomePosition', () => this.#ptz.gotoHomePosition({ ...this.#profile, ...(s === undefined ? {} : { Speed: s }) }));
  }

  async setHome(): Promise<void> {
    await this.#call('SetHomePosition', () => this.#ptz.setHomePosition(this.#profile));
  }

  /** `timeoutS` is whole seconds, as node-onvif requires. */
  async continuousMove(velocity: PtzVector, timeoutS: number): Promise<void> {
    const Velocity = { x: finite(velocity.pan, 'pan'), y: finite(velocity.tilt, 'tilt'), z: finite(velocity.zoom, 'zoom') };
    await this.#call('ContinuousMove', () => this.#ptz.continuousMove({ ...this.#profile, Velocity, Timeout: Math.max(1, Math.ceil(timeoutS)) }));
  }

  async absoluteMove(position: PtzVector, speed?: number): Promise<void> {
    const Position = { x: finite(position.pan, 'pan'), y: finite(position.tilt, 'tilt'), z: finite(position.zoom, 'zoom') };
    const s = speed === undefined ? undefined : finite(speed, 'speed');
    await this.#call('AbsoluteMove', () => this.#ptz.absoluteMove({ ...this.#profile, Position, ...(s === undefined ? {} : { Speed: { x: s, y: s, z: s } }) }));
  }

  async stop(): Promise<void> {
    await this.#call('Stop', () => this.#ptz.stop({ ...this.#profile, PanTilt: true, Zoom: true }));
  }

  async getStatus(): Promise<PtzStatus> {
    const result = await this.#call('GetStatus', () => this.#ptz.getStatus(this.#profile));
    const status = responseOf(result, 'GetStatusResponse')?.PTZStatus;
    if (!status) throw new ClasscastError('PTZ_BAD_RESPONSE', 'GetStatus answer has no PTZStatus');
    const move = status.MoveStatus;
    // Some cameras give one MoveStatus text, others PanTilt and Zoom apart.
    const panTilt = typeof move === 'string' ? move : textOf(move?.PanTilt) || 'UNKNOWN';
    const zoom = typeof move === 'string' ? move : textOf(move?.Zoom) || 'UNKNOWN';
    const error = textOf(status.Error);
    return {
      position: vector(status.Position),
      panTilt,
      zoom,
      moving: panTilt === 'MOVING' || zoom === 'MOVING',
      ...(error ? { error } : {}),
    };
  }
}
