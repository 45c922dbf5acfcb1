import { z } from 'zod';
import { durationMs, id } from './common.ts';

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
    channels: z.number().int().min(1).max(64).default(4).describe('channels (lobes, talker zones) of the array'),
    commandTimeoutMs: durationMs.min(50).default(1000).describe('how long a command may wait for its reply'),
    meterRateMs: z
      .number()
      .int()
      .refine((v) => v === 0 || (v >= 100 && v <= 99999), '0 (off) or 100…99999 ms (Shure METER_RATE minimum is 100)')
      .default(200)
      .describe('how often the array sends levels; 0 = no meters'),
    keepaliveMs: durationMs.min(200).default(5000).describe('ask the array something after this much silence'),
    reconnect: z
      .object({
        initialMs: durationMs.min(1).default(500),
        maxMs: durationMs.min(1).default(10000),
      })
      .refine((r) => r.initialMs <= r.maxMs, { message: 'initialMs must not exceed maxMs', path: ['maxMs'] })
      .prefault({})
      .describe('capped exponential backoff for reopening a lost line'),
  })
  .describe('a microphone array or DSP on a serial line');

export const micArraysSchema = z.array(micArraySchema).default([]);

export type MicArrayConfig = z.infer<typeof micArraySchema>;
