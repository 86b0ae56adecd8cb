using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using EdgePose.Core.Configuration;
using EdgePose.Core.Objects;
using EdgePose.Daemon.Grpc;
using EdgePose.Daemon.Hosting;
using EdgePose.Daemon.Metrics;
using EdgePose.Runtime.Capture;
using EdgePose.Runtime.Inference;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace EdgePose.Daemon.Cli;

/// <summary>What a field engineer runs first on a new board: each check prints OK, WARN or FAIL with what to do.</summary>
internal static class DoctorCommand
{
    public static async Task<int> RunAsync(HostOptionsBinding binding, ParseResult result, TextWriter output, CancellationToken cancellationToken)
    {
        var failures = 0;
        void Report(string level, string check, string detail)
        {
            output.WriteLine($"{level,-4} {check,-14} {detail}");
            if (level == "FAIL")
            {
                failures++;
            }
        }

        var flags = binding.Flags(result);
        // The report is the output; only warnings from the checks themselves belong beside it.
        flags.TryAdd("Logging:LogLevel:Default", "Warning");
        // Each execution provider's line below says why it did not load; its log warning would only repeat that.
        flags.TryAdd($"Logging:LogLevel:{typeof(OrtSessionFactory).FullName}", "Error");
        await using var app = DaemonHost.Build(binding.ConfigFileValue(result), flags);
        foreach (var (section, _) in EffectiveOptions.Resolve(app.Services))
        {
            Report("OK", "config", $"EdgePose:{section} valid");
        }

        Report("OK", "opencv", $"{Cv2.GetVersionString()}; video I/O: {string.Join(", ", OpenCvVideoBackends.Enabled)}");
        Report(OpenCvVideoBackends.GstreamerAvailable ? "OK" : "WARN", "gstreamer",
            OpenCvVideoBackends.GstreamerAvailable ? "available" : "not in this OpenCV build (CSI cameras need an OpenCV built with GStreamer)");

        var providers = OrtEnv.Instance().GetAvailableProviders();
        Report("OK", "onnxruntime", $"{OrtEnv.Instance().GetVersionString()}; providers in this build: {string.Join(", ", providers)}");

        var modelHost = app.Services.GetRequiredService<IModelHost>();
        await modelHost.ReloadAsync(cancellationToken);
        if (modelHost.Current?.Info is { } info)
        {
            var c = info.Contract;
            Report("OK", "model", $"{info.Path} sha256 {info.Sha256[..12]}… object '{c.ObjectId}' input {c.InputName} {c.InputWidth}x{c.InputHeight} {c.ColorOrder} on {info.ExecutionProvider}");
        }
        else
        {
            Report(modelHost.State == ModelState.Absent ? "WARN" : "FAIL", "model", $"{modelHost.State}: {modelHost.LastError} (the baseline answers without it)");
        }

        // After the model: a provider that loaded but could not build the model's session says so.
        var sessions = app.Services.GetRequiredService<OrtSessionFactory>();
        var configured = app.Services.GetRequiredService<IOptions<InferenceOptions>>().Value.EffectiveExecutionProviders
            .Select(Choice.NameOf).ToHashSet();
        foreach (var provider in InferenceOptions.AllowedExecutionProviders)
        {
            var (level, detail) = Describe(sessions.Probe(provider), configured.Contains(provider));
            Report(level, $"ep {provider}", detail);
        }

        Report(CheckCamera(app.Services.GetRequiredService<IFrameSourceFactory>(), cancellationToken, out var camera) ? "OK" : "FAIL", "camera", camera);
        var (calibrationLevel, calibration) = CheckCalibration(
            app.Services.GetRequiredService<IOptions<CaptureOptions>>().Value.Source, app.Services.GetRequiredService<IOptions<WorkcellOptions>>().Value.Camera);
        Report(calibrationLevel, "calibration", calibration);

        var grpc = app.Services.GetRequiredService<IOptions<GrpcOptions>>().Value.Listen;
        Report(PortFree(grpc, out var grpcDetail) ? "OK" : "FAIL", "grpc port", grpcDetail);
        if (app.Services.GetRequiredService<IOptions<MetricsEndpointOptions>>().Value.Listen is { } metrics)
        {
            Report(PortFree(metrics, out var metricsDetail) ? "OK" : "FAIL", "metrics port", metricsDetail);
        }

        output.WriteLine(failures == 0 ? "All checks passed." : $"{failures} check(s) failed.");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>A provider that is not configured cannot fail the board; one that is, and does not work, is a warning: the next one serves.</summary>
    private static (string Level, string Detail) Describe(ExecutionProviderStatus status, bool configured)
    {
        var unused = configured ? "" : " (not in EdgePose:Inference:ExecutionProviders)";
        return status switch
        {
            { Loaded: false } => (configured ? "WARN" : "OK", $"{status.Device}: not loaded: {status.Problem}{unused}"),
            { SessionError: { } error } => ("WARN", $"{status.Device}: loaded, but could not build the session of {error}"),
            _ => ("OK", $"{status.Device}: loaded{unused}"),
        };
    }

    /// <summary>
    /// A real camera on the default intrinsics (600/600/320/240, no distortion) runs, and every pose it serves is off by however
    /// far that camera is from them: the daemon cannot notice, so doctor says so.
    /// </summary>
    private static (string Level, string Detail) CheckCalibration(CaptureSourceKind source, CameraOptions camera)
    {
        if (!string.IsNullOrWhiteSpace(camera.CalibrationFile))
        {
            var rms = CameraCalibrationFile.ReadReprojectionError(camera.CalibrationFile) is { } px ? FormattableString.Invariant($" (RMS reprojection error {px:0.00} px)") : "";
            return ("OK", $"intrinsics from {camera.CalibrationFile}{rms}");
        }

        var defaults = new CameraOptions();
        var onDefaults = camera.Fx == defaults.Fx && camera.Fy == defaults.Fy && camera.Cx == defaults.Cx && camera.Cy == defaults.Cy
            && camera.Distortion is null or [];
        var inline = $"inline intrinsics fx {camera.Fx} fy {camera.Fy} cx {camera.Cx} cy {camera.Cy}";
        return source is CaptureSourceKind.Camera or CaptureSourceKind.Gstreamer && onDefaults
            ? ("WARN", $"a real camera ({source}) on the default {inline}: poses will be off; calibrate it (edgepose-lab calibrate intrinsics) and set EdgePose:Workcell:Camera:CalibrationFile")
            : ("OK", inline);
    }

    private static bool CheckCamera(IFrameSourceFactory factory, CancellationToken cancellationToken, out string detail)
    {
        using var source = factory.Create();
        try
        {
            source.Open();
            using var frame = new Mat();
            var outcome = source.Read(frame, cancellationToken);
            detail = outcome == ReadOutcome.Frame
                ? $"{source.Description}: first frame {frame.Width}x{frame.Height}"
                : $"{source.Description}: opened but the first read said {outcome}";
            return outcome == ReadOutcome.Frame;
        }
        catch (CaptureUnavailableException ex)
        {
            detail = $"{source.Description}: {ex.Message}";
            return false;
        }
    }

    private static bool PortFree(ListenAddress listen, out string detail)
    {
        try
        {
            using var listener = new TcpListener(new IPEndPoint(listen.Host, listen.Port));
            listener.Start();
            detail = $"{listen} is free";
            return true;
        }
        catch (SocketException ex)
        {
            detail = $"{listen} cannot be bound: {ex.Message} (another edgepose running?)";
            return false;
        }
    }
}
