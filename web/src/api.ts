/** Calls to this server: the web API (/api) and the Open Inference Protocol route of the champion. */
import type { ApiError } from '../../src/serve/web/api-types';

const TOKEN_KEY = 'temporal-mlops.web-token';

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) ?? '',
  set: (t: string) => (t ? localStorage.setItem(TOKEN_KEY, t) : localStorage.removeItem(TOKEN_KEY)),
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const t = token.get();
  if (t) headers.authorization = `Bearer ${t}`;
  const res = await fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = (json as ApiError | undefined)?.error ?? (text.slice(0, 200) || res.statusText);
    throw new HttpError(res.status, error);
  }
  return json as T;
}

export const MODEL = 'mnist-cnn';

export interface Inference {
  readonly digit: number;
  readonly probabilities: number[];
  readonly version: string;
}

interface InferResponse {
  model_version?: string;
  outputs: { name: string; data: number[] }[];
}

/** One 28×28 image through POST /v2/models/mnist-cnn/infer (KServe V2 / Open Inference Protocol). */
export async function infer(pixels: Uint8Array, id: string): Promise<Inference> {
  const r = await call<InferResponse>('POST', `/v2/models/${MODEL}/infer`, {
    id,
    inputs: [{ name: 'image', shape: [1, 28, 28], datatype: 'UINT8', data: Array.from(pixels) }],
  });
  const out = (name: string) => r.outputs.find((o) => o.name === name)?.data;
  const probabilities = out('probabilities');
  const digit = out('digit')?.[0];
  if (!probabilities || digit === undefined)
    throw new Error('the inference answer has no probabilities or digit output');
  return { digit: Number(digit), probabilities, version: r.model_version ?? '?' };
}
