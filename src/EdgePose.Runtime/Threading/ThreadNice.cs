using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace EdgePose.Runtime.Threading;

/// <summary>The calling thread's nice value before and after an attempt to raise its priority, and why the attempt failed.</summary>
internal readonly record struct NiceChange(bool Applied, int From, int To, string? Error);

/// <summary>
/// Per-thread CPU priority on Linux. .NET's <see cref="Thread.Priority"/> does nothing there, but Linux keeps the nice value
/// per thread, and setpriority(PRIO_PROCESS, 0, n) sets the calling thread's alone (not the process's, as POSIX would have it).
/// A thread inherits the nice value of the thread that creates it.
/// </summary>
internal static partial class ThreadNice
{
    private const int PrioProcess = 0;
    private const int HighestPriority = -20;

    /// <summary>
    /// Lowers the calling thread's nice value by <paramref name="boost"/> (at most to -20), which raises its share of the CPU
    /// against threads at the old value. Going below the current value needs CAP_SYS_NICE or an RLIMIT_NICE ceiling that allows it.
    /// </summary>
    public static NiceChange TryRaiseCurrentThread(int boost)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new NiceChange(false, 0, 0, "thread priorities are only raised on Linux");
        }

        // -1 is also a valid nice value: only errno tells a failure (the generated stub clears it before the call).
        var from = GetPriority(PrioProcess, 0);
        if (from == -1 && Marshal.GetLastPInvokeError() is var readError and not 0)
        {
            return new NiceChange(false, 0, 0, Describe(readError));
        }

        var to = Math.Max(HighestPriority, from - boost);
        if (to == from)
        {
            return new NiceChange(true, from, to, null);
        }

        return SetPriority(PrioProcess, 0, to) == 0
            ? new NiceChange(true, from, to, null)
            : new NiceChange(false, from, to, Describe(Marshal.GetLastPInvokeError()));
    }

    /// <summary>
    /// Runs <paramref name="create"/> on a new thread named <paramref name="threadName"/> and raised by
    /// <paramref name="boost"/>, and waits for it: every thread that <paramref name="create"/> starts inherits the raised
    /// priority, and on Linux the name too unless it sets its own (ONNX Runtime's intra-op workers, made with the session,
    /// do not). Exceptions come back as thrown.
    /// </summary>
    public static (T Result, NiceChange Change) RunRaised<T>(string threadName, int boost, Func<T> create)
    {
        T result = default!;
        NiceChange change = default;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            change = TryRaiseCurrentThread(boost);
            try
            {
                result = create();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            Name = threadName,
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return (result, change);
    }

    private static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    [LibraryImport("libc.so.6", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, uint who);

    [LibraryImport("libc.so.6", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, uint who, int priority);
}
