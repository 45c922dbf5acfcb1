/**
 * The media pipeline's public surface. The daemon builds one per broadcast classroom:
 *
 *   const media = createMediaPipeline({ config: config.pipeline, videoInputs, targets, logger });
 *   await media.start();            // RTP flows to targets.video / targets.audio
 *   await media.setLayout('pip');   // live, no encoder restart
 *   await media.setGain('teacher', -3); await media.setMuted('students', true);
 *   await media.close();
 */
import { MediaPipeline, type MediaPipelineOptions } from './media-pipeline.ts';

export { MediaPipeline, assignCameras, directSlots } from './media-pipeline.ts';
export type { ChannelState, MediaPipelineEvents, MediaPipelineOptions, MixControl, PipelineHealth, VideoInput } from './media-pipeline.ts';
export * from './targets.ts';
export { RtpForwarder } from './rtp-forwarder.ts';

export function createMediaPipeline(options: MediaPipelineOptions): MediaPipeline {
  return new MediaPipeline(options);
}
