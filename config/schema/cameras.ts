import { z } from 'zod';
import { id } from './common.ts';

export const cameraSchema = z
  .object({
    id,
    name: z.string().min(1),
    role: z.enum(['teacher', 'students', 'blackboard', 'overview', 'other']).default('other'),
    xaddr: z.url().describe('ONVIF device service URL, e.g. http://10.0.0.21/onvif/device_service'),
    user: z.string().default(''),
    password: z.string().default('').describe('ONVIF password (never logged)'),
    streamUri: z.string().optional().describe('RTSP URI override; default from GetStreamUri'),
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(5_000).describe('timeout of each ONVIF request'),
  })
  .describe('an ONVIF PTZ camera');

export const camerasSchema = z.array(cameraSchema).default([]);

export type CameraConfig = z.infer<typeof cameraSchema>;
