import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ViewerStats } from '../../pipeline/sfu/viewer.ts';

export interface MetricsSources {
  broadcastState: () => string;
  viewerStats: () => Promise<ViewerStats[]>;
  sfuWorkers: () => number;
}

const STATES = ['idle', 'starting', 'live', 'stopping'];

/**
 * Prometheus metrics on a registry of our own (no globals). Per-classroom figures are read
 * from mediasoup when scraped, so nothing polls when nobody looks.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly controlActions: Counter<'action' | 'result'>;
  readonly processRestarts: Counter<'process'>;

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'classcast_' });
    const registers = [this.registry];
    new Gauge({
      name: 'classcast_broadcast_state',
      help: 'Broadcast state (1 for the current one)',
      labelNames: ['state'],
      registers,
      collect() {
        const current = sources.broadcastState();
        for (const state of STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'classcast_sfu_workers',
      help: 'Live mediasoup workers',
      registers,
      collect() {
        this.set(sources.sfuWorkers());
      },
    });
    // All per-classroom gauges of one scrape share one round of mediasoup stats.
    let round: { at: number; stats: Promise<ViewerStats[]> } | undefined;
    const shared = () => {
      if (!round || Date.now() - round.at > 500) round = { at: Date.now(), stats: sources.viewerStats() };
      return round.stats;
    };
    const perClassroom = (name: string, help: string, pick: (s: ViewerStats) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['classroom'],
        registers,
        async collect() {
          this.reset();
          for (const s of await shared()) {
            const value = pick(s);
            if (value !== undefined) this.set({ classroom: s.name }, value);
          }
        },
      });
    new Gauge({
      name: 'classcast_member_classrooms',
      help: 'Connected member classrooms',
      registers,
      async collect() {
        this.set((await shared()).length);
      },
    });
    perClassroom('classcast_classroom_send_kbps', 'Bitrate sent to a member classroom', (s) => s.bitrateKbps);
    perClassroom('classcast_classroom_loss_percent', 'Packet loss towards a member classroom', (s) => s.lossPercent);
    perClassroom('classcast_classroom_rtt_ms', 'Round trip to a member classroom', (s) => s.roundTripMs);
    perClassroom('classcast_classroom_video_layer', 'Simulcast layer a member classroom receives (0 = lowest)', (s) => s.videoLayer);
    perClassroom('classcast_classroom_available_kbps', 'Bandwidth estimate towards a member classroom', (s) => s.availableOutgoingKbps);
    this.controlActions = new Counter({ name: 'classcast_control_actions_total', help: 'Control actions by result', labelNames: ['action', 'result'], registers });
    this.processRestarts = new Counter({ name: 'classcast_process_restarts_total', help: 'Unexpected child process exits', labelNames: ['process'], registers });
  }
}
