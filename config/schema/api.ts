import { z } from 'zod';
import { host, port } from './common.ts';

export const tokenSchema = z
  .object({
    name: z.string().min(1).describe('who holds the token; shown in the audit log'),
    role: z.enum(['technician', 'viewer']).describe('what the token may do'),
    token: z.string().min(16).optional().describe('the token itself (prefer env or file)'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('hex SHA-256 of the token'),
    env: z.string().min(1).optional().describe('name of an environment variable holding the token'),
    file: z.string().min(1).optional().describe('path of a file holding the token'),
  })
  .refine((t) => [t.token, t.sha256, t.env, t.file].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of token, sha256, env, file',
  });

export const apiSchema = z
  .object({
    host: host.default('127.0.0.1'),
    port: port.default(8080),
    publicUrl: z.url().optional().describe('the URL member classrooms and technicians reach; default http://host:port'),
    tokens: z.array(tokenSchema).default([]).describe('technician and viewer tokens'),
    tls: z
      .object({
        certFile: z.string().min(1).describe('PEM certificate (chain) file'),
        keyFile: z.string().min(1).describe('PEM private key file'),
      })
      .optional()
      .describe('serve the API, both pages and the sockets over HTTPS; browsers need it for WebRTC on any address but localhost'),
    joinTokenSecret: z
      .string()
      .min(32)
      .optional()
      .describe('HMAC secret that signs member-classroom join tokens; default a key made once in dataDir'),
  })
  .describe('HTTP and WebSocket API');
