import type { Logger } from 'pino';
import { ClasscastError } from '../../config/foundation/errors.ts';
import type { CameraConfig } from '../../config/schema/cameras.ts';
import type { RecordingSlice } from '../../config/schema/recording.ts';
import { MediaPipeline, type MediaProcess, type VideoInput } from '../../pipeline/media/media-pipeline.ts';
import type { IngestPlan } from '../../pipeline/sfu/codecs.ts';
import type { IngestEndpoints } from '../../pipeline/sfu/room.ts';
import type { IngestSource } from '../publish/ingest-source.ts';
import type { BroadcastMedia } from './controller.ts';
import type { Studio } from './studio.ts';

export interface MediaSessionDeps {
  cameras: readonly CameraConfig[];
  /** What ONVIF GetStreamUri said for a camera without a configured `streamUri`. */
  streamUri: (cameraId: string) => string | undefined;
  studio: Studio;
  plan: IngestPlan;
  /** Where the encoder publishes: the embedded SFU's room, or a remote SFU's (ready first). */
  ingest: () => Promise<IngestSource | undefined>;
  recording: RecordingSlice;
  /** Set when recording is enabled. */
  recordingDir: string | undefined;
  /** The ALSA device where the broadcast room hears its talk-back rooms. */
  speaker?: string;
  /** Every exit of the compositor or the mixer nobody asked for (metrics). */
  onEncoderExit?: (which: MediaProcess) => void;
  logger: Logger;
}

/**
 * Opens the media of a broadcast: a pipeline from the studio's program and mix, publishing
 * into the room, attached to the studio for live changes. Each lesson on it switches the
 * recording; close detaches and closes everything (the pipeline's start is transactional).
 */
export async function openMediaSession(deps: MediaSessionDeps): Promise<BroadcastMedia> {
  const room = await deps.ingest();
  if (!room?.ingest) throw new ClasscastError('SFU_NO_BROADCAST', 'no SFU room to publish into');
  const pipeline = new MediaPipeline({
    config: deps.studio.pipelineConfig(),
    videoInputs: videoInputs(deps),
    targets: { ...deps.plan, ...room.ingest },
    recording: deps.recording,
    recordingDir: deps.recordingDir,
    ...(deps.speaker ? { speaker: deps.speaker } : {}),
    logger: deps.logger,
  });
  pipeline.on('encoderExit', (_code, _signal, which) => deps.onEncoderExit?.(which));
  // After the origin mediasoup worker died the room listens on new ports; the forwarder's
  // one socket just sends there, so ffmpeg never notices.
  const onIngest = (ingest: IngestEndpoints) => pipeline.forwarder.setTargets({ ...deps.plan, ...ingest });
  room.on('ingest', onIngest);
  try {
    await pipeline.start();
  } catch (error) {
    room.off('ingest', onIngest);
    room.unpublish?.();
    throw error;
  }
  deps.studio.attach(pipeline);
  return {
    beginLesson: async (lesson) => {
      if (deps.recordingDir) await pipeline.switchRecording({ lessonId: lesson.id, part: lesson.part });
    },
    close: async () => {
      room.off('ingest', onIngest);
      deps.studio.detach(pipeline);
      await pipeline.close();
      room.unpublish?.();
    },
  };
}

/** Camera pictures for the compositor: the configured URI, else what ONVIF GetStreamUri said. */
function videoInputs(deps: MediaSessionDeps): VideoInput[] {
  return deps.cameras.flatMap((c) => {
    const url = c.streamUri ?? deps.streamUri(c.id);
    return url ? [{ id: c.id, url, role: c.role }] : [];
  });
}
