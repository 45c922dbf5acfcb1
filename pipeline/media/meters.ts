/**
 * Parses the level lines the graph's `ametadata@m_<channel>` filters print:
 *   [ametadata@m_teacher @ 0x55…] frame:12 pts:… pts_time:…
 *   [ametadata@m_teacher @ 0x55…] lavfi.astats.Overall.RMS_level=-23.456
 * The filter's instance name carries the channel id, so lines of several channels can
 * interleave freely.
 */
export interface MeterParser {
  current: string | undefined;
}

const LEVEL = /^\[ametadata@m_([a-z0-9][a-z0-9_-]*) @ 0x[0-9a-f]+\] lavfi\.astats\.Overall\.RMS_level=(-?(?:inf|[0-9.]+))/;

export function parseMeterLine(_state: MeterParser, line: string): { channelId: string; rmsDb: number } | undefined {
  const match = LEVEL.exec(line);
  if (!match) return undefined;
  const value = match[2]!;
  const rmsDb = value === '-inf' || value === 'inf' ? -Infinity : Number(value);
  return { channelId: match[1]!, rmsDb: Math.max(-120, rmsDb) };
}
