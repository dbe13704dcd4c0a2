import { Injectable } from '@nestjs/common';
import { Histogram } from 'prom-client';

/** Prometheus metrics of command processing (served on ticket-service's `/metrics`). */
@Injectable()
export class CommandMetrics {
  private readonly duration = new Histogram({
    name: 'ticket_commands_duration_seconds',
    help: 'Time from consuming a command to publishing its result, in seconds, by command type and status',
    labelNames: ['type', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

  private readonly stages = new Histogram({
    name: 'ticket_command_stage_seconds',
    help: 'Time per stage of command processing, in seconds: read (stream), decide (incl. reading workflow/schema), append, publish (result)',
    labelNames: ['stage'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  });

  /** One command, consumed -> result published. */
  observe(type: string, status: string, seconds: number): void {
    this.duration.observe({ type, status }, seconds);
  }

  /** One stage of one command (see `HandleCommandOptions.onStage`, and `publish`). */
  observeStage(stage: 'read' | 'decide' | 'append' | 'publish', seconds: number): void {
    this.stages.observe({ stage }, seconds);
  }
}
