import type { VirtualHead } from './head.ts';
import type { PresetStore } from './preset-store.ts';
import { attr, escapeXml, faults, text, type SoapRequest } from './soap.ts';

export interface SimContext {
  baseUrl: string;
  rtspUrl: string;
  info: { manufacturer: string; model: string; firmware: string; serial: string; hardware: string };
  width: number;
  height: number;
  fps: number;
  head: VirtualHead;
  presets: PresetStore;
  /** The simulated device clock (ours plus a configurable offset). */
  now: () => Date;
  /** Called after a preset recall or store, to label the picture. */
  onPreset: (name: string | undefined) => void;
}

export type Handler = (req: SoapRequest, ctx: SimContext) => string | Promise<string>;

export const PROFILE = 'profile_1';
const GENERIC = 'http://www.onvif.org/ver10/tptz';

const num = (value: string | undefined, fallback: number) => {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) ? n : fallback;
};

function requireProfile(req: SoapRequest): void {
  const token = text(req.body.ProfileToken);
  if (token !== PROFILE) throw faults.noProfile();
}

function ptzVector(el: unknown, fallback: { pan: number; tilt: number; zoom: number }) {
  const node = (el ?? {}) as Record<string, unknown>;
  return {
    pan: num(attr(node.PanTilt, 'x'), fallback.pan),
    tilt: num(attr(node.PanTilt, 'y'), fallback.tilt),
    zoom: num(attr(node.Zoom, 'x'), fallback.zoom),
  };
}

/** Speed as the spec has it (PanTilt/Zoom elements), or a bare number (node-onvif's home). */
function speedOf(el: unknown): { panTilt?: number; zoom?: number } | undefined {
  if (el === undefined) return undefined;
  const bare = text(el);
  if (bare !== undefined && bare.trim() !== '') return { panTilt: num(bare, 1), zoom: num(bare, 1) };
  const v = ptzVector(el, { pan: 1, tilt: 1, zoom: 1 });
  return { panTilt: Math.max(Math.abs(v.pan), Math.abs(v.tilt)), zoom: Math.abs(v.zoom) };
}

/** xs:duration like PT5S or PT0.5S or PT1M, in ms. */
function durationMs(value: string | undefined): number | undefined {
  const m = value ? /^PT(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(value.trim()) : null;
  if (!m || (!m[1] && !m[2])) return undefined;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}

const vec = (p: { pan: number; tilt: number; zoom: number }) =>
  `<tt:PanTilt x="${p.pan.toFixed(4)}" y="${p.tilt.toFixed(4)}" space="${GENERIC}/PanTiltSpaces/PositionGenericSpace"/>` +
  `<tt:Zoom x="${p.zoom.toFixed(4)}" space="${GENERIC}/ZoomSpaces/PositionGenericSpace"/>`;

const range = (min: number, max: number) => `<tt:Min>${min}</tt:Min><tt:Max>${max}</tt:Max>`;

function ptzConfiguration(): string {
  return (
    `<tt:PTZConfiguration token="ptz_config"><tt:Name>PTZ</tt:Name><tt:UseCount>1</tt:UseCount><tt:NodeToken>ptz_node</tt:NodeToken>` +
    `<tt:DefaultAbsolutePantTiltPositionSpace>${GENERIC}/PanTiltSpaces/PositionGenericSpace</tt:DefaultAbsolutePantTiltPositionSpace>` +
    `<tt:DefaultAbsoluteZoomPositionSpace>${GENERIC}/ZoomSpaces/PositionGenericSpace</tt:DefaultAbsoluteZoomPositionSpace>` +
    `<tt:DefaultContinuousPanTiltVelocitySpace>${GENERIC}/PanTiltSpaces/VelocityGenericSpace</tt:DefaultContinuousPanTiltVelocitySpace>` +
    `<tt:DefaultContinuousZoomVelocitySpace>${GENERIC}/ZoomSpaces/VelocityGenericSpace</tt:DefaultContinuousZoomVelocitySpace>` +
    `<tt:DefaultPTZSpeed><tt:PanTilt x="1" y="1"/><tt:Zoom x="1"/></tt:DefaultPTZSpeed><tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout>` +
    `<tt:PanTiltLimits><tt:Range><tt:URI>${GENERIC}/PanTiltSpaces/PositionGenericSpace</tt:URI><tt:XRange>${range(-1, 1)}</tt:XRange><tt:YRange>${range(-1, 1)}</tt:YRange></tt:Range></tt:PanTiltLimits>` +
    `<tt:ZoomLimits><tt:Range><tt:URI>${GENERIC}/ZoomSpaces/PositionGenericSpace</tt:URI><tt:XRange>${range(0, 1)}</tt:XRange></tt:Range></tt:ZoomLimits>` +
    `</tt:PTZConfiguration>`
  );
}

function profile(ctx: SimContext, element: string): string {
  const { width, height, fps } = ctx;
  return (
    `<${element} token="${PROFILE}" fixed="true"><tt:Name>main</tt:Name>` +
    `<tt:VideoSourceConfiguration token="video_source_config"><tt:Name>VideoSource</tt:Name><tt:UseCount>1</tt:UseCount><tt:SourceToken>video_source</tt:SourceToken><tt:Bounds x="0" y="0" width="${width}" height="${height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="video_encoder_config"><tt:Name>H264</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${width}</tt:Width><tt:Height>${height}</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality>` +
    `<tt:RateControl><tt:FrameRateLimit>${fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>1024</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${fps}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264><tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>` +
    ptzConfiguration() +
    `</${element}>`
  );
}

function service(ns: string, xaddr: string): string {
  return `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${xaddr}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
}

export const deviceHandlers: Record<string, Handler> = {
  GetSystemDateAndTime: (_req, ctx) => {
    const d = ctx.now();
    return (
      `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
      `<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
      `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>` +
      `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
    );
  },
  GetCapabilities: (_req, ctx) =>
    `<tds:GetCapabilitiesResponse><tds:Capabilities>` +
    `<tt:Device><tt:XAddr>${ctx.baseUrl}/onvif/device_service</tt:XAddr></tt:Device>` +
    `<tt:Media><tt:XAddr>${ctx.baseUrl}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>false</tt:RTP_TCP><tt:RTP_RTSP_TCP>false</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>` +
    `<tt:PTZ><tt:XAddr>${ctx.baseUrl}/onvif/ptz_service</tt:XAddr></tt:PTZ>` +
    `</tds:Capabilities></tds:GetCapabilitiesResponse>`,
  GetServices: (_req, ctx) =>
    `<tds:GetServicesResponse>` +
    service('http://www.onvif.org/ver10/device/wsdl', `${ctx.baseUrl}/onvif/device_service`) +
    service('http://www.onvif.org/ver10/media/wsdl', `${ctx.baseUrl}/onvif/media_service`) +
    service('http://www.onvif.org/ver20/ptz/wsdl', `${ctx.baseUrl}/onvif/ptz_service`) +
    `</tds:GetServicesResponse>`,
  GetDeviceInformation: (_req, ctx) =>
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${escapeXml(ctx.info.manufacturer)}</tds:Manufacturer><tds:Model>${escapeXml(ctx.info.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${escapeXml(ctx.info.firmware)}</tds:FirmwareVersion><tds:SerialNumber>${escapeXml(ctx.info.serial)}</tds:SerialNumber><tds:HardwareId>${escapeXml(ctx.info.hardware)}</tds:HardwareId></tds:GetDeviceInformationResponse>`,
  GetScopes: () =>
    `<tds:GetScopesResponse><tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>onvif://www.onvif.org/type/ptz</tt:ScopeItem></tds:Scopes></tds:GetScopesResponse>`,
};

export const mediaHandlers: Record<string, Handler> = {
  GetProfiles: (_req, ctx) => `<trt:GetProfilesResponse>${profile(ctx, 'trt:Profiles')}</trt:GetProfilesResponse>`,
  GetProfile: (req, ctx) => {
    requireProfile(req);
    return `<trt:GetProfileResponse>${profile(ctx, 'trt:Profile')}</trt:GetProfileResponse>`;
  },
  GetVideoSources: (_req, ctx) =>
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="video_source"><tt:Framerate>${ctx.fps}</tt:Framerate><tt:Resolution><tt:Width>${ctx.width}</tt:Width><tt:Height>${ctx.height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`,
  GetStreamUri: (req, ctx) => {
    requireProfile(req);
    const setup = req.body.StreamSetup as Record<string, unknown> | undefined;
    const transport = setup?.Transport as Record<string, unknown> | undefined;
    const protocol = text(transport?.Protocol) ?? 'RTSP';
    // Only RTSP (RTP over UDP) is served, as by the relay; other transports are refused.
    if (!['RTSP', 'UDP'].includes(protocol.toUpperCase())) throw faults.invalidArg(`stream protocol ${protocol}`);
    return `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${escapeXml(ctx.rtspUrl)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`;
  },
  GetSnapshotUri: (req, ctx) => {
    requireProfile(req);
    return `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${ctx.baseUrl}/onvif/snapshot.jpg</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`;
  },
};

export const ptzHandlers: Record<string, Handler> = {
  GetNodes: () =>
    `<tptz:GetNodesResponse><tptz:PTZNode token="ptz_node" FixedHomePosition="false"><tt:Name>PTZ</tt:Name><tt:SupportedPTZSpaces>` +
    `<tt:AbsolutePanTiltPositionSpace><tt:URI>${GENERIC}/PanTiltSpaces/PositionGenericSpace</tt:URI><tt:XRange>${range(-1, 1)}</tt:XRange><tt:YRange>${range(-1, 1)}</tt:YRange></tt:AbsolutePanTiltPositionSpace>` +
    `<tt:AbsoluteZoomPositionSpace><tt:URI>${GENERIC}/ZoomSpaces/PositionGenericSpace</tt:URI><tt:XRange>${range(0, 1)}</tt:XRange></tt:AbsoluteZoomPositionSpace>` +
    `<tt:ContinuousPanTiltVelocitySpace><tt:URI>${GENERIC}/PanTiltSpaces/VelocityGenericSpace</tt:URI><tt:XRange>${range(-1, 1)}</tt:XRange><tt:YRange>${range(-1, 1)}</tt:YRange></tt:ContinuousPanTiltVelocitySpace>` +
    `<tt:ContinuousZoomVelocitySpace><tt:URI>${GENERIC}/ZoomSpaces/VelocityGenericSpace</tt:URI><tt:XRange>${range(-1, 1)}</tt:XRange></tt:ContinuousZoomVelocitySpace>` +
    `</tt:SupportedPTZSpaces><tt:MaximumNumberOfPresets>64</tt:MaximumNumberOfPresets><tt:HomeSupported>true</tt:HomeSupported></tptz:PTZNode></tptz:GetNodesResponse>`,
  GetConfigurations: () => `<tptz:GetConfigurationsResponse>${ptzConfiguration().replace(/tt:PTZConfiguration/g, 'tptz:PTZConfiguration')}</tptz:GetConfigurationsResponse>`,
  GetStatus: (req, ctx) => {
    requireProfile(req);
    const { head } = ctx;
    const status = (moving: boolean) => (moving ? 'MOVING' : 'IDLE');
    return (
      `<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position>${vec(head.position)}</tt:Position>` +
      `<tt:MoveStatus><tt:PanTilt>${status(head.panTiltMoving)}</tt:PanTilt><tt:Zoom>${status(head.zoomMoving)}</tt:Zoom></tt:MoveStatus>` +
      `<tt:UtcTime>${ctx.now().toISOString()}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>`
    );
  },
  ContinuousMove: (req, ctx) => {
    requireProfile(req);
    const velocity = ptzVector(req.body.Velocity, { pan: 0, tilt: 0, zoom: 0 });
    if ([velocity.pan, velocity.tilt, velocity.zoom].some((v) => Math.abs(v) > 1)) throw faults.invalidArg('velocity outside −1…1');
    ctx.head.continuousMove(velocity, durationMs(text(req.body.Timeout)));
    ctx.onPreset(undefined);
    return `<tptz:ContinuousMoveResponse/>`;
  },
  AbsoluteMove: (req, ctx) => {
    requireProfile(req);
    const target = ptzVector(req.body.Position, ctx.head.position);
    if (Math.abs(target.pan) > 1 || Math.abs(target.tilt) > 1 || target.zoom < 0 || target.zoom > 1) throw faults.invalidArg('position outside the space');
    ctx.head.absoluteMove(target, speedOf(req.body.Speed));
    ctx.onPreset(undefined);
    return `<tptz:AbsoluteMoveResponse/>`;
  },
  Stop: (req, ctx) => {
    requireProfile(req);
    const flag = (v: unknown) => text(v) !== 'false';
    ctx.head.stop(flag(req.body.PanTilt), flag(req.body.Zoom));
    return `<tptz:StopResponse/>`;
  },
  GetPresets: (req, ctx) => {
    requireProfile(req);
    const presets = ctx.presets
      .list()
      .map((p) => `<tptz:Preset token="${escapeXml(p.token)}"><tt:Name>${escapeXml(p.name)}</tt:Name><tt:PTZPosition>${vec(p.position)}</tt:PTZPosition></tptz:Preset>`)
      .join('');
    return `<tptz:GetPresetsResponse>${presets}</tptz:GetPresetsResponse>`;
  },
  GotoPreset: (req, ctx) => {
    requireProfile(req);
    const preset = ctx.presets.get(text(req.body.PresetToken) ?? '');
    if (!preset) throw faults.noPreset();
    ctx.head.absoluteMove(preset.position, speedOf(req.body.Speed));
    ctx.onPreset(preset.name);
    return `<tptz:GotoPresetResponse/>`;
  },
  SetPreset: async (req, ctx) => {
    requireProfile(req);
    const name = text(req.body.PresetName);
    const token = text(req.body.PresetToken);
    if (name !== undefined && (name.length > 64 || name.trim() === '')) throw faults.invalidArg('preset name');
    const stored = await ctx.presets.set(ctx.head.position, name, token);
    if (!stored) throw faults.noPreset();
    ctx.onPreset(ctx.presets.get(stored)?.name);
    return `<tptz:SetPresetResponse><tptz:PresetToken>${escapeXml(stored)}</tptz:PresetToken></tptz:SetPresetResponse>`;
  },
  RemovePreset: async (req, ctx) => {
    requireProfile(req);
    if (!(await ctx.presets.remove(text(req.body.PresetToken) ?? ''))) throw faults.noPreset();
    return `<tptz:RemovePresetResponse/>`;
  },
  GotoHomePosition: (req, ctx) => {
    requireProfile(req);
    ctx.head.absoluteMove(ctx.presets.home, speedOf(req.body.Speed));
    ctx.onPreset('Home');
    return `<tptz:GotoHomePositionResponse/>`;
  },
  SetHomePosition: async (req, ctx) => {
    requireProfile(req);
    await ctx.presets.setHome(ctx.head.position);
    return `<tptz:SetHomePositionResponse/>`;
  },
};
