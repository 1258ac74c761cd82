/** What each framework's run reports; the Keras side prints the same fields as JSON. */
export interface FrameworkResult {
  /** Training images per second from the end of the first batch (warm-up) to the end of the last. */
  readonly imagesPerSec: number;
  /** On the 10 000 test images. */
  readonly testAccuracy: number;
  /** Peak resident memory of the process that trained, whole lifetime. */
  readonly peakRssMb: number;
  /** Process CPU time per trained image (user + system): steadier than images/s on a shared machine. */
  readonly cpuMsPerImage: number;
  /** fit/train wall time, first batch included. */
  readonly trainSeconds: number;
  readonly firstBatchSeconds: number;
  readonly finalLoss: number;
}

export interface BenchSettings {
  readonly epochs: number;
  readonly trainSize: number;
  readonly batchSize: number;
  readonly threads: number;
  readonly learningRate: number;
  readonly learningRateDecay: number;
  readonly seed: number;
}
