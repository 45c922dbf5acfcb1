import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { CameraPreset, PtzVector } from '../types.ts';

interface Stored {
  presets: (CameraPreset & { position: PtzVector })[];
  home: PtzVector;
}

/**
 * The simulator's presets and home position, kept across restarts as JSON. Writes go to a
 * temporary file renamed over the old one, so a crash mid-write never leaves half a file.
 */
export class PresetStore {
  readonly #file: string;
  #data: Stored = { presets: [], home: { pan: 0, tilt: 0, zoom: 0 } };
  #writing: Promise<void> = Promise.resolve();
  #next = 1;

  constructor(file: string) {
    this.#file = file;
  }

  async load(defaults: Stored['presets']): Promise<void> {
    try {
      this.#data = JSON.parse(await readFile(this.#file, 'utf8')) as Stored;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.#data = { presets: defaults.map((p) => ({ ...p })), home: { pan: 0, tilt: 0, zoom: 0 } };
      await this.#save();
    }
    this.#next = 1 + Math.max(0, ...this.#data.presets.map((p) => Number(/^preset_(\d+)$/.exec(p.token)?.[1] ?? 0)));
  }

  list(): Stored['presets'] {
    return this.#data.presets.map((p) => ({ ...p, position: { ...p.position } }));
  }

  get(token: string): Stored['presets'][number] | undefined {
    return this.#data.presets.find((p) => p.token === token);
  }

  get home(): PtzVector {
    return { ...this.#data.home };
  }

  /** ONVIF SetPreset: with a token, updates that preset; without, creates one. */
  async set(position: PtzVector, name?: string, token?: string): Promise<string> {
    let preset = token ? this.get(token) : undefined;
    if (token && !preset) return '';
    if (!preset) {
      preset = { token: `preset_${this.#next++}`, name: name || `Preset ${this.#next - 1}`, position };
      this.#data.presets.push(preset);
    } else {
      preset.position = { ...position };
      if (name) preset.name = name;
    }
    await this.#save();
    return preset.token;
  }

  async remove(token: string): Promise<boolean> {
    const before = this.#data.presets.length;
    this.#data.presets = this.#data.presets.filter((p) => p.token !== token);
    if (this.#data.presets.length === before) return false;
    await this.#save();
    return true;
  }

  async setHome(position: PtzVector): Promise<void> {
    this.#data.home = { ...position };
    await this.#save();
  }

  #save(): Promise<void> {
    const text = JSON.stringify(this.#data, null, 2);
    const run = async () => {
      const tmp = `${this.#file}.${randomUUID()}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.#file);
    };
    this.#writing = this.#writing.then(run, run);
    return this.#writing;
  }
}
