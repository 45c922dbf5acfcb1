import { z } from 'zod';

export const scheduleSchema = z
  .object({
    enabled: z.boolean().default(false),
    timezone: z.string().default('Asia/Shanghai'),
  })
  .describe('the class timetable');
