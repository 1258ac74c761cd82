/**
 * Shows a workflow's progress: a cli-progress bar on a terminal, plain lines otherwise (logs, CI, pipes),
 * where a redrawn bar would only fill the log with carriage returns.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { WorkflowProgress } from '../shared';

export interface ProgressView {
  update(p: WorkflowProgress): void;
  stop(): void;
}

function trainingPosition(p: WorkflowProgress): { value: number; total: number } | undefined {
  const t = p.training;
  if (!t || t.batches <= 0) return undefined;
  return { value: t.epoch * t.batches + t.batch + 1, total: t.epochs * t.batches };
}

function describe(p: WorkflowProgress): string {
  const t = p.training;
  const counts = Object.entries(p.counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const training = t
    ? ` epoch ${t.epoch + 1}/${t.epochs} batch ${t.batch + 1}/${t.batches} loss ${t.loss.toFixed(4)}`
    : '';
  return `${p.stage}${training}${counts ? ` (${counts})` : ''}`;
}

export function progressView(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (stream.isTTY) return new BarView(label, stream);
  return new LineView(label, stream);
}

class LineView implements ProgressView {
  private last = '';
  private lastEpoch = -1;
  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WritableStream,
  ) {}

  update(p: WorkflowProgress): void {
    // One line per stage and per training epoch: enough to follow, few enough to read in a log.
    const epoch = p.training?.epoch ?? -1;
    if (p.stage === this.last && epoch === this.lastEpoch) return;
    this.last = p.stage;
    this.lastEpoch = epoch;
    this.out.write(`[${this.label}] ${describe(p)}\n`);
  }

  stop(): void {}
}

class BarView implements ProgressView {
  private readonly bar: SingleBar;
  private started = false;
  constructor(
    private readonly label: string,
    out: NodeJS.WriteStream,
  ) {
    this.bar = new SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {detail}`,
        stream: out,
        hideCursor: true,
        clearOnComplete: false,
      },
      Presets.shades_classic,
    );
  }

  update(p: WorkflowProgress): void {
    const pos = trainingPosition(p) ?? { value: 0, total: 1 };
    if (!this.started) {
      this.bar.start(pos.total, pos.value, { detail: describe(p) });
      this.started = true;
      return;
    }
    this.bar.setTotal(pos.total);
    this.bar.update(pos.value, { detail: describe(p) });
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}
