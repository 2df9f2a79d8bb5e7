/**
 * Keras functional model (tfjs layers format: model.json topology + weights) -> ONNX bytes, for
 * the layer types Keras ResNet50 uses. Tensors stay NCHW inside the graph: the NHWC input gets
 * one Transpose, and every BatchNormalization that follows a Conv2D is folded into the
 * convolution's weights. Outputs are the model's own (fc1000) plus any layers asked for by name
 * (avg_pool), so one run gives the ImageNet softmax and the pooled features a head runs on.
 * Equal inputs give equal bytes: no timestamps, node order = Keras layer order.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 13;
const IR_VERSION = 7;

export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: Array<Array<[string, number, number, object?]>>;
}

export interface KerasTopology {
  model_config: { class_name: string; config: { layers: KerasLayer[]; input_layers: Array<[string, number, number]>; output_layers: Array<[string, number, number]> } };
}

/** Weight name ("conv1/kernel") -> shape and values. */
export type Weights = Map<string, { shape: number[]; data: Float32Array }>;

export class ConversionError extends Error {
  override name = 'ConversionError';
}

/** A value in the graph: its ONNX name and NCHW shape (batch as -1). */
interface Value {
  name: string;
  shape: number[];
}

type Attr = { name: string; i?: number; f?: number; ints?: number[]; s?: string };

function attrProto(a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (a.ints) return { name: a.name, type: T.INTS, ints: a.ints };
  if (a.f !== undefined) return { name: a.name, type: T.FLOAT, f: a.f };
  if (a.s !== undefined) return { name: a.name, type: T.STRING, s: Buffer.from(a.s) };
  return { name: a.name, type: T.INT, i: a.i };
}

function tensorProto(name: string, dims: number[], data: Float32Array | BigInt64Array): onnxProto.onnx.ITensorProto {
  const dataType = data instanceof Float32Array ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64;
  // raw_data is little-endian; so are the machines this runs on (x86-64, arm).
  return { name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function valueInfo(name: string, dims: Array<number | string>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

function pair(v: unknown, what: string): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((x) => typeof x === 'number')) throw new ConversionError(`${what} is ${JSON.stringify(v)}, expected two numbers`);
  return a as [number, number];
}

/** Keras 'same'/'valid' padding -> ONNX pads [top, left, bottom, right] and the output size. */
function spatial(inH: number, inW: number, k: [number, number], s: [number, number], padding: string, layer: string) {
  if (padding === 'valid') {
    return { pads: [0, 0, 0, 0], h: Math.floor((inH - k[0]) / s[0]) + 1, w: Math.floor((inW - k[1]) / s[1]) + 1 };
  }
  if (padding !== 'same') throw new ConversionError(`layer ${layer}: padding "${padding}" is not supported (valid, same)`);
  const h = Math.ceil(inH / s[0]);
  const w = Math.ceil(inW / s[1]);
  const ph = Math.max((h - 1) * s[0] + k[0] - inH, 0);
  const pw = Math.max((w - 1) * s[1] + k[1] - inW, 0);
  // TensorFlow puts the odd pixel at the end.
  return { pads: [ph >> 1, pw >> 1, ph - (ph >> 1), pw - (pw >> 1)], h, w };
}

export interface ConvertOptions {
  /** Layers whose output is also a graph output (after the model's own), e.g. ['avg_pool']. */
  extraOutputs?: string[];
  /** Recorded in the model's producer_version, so the bytes name the recipe that made them. */
  producerVersion?: string;
}

export function convertKeras(topology: KerasTopology, weights: Weights, options: ConvertOptions = {}): Uint8Array {
  const cfg = topology.model_config?.config;
  if (!cfg?.layers) throw new ConversionError('model.json has no functional model_config.config.layers');
  const layers = cfg.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumers = new Map<string, string[]>();
  for (const l of layers) {
    for (const node of l.inbound_nodes) for (const [src] of node) consumers.set(src, [...(consumers.get(src) ?? []), l.name]);
  }
  if (layers.some((l) => l.inbound_nodes.length > 1)) throw new ConversionError('shared layers (a layer called more than once) are not supported');

  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const values = new Map<string, Value>();
  const used = new Set<string>();
  const node = (opType: string, inputs: string[], output: string, attrs: Attr[] = []) => {
    nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attrs.map(attrProto) });
  };
  const init = (name: string, dims: number[], data: Float32Array | BigInt64Array) => {
    initializers.push(tensorProto(name, dims, data));
    return name;
  };
  const weight = (layer: string, key: string) => {
    const w = weights.get(`${layer}/${key}`);
    if (!w) throw new ConversionError(`layer ${layer}: weight ${layer}/${key} is missing from the weights manifest`);
    used.add(`${layer}/${key}`);
    return w;
  };
  const input = (l: KerasLayer, i = 0): Value => {
    const src = l.inbound_nodes[0]?.[i]?.[0];
    const v = src === undefined ? undefined : values.get(src);
    if (!v) throw new ConversionError(`layer ${l.name}: input ${i} (${src}) is not converted yet; layers must come after their inputs`);
    return v;
  };
  /** The one layer reading `name`, if exactly one does and it is of `cls`. */
  const soleConsumer = (name: string, cls: string) => {
    const c = consumers.get(name) ?? [];
    const l = c.length === 1 ? byName.get(c[0]!) : undefined;
    return l?.class_name === cls && !(options.extraOutputs ?? []).includes(name) && !cfg.output_layers.some(([o]) => o === name) ? l : undefined;
  };
  /** A Keras activation name applied to `v` under the name `out`. */
  const activation = (kind: unknown, v: Value, out: string, layer: string): Value => {
    if (kind === 'linear' || kind === undefined) return v;
    const op = kind === 'relu' ? 'Relu' : kind === 'softmax' ? 'Softmax' : undefined;
    if (!op) throw new ConversionError(`layer ${layer}: activation "${String(kind)}" is not supported (linear, relu, softmax)`);
    if (op === 'Softmax' && v.shape.length !== 2) throw new ConversionError(`layer ${layer}: softmax over a ${v.shape.length}-d tensor is not supported`);
    node(op, [v.name], out, op === 'Softmax' ? [{ name: 'axis', i: -1 }] : []);
    return { name: out, shape: v.shape };
  };
  /** Pending ZeroPadding2D folded into the Conv2D that reads it: layer name -> pads. */
  const foldedPads = new Map<string, number[]>();
  /** BatchNormalization layers folded into the Conv2D before them: their output = the conv's. */
  const foldedBn = new Set<string>();

  for (const l of layers) {
    const c = l.config;
    if (foldedBn.has(l.name)) continue;
    switch (l.class_name) {
      case 'InputLayer': {
        const shape = c.batch_input_shape as Array<number | null>;
        if (shape.length !== 4 || shape.slice(1).some((d) => d === null)) throw new ConversionError(`input ${l.name} has shape ${JSON.stringify(shape)}, expected [null, H, W, C]`);
        const [, h, w, ch] = shape as number[];
        node('Transpose', [l.name], `${l.name}_nchw`, [{ name: 'perm', ints: [0, 3, 1, 2] }]);
        values.set(l.name, { name: `${l.name}_nchw`, shape: [-1, ch!, h!, w!] });
        break;
      }
      case 'ZeroPadding2D': {
        const x = input(l);
        const p = c.padding as unknown[];
        const [t, b] = pair(Array.isArray(p) ? p[0] : p, `layer ${l.name} padding`);
        const [left, r] = pair(Array.isArray(p) ? p[1] : p, `layer ${l.name} padding`);
        const pads = [t, left, b, r];
        const shape = [x.shape[0]!, x.shape[1]!, x.shape[2]! + t + b, x.shape[3]! + left + r];
        const conv = soleConsumer(l.name, 'Conv2D');
        if (conv && conv.config.padding === 'valid') {
          foldedPads.set(conv.name, pads);
          values.set(l.name, { name: x.name, shape });
        } else {
          const padsName = init(`${l.name}_pads`, [8], BigInt64Array.from([0, 0, t, left, 0, 0, b, r].map(BigInt)));
          node('Pad', [x.name, padsName], l.name);
          values.set(l.name, { name: l.name, shape });
        }
        break;
      }
      case 'Conv2D': {
        const x = input(l);
        if (c.data_format !== 'channels_last') throw new ConversionError(`layer ${l.name}: data_format ${String(c.data_format)} is not supported`);
        if (pair(c.dilation_rate ?? 1, `layer ${l.name} dilation_rate`).some((d) => d !== 1)) throw new ConversionError(`layer ${l.name}: dilated convolutions are not supported`);
        const k = pair(c.kernel_size, `layer ${l.name} kernel_size`);
        const s = pair(c.strides ?? 1, `layer ${l.name} strides`);
        const kernel = weight(l.name, 'kernel');
        const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
        if (cin !== x.shape[1]) throw new ConversionError(`layer ${l.name}: kernel takes ${cin} channels, input has ${x.shape[1]}`);
        const pre = foldedPads.get(l.name) ?? [0, 0, 0, 0];
        const sp = spatial(x.shape[2]!, x.shape[3]!, k, s, String(c.padding), l.name);
        const pads = sp.pads.map((p, i) => p + pre[i]!);
        // Keras HWIO -> ONNX OIHW, in doubles so the BatchNorm fold rounds once.
        const w = new Float64Array(cout * cin * kh * kw);
        for (let y = 0; y < kh; y++)
          for (let xx = 0; xx < kw; xx++)
            for (let i = 0; i < cin; i++)
              for (let o = 0; o < cout; o++) w[((o * cin + i) * kh + y) * kw + xx] = kernel.data[((y * kw + xx) * cin + i) * cout + o]!;
        const bias = new Float64Array(cout);
        if (c.use_bias) weight(l.name, 'bias').data.forEach((v, i) => (bias[i] = v));
        let out = l.name;
        const bn = c.activation === 'linear' ? soleConsumer(l.name, 'BatchNormalization') : undefined;
        if (bn) {
          const { scale, shift } = batchNormAffine(bn, cout, weight);
          for (let o = 0; o < cout; o++) {
            for (let j = o * cin * kh * kw; j < (o + 1) * cin * kh * kw; j++) w[j]! *= scale[o]!;
            bias[o] = bias[o]! * scale[o]! + shift[o]!;
          }
          foldedBn.add(bn.name);
          out = bn.name;
        }
        const wName = init(`${l.name}_W`, [cout, cin, kh, kw], Float32Array.from(w));
        const bName = init(`${l.name}_B`, [cout], Float32Array.from(bias));
        const conv = `${out}${c.activation === 'linear' ? '' : '_linear'}`;
        node('Conv', [x.name, wName, bName], conv, [
          { name: 'kernel_shape', ints: [kh, kw] },
          { name: 'strides', ints: s },
          { name: 'pads', ints: pads },
          { name: 'dilations', ints: [1, 1] },
        ]);
        const v = activation(c.activation, { name: conv, shape: [x.shape[0]!, cout, sp.h, sp.w] }, out, l.name);
        values.set(l.name, v);
        if (bn) values.set(bn.name, v);
        break;
      }
      case 'BatchNormalization': {
        const x = input(l);
        const axis = Array.isArray(c.axis) ? c.axis[0] : c.axis;
        if (axis !== 3 && axis !== -1) throw new ConversionError(`layer ${l.name}: batch norm over axis ${String(axis)} is not supported (channels, 3)`);
        const ch = x.shape[1]!;
        const { scale, shift } = batchNormAffine(l, ch, weight);
        const sName = init(`${l.name}_scale`, [ch, 1, 1], Float32Array.from(scale));
        const tName = init(`${l.name}_shift`, [ch, 1, 1], Float32Array.from(shift));
        node('Mul', [x.name, sName], `${l.name}_scaled`);
        node('Add', [`${l.name}_scaled`, tName], l.name);
        values.set(l.name, { name: l.name, shape: x.shape });
        break;
      }
      case 'Activation':
        values.set(l.name, activation(c.activation, input(l), l.name, l.name));
        break;
      case 'Add': {
        const ins = l.inbound_nodes[0]!.map((_, i) => input(l, i));
        if (ins.length !== 2) throw new ConversionError(`layer ${l.name}: Add of ${ins.length} inputs is not supported (2)`);
        node('Add', ins.map((v) => v.name), l.name);
        values.set(l.name, { name: l.name, shape: ins[0]!.shape });
        break;
      }
      case 'MaxPooling2D': {
        const x = input(l);
        const k = pair(c.pool_size, `layer ${l.name} pool_size`);
        const s = pair(c.strides ?? c.pool_size, `layer ${l.name} strides`);
        const sp = spatial(x.shape[2]!, x.shape[3]!, k, s, String(c.padding), l.name);
        node('MaxPool', [x.name], l.name, [
          { name: 'kernel_shape', ints: k },
          { name: 'strides', ints: s },
          { name: 'pads', ints: sp.pads },
        ]);
        values.set(l.name, { name: l.name, shape: [x.shape[0]!, x.shape[1]!, sp.h, sp.w] });
        break;
      }
      case 'GlobalAveragePooling2D': {
        const x = input(l);
        node('GlobalAveragePool', [x.name], `${l.name}_nc11`);
        node('Flatten', [`${l.name}_nc11`], l.name, [{ name: 'axis', i: 1 }]);
        values.set(l.name, { name: l.name, shape: [x.shape[0]!, x.shape[1]!] });
        break;
      }
      case 'Dense': {
        const x = input(l);
        if (x.shape.length !== 2) throw new ConversionError(`layer ${l.name}: Dense on a ${x.shape.length}-d input is not supported (2)`);
        const kernel = weight(l.name, 'kernel');
        const units = kernel.shape[1]!;
        const gemm = c.activation === 'linear' ? l.name : `${l.name}_linear`;
        const ins = [x.name, init(`${l.name}_W`, kernel.shape, kernel.data)];
        if (c.use_bias) ins.push(init(`${l.name}_B`, [units], weight(l.name, 'bias').data));
        node('Gemm', ins, gemm);
        values.set(l.name, activation(c.activation, { name: gemm, shape: [x.shape[0]!, units] }, l.name, l.name));
        break;
      }
      default:
        throw new ConversionError(`layer ${l.name}: ${l.class_name} is not supported by this converter`);
    }
  }

  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length) throw new ConversionError(`weights not used by any converted layer: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', ...' : ''}`);
  const outputs = [...cfg.output_layers.map(([name]) => name), ...(options.extraOutputs ?? [])].map((name) => {
    const v = values.get(name);
    if (!v) throw new ConversionError(`output layer ${name} is not in the model`);
    if (v.name !== name) throw new ConversionError(`output layer ${name} was folded into another node`);
    return valueInfo(name, ['N', ...v.shape.slice(1)]);
  });
  const inputs = cfg.input_layers.map(([name]) => {
    const s = byName.get(name)!.config.batch_input_shape as number[];
    return valueInfo(name, ['N', ...s.slice(1)]);
  });

  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'edgefaas keras-to-onnx',
    producerVersion: options.producerVersion ?? '',
    graph: { name: 'keras', node: nodes, initializer: initializers, input: inputs, output: outputs },
  }).finish();
}

/** BatchNormalization as y = x*scale + shift per channel (inference: moving statistics), in doubles. */
function batchNormAffine(bn: KerasLayer, channels: number, weight: (layer: string, key: string) => { data: Float32Array }) {
  const c = bn.config;
  const eps = Number(c.epsilon ?? 1e-3);
  const mean = weight(bn.name, 'moving_mean').data;
  const variance = weight(bn.name, 'moving_variance').data;
  const gamma = c.scale === false ? undefined : weight(bn.name, 'gamma').data;
  const beta = c.center === false ? undefined : weight(bn.name, 'beta').data;
  if (mean.length !== channels) throw new ConversionError(`layer ${bn.name}: ${mean.length} statistics for ${channels} channels`);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let i = 0; i < channels; i++) {
    scale[i] = (gamma?.[i] ?? 1) / Math.sqrt(variance[i]! + eps);
    shift[i] = (beta?.[i] ?? 0) - mean[i]! * scale[i]!;
  }
  return { scale, shift };
}
