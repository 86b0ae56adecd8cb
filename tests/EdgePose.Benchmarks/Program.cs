using System.CommandLine;
using EdgePose.Benchmarks;

var root = new RootCommand("EdgePose benchmarks and load tool.");

var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 300, Description = "Rendered frames to estimate." };
var model = new Option<string?>("--model") { Description = "ONNX model (default: the daemon's bundled model)." , DefaultValueFactory = _ => "models/edgepose-box.onnx" };
var stages = new Command("stages", "Per-stage latency of the baseline and the model path, and model path vs bare inference.") { frames, model };
stages.SetAction(r => StageBenchmark.RunAsync(r.GetValue(frames), r.GetValue(model), Console.Out));

var engineFrames = new Option<int>("--frames") { DefaultValueFactory = _ => 20, Description = "Distinct rendered frames every engine runs on (outputs compared on each)." };
var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 200, Description = "Timed runs per engine and configuration, cycling through the frames." };
var recipe = new Option<string>("--recipe") { DefaultValueFactory = _ => "models/training", Description = "The training recipe (posenet.py) for the PyTorch row; weights are the .pt beside --model." };
var engines = new Command("engines", "ONNX Runtime settings, fp16/int8, OpenCV DNN and PyTorch eager on the same inputs, in one run.") { engineFrames, runs, model, recipe };
engines.SetAction(r => EngineBenchmark.Run(r.GetValue(engineFrames), r.GetValue(runs), r.GetValue(model)!, r.GetValue(recipe)!, Console.Out));

var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 10 };
var fps = new Option<double>("--camera-fps") { DefaultValueFactory = _ => 120, Description = "Synthetic camera rate; above what the pipeline sustains to find its ceiling." };
var policy = new Option<string>("--policy") { DefaultValueFactory = _ => "model-with-fallback" };
var pipeline = new Command("pipeline", "Frames per second the whole runtime sustains, and end-to-end latency.") { seconds, fps, policy, model };
pipeline.SetAction(r => PipelineBenchmark.RunAsync(r.GetValue(seconds), r.GetValue(fps), r.GetValue(policy)!, r.GetValue(model), Console.Out));

var target = new Option<string>("--target") { DefaultValueFactory = _ => "127.0.0.1:50051" };
var clients = new Option<int[]>("--clients") { DefaultValueFactory = _ => [1, 8, 64], AllowMultipleArgumentsPerToken = true };
var rate = new Option<double?>("--rate-hz")
{
    Description = "Each client calls at this rate (open loop, each call timed from send to answer) instead of back to back",
};
var latest = new Command("latest", "GetLatestPose round-trip latency under concurrent clients.") { target, clients, seconds, rate };
latest.SetAction(r => LoadTool.LatestPoseAsync(r.GetValue(target)!, r.GetValue(clients)!, r.GetValue(seconds), r.GetValue(rate), Console.Out));

var streams = new Command("streams", "Concurrent StreamPoses clients served without skipping results.") { target, clients, seconds };
streams.SetAction(r => LoadTool.StreamsAsync(r.GetValue(target)!, r.GetValue(clients)!, r.GetValue(seconds), Console.Out));

var csv = new Option<string?>("--csv") { Description = "Also write every result's ages (ms) to this CSV file." };
var ages = new Command("ages", "The live result's age as one StreamPoses client in its own process sees it.") { target, seconds, csv };
ages.SetAction(r => LoadTool.LiveAgesAsync(r.GetValue(target)!, r.GetValue(seconds), r.GetValue(csv), Console.Out));

var pid = new Option<int>("--pid") { Required = true };
var minutes = new Option<double>("--minutes") { DefaultValueFactory = _ => 10 };
var rss = new Command("rss", "Resident memory of a running daemon over time.") { pid, minutes };
rss.SetAction(r => LoadTool.ResidentMemoryAsync(r.GetValue(pid), r.GetValue(minutes), Console.Out));

foreach (var command in new[] { stages, engines, pipeline, latest, streams, ages, rss })
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
