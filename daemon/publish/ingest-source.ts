import type { IngestEndpoints } from '../../pipeline/sfu/room.ts';

/**
 * Where the encoder publishes: a local `BroadcastRoom` (embedded SFU) or a `RemoteRoom` (an
 * SFU reached over `/ws/publish`). Both say where to send now, and when that changes.
 */
export interface IngestSource {
  readonly ingest: IngestEndpoints | undefined;
  on(event: 'ingest', listener: (ingest: IngestEndpoints) => void): unknown;
  off(event: 'ingest', listener: (ingest: IngestEndpoints) => void): unknown;
  /**
   * The lesson is no longer published: a local room closes its ingest ports. (A remote SFU
   * closes them when the classroom reports `idle`.)
   */
  unpublish?(): void;
}
