using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgePose.Core.Contract;
using EdgePose.Runtime.Inference;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace EdgePose.Benchmarks;

/// <summary>
/// The engines the pose model could run on, in one run on the same inputs (rendered 640×480 frames letterboxed by the
/// daemon's own <see cref="LetterboxTensor"/>): ONNX Runtime CPU across threads, graph optimisation levels and execution
/// modes; fp16 and int8 (dynamic, and static QDQ calibrated here) rewrites of the graph in ONNX Runtime; OpenCV DNN;
/// PyTorch eager on the recipe's weights. Each row's outputs are compared with the daemon's configuration (ONNX Runtime,
/// 2 intra-op threads, all optimisations, sequential).
/// </summary>
internal static partial class EngineBenchmark
{
    /// <summary>Debian's interpreter, which has python3-onnx and python3-torch; a pyenv python3 earlier on PATH has neither.</summary>
    private const string Python = "/usr/bin/python3";

    private const int WarmUpRuns = 3;

    private const int CalibrationFrames = 8;

    /// <summary>
    /// A reduced-precision variant keeps its speed figure only within these deviations from fp32: at 1 m a centimetre of
    /// depth is about 0.6 px of the box, so a variant that moves keypoints by more changes the served poses.
    /// </summary>
    private const double MaxKeptDeviationPx = 1.0;

    private const double MeanKeptDeviationPx = 0.1;

    private static readonly TimeSpan PythonTimeout = TimeSpan.FromMinutes(5);

    public static int Run(int frames, int runs, string modelPath, string recipe, TextWriter output)
    {
        if (frames < 1 || runs < frames)
        {
            output.WriteLine($"--frames must be at least 1 and --runs at least --frames (got {frames} and {runs})");
            return 2;
        }

        var scratch = Directory.CreateTempSubdirectory("edgepose-engines-");
        try
        {
            var contract = ReadContract(modelPath);
            var inputs = LetterboxedInputs(frames, contract);
            output.WriteLine($"EdgePose engine benchmark: {modelPath}, {frames} rendered frames letterboxed to {contract.InputWidth}x{contract.InputHeight}, " +
                $"{runs} timed runs per row after {WarmUpRuns} warm-up runs, {Environment.ProcessorCount} cores");

            var reference = Ort(modelPath, new OrtConfig(2, GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode.ORT_SEQUENTIAL), inputs, contract, runs, "the daemon's configuration");
            if (reference.Outputs is null)
            {
                output.WriteLine($"the daemon's configuration does not run {modelPath}: {reference.Notes}");
                return 1;
            }

            var rows = new List<EngineRow> { reference };
            foreach (var threads in new[] { 2, 1 })
            {
                foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_BASIC, GraphOptimizationLevel.ORT_ENABLE_EXTENDED, GraphOptimizationLevel.ORT_ENABLE_ALL })
                {
                    if (threads != 2 || level != GraphOptimizationLevel.ORT_ENABLE_ALL)
                    {
                        rows.Add(Ort(modelPath, new OrtConfig(threads, level, ExecutionMode.ORT_SEQUENTIAL), inputs, contract, runs, ""));
                    }
                }
            }

            rows.Add(Ort(modelPath, new OrtConfig(2, GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode.ORT_PARALLEL), inputs, contract, runs,
                "2 inter-op threads; the graph is one chain (locator → crop → refiner ×3, the last on four crops at once), little to overlap"));
            rows.AddRange(Variants(modelPath, scratch.FullName, inputs, contract, runs, reference));
            rows.AddRange(OpenCvDnn(modelPath, inputs, contract, runs));
            rows.AddRange(TorchEager(modelPath + ".pt", recipe, scratch.FullName, inputs, runs));
            Print(rows, reference, contract, output);
            return 0;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static ModelContract ReadContract(string modelPath)
    {
        using var session = new InferenceSession(modelPath);
        return ModelContractReader.Read(modelPath, session).Contract;
    }

    /// <summary>Rendered frames from <paramref name="firstFrame"/> on, letterboxed as the daemon does it.</summary>
    private static float[][] LetterboxedInputs(int frames, ModelContract contract, int firstFrame = 0)
    {
        var scenes = RenderedFrames.Render(frames, firstFrame);
        var inputs = RenderedFrames.Letterbox(scenes, contract);
        scenes.ForEach(s => s.Dispose());
        return inputs;
    }

    /// <summary>Rendered frames after the timed ones, for static int8's activation ranges: calibrating on the frames it is judged on would flatter it.</summary>
    private static float[][] CalibrationInputs(int timedFrames, ModelContract contract) => LetterboxedInputs(CalibrationFrames, contract, firstFrame: timedFrames);

    private static EngineRow Ort(
        string path, OrtConfig config, float[][] inputs, ModelContract contract, int runs, string notes, string engine = "ONNX Runtime CPU fp32", string? optimizedModelPath = null)
    {
        var name = $"{engine}, {Level(config.Level)}, {(config.Mode == ExecutionMode.ORT_PARALLEL ? "parallel" : "sequential")}";
        try
        {
            using var options = OrtSessionFactory.BaseSessionOptions(config.Threads);
            options.GraphOptimizationLevel = config.Level;
            options.ExecutionMode = config.Mode;
            if (config.Mode == ExecutionMode.ORT_PARALLEL)
            {
                options.InterOpNumThreads = config.Threads;
            }

            if (optimizedModelPath is not null)
            {
                // Quiet: ONNX Runtime warns that a saved NCHWc graph is specific to this CPU, which is all it is read for.
                options.OptimizedModelFilePath = optimizedModelPath;
                options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
            }

            using var session = new InferenceSession(path, options);
            var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i, [1, 3, contract.InputHeight, contract.InputWidth])).ToList();
            try
            {
                using var runOptions = new RunOptions();
                string[] inputNames = [contract.InputName];
                string[] outputNames = [contract.KeypointsOutput, contract.ScoresOutput];
                return Time(name, config.Threads, notes, inputs.Length, runs, frame =>
                {
                    using var outputs = session.Run(runOptions, inputNames, [values[frame]], outputNames);
                    return new Outputs(outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
                });
            }
            finally
            {
                values.ForEach(v => v.Dispose());
            }
        }
        catch (OnnxRuntimeException ex)
        {
            return EngineRow.Failed(name, config.Threads, ex.Message);
        }
    }

    /// <summary>fp16 and int8 rewrites of the graph (engines.py), each run in ONNX Runtime like the daemon's session.</summary>
    private static List<EngineRow> Variants(string modelPath, string scratch, float[][] inputs, ModelContract contract, int runs, EngineRow reference)
    {
        var (json, error) = RunPython(["variants", "--model", modelPath, "--out", scratch]);
        if (json is null)
        {
            return [EngineRow.Failed("ONNX Runtime CPU fp16 / int8", 2, error!)];
        }

        var variants = json.Value.EnumerateObject().Where(v => v.Name != "calibration").Select(Variant.Of).ToList();
        variants.Add(StaticInt8(json.Value.GetProperty("calibration"), modelPath, scratch, contract, inputs.Length));
        var rows = new List<EngineRow>();
        var optimized = new Dictionary<int, string>();
        foreach (var variant in variants)
        {
            var engine = $"ONNX Runtime CPU {variant.Name}";
            if (variant.Error is not null)
            {
                rows.Add(EngineRow.Failed(engine, 2, $"not produced: {variant.Error}"));
                continue;
            }

            // The graph ONNX Runtime really runs, to say what it kept of the variant's precision.
            var optimizedPath = Path.Combine(scratch, $"{variant.Name}.ort-optimized.onnx");
            var row = Ort(variant.Path!, new OrtConfig(2, GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode.ORT_SEQUENTIAL),
                inputs, contract, runs, variant.Notes, engine, optimizedPath);
            if (row.Outputs is not null)
            {
                optimized[rows.Count] = optimizedPath;
            }

            rows.Add(row.Outputs is null || AccuracyHolds(reference, row, contract) ? row : row.Withheld(
                $"speed not kept: keypoints off fp32 by more than {MeanKeptDeviationPx} px mean or {MaxKeptDeviationPx} px max"));
        }

        var (inspected, _) = optimized.Count == 0 ? (null, null) : RunPython(["inspect", .. optimized.Values]);
        foreach (var (index, path) in optimized)
        {
            if (inspected is { } notes && notes.TryGetProperty(path, out var what))
            {
                rows[index] = rows[index] with { Notes = $"{rows[index].Notes}; {what.GetString()}" };
            }
        }

        return rows;
    }

    /// <summary>
    /// Static (QDQ) int8: ONNX Runtime records the range of every activation to quantize (the calibration graph's extra
    /// outputs) on frames other than the timed ones, then engines.py writes the graph from those ranges.
    /// </summary>
    private static Variant StaticInt8(JsonElement calibration, string modelPath, string scratch, ModelContract contract, int timedFrames)
    {
        const string name = "int8-static";
        string[] tensors = [.. calibration.GetProperty("tensors").EnumerateArray().Select(t => t.GetString()!)];
        var ranges = tensors.ToDictionary(t => t, _ => new[] { double.PositiveInfinity, double.NegativeInfinity });
        try
        {
            using var options = OrtSessionFactory.BaseSessionOptions(intraOpThreads: 2);
            using var session = new InferenceSession(calibration.GetProperty("path").GetString()!, options);
            using var runOptions = new RunOptions();
            foreach (var input in CalibrationInputs(timedFrames, contract))
            {
                using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, contract.InputHeight, contract.InputWidth]);
                using var outputs = session.Run(runOptions, [contract.InputName], [value], tensors);
                for (var i = 0; i < tensors.Length; i++)
                {
                    var range = ranges[tensors[i]];
                    foreach (var x in outputs[i].GetTensorDataAsSpan<float>())
                    {
                        (range[0], range[1]) = (Math.Min(range[0], x), Math.Max(range[1], x));
                    }
                }
            }
        }
        catch (OnnxRuntimeException ex)
        {
            return new Variant(name, null, "", $"calibration graph does not run: {ex.Message}");
        }

        var rangesFile = Path.Combine(scratch, "ranges.json");
        File.WriteAllText(rangesFile, JsonSerializer.Serialize(ranges));
        var (json, error) = RunPython(["int8-static", "--model", modelPath, "--ranges", rangesFile,
            "--frames", CalibrationFrames.ToString(CultureInfo.InvariantCulture), "--out", Path.Combine(scratch, name + ".onnx")]);
        return json is { } produced ? Variant.Of(name, produced.GetProperty(name)) : new Variant(name, null, "", error);
    }

    private static List<EngineRow> OpenCvDnn(string modelPath, float[][] inputs, ModelContract contract, int runs)
    {
        const string engine = "OpenCV DNN (OPENCV backend, CPU)";
        Net net;
        try
        {
            net = CvDnn.ReadNetFromOnnx(modelPath) ?? throw new InvalidOperationException("ReadNetFromOnnx returned no network");
        }
        catch (OpenCVException ex)
        {
            var node = OnnxNode().Match(ex.ErrMsg);
            return [EngineRow.Failed(engine, 2, node.Success
                ? $"cannot load the graph: OpenCV {Cv2.GetVersionString()} has no layer for op {node.Groups["op"].Value} (node {node.Groups["node"].Value})"
                : $"cannot load the graph: {ex.ErrMsg.ReplaceLineEndings(" ").Trim()}")];
        }

        using (net)
        {
            net.SetPreferableBackend(Backend.OPENCV);
            net.SetPreferableTarget(Target.CPU);
            var blobs = inputs.Select(i => Mat.FromPixelData([1, 3, contract.InputHeight, contract.InputWidth], MatType.CV_32FC1, Marshal.UnsafeAddrOfPinnedArrayElement(i, 0))).ToList();
            var threadsBefore = Cv2.GetNumThreads();
            string[] outputNames = [contract.KeypointsOutput, contract.ScoresOutput];
            try
            {
                return [.. new[] { 2, 1 }.Select(threads =>
                {
                    Cv2.SetNumThreads(threads);
                    try
                    {
                        return Time(engine, threads, "", inputs.Length, runs, frame =>
                        {
                            net.SetInput(blobs[frame], contract.InputName);
                            Mat[] outputs = [new Mat(), new Mat()];
                            try
                            {
                                net.Forward(outputs, outputNames);
                                return new Outputs(Floats(outputs[0]), Floats(outputs[1]));
                            }
                            finally
                            {
                                Array.ForEach(outputs, o => o.Dispose());
                            }
                        });
                    }
                    catch (OpenCVException ex)
                    {
                        return EngineRow.Failed(engine, threads, $"loads, but forward fails: {ex.ErrMsg.ReplaceLineEndings(" ")}");
                    }
                })];
            }
            finally
            {
                Cv2.SetNumThreads(threadsBefore);
                blobs.ForEach(b => b.Dispose());
            }
        }
    }

    private static float[] Floats(Mat mat)
    {
        var values = new float[mat.Total()];
        Marshal.Copy(mat.Data, values, 0, values.Length);
        return values;
    }

    /// <summary>The recipe's PyTorch network on the recipe's weights (the .pt beside the model), in engines.py, on the same inputs.</summary>
    private static List<EngineRow> TorchEager(string weights, string recipe, string scratch, float[][] inputs, int runs)
    {
        const string engine = "PyTorch eager fp32 (inference_mode)";
        if (!File.Exists(weights))
        {
            return [EngineRow.Failed(engine, 2, $"no weights at {weights}")];
        }

        var inputFile = Path.Combine(scratch, "inputs.f32");
        using (var file = File.Create(inputFile))
        {
            foreach (var input in inputs)
            {
                file.Write(MemoryMarshal.AsBytes(input.AsSpan()));
            }
        }

        var (json, error) = RunPython(["torch", "--weights", weights, "--recipe", recipe, "--inputs", inputFile,
            "--frames", inputs.Length.ToString(CultureInfo.InvariantCulture), "--runs", runs.ToString(CultureInfo.InvariantCulture), "--threads", "2", "1"]);
        if (json is null)
        {
            return [EngineRow.Failed(engine, 2, error!)];
        }

        var version = json.Value.GetProperty("torch").GetString();
        return [.. json.Value.GetProperty("runs").EnumerateObject().Select(run =>
        {
            var outputs = run.Value.GetProperty("keypoints").EnumerateArray()
                .Zip(run.Value.GetProperty("scores").EnumerateArray(), (k, s) => new Outputs(Array(k), Array(s)))
                .ToArray();
            var seconds = run.Value.GetProperty("seconds").EnumerateArray().Select(s => s.GetDouble()).ToList();
            return new EngineRow(engine, int.Parse(run.Name, CultureInfo.InvariantCulture), seconds, outputs, $"torch {version}");
        })];

        static float[] Array(JsonElement values) => [.. values.EnumerateArray().Select(v => v.GetSingle())];
    }

    /// <summary>engines.py with <paramref name="arguments"/>: its JSON on stdout, or why there is none.</summary>
    private static (JsonElement? Json, string? Error) RunPython(string[] arguments)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "engines.py");
        if (!File.Exists(Python))
        {
            return (null, $"skipped: no {Python} (Debian's python3 with python3-onnx and python3-torch)");
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(PythonTimeout))
        {
            process.Kill(entireProcessTree: true);
            return (null, $"engines.py {arguments[0]} did not finish within {PythonTimeout.TotalMinutes} minutes");
        }

        if (process.ExitCode != 0)
        {
            var last = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            return (null, $"engines.py {arguments[0]} exited {process.ExitCode}: {last}");
        }

        using var document = JsonDocument.Parse(stdout.Result);
        return (document.RootElement.Clone(), null);
    }

    private static EngineRow Time(string engine, int threads, string notes, int frames, int runs, Func<int, Outputs> run)
    {
        var seconds = new List<double>(runs);
        var outputs = new Outputs[frames];
        for (var i = -WarmUpRuns; i < runs; i++)
        {
            var frame = ((i % frames) + frames) % frames;
            var started = Stopwatch.GetTimestamp();
            var result = run(frame);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (i >= 0)
            {
                seconds.Add(elapsed);
            }

            if (i >= 0 && i < frames)
            {
                outputs[frame] = result;
            }
        }

        return new EngineRow(engine, threads, seconds, outputs, notes);
    }

    private static bool AccuracyHolds(EngineRow reference, EngineRow row, ModelContract contract)
    {
        var deviation = Deviation.Between(reference.Outputs!, row.Outputs!, contract);
        return deviation is { } d && d.MaxPx <= MaxKeptDeviationPx && d.MeanPx <= MeanKeptDeviationPx;
    }

    private static void Print(List<EngineRow> rows, EngineRow reference, ModelContract contract, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("| engine / config | threads | median ms | p99 ms | keypoints vs ORT default (max / mean px) | scores vs ORT default (max abs) | notes |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            var timed = row.Seconds.Count > 0 && row.Outputs is not null;
            var distribution = timed ? EdgePose.Lab.Evaluation.Distribution.Of(row.Seconds) : null;
            var deviation = row.Outputs is null ? null : Deviation.Between(reference.Outputs!, row.Outputs, contract);
            var cells = new[]
            {
                row.Engine,
                row.Threads.ToString(CultureInfo.InvariantCulture),
                timed ? Ms(distribution!.Median) : "—",
                timed ? Ms(distribution!.P99) : "—",
                deviation is { } d ? string.Create(CultureInfo.InvariantCulture, $"{d.MaxPx:0.000} / {d.MeanPx:0.000}") : "—",
                deviation is { } s ? s.MaxScore.ToString("0.0000", CultureInfo.InvariantCulture) : "—",
                row.Notes.Replace("|", "\\|", StringComparison.Ordinal),
            };
            output.WriteLine($"| {string.Join(" | ", cells)} |");
        }

        static string Ms(double? seconds) => ((seconds ?? double.NaN) * 1000).ToString("0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>How OpenCV's ONNX importer names the node it stops at: "Node [GridSample@ai.onnx]:(onnx_node!/GridSample) …".</summary>
    [GeneratedRegex(@"Node \[(?<op>\w+)@[\w.]*\]:\((?:onnx_node!)?(?<node>[^)]+)\)")]
    private static partial Regex OnnxNode();

    private static string Level(GraphOptimizationLevel level) => level switch
    {
        GraphOptimizationLevel.ORT_DISABLE_ALL => "optimisations disabled",
        GraphOptimizationLevel.ORT_ENABLE_BASIC => "basic",
        GraphOptimizationLevel.ORT_ENABLE_EXTENDED => "extended",
        _ => "all optimisations",
    };

    private sealed record OrtConfig(int Threads, GraphOptimizationLevel Level, ExecutionMode Mode);

    /// <summary>A graph engines.py wrote (its path and how it was made), or why it could not.</summary>
    private sealed record Variant(string Name, string? Path, string Notes, string? Error)
    {
        public static Variant Of(JsonProperty written) => Of(written.Name, written.Value);

        public static Variant Of(string name, JsonElement written) => written.TryGetProperty("error", out var why)
            ? new Variant(name, null, "", why.GetString())
            : new Variant(name, written.GetProperty("path").GetString(), written.GetProperty("notes").GetString()!, null);
    }

    private readonly record struct Outputs(float[] Keypoints, float[] Scores);

    /// <summary>One engine/configuration: per-run seconds and its outputs on each input; no outputs when it could not run.</summary>
    private sealed record EngineRow(string Engine, int Threads, IReadOnlyList<double> Seconds, Outputs[]? Outputs, string Notes)
    {
        public static EngineRow Failed(string engine, int threads, string why) => new(engine, threads, [], null, why);

        /// <summary>Outputs kept (the deviation is the reason), speed dropped.</summary>
        public EngineRow Withheld(string why) => this with { Seconds = [], Notes = $"{Notes}; {why}" };
    }

    /// <summary>Keypoint distance in input pixels (u·width, v·height) and score difference, over every input and keypoint.</summary>
    private readonly record struct Deviation(double MaxPx, double MeanPx, double MaxScore)
    {
        public static Deviation? Between(Outputs[] reference, Outputs[] outputs, ModelContract contract)
        {
            var distances = new List<double>();
            var maxScore = 0.0;
            for (var f = 0; f < reference.Length; f++)
            {
                var (a, b) = (reference[f], outputs[f]);
                if (a.Keypoints.Length != b.Keypoints.Length || a.Scores.Length != b.Scores.Length)
                {
                    return null;
                }

                for (var k = 0; k < a.Keypoints.Length; k += 2)
                {
                    // A NaN keypoint (an fp16 overflow, say) is as far off as can be.
                    var distance = double.Hypot((a.Keypoints[k] - b.Keypoints[k]) * contract.InputWidth, (a.Keypoints[k + 1] - b.Keypoints[k + 1]) * contract.InputHeight);
                    distances.Add(double.IsNaN(distance) ? double.PositiveInfinity : distance);
                }

                for (var k = 0; k < a.Scores.Length; k++)
                {
                    maxScore = Math.Max(maxScore, Math.Abs(a.Scores[k] - b.Scores[k]));
                }
            }

            return new Deviation(distances.Max(), distances.Average(), maxScore);
        }
    }
}
