/**
 * Jest's node environment runs each test file in its own realm, so typed arrays made by tfjs-node's
 * native addon (Node's realm) fail tfjs's `instanceof Float32Array` checks, e.g. when saving a model
 * ("Unsupported TypedArray subtype", jestjs/jest#11864, tensorflow/tfjs#7175). Sharing Node's
 * typed-array constructors with the test realm makes tests see what production code sees.
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'ArrayBuffer',
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
];

class TfEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = TfEnvironment;
