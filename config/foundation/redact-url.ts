/**
 * URLs with credentials in them (`rtsp://admin:secret@10.0.0.5/stream`, as ONVIF cameras
 * answer GetStreamUri) lose the password wherever they leave the process: API answers, logs,
 * the arguments and output of child processes as logged.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):([^/@\s]*)@/gi;

/** Every `scheme://user:password@` in `text` becomes `scheme://user:***@`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(USERINFO, (_match, scheme: string, user: string) => `${scheme}${user}:***@`);
}
