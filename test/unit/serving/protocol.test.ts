import {
  ProtocolError,
  decodeInferRequest,
  encodeInferResponse,
  modelMetadata,
  splitBody,
} from '../../../src/domain/serving/protocol';

const pixels = (n: number) => Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256);
const nest = (flat: number[], shape: number[]): unknown => {
  if (shape.length === 1) return flat;
  const [d, ...rest] = shape;
  const size = flat.length / d!;
  return Array.from({ length: d! }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), rest));
};
const request = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'image', ...input }],
  ...extra,
});
const decode = (json: unknown, binary: Buffer = Buffer.alloc(0)) =>
  decodeInferRequest(json, binary, { maxImages: 8 });
function rejects(json: unknown, pattern: RegExp, binary?: Buffer) {
  let caught: unknown;
  try {
    decode(json, binary);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).status).toBe(400);
  expect((caught as Error).message).toMatch(pattern);
}

describe('Open Inference Protocol request decoding', () => {
  const data = pixels(2);
  const expected = Float32Array.from(data, (v) => v / 255);

  it.each([[[2, 28, 28]], [[2, 28, 28, 1]], [[2, 784]]])(
    'reads UINT8 pixels of shape %j, flat or nested, into 0..1',
    (shape) => {
      for (const d of [data, nest(data, shape)]) {
        const r = decode(request({ datatype: 'UINT8', shape, data: d }, { id: 'abc' }));
        expect(r.count).toBe(2);
        expect(r.id).toBe('abc');
        expect(r.images).toEqual(expected);
      }
    },
  );

  it('reads FP32 pixels as they are, and the same pixels as binary data (tritonclient default)', () => {
    const fp = Array.from(expected);
    expect(decode(request({ datatype: 'FP32', shape: [2, 784], data: fp })).images).toEqual(expected);
    const bin = Buffer.from(expected.buffer);
    const r = decode(
      request({ datatype: 'FP32', shape: [2, 28, 28], parameters: { binary_data_size: bin.length } }),
      bin,
    );
    expect(r.images).toEqual(expected);
    const u8 = Buffer.from(data);
    expect(
      decode(request({ datatype: 'UINT8', shape: [2, 784], parameters: { binary_data_size: 1568 } }), u8)
        .images,
    ).toEqual(expected);
  });

  it('defaults to both outputs in JSON, honours an outputs filter and binary_data flags', () => {
    expect(decode(request({ datatype: 'UINT8', shape: [1, 784], data: pixels(1) })).outputs).toEqual([
      { name: 'probabilities', binary: false },
      { name: 'digit', binary: false },
    ]);
    const r = decode(
      request(
        { datatype: 'UINT8', shape: [1, 784], data: pixels(1) },
        { outputs: [{ name: 'digit', parameters: { binary_data: true } }] },
      ),
    );
    expect(r.outputs).toEqual([{ name: 'digit', binary: true }]);
    const all = decode(
      request(
        { datatype: 'UINT8', shape: [1, 784], data: pixels(1) },
        { parameters: { binary_data_output: true } },
      ),
    );
    expect(all.outputs.every((o) => o.binary)).toBe(true);
  });

  const invalid: [unknown, RegExp][] = [
    [null, /JSON object/],
    [{}, /exactly one tensor/],
    [{ inputs: [] }, /exactly one tensor/],
    [request({ datatype: 'UINT8', shape: [1, 784], data: pixels(1) }, { id: 5 }), /"id" must be a string/],
    [{ inputs: [{ name: 'x', datatype: 'UINT8', shape: [1, 784], data: pixels(1) }] }, /Unknown input "x"/],
    [request({ datatype: 'INT32', shape: [1, 784], data: pixels(1) }), /datatype "INT32"/],
    [request({ datatype: 'UINT8', shape: [1, 28, 27], data: pixels(1) }), /shape \[1,28,27\]/],
    [request({ datatype: 'UINT8', shape: [0, 784], data: [] }), /at least 1/],
    [request({ datatype: 'UINT8', shape: [9, 784], data: pixels(9) }), /at most 8 .*SERVE_MAX_IMAGES/],
    [request({ datatype: 'UINT8', shape: ['1', 784], data: pixels(1) }), /non-negative integers/],
    [request({ datatype: 'UINT8', shape: [1, 784] }), /no "data"/],
    [request({ datatype: 'UINT8', shape: [2, 784], data: pixels(1) }), /784 values; its shape needs 1568/],
    [request({ datatype: 'UINT8', shape: [1, 784], data: pixels(2) }), /more than/],
    [
      request({ datatype: 'UINT8', shape: [1, 784], data: [...pixels(1).slice(1), 256] }),
      /256 at 783 is not a UINT8/,
    ],
    [request({ datatype: 'UINT8', shape: [1, 784], data: [...pixels(1).slice(1), 'a'] }), /"a" at 783/],
    [
      request({ datatype: 'FP32', shape: [1, 784], data: [...new Array(783).fill(0), 1.5] }),
      /1.5 at 783 is not an FP32/,
    ],
    [request({ datatype: 'FP32', shape: [1, 784], data: [...new Array(783).fill(0), null] }), /null at 783/],
    [
      request({ datatype: 'UINT8', shape: [1, 784], data: pixels(1) }, { outputs: [{ name: 'logits' }] }),
      /Unknown output "logits"/,
    ],
  ];
  it.each(invalid.map(([json, pattern]) => [pattern.source, json, pattern] as const))(
    'rejects with a 400 the request whose error matches %s',
    (_label, json, pattern) => rejects(json, pattern),
  );

  it('rejects binary data whose size disagrees with the shape or the header', () => {
    rejects(
      request({ datatype: 'UINT8', shape: [1, 784], parameters: { binary_data_size: 10 } }),
      /binary_data_size 10 but 784 bytes/,
      Buffer.alloc(784),
    );
    rejects(
      request({ datatype: 'FP32', shape: [1, 784], parameters: { binary_data_size: 784 } }),
      /784 bytes of binary data; 784 FP32 values need 3136/,
      Buffer.alloc(784),
    );
    rejects(
      request({ datatype: 'UINT8', shape: [1, 784], data: pixels(1) }),
      /follow the JSON header/,
      Buffer.alloc(3),
    );
  });

  it('splits a body at Inference-Header-Content-Length and rejects bad JSON or header values', () => {
    const json = Buffer.from('{"a":1}');
    const { json: parsed, binary } = splitBody(
      Buffer.concat([json, Buffer.from([1, 2])]),
      String(json.length),
    );
    expect(parsed).toEqual({ a: 1 });
    expect([...binary]).toEqual([1, 2]);
    expect(() => splitBody(Buffer.from('{"a":'), undefined)).toThrow(/not valid JSON/);
    expect(() => splitBody(Buffer.alloc(0), undefined)).toThrow(/empty/);
    expect(() => splitBody(json, '99')).toThrow(/Inference-Header-Content-Length "99"/);
    expect(() => splitBody(json, '-1')).toThrow(/Inference-Header-Content-Length/);
  });

  it('survives a deeply nested body without overflowing the stack', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    rejects(request({ datatype: 'UINT8', shape: [1, 784], data: deep }), /1 values; its shape needs 784/);
  });
});

describe('Open Inference Protocol responses', () => {
  const probabilities = Float32Array.from({ length: 20 }, (_, i) => i / 100);
  const answer = { versionId: 'v7', probabilities, digits: [9, 3] };
  const req = decode(request({ datatype: 'UINT8', shape: [2, 784], data: pixels(2) }));

  it('encodes JSON outputs with the answering version and the id', () => {
    const { body, headerLength } = encodeInferResponse(req, 'r1', answer);
    expect(headerLength).toBeUndefined();
    const json = JSON.parse(body.toString());
    expect(json).toMatchObject({ model_name: 'mnist-cnn', model_version: 'v7', id: 'r1' });
    expect(json.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 10] });
    expect(json.outputs[0].data).toEqual(Array.from(probabilities));
    expect(json.outputs[1]).toEqual({ name: 'digit', datatype: 'INT64', shape: [2], data: [9, 3] });
  });

  it('puts binary outputs after the JSON header', () => {
    const bin = { ...req, outputs: [{ name: 'digit' as const, binary: true }] };
    const { body, headerLength } = encodeInferResponse(bin, 'r1', answer);
    const json = JSON.parse(body.subarray(0, headerLength).toString());
    expect(json.outputs).toEqual([
      { name: 'digit', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 16 } },
    ]);
    const rest = body.subarray(headerLength!);
    expect([rest.readBigInt64LE(0), rest.readBigInt64LE(8)]).toEqual([9n, 3n]);
  });

  it('names the champion in the metadata', () => {
    expect(modelMetadata('v7')).toMatchObject({ name: 'mnist-cnn', versions: ['v7'] });
    expect(modelMetadata(undefined).versions).toEqual([]);
  });
});
