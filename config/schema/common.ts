import { z } from 'zod';

export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" or "_", at most 64')
  .describe('a stable identifier used in URLs and logs');

export const port = z.number().int().min(0).max(65535).describe('a TCP/UDP port; 0 picks a free one');

export const host = z.string().min(1).describe('a host name or IP address');

export const durationMs = z.number().int().min(0).describe('a duration in milliseconds');
