/**
 * A camera's answer to GetStreamUri goes to ffmpeg, which opens far more than RTSP (`file:`,
 * `concat:`, `http:`, devices). So only an RTSP URL to the camera itself is taken: scheme
 * `rtsp`/`rtsps`, and the host the camera was reached at. A camera behind NAT that names an
 * address of its own inside its answer gets its `streamUri` in the config instead.
 */
export function checkStreamUri(uri: string, xaddr: string): { uri: string } | { problem: string } {
  if (!uri) return { problem: 'the camera named no stream' };
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return { problem: 'the camera named a stream that is not a URL' };
  }
  if (parsed.protocol !== 'rtsp:' && parsed.protocol !== 'rtsps:') return { problem: `the camera named a ${parsed.protocol.replace(/:$/, '')} stream; only rtsp and rtsps are opened` };
  const cameraHost = hostOf(xaddr);
  if (!parsed.hostname || (cameraHost !== undefined && parsed.hostname.toLowerCase() !== cameraHost)) {
    return { problem: `the camera named a stream on ${parsed.hostname || 'no host'}, not on ${cameraHost}; set the camera's streamUri in the config if that is right` };
  }
  return { uri };
}

function hostOf(xaddr: string): string | undefined {
  try {
    return new URL(xaddr).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
