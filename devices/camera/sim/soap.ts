import { createHash, timingSafeEqual } from 'node:crypto';
import { parseStringPromise, processors } from 'xml2js';

/** A parsed SOAP request: namespace prefixes stripped, one child per element (xml2js). */
export interface SoapRequest {
  action: string;
  body: Record<string, unknown>;
  header: Record<string, unknown> | undefined;
}

export class SoapFault extends Error {
  constructor(
    readonly code: 'env:Sender' | 'env:Receiver',
    readonly subcodes: string[],
    readonly reason: string,
    readonly httpStatus = code === 'env:Sender' ? 400 : 500,
  ) {
    super(reason);
  }
}

export const faults = {
  notAuthorized: () => new SoapFault('env:Sender', ['ter:NotAuthorized'], 'Sender not authorized', 401),
  noPreset: () => new SoapFault('env:Sender', ['ter:InvalidArgVal', 'ter:NoToken'], 'The requested preset token does not exist'),
  noProfile: () => new SoapFault('env:Sender', ['ter:InvalidArgVal', 'ter:NoProfile'], 'The requested profile token does not exist'),
  invalidArg: (what: string) => new SoapFault('env:Sender', ['ter:InvalidArgVal'], `Invalid argument: ${what}`),
  notSupported: (action: string) => new SoapFault('env:Receiver', ['ter:ActionNotSupported'], `Optional action ${action} not implemented`),
  wellFormed: () => new SoapFault('env:Sender', ['ter:WellFormed'], 'The request is not well formed XML'),
};

export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && '_' in value) return String((value as { _: unknown })._);
  return undefined;
}

export function attr(value: unknown, name: string): string | undefined {
  const attrs = value && typeof value === 'object' ? (value as { $?: Record<string, string> }).$ : undefined;
  return attrs?.[name];
}

export async function parseRequest(xml: string): Promise<SoapRequest> {
  let envelope: Record<string, unknown>;
  try {
    envelope = (await parseStringPromise(xml, {
      explicitArray: false,
      explicitRoot: false,
      tagNameProcessors: [processors.stripPrefix],
      attrNameProcessors: [processors.stripPrefix],
    })) as Record<string, unknown>;
  } catch {
    throw faults.wellFormed();
  }
  const body = envelope?.Body as Record<string, unknown> | undefined;
  const action = body ? Object.keys(body).find((key) => key !== '$') : undefined;
  if (!body || !action) throw faults.wellFormed();
  const content = body[action];
  return {
    action,
    body: content && typeof content === 'object' ? (content as Record<string, unknown>) : {},
    header: envelope.Header as Record<string, unknown> | undefined,
  };
}

export interface AuthCheck {
  user: string;
  password: string;
  nowMs: number;
  /** Accepted difference between Created and the device clock. */
  windowMs: number;
  seenNonces: Map<string, number>;
}

/**
 * WS-Security UsernameToken (OASIS UsernameToken Profile 1.0): PasswordDigest =
 * Base64(SHA-1(nonce + created + password)), Created inside the clock window, and a nonce
 * that has not been seen in that window (replay). PasswordText is accepted too.
 */
export function checkUsernameToken(header: Record<string, unknown> | undefined, check: AuthCheck): boolean {
  const security = header?.Security as Record<string, unknown> | undefined;
  const token = security?.UsernameToken as Record<string, unknown> | undefined;
  if (!token) return false;
  const user = text(token.Username);
  const password = text(token.Password) ?? '';
  const type = attr(token.Password, 'Type') ?? '';
  if (user !== check.user) return false;
  if (!type.endsWith('#PasswordDigest')) return safeEqual(password, check.password);
  const nonce = text(token.Nonce) ?? '';
  const created = text(token.Created) ?? '';
  const createdMs = Date.parse(created);
  if (!Number.isFinite(createdMs) || Math.abs(createdMs - check.nowMs) > check.windowMs) return false;
  const expected = createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(check.password, 'utf8')]))
    .digest('base64');
  if (!safeEqual(password, expected)) return false;
  for (const [seen, until] of check.seenNonces) if (until < check.nowMs) check.seenNonces.delete(seen);
  if (check.seenNonces.has(nonce)) return false;
  check.seenNonces.set(nonce, check.nowMs + 2 * check.windowMs);
  return true;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const NS = [
  'xmlns:env="http://www.w3.org/2003/05/soap-envelope"',
  'xmlns:tt="http://www.onvif.org/ver10/schema"',
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"',
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl"',
  'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"',
  'xmlns:ter="http://www.onvif.org/ver10/error"',
].join(' ');

export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope ${NS}><env:Body>${body}</env:Body></env:Envelope>`;
}

export function faultEnvelope(fault: SoapFault): string {
  // Subcodes nest: <Subcode><Value>ter:InvalidArgVal</Value><Subcode><Value>ter:NoToken</Value>…
  const subcodes = fault.subcodes.reduceRight((inner, code) => `<env:Subcode><env:Value>${code}</env:Value>${inner}</env:Subcode>`, '');
  return envelope(
    `<env:Fault><env:Code><env:Value>${fault.code}</env:Value>${subcodes}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${escapeXml(fault.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}
