using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// Names what keeps a GPU execution provider's library from loading. ONNX Runtime's own error for CUDA says only
/// "Failed to load shared library"; loading the provider library the way ONNX Runtime does (next to libonnxruntime.so)
/// gets the loader's answer, which names the first missing dependency (libcublas.so.13, libnvinfer.so.10, …).
/// </summary>
internal static partial class ProviderLibraries
{
    private const int RtldNow = 2;

    /// <summary>The reason, or null where the library loads after all (ONNX Runtime's error is then the reason).</summary>
    public static string? WhyNotLoaded(string provider)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var file = provider == InferenceOptions.TensorRt ? "libonnxruntime_providers_tensorrt.so" : "libonnxruntime_providers_cuda.so";
        var path = OrtLibraryDirectory() is { } directory ? Path.Combine(directory, file) : file;
        // Binding a P/Invoke resolves its symbol with dlsym, which clears the loader's error: dlerror is bound (and any
        // stale error cleared) before dlopen, so the message read after it is dlopen's own.
        _ = DlError();
        var handle = DlOpen(path, RtldNow);
        if (handle != IntPtr.Zero)
        {
            _ = DlClose(handle);
            return null;
        }

        return Describe(file, Marshal.PtrToStringUTF8(DlError()) ?? "unknown loader error");
    }

    /// <summary>"missing libcublas.so.13 (needed by libonnxruntime_providers_cuda.so)" from the loader's message.</summary>
    internal static string Describe(string file, string loaderError)
    {
        if (MissingLibrary().Match(loaderError) is not { Success: true } match)
        {
            return $"{file} does not load: {loaderError}";
        }

        var missing = Path.GetFileName(match.Groups[1].Value);
        return missing == file ? $"missing {file}" : $"missing {missing} (needed by {file})";
    }

    /// <summary>Where this process loaded libonnxruntime.so from: ONNX Runtime looks for its provider libraries there.</summary>
    private static string? OrtLibraryDirectory()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line[(line.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? i : line.Length)..])
                .Where(path => Path.GetFileName(path).StartsWith("libonnxruntime.so", StringComparison.Ordinal))
                .Select(Path.GetDirectoryName)
                .FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^(\S+): cannot open shared object file")]
    private static partial Regex MissingLibrary();

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string path, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "dlerror")]
    private static partial IntPtr DlError();

    [LibraryImport("libc.so.6", EntryPoint = "dlclose")]
    private static partial int DlClose(IntPtr handle);
}
