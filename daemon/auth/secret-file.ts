import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A secret kept in the data directory, made on first start. Join tokens are signed with it,
 * so a kiosk's URL keeps working across restarts and reboots of the daemon; without it every
 * member classroom would need a new link after each crash.
 */
export function loadOrCreateSecret(file: string): string {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // Not there yet: make one below.
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${secret}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return secret;
}
