/** A camera as the console shows it, read tolerantly from `GET /api/cameras`. */
export interface CameraView {
  id: string;
  name: string;
  state: string;
  presets: { token: string; name: string }[];
  position?: { pan: number; tilt: number; zoom: number };
  moving: boolean;
  lastError?: string;
}

type Loose = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function preset(raw: unknown): { token: string; name: string } | undefined {
  if (typeof raw === 'string') return { token: raw, name: raw };
  if (!raw || typeof raw !== 'object') return undefined;
  const p = raw as Loose;
  const token = str(p.token) ?? str(p.id) ?? str(p.name);
  return token ? { token, name: str(p.name) ?? token } : undefined;
}

function errorText(raw: unknown): string | undefined {
  if (!raw) return undefined;
  if (typeof raw === 'string') return raw;
  const e = raw as Loose;
  const message = str(e.message) ?? str(e.code);
  return message ? `${str(e.code) && str(e.message) ? `${str(e.code)}: ` : ''}${message}` : undefined;
}

export function readCameras(answer: unknown): CameraView[] {
  const list = Array.isArray(answer) ? answer : ((answer as Loose | undefined)?.cameras as unknown[] | undefined) ?? [];
  return list.flatMap((raw): CameraView[] => {
    if (!raw || typeof raw !== 'object') return [];
    const c = raw as Loose;
    const id = str(c.id);
    if (!id) return [];
    const presetsRaw = Array.isArray(c.presets) ? c.presets : c.presets && typeof c.presets === 'object' ? Object.keys(c.presets) : [];
    const pos = (c.position ?? c.status) as Loose | undefined;
    const position =
      pos && typeof pos.pan === 'number' && typeof pos.tilt === 'number'
        ? { pan: pos.pan, tilt: pos.tilt, zoom: typeof pos.zoom === 'number' ? pos.zoom : 0 }
        : undefined;
    return [
      {
        id,
        name: str(c.name) ?? id,
        state: str(c.state) ?? 'unknown',
        presets: presetsRaw.map(preset).filter((p): p is { token: string; name: string } => p !== undefined),
        position,
        moving: c.moving === true || (pos as Loose | undefined)?.moving === true,
        lastError: errorText(c.lastError ?? c.error),
      },
    ];
  });
}
