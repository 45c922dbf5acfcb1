/**
 * The mixer side of the audio channels, implemented by the pipeline (its ffmpeg mix) and taken
 * by injection. Calls resolve once the mix applies the change, or reject with a ClasscastError.
 */
export interface MixControl {
  setGain(channelId: string, gainDb: number): Promise<void>;
  setMuted(channelId: string, muted: boolean): Promise<void>;
  /** A mixer channel's gain and mute as they are now (the mix's own state, kept in one place). */
  channel(channelId: string): { gainDb: number; muted: boolean } | undefined;
  /** The mixer's own meter for a channel in dBFS, if it has one. */
  levelDb?(channelId: string): number | undefined;
}

/** One channel of `GET /api/audio`. */
export interface AudioChannelView {
  id: string;
  name: string;
  gainDb: number;
  muted: boolean;
  /** dBFS; null when nothing meters this channel (or its array is offline). */
  levelDb: number | null;
  /** Whether the bound array reports a talker on this channel. */
  talking: boolean;
  /** Where gain and mute are applied. */
  control: 'mixer' | 'micarray';
  micArray?: { id: string; channel: number; state: 'online' | 'degraded' | 'offline' };
}

export interface AudioPatch {
  gainDb?: number | undefined;
  muted?: boolean | undefined;
}

/** What the API route needs; `AudioService` implements it. */
export interface AudioControl {
  list(): AudioChannelView[];
  /** Throws ClasscastError NOT_FOUND for an unknown channel. */
  update(channelId: string, patch: AudioPatch): Promise<AudioChannelView>;
}
