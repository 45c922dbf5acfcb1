import { z } from 'zod';
import { id } from './common.ts';

export const micArraySchema = z
  .object({
    id,
    name: z.string().min(1),
    protocol: z.enum(['shure-ascii', 'binary']).describe('control protocol spoken on the line'),
    path: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB0'),
    baudRate: z.number().int().positive().default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .describe('a microphone array or DSP on a serial line');

export const micArraysSchema = z.array(micArraySchema).default([]);
