import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const DEMO_CONFIG_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config/demo.yaml');

export interface DemoSecrets {
  technicianToken: string;
  viewerToken: string;
  cameraPassword: string;
}

export function freshDemoSecrets(): DemoSecrets {
  return {
    technicianToken: randomBytes(24).toString('base64url'),
    viewerToken: randomBytes(24).toString('base64url'),
    cameraPassword: randomBytes(12).toString('base64url'),
  };
}

/** The raw demo config (before validation), so the demo can fill in what it started. */
export function readDemoConfig(): Record<string, unknown> {
  return parse(readFileSync(DEMO_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
}
