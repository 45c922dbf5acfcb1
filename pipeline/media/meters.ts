/**
 * Parses the level lines the graph's `ametadata@m_<channel>` filters print for every audio
 * frame:
 *   [ametadata@m_teacher @ 0x55…] frame:11 pts:… pts_time:…
 *   [ametadata@m_teacher @ 0x55…] lavfi.astats.Overall.RMS_level=-23.456
 * `astats` resets every `METER_FRAMES` frames, so the last frame of each run carries the
 * level over the run; only that one becomes a reading. The filter's instance name carries
 * the channel id, so lines of several channels can interleave freely.
 *
 * Why every frame is printed and most are dropped here, not in the graph: ffmpeg feeds its
 * graph for the sink that is furthest behind, and a meter branch that passed on only one frame
 * in twelve (`aselect`) looked 250 ms behind to it, so pictures waited for sound that long.
 */
export const METER_FRAMES = 12;

export interface MeterParser {
  /** The frame number last announced per channel. */
  frames: Map<string, number>;
}

export function meterParser(): MeterParser {
  return { frames: new Map() };
}

const FRAME = /^\[ametadata@m_([a-z0-9][a-z0-9_-]*) @ 0x[0-9a-f]+\] frame:(\d+)/;
const LEVEL = /^\[ametadata@m_([a-z0-9][a-z0-9_-]*) @ 0x[0-9a-f]+\] lavfi\.astats\.Overall\.RMS_level=(-?(?:inf|[0-9.]+))/;

export function parseMeterLine(state: MeterParser, line: string): { channelId: string; rmsDb: number } | undefined {
  if (!line.startsWith('[ametadata@m_')) return undefined;
  const frame = FRAME.exec(line);
  if (frame) {
    state.frames.set(frame[1]!, Number(frame[2]));
    return undefined;
  }
  const match = LEVEL.exec(line);
  if (!match) return undefined;
  const n = state.frames.get(match[1]!);
  if (n !== undefined && n % METER_FRAMES !== METER_FRAMES - 1) return undefined;
  const value = match[2]!;
  const rmsDb = value === '-inf' || value === 'inf' ? -Infinity : Number(value);
  return { channelId: match[1]!, rmsDb: Math.max(-120, rmsDb) };
}
