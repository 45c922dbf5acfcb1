import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineFigures } from '../../pipeline/media/media-pipeline.ts';
import type { ViewerStats } from '../../pipeline/sfu/viewer.ts';
import type { EdgeView } from '../district/edge-hub.ts';

export interface MetricsSources {
  broadcastState: () => string;
  viewerStats: () => Promise<ViewerStats[]>;
  sfuWorkers: () => number;
  pipeline?: () => PipelineFigures | undefined;
  micArrays?: () => { id: string; state: string }[];
  /** An origin SFU: its edges and their links. */
  edges?: () => Promise<EdgeView[]>;
  /** An edge SFU: whether its link to the origin is up. */
  originLinkUp?: () => boolean;
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
  /** A member classroom's join in the box, request in → answer out (`media`: it set the picture up). */
  readonly joinSeconds: Histogram<'media'>;

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
    // Pipeline figures count from the pipeline's start; a new lesson's pipeline starts over
    // (so these are gauges of the running pipeline, not counters of the daemon's life). The
    // gauges of one scrape share one reading of them, as the per-classroom ones share stats.
    let figuresRound: { at: number; figures: PipelineFigures | undefined } | undefined;
    const figures = () => {
      if (!figuresRound || Date.now() - figuresRound.at > 500) figuresRound = { at: Date.now(), figures: sources.pipeline?.() };
      return figuresRound.figures;
    };
    const pipelineGauge = (name: string, help: string, pick: (p: PipelineFigures) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const now = figures();
          this.set(now ? pick(now) : 0);
        },
      });
    pipelineGauge('classcast_pipeline_frames_out', 'Frames sent to the compositor by the running pipeline', (p) => p.framesOut);
    pipelineGauge('classcast_pipeline_frames_dropped', 'Frames the running pipeline dropped rather than queue (the compositor had not taken the last one)', (p) => p.framesDropped);
    pipelineGauge('classcast_pipeline_keyframe_requests', 'Keyframe requests from the SFU to the running pipeline', (p) => p.keyframeRequests);
    pipelineGauge('classcast_pipeline_keyframes_forced', 'IDRs the running pipeline made on request', (p) => p.keyframesForced);
    pipelineGauge('classcast_pipeline_output_fps', 'Frames a second of the high layer leaving for the SFU, over the last 5 s (0 until it has flowed that long)', (p) => p.outputFps ?? 0);
    pipelineGauge('classcast_pipeline_dropped_share', 'Share of the frames due to the compositor that were dropped over the last 5 s, 0-1 (above 0.5 it is reported slow)', (p) => p.droppedShare ?? 0);
    new Gauge({
      name: 'classcast_camera_frames',
      help: 'Frames received from each camera by the running pipeline',
      labelNames: ['camera'],
      registers,
      collect() {
        this.reset();
        for (const camera of figures()?.cameras ?? []) this.set({ camera: camera.id }, camera.frames);
      },
    });
    new Gauge({
      name: 'classcast_camera_online',
      help: 'Whether frames come from each camera (1) or not (0)',
      labelNames: ['camera'],
      registers,
      collect() {
        this.reset();
        for (const camera of figures()?.cameras ?? []) this.set({ camera: camera.id }, camera.state === 'online' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'classcast_micarray_online',
      help: 'Whether each mic array answers on its line (1) or not (0)',
      labelNames: ['array'],
      registers,
      collect() {
        this.reset();
        for (const array of sources.micArrays?.() ?? []) this.set({ array: array.id }, array.state === 'online' ? 1 : 0);
      },
    });
    if (sources.edges) this.#edgeGauges(sources.edges);
    if (sources.originLinkUp) {
      const up = sources.originLinkUp;
      new Gauge({
        name: 'classcast_origin_link_up',
        help: "Whether this edge's link to its origin is up (1) or not (0)",
        registers,
        collect() {
          this.set(up() ? 1 : 0);
        },
      });
    }
    this.controlActions = new Counter({ name: 'classcast_control_actions_total', help: 'Control actions by result', labelNames: ['action', 'result'], registers });
    this.processRestarts = new Counter({ name: 'classcast_process_restarts_total', help: 'Unexpected child process exits', labelNames: ['process'], registers });
    this.joinSeconds = new Histogram({
      name: 'classcast_join_seconds',
      help: "A member classroom's join in the box, request in to answer out (media: the answer set its picture up)",
      labelNames: ['media'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  /** An origin's edges: one scrape reads them once. */
  #edgeGauges(edges: () => Promise<EdgeView[]>): void {
    let round: { at: number; views: Promise<EdgeView[]> } | undefined;
    const shared = () => {
      if (!round || Date.now() - round.at > 500) round = { at: Date.now(), views: edges() };
      return round.views;
    };
    const registers = [this.registry];
    const perEdge = (name: string, help: string, pick: (e: EdgeView) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['edge'],
        registers,
        async collect() {
          this.reset();
          for (const edge of await shared()) {
            const value = pick(edge);
            if (value !== undefined) this.set({ edge: edge.name }, value);
          }
        },
      });
    perEdge('classcast_edge_up', 'Whether each configured edge SFU is connected (1) or not (0)', (e) => (e.online ? 1 : 0));
    perEdge('classcast_edge_classrooms', 'Member classrooms watching at each edge', (e) => e.classrooms);
    perEdge('classcast_edge_send_kbps', 'What each edge sends its classrooms', (e) => e.sendKbps);
    perEdge('classcast_edge_link_kbps', 'What the origin sends each edge (its pipes)', (e) => e.link.sendKbps);
    perEdge('classcast_edge_link_loss_percent', 'Packet loss on the origin → edge link', (e) => e.link.lossPercent);
    perEdge('classcast_edge_link_rtt_ms', 'Round trip of the origin → edge link', (e) => e.link.roundTripMs);
    new Gauge({
      name: 'classcast_edge_pipes',
      help: 'Pipes from the origin to each edge, by broadcast (one copy each when all is well)',
      labelNames: ['edge', 'room'],
      registers,
      async collect() {
        this.reset();
        for (const edge of await shared()) for (const pull of edge.link.pulls) this.set({ edge: edge.name, room: pull.room }, pull.pipes);
      },
    });
  }
}
