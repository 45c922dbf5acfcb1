import { parseStringPromise, processors } from 'xml2js';
import { ClasscastError, type ErrorCode } from '../../../config/foundation/errors.ts';

/** A SOAP fault from a camera, with its ONVIF subcodes (`NotAuthorized`, `NoToken`, …). */
export class OnvifFaultError extends ClasscastError {
  readonly subcodes: string[];

  constructor(code: ErrorCode, reason: string, subcodes: string[]) {
    super(code, `camera answered with a SOAP fault: ${reason}${subcodes.length ? ` (${subcodes.join(', ')})` : ''}`);
    this.name = 'OnvifFaultError';
    this.subcodes = subcodes;
  }

  /** Preset operations answer an unknown token with InvalidArgVal/NoToken (ONVIF PTZ spec) or NoEntity. */
  get isNoSuchEntity(): boolean {
    return this.subcodes.some((code) => ['NoToken', 'NoEntity', 'NoPreset'].includes(code));
  }
}

const localName = (value: unknown) => (typeof value === 'string' ? value.replace(/^.*:/, '') : '');
const textOf = (value: unknown): string =>
  typeof value === 'string' ? value : value && typeof value === 'object' && '_' in value ? String((value as { _: unknown })._) : '';

/**
 * Parses a SOAP response body. Resolves with nothing for a normal answer; rejects with a
 * stable code for a fault (NotAuthorized → PTZ_AUTH_FAILED, else PTZ_FAULT) and with
 * PTZ_BAD_RESPONSE for anything that is not a SOAP envelope.
 */
export async function checkSoapResponse(xml: string, httpStatus: number): Promise<void> {
  let envelope: Record<string, unknown> | undefined;
  try {
    envelope = (await parseStringPromise(xml, {
      explicitArray: false,
      explicitRoot: false,
      tagNameProcessors: [processors.stripPrefix],
    })) as Record<string, unknown> | undefined;
  } catch (error) {
    throw new ClasscastError('PTZ_BAD_RESPONSE', `camera answered HTTP ${httpStatus} with a body that is not XML`, { cause: error });
  }
  const body = envelope?.Body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') {
    if (httpStatus === 401) throw new OnvifFaultError('PTZ_AUTH_FAILED', 'HTTP 401', ['NotAuthorized']);
    throw new ClasscastError('PTZ_BAD_RESPONSE', `camera answered HTTP ${httpStatus} without a SOAP body`);
  }
  const fault = body.Fault as Record<string, unknown> | undefined;
  if (fault) {
    const subcodes: string[] = [];
    let sub = (fault.Code as Record<string, unknown> | undefined)?.Subcode as Record<string, unknown> | undefined;
    for (let depth = 0; sub && depth < 8; depth += 1) {
      const value = localName(textOf(sub.Value));
      if (value) subcodes.push(value);
      sub = sub.Subcode as Record<string, unknown> | undefined;
    }
    // SOAP 1.1 faults carry faultcode/faultstring instead.
    const legacy = localName(textOf(fault.faultcode));
    if (legacy) subcodes.push(legacy);
    const reason = textOf((fault.Reason as Record<string, unknown> | undefined)?.Text) || textOf(fault.faultstring) || 'no reason given';
    const auth = httpStatus === 401 || subcodes.some((c) => c === 'NotAuthorized' || c === 'FailedAuthentication');
    throw new OnvifFaultError(auth ? 'PTZ_AUTH_FAILED' : 'PTZ_FAULT', reason, subcodes);
  }
  if (httpStatus === 401) throw new OnvifFaultError('PTZ_AUTH_FAILED', 'HTTP 401', ['NotAuthorized']);
  if (httpStatus !== 200) throw new ClasscastError('PTZ_BAD_RESPONSE', `camera answered HTTP ${httpStatus}`);
}
