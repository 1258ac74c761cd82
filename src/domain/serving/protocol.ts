/**
 * The Open Inference Protocol (KServe V2) REST messages of the served CNN: decoding and validating an
 * inference request into pixels, and encoding the answer. Pure: no HTTP framework, no TensorFlow.
 *
 * Supported: JSON tensor data (flat or nested, row-major) and the binary tensor data extension
 * (`Inference-Header-Content-Length`, `binary_data_size`, `binary_data` / `binary_data_output`) that
 * tritonclient uses by default.
 */
import { IMAGE_BYTES, IMAGE_SIDE, NUM_CLASSES } from '../data/types';

export const MODEL_NAME = 'mnist-cnn';
export const INPUT_NAME = 'image';
export const OUTPUT_NAMES = ['probabilities', 'digit'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];
export const INPUT_DATATYPES = ['UINT8', 'FP32'] as const;
const MAX_ID_LENGTH = 256;

/** A request the protocol rejects; `status` is the HTTP status the spec asks for. */
export class ProtocolError extends Error {
  constructor(
    readonly status: 400 | 404 | 413 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
const bad = (message: string) => new ProtocolError(400, message);

export interface InferRequest {
  /** The client's request id, echoed in the response; undefined when it sent none. */
  readonly id: string | undefined;
  /** count × 784 pixels scaled to 0..1, the model's input. */
  readonly images: Float32Array;
  readonly count: number;
  /** The outputs to return, in order, and whether each goes in the binary part. */
  readonly outputs: readonly { name: OutputName; binary: boolean }[];
}

interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

/** The model metadata response of GET /v2/models/mnist-cnn. */
export function modelMetadata(versionId: string | undefined) {
  const inputs: TensorSpec[] = [
    // Datatype and shape are one choice among those decodeInferRequest accepts (UINT8 0..255 or FP32 0..1;
    // [N,28,28], [N,28,28,1] or [N,784]); metadata has room for one, so it names the model's own layout.
    { name: INPUT_NAME, datatype: 'FP32', shape: [-1, IMAGE_SIDE, IMAGE_SIDE, 1] },
  ];
  const outputs: TensorSpec[] = [
    { name: 'probabilities', datatype: 'FP32', shape: [-1, NUM_CLASSES] },
    { name: 'digit', datatype: 'INT64', shape: [-1] },
  ];
  return {
    name: MODEL_NAME,
    versions: versionId ? [versionId] : [],
    platform: 'tensorflow_tfjs',
    inputs,
    outputs,
    parameters: {
      accepted_input_datatypes: [...INPUT_DATATYPES],
      accepted_input_shapes: [
        [-1, IMAGE_SIDE, IMAGE_SIDE],
        [-1, IMAGE_SIDE, IMAGE_SIDE, 1],
        [-1, IMAGE_BYTES],
      ],
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Splits a request body into its JSON part and the binary tensor data that follows it.
 * `headerLength` is the Inference-Header-Content-Length header, when the client sent one.
 */
export function splitBody(body: Buffer, headerLength: string | undefined): { json: unknown; binary: Buffer } {
  let jsonBytes: Buffer = body;
  let binary: Buffer = Buffer.alloc(0);
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!/^\d+$/.test(headerLength.trim()) || n > body.length) {
      throw bad(
        `Inference-Header-Content-Length ${JSON.stringify(headerLength)} is not a whole number of bytes ` +
          `within the ${body.length}-byte body.`,
      );
    }
    jsonBytes = body.subarray(0, n);
    binary = body.subarray(n);
  }
  if (jsonBytes.length === 0) throw bad('The request body is empty: send an inference request as JSON.');
  try {
    return { json: JSON.parse(jsonBytes.toString('utf8')), binary };
  } catch (err) {
    throw bad(`The request body is not valid JSON: ${(err as Error).message}.`);
  }
}

/** Row-major elements of JSON tensor data given flat or nested; stops early once `limit` is passed. */
function flatten(data: unknown, limit: number): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [data];
  // Iterative and bounded: a deeply nested or huge body must not overflow the stack or the heap.
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else {
      out.push(v);
      if (out.length > limit) break;
    }
  }
  return out;
}

function checkShape(shape: unknown, maxImages: number): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw bad(`Input "${INPUT_NAME}" needs "shape", an array of non-negative integers, e.g. [1,28,28].`);
  }
  const dims = shape as number[];
  const rest = JSON.stringify(dims.slice(1));
  const fits = ['[28,28]', '[28,28,1]', '[784]'].includes(rest);
  if (!fits) {
    throw bad(
      `Input "${INPUT_NAME}" has shape ${JSON.stringify(dims)}; use [N,28,28], [N,28,28,1] or [N,784] ` +
        '(N images of 28×28 pixels).',
    );
  }
  const count = dims[0]!;
  if (count < 1) throw bad(`Input "${INPUT_NAME}" has shape ${JSON.stringify(dims)}: N must be at least 1.`);
  if (count > maxImages) {
    throw bad(
      `Input "${INPUT_NAME}" holds ${count} images; one request may carry at most ${maxImages} ` +
        '(SERVE_MAX_IMAGES): split it into several requests.',
    );
  }
  return count;
}

function pixelsFromJson(data: unknown, datatype: string, total: number): Float32Array {
  if (data === undefined) throw bad(`Input "${INPUT_NAME}" has no "data" (and no binary_data_size).`);
  const values = flatten(data, total);
  if (values.length !== total) {
    throw bad(
      `Input "${INPUT_NAME}" has ${values.length > total ? 'more than ' : ''}${values.length} values; ` +
        `its shape needs ${total}.`,
    );
  }
  const out = new Float32Array(total);
  for (let i = 0; i < total; i++) {
    const v = values[i];
    if (datatype === 'UINT8') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw bad(
          `Input "${INPUT_NAME}" value ${JSON.stringify(v)} at ${i} is not a UINT8 (an integer 0..255).`,
        );
      }
      out[i] = v / 255;
    } else {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw bad(`Input "${INPUT_NAME}" value ${JSON.stringify(v)} at ${i} is not an FP32 pixel in 0..1.`);
      }
      out[i] = v;
    }
  }
  return out;
}

function pixelsFromBinary(bytes: Buffer, datatype: string, total: number): Float32Array {
  const want = datatype === 'UINT8' ? total : total * 4;
  if (bytes.length !== want) {
    throw bad(
      `Input "${INPUT_NAME}" has ${bytes.length} bytes of binary data; ${total} ${datatype} values need ${want}.`,
    );
  }
  const out = new Float32Array(total);
  for (let i = 0; i < total; i++) {
    const v = datatype === 'UINT8' ? bytes[i]! / 255 : bytes.readFloatLE(i * 4);
    if (!(v >= 0 && v <= 1)) {
      throw bad(`Input "${INPUT_NAME}" value ${v} at ${i} is not an FP32 pixel in 0..1.`);
    }
    out[i] = v;
  }
  return out;
}

function requestedOutputs(req: Record<string, unknown>): InferRequest['outputs'] {
  const params = isObject(req.parameters) ? req.parameters : {};
  const allBinary = params.binary_data_output === true;
  if (req.outputs === undefined) return OUTPUT_NAMES.map((name) => ({ name, binary: allBinary }));
  if (!Array.isArray(req.outputs)) throw bad('"outputs" must be an array of {"name": …} objects.');
  return req.outputs.map((o) => {
    const name = isObject(o) ? o.name : undefined;
    if (typeof name !== 'string' || !(OUTPUT_NAMES as readonly string[]).includes(name)) {
      throw bad(
        `Unknown output ${JSON.stringify(name)}: the model's outputs are ${OUTPUT_NAMES.map((n) => `"${n}"`).join(' and ')}.`,
      );
    }
    const p = isObject(o) && isObject(o.parameters) ? o.parameters : {};
    return {
      name: name as OutputName,
      binary: p.binary_data === undefined ? allBinary : p.binary_data === true,
    };
  });
}

/** Validates an inference request (already split from its binary part) and turns it into pixels. */
export function decodeInferRequest(json: unknown, binary: Buffer, opts: { maxImages: number }): InferRequest {
  if (!isObject(json)) throw bad('An inference request is a JSON object with "inputs".');
  if (json.id !== undefined && (typeof json.id !== 'string' || json.id.length > MAX_ID_LENGTH)) {
    throw bad(`"id" must be a string of at most ${MAX_ID_LENGTH} characters.`);
  }
  const inputs = json.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1 || !isObject(inputs[0])) {
    throw bad(`"inputs" must be an array of exactly one tensor, named "${INPUT_NAME}".`);
  }
  const input = inputs[0];
  if (input.name !== INPUT_NAME) {
    throw bad(
      `Unknown input ${JSON.stringify(input.name)}: the model takes one input named "${INPUT_NAME}".`,
    );
  }
  const datatype = input.datatype;
  if (typeof datatype !== 'string' || !(INPUT_DATATYPES as readonly string[]).includes(datatype)) {
    throw bad(
      `Input "${INPUT_NAME}" has datatype ${JSON.stringify(datatype)}; use "UINT8" (0..255) or "FP32" (0..1).`,
    );
  }
  const count = checkShape(input.shape, opts.maxImages);
  const total = count * IMAGE_BYTES;
  const params = isObject(input.parameters) ? input.parameters : {};
  let images: Float32Array;
  if (params.binary_data_size !== undefined) {
    const size = params.binary_data_size;
    if (!Number.isInteger(size) || (size as number) < 0 || (size as number) !== binary.length) {
      throw bad(
        `Input "${INPUT_NAME}" says binary_data_size ${JSON.stringify(size)} but ${binary.length} bytes ` +
          'follow the JSON header.',
      );
    }
    if (input.data !== undefined) throw bad(`Input "${INPUT_NAME}" has both "data" and binary data.`);
    images = pixelsFromBinary(binary, datatype, total);
  } else {
    if (binary.length) throw bad(`${binary.length} bytes follow the JSON header but no input names them.`);
    images = pixelsFromJson(input.data, datatype, total);
  }
  return { id: json.id as string | undefined, images, count, outputs: requestedOutputs(json) };
}

export interface InferAnswer {
  readonly versionId: string;
  /** count × 10 class probabilities. */
  readonly probabilities: Float32Array;
  readonly digits: readonly number[];
}

/**
 * The inference response: JSON, plus the binary part when an output asked for binary data (then
 * `headerLength` is the JSON's byte length, for the Inference-Header-Content-Length header).
 */
export function encodeInferResponse(
  req: InferRequest,
  id: string,
  answer: InferAnswer,
): { body: Buffer; headerLength: number | undefined } {
  const binaries: Buffer[] = [];
  const outputs = req.outputs.map(({ name, binary }) => {
    const [datatype, shape] =
      name === 'probabilities' ? ['FP32', [req.count, NUM_CLASSES]] : ['INT64', [req.count]];
    if (binary) {
      const bytes =
        name === 'probabilities'
          ? Buffer.from(
              answer.probabilities.buffer,
              answer.probabilities.byteOffset,
              answer.probabilities.byteLength,
            )
          : Buffer.from(BigInt64Array.from(answer.digits, (d) => BigInt(d)).buffer);
      binaries.push(bytes);
      return { name, datatype, shape, parameters: { binary_data_size: bytes.length } };
    }
    const data = name === 'probabilities' ? Array.from(answer.probabilities) : [...answer.digits];
    return { name, datatype, shape, data };
  });
  const json = Buffer.from(
    JSON.stringify({ model_name: MODEL_NAME, model_version: answer.versionId, id, outputs }),
    'utf8',
  );
  if (!binaries.length) return { body: json, headerLength: undefined };
  return { body: Buffer.concat([json, ...binaries]), headerLength: json.length };
}
