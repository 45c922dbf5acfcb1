/** WS-Discovery (2005/04) constants and messages as ONVIF uses them (ONVIF Core spec §7). */
import { createHash, randomUUID } from 'node:crypto';

export const MULTICAST_ADDRESS = '239.255.255.250';
export const DISCOVERY_PORT = 3702;

const NS =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
  'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"';

export function probeMessage(messageId = `uuid:${randomUUID()}`): { messageId: string; xml: string } {
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${NS}><s:Header>` +
    `<a:MessageID>${messageId}</a:MessageID><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    `<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>` +
    `<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>`;
  return { messageId, xml };
}

export interface ProbeMatchFields {
  endpoint: string;
  relatesTo: string;
  scopes: string[];
  xaddrs: string[];
}

export function probeMatchesMessage(match: ProbeMatchFields): string {
  const esc = (v: string) => v.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${NS}><s:Header>` +
    `<a:MessageID>uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${esc(match.relatesTo)}</a:RelatesTo>` +
    `<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>` +
    `<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>` +
    `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${esc(match.endpoint)}</a:Address></a:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>${esc(match.scopes.join(' '))}</d:Scopes>` +
    `<d:XAddrs>${esc(match.xaddrs.join(' '))}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`
  );
}

/** A stable urn:uuid for a device id (a name-based UUID in form). */
export function endpointFor(id: string): string {
  const h = createHash('sha1').update(`classcast-camera:${id}`).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
