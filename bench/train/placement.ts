/**
 * Where TensorFlow placed a run's kernels, read from its own log: with TF_CPP_MIN_LOG_LEVEL=0 and
 * TF_CPP_VMODULE=execute=1,placer=1 it logs each eager op it executes (tfjs: "Executing op Conv2D in device
 * /job:localhost/replica:0/task:0/device:GPU:0") and each graph node it places (Keras's fit function:
 * "…/Conv2D(Conv2D) placed on: /job:…/device:GPU:0"). The eager line comes on every execution, with a few
 * more lines per op, so it slows training: only a short probe run logs it, never a timed one.
 */
import type { Placement } from './result';

/** The environment that turns the two log lines on, for a child process. */
export const PLACEMENT_LOG_ENV = { TF_CPP_MIN_LOG_LEVEL: '0', TF_CPP_VMODULE: 'execute=1,placer=1' };

/** The kernels that carry the CNN's arithmetic: a run "is on the GPU" when every one of them is. */
export const HEAVY_OPS = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MatMul'] as const;
/** Rewritten names of the same kernels: oneDNN's on the CPU (_MklNativeConv2D, _MklMatMul), fused ones. */
const REWRITE_PREFIX = /^_(MklNative|Mkl|Fused)/;

const EAGER = /Executing op (\w+) in device (\S+)/;
const GRAPH = /\((\w+)\) placed on: (\S+)/;

export interface OpPlacement {
  readonly op: string;
  /** Short name: `CPU:0`, `GPU:0`. */
  readonly device: string;
}

/** The placement a log line reports, or undefined for any other line. */
export function parsePlacementLine(line: string): OpPlacement | undefined {
  const m = EAGER.exec(line) ?? GRAPH.exec(line);
  if (!m) return undefined;
  const device = m[2]!.split('/device:').at(-1)!;
  return { op: m[1]!.replace(REWRITE_PREFIX, ''), device };
}

/** Collects a run's placements; `summary` counts op types per device, `offDevice` names misplaced heavy ops. */
export class PlacementLog {
  private readonly ops: OpPlacement[] = [];

  /** True when the line was a placement line (the caller then keeps it off the console). */
  take(line: string): boolean {
    const p = parsePlacementLine(line);
    if (p) this.ops.push(p);
    return p !== undefined;
  }

  summary(): Placement {
    const counts: Placement = {};
    for (const key of new Set(this.ops.map((p) => `${p.device} ${p.op}`))) {
      const device = key.split(' ')[0]!;
      counts[device] = (counts[device] ?? 0) + 1;
    }
    return counts;
  }

  /** Heavy ops that ran somewhere other than on a `kind` device (`GPU`, `CPU`), and heavy ops never seen. */
  offDevice(kind: 'CPU' | 'GPU'): string[] {
    const problems: string[] = [];
    for (const op of HEAVY_OPS) {
      const seen = this.ops.filter((p) => p.op === op);
      if (seen.length === 0) problems.push(`${op} (not logged)`);
      for (const p of seen) if (!p.device.startsWith(`${kind}:`)) problems.push(`${op} on ${p.device}`);
    }
    return [...new Set(problems)];
  }
}
