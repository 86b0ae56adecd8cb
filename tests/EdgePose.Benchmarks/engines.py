"""The Python side of `EdgePose.Benchmarks engines`: reduced-precision variants of the ONNX graph, and PyTorch eager timing.

Run with Debian's /usr/bin/python3 (python3-onnx, python3-torch); the C# command calls it and reads its JSON on stdout.
There is no onnxruntime Python package here, so the variants are rewritten with the onnx package alone and checked by
the C# command, which runs them in ONNX Runtime next to the fp32 graph on the same inputs.

  variants --model M --out DIR           write DIR/fp16.onnx, fp16-trunks.onnx and int8-dynamic.onnx (or say why not)
                                         and DIR/calibration.onnx, the activations static int8 needs ranges for as outputs
  int8-static --model M --ranges R --frames N --out F
                                         write the QDQ int8 graph F from the ranges the C# command recorded
  inspect OPTIMIZED.onnx...               what ONNX Runtime kept in float16 or int8 of each variant (its optimized graphs)
  torch --weights W --recipe R --inputs F --frames N --runs K --threads T...
                                         time ContractHead(PoseNet) on the N letterboxed inputs in F (float32, NCHW),
                                         print per-run seconds and the outputs on each input
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def save(model, nodes, out_path):
    """The graph with these nodes, less the Identity nodes and initializers nothing reads any more, checked and saved."""
    import onnx

    graph = model.graph
    used = {i for n in nodes for i in n.input}
    live = [n for n in nodes if n.op_type != "Identity" or n.output[0] in used]
    used = {i for n in live for i in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(live)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.value_info[:]
    onnx.checker.check_model(onnx.shape_inference.infer_shapes(model), full_check=True)
    onnx.save(model, out_path)


def half_precision(model_path, out_path, in_half):
    """The nodes in_half picks run in float16 (their weights and float constants converted), Cast nodes at every
    float edge between them and the rest, and the graph's float32 input and outputs kept, so the file runs in place of
    the fp32 one. onnxconverter-common's keep_io_types and op_block_list do the same; it is not packaged here."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(model_path)
    graph = model.graph
    typed = onnx.shape_inference.infer_shapes(model).graph
    floats = {v.name for v in [*typed.value_info, *graph.input, *graph.output]
              if v.type.tensor_type.elem_type == TensorProto.FLOAT}
    initializers = {i.name: i for i in graph.initializer}
    floats |= {name for name, i in initializers.items() if i.data_type == TensorProto.FLOAT}
    # The second refiner pass reads the first pass's weights through Identity nodes.
    aliases = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity" and n.input[0] in initializers}
    computing = [n for n in graph.node if n.op_type != "Identity"]
    region = [n for n in computing if in_half(n)]
    if any(n.op_type == "Cast" for n in region):
        raise ValueError("a Cast inside the float16 part would need its target type rewritten")
    produced = {o for n in region for o in n.output if o in floats}

    def half(tensor, name):
        return numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), name)

    # A graph output made in float16 is renamed inside, and cast back under its own name at the end.
    ends = []
    for output in graph.output:
        if output.name in produced:
            inner = output.name + "_fp16"
            for n in graph.node:
                n.output[:] = [inner if o == output.name else o for o in n.output]
                n.input[:] = [inner if i == output.name else i for i in n.input]
            produced = (produced - {output.name}) | {inner}
            ends.append(helper.make_node("Cast", [inner], [output.name], to=TensorProto.FLOAT, name=output.name + "_to_fp32"))

    nodes, converted = [], {}

    def convert(name, to):
        """The tensor as the other precision: a float16 copy of an initializer, or a Cast made once, before its first reader."""
        source = aliases.get(name, name)
        key = (source if source in initializers else name, to)
        if key not in converted:
            suffix = "_fp16" if to == TensorProto.FLOAT16 else "_fp32"
            converted[key] = source + suffix if source in initializers else name + suffix
            if source in initializers:
                graph.initializer.append(half(initializers[source], converted[key]))
            else:
                nodes.append(helper.make_node("Cast", [name], [converted[key]], to=to, name=converted[key]))
        return converted[key]

    for node in graph.node:
        inside = node.op_type != "Identity" and in_half(node)
        if inside:
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.TENSOR and attribute.t.data_type == TensorProto.FLOAT:
                    attribute.t.CopyFrom(half(attribute.t, attribute.t.name))
        for k, name in enumerate(node.input):
            if name in floats or name in produced:
                if inside and name not in produced:
                    node.input[k] = convert(name, TensorProto.FLOAT16)
                elif not inside and name in produced:
                    node.input[k] = convert(name, TensorProto.FLOAT)
        nodes.append(node)
    save(model, nodes + ends, out_path)
    return f"{len(region)} of {len(computing)} nodes float16, float32 I/O"


def fp16(model_path, out_path):
    """The whole graph in float16: every float tensor in it is data (Resize takes int64 sizes), nothing has to stay float32."""
    return half_precision(model_path, out_path, lambda node: True) + " through Cast nodes"


def fp16_trunks(model_path, out_path):
    """The two convolution trunks (the locator's and the refiner's, torch scopes /locator and /refiner) in float16, the
    soft-argmax decoding, crop and coordinate arithmetic in float32: a float16 coordinate in [0.5, 1) of a 640-pixel
    input only resolves 0.31 px."""
    return half_precision(model_path, out_path, lambda node: node.name.startswith(("/locator/", "/refiner/"))) + \
        "; decoding, crops and coordinates float32"


def hidden_convs(graph):
    """The Convs an int8 graph quantizes, by output name, with their weight and bias initializers (through the Identity
    nodes by which the second refiner pass reads the first pass's weights). The stems read the image itself and the
    heatmap heads' logits become sub-pixel positions through the soft-argmax: both stay float32, as quantizers usually
    keep a network's first and last layers. In this graph (batch norms folded) a hidden Conv reads a Relu or a decoder's
    Concat and feeds a Relu or a residual Add; the others are those first and last layers."""
    initializers = {i.name for i in graph.initializer}
    aliases = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity" and n.input[0] in initializers}
    hidden_outputs = {n.output[0] for n in graph.node if n.op_type in ("Relu", "Concat")}
    hidden_inputs = {i for n in graph.node if n.op_type in ("Relu", "Add") for i in n.input}
    convs = {}
    for node in graph.node:
        if (node.op_type == "Conv" and aliases.get(node.input[1], node.input[1]) in initializers
                and node.input[0] in hidden_outputs and node.output[0] in hidden_inputs):
            bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
            convs[node.output[0]] = (aliases.get(node.input[1], node.input[1]), aliases.get(bias, bias))
    return convs


def quantized_convs(graph):
    """Each node of the graph with, for a hidden Conv, its weight's name, its weight quantized symmetrically per output
    channel (integers in [-127, 127] and one scale per channel), its float32 bias, and whether this is the first Conv to
    read that weight (the second refiner pass shares the first's); None for the other nodes."""
    from onnx import numpy_helper

    initializers = {i.name: i for i in graph.initializer}
    convs = hidden_convs(graph)
    seen = set()
    for node in graph.node:
        if node.output[0] not in convs:
            yield node, None
            continue
        w, bias = convs[node.output[0]]
        weight = numpy_helper.to_array(initializers[w])
        scale = np.maximum(np.abs(weight).reshape(weight.shape[0], -1).max(axis=1), 1e-8) / 127.0
        levels = np.clip(np.round(weight / scale.reshape(-1, 1, 1, 1)), -127, 127)
        b = numpy_helper.to_array(initializers[bias]) if bias else np.zeros(weight.shape[0], np.float32)
        yield node, (w, levels, scale.astype(np.float32), b.astype(np.float32), w not in seen)
        seen.add(w)


def int8_dynamic(model_path, out_path):
    """The hidden Convs as ONNX Runtime's dynamic quantizer would write them, with no calibration data: the activation
    quantized per frame (DynamicQuantizeLinear, uint8), the weights ahead of time (uint8, symmetric about 128 with one
    scale per output channel), ConvInteger, then the int32 sum rescaled and the bias added in float32."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(model_path)
    graph = model.graph
    total = sum(n.op_type == "Conv" for n in graph.node)
    nodes, added, count = [], [], 0
    for node, conv in list(quantized_convs(graph)):
        if conv is None:
            nodes.append(node)
            continue
        count += 1
        name = node.output[0]
        w, levels, scale, bias, first = conv
        if first:
            added += [
                numpy_helper.from_array((levels + 128).astype(np.uint8), w + "_wq"),
                numpy_helper.from_array(np.array(128, np.uint8), w + "_wzp"),
                numpy_helper.from_array(scale.reshape(1, -1, 1, 1), w + "_ws"),
            ]
        added.append(numpy_helper.from_array(bias.reshape(1, -1, 1, 1), name + "_b"))
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [node.input[0]], [name + "_xq", name + "_xs", name + "_xzp"]),
            helper.make_node("ConvInteger", [name + "_xq", w + "_wq", name + "_xzp", w + "_wzp"], [name + "_acc"],
                             name=node.name + "_int8", **{a.name: helper.get_attribute_value(a) for a in node.attribute}),
            helper.make_node("Cast", [name + "_acc"], [name + "_accf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [name + "_xs", w + "_ws"], [name + "_s"]),
            helper.make_node("Mul", [name + "_accf", name + "_s"], [name + "_scaled"]),
            helper.make_node("Add", [name + "_scaled", name + "_b"], [name]),
        ]
    graph.initializer.extend(added)
    save(model, nodes, out_path)
    return (f"{count} of {total} Conv -> DynamicQuantizeLinear + ConvInteger "
            "(uint8, per-channel weight scales; stems and heatmap heads fp32); no calibration")


def static_tensors(graph):
    """The activations a static int8 graph quantizes: each hidden Conv's input and output, the output taken after its
    Relu when a Relu alone reads it, so that ONNX Runtime fuses DequantizeLinear -> Conv -> Relu -> QuantizeLinear into
    one QLinearConv."""
    convs = hidden_convs(graph)
    readers = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    tensors = []
    for node in graph.node:
        if node.output[0] in convs:
            after = readers.get(node.output[0], [])
            output = after[0].output[0] if len(after) == 1 and after[0].op_type == "Relu" else node.output[0]
            tensors += [t for t in (node.input[0], output) if t not in tensors]
    return tensors


def calibration(model_path, out_path):
    """The fp32 graph with every activation static int8 quantizes as an extra output, for the C# command to record
    their ranges on rendered frames (ONNX Runtime's calibrator is in its Python package, which is not here)."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(model_path)
    tensors = static_tensors(model.graph)
    model.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in tensors)
    onnx.save(model, out_path)
    return tensors


def int8_static(args):
    """QDQ int8 from the calibrated ranges: each quantized activation as uint8 (min/max, asymmetric) through a
    QuantizeLinear/DequantizeLinear pair, each hidden Conv's weight int8 (symmetric, per channel) and bias int32 (scale
    = input scale x weight scale) through DequantizeLinear; ONNX Runtime fuses the groups into QLinearConv."""
    import onnx
    from onnx import helper, numpy_helper

    with open(args.ranges, encoding="utf-8") as ranges_file:
        ranges = json.load(ranges_file)
    model = onnx.load(args.model)
    graph = model.graph
    tensors = static_tensors(graph)
    scales = {}
    for t in tensors:
        low, high = min(ranges[t][0], 0.0), max(ranges[t][1], 0.0)
        scale = max(high - low, 1e-8) / 255.0
        scales[t] = (scale, int(np.clip(np.round(-low / scale), 0, 255)))
    added, nodes, count = [], [], 0
    for node, conv in list(quantized_convs(graph)):
        if conv is not None:
            count += 1
            name = node.output[0]
            w, levels, w_scale, bias, first = conv
            if first:
                added += [
                    numpy_helper.from_array(levels.astype(np.int8), w + "_q"),
                    numpy_helper.from_array(w_scale, w + "_scale"),
                    numpy_helper.from_array(np.zeros(len(w_scale), np.int8), w + "_zero"),
                ]
            b_scale = (scales[node.input[0]][0] * w_scale).astype(np.float32)
            added += [
                numpy_helper.from_array(np.round(bias / b_scale).astype(np.int32), name + "_bq"),
                numpy_helper.from_array(b_scale, name + "_bscale"),
                numpy_helper.from_array(np.zeros(len(w_scale), np.int32), name + "_bzero"),
            ]
            nodes += [
                helper.make_node("DequantizeLinear", [w + "_q", w + "_scale", w + "_zero"], [name + "_w"], axis=0),
                helper.make_node("DequantizeLinear", [name + "_bq", name + "_bscale", name + "_bzero"], [name + "_bias"],
                                 axis=0),
            ]
            node.input[:] = [node.input[0], name + "_w", name + "_bias"]
        nodes.append(node)
        for t in node.output:
            if t in scales:
                scale, zero = scales[t]
                added += [numpy_helper.from_array(np.array(scale, np.float32), t + "_s"),
                          numpy_helper.from_array(np.array(zero, np.uint8), t + "_z")]
                nodes += [helper.make_node("QuantizeLinear", [t, t + "_s", t + "_z"], [t + "_q"]),
                          helper.make_node("DequantizeLinear", [t + "_q", t + "_s", t + "_z"], [t + "_dq"])]
    for node in nodes:
        if node.op_type != "QuantizeLinear":
            node.input[:] = [i + "_dq" if i in scales else i for i in node.input]
    graph.initializer.extend(added)
    try:
        save(model, nodes, args.out)
        result = {"path": args.out, "notes": f"QDQ: {count} Conv int8 (per-channel weights, uint8 activations from "
                                              f"{args.frames} calibration frames, min/max); stems and heatmap heads fp32"}
    except Exception as error:  # reported in the table like the other variants
        result = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps({"int8-static": result}))


def variants(args):
    os.makedirs(args.out, exist_ok=True)
    result = {}
    for name, build in (("fp16", fp16), ("fp16-trunks", fp16_trunks), ("int8-dynamic", int8_dynamic)):
        path = os.path.join(args.out, name + ".onnx")
        try:
            result[name] = {"path": path, "notes": build(args.model, path)}
        except Exception as error:  # reported in the table, not fatal: the other engines still run
            result[name] = {"error": f"{type(error).__name__}: {error}"}
    path = os.path.join(args.out, "calibration.onnx")
    result["calibration"] = {"path": path, "tensors": calibration(args.model, path)}
    print(json.dumps(result))


def inspect(args):
    """What ONNX Runtime made of each variant (its optimized graph, saved by the C# command): how many convolutions it
    fused into int8 kernels, or kept with float16 weights and how many Casts to float32 it inserted around ops with no
    float16 kernel on this provider."""
    import onnx
    from onnx import TensorProto

    result = {}
    for path in args.models:
        graph = onnx.load(path).graph
        half = {i.name for i in graph.initializer if i.data_type == TensorProto.FLOAT16}
        convs = [n for n in graph.node if n.op_type in ("Conv", "FusedConv", "ConvInteger", "QLinearConv")]
        int8 = {op: sum(n.op_type == op for n in convs) for op in ("QLinearConv", "ConvInteger")}
        inserted = sum(n.op_type == "Cast" and n.name.startswith("InsertedPrecisionFreeCast") for n in graph.node)
        if any(int8.values()):
            result[path] = "ONNX Runtime ran " + " and ".join(
                f"{count} of {len(convs)} convolutions as {op}" for op, count in int8.items() if count)
        else:
            result[path] = (f"ONNX Runtime ran {sum(len(n.input) > 1 and n.input[1] in half for n in convs)} of {len(convs)} "
                            f"convolutions with float16 weights and inserted {inserted} Casts to float32")
    print(json.dumps(result))


def eager(args):
    import torch

    sys.path.insert(0, os.path.abspath(args.recipe))
    from posenet import INPUT_HEIGHT, INPUT_WIDTH, REFINE_PASSES, VIEWS, ContractHead, PoseNet

    net = PoseNet()
    net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    # The head train.py exports by default, which the bundled graph runs (posenet.REFINE_PASSES, posenet.VIEWS).
    head = ContractHead(net, args.refine_passes or REFINE_PASSES, args.views or VIEWS).eval()
    inputs = np.fromfile(args.inputs, dtype=np.float32).reshape(args.frames, 1, 3, INPUT_HEIGHT, INPUT_WIDTH)
    # Plain NCHW: train.py trains in channels_last, but with this torch build eager inference on one input runs faster
    # contiguous (150 against 180 ms on one thread, measured here).
    frames = [torch.from_numpy(f) for f in inputs]
    result = {}
    with torch.inference_mode():
        for threads in args.threads:
            torch.set_num_threads(threads)
            seconds, keypoints, scores = [], [None] * args.frames, [None] * args.frames
            for i in range(-3, args.runs):
                frame = i % args.frames
                started = time.perf_counter()
                k, s = head(frames[frame])
                elapsed = time.perf_counter() - started
                if i >= 0:
                    seconds.append(elapsed)
                if 0 <= i < args.frames:
                    keypoints[frame], scores[frame] = k.numpy().ravel().tolist(), s.numpy().ravel().tolist()
            result[str(threads)] = {"seconds": seconds, "keypoints": keypoints, "scores": scores}
    print(json.dumps({"torch": torch.__version__, "runs": result}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(required=True)
    v = commands.add_parser("variants")
    v.add_argument("--model", required=True)
    v.add_argument("--out", required=True)
    v.set_defaults(action=variants)
    q = commands.add_parser("int8-static")
    q.add_argument("--model", required=True)
    q.add_argument("--ranges", required=True, help="JSON: tensor name -> [min, max] over the calibration frames")
    q.add_argument("--frames", type=int, required=True, help="how many calibration frames gave the ranges (for the notes)")
    q.add_argument("--out", required=True)
    q.set_defaults(action=int8_static)
    i = commands.add_parser("inspect")
    i.add_argument("models", nargs="+")
    i.set_defaults(action=inspect)
    t = commands.add_parser("torch")
    t.add_argument("--weights", required=True)
    t.add_argument("--recipe", required=True, help="models/training, for posenet.py")
    t.add_argument("--inputs", required=True)
    t.add_argument("--frames", type=int, required=True)
    t.add_argument("--runs", type=int, required=True)
    t.add_argument("--threads", type=int, nargs="+", required=True)
    t.add_argument("--refine-passes", type=int, default=None, help="default: posenet.REFINE_PASSES")
    t.add_argument("--views", type=int, default=None, help="default: posenet.VIEWS")
    t.set_defaults(action=eager)
    args = parser.parse_args()
    args.action(args)


if __name__ == "__main__":
    main()
