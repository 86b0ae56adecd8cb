using System.Collections.Concurrent;
using EdgePose.Runtime.Threading;
using Microsoft.Extensions.Logging;

namespace EdgePose.Runtime.Pipeline;

/// <summary>
/// Runs tasks on threads of its own, never on the thread pool. A task started here sees this scheduler as
/// <see cref="TaskScheduler.Current"/>, so its awaits (tasks, channel reads) resume here too: an EstimatePose flood that
/// fills the pool's queue with request work cannot put the live loop behind it. The threads' nice value is lowered where
/// the OS permits, so they also win the CPU from on-demand work (Kestrel, the thread pool) on a busy board.
/// </summary>
internal sealed partial class LiveThreadScheduler : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;

    // Only this scheduler's own threads may run one of its tasks inline: any other caller would be a pool thread.
    [ThreadStatic]
    private static LiveThreadScheduler? t_current;

    /// <param name="name">Thread names are name-0, name-1, ... (Linux shows the first 15 characters, e.g. in top -H).</param>
    /// <param name="priorityBoost">How far below the creating thread's nice value the threads run; see <see cref="ThreadNice"/>.</param>
    public LiveThreadScheduler(string name, int threadCount, int priorityBoost, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        var outcomes = new NiceChange[threadCount];
        using var started = new CountdownEvent(threadCount);
        _threads = [.. Enumerable.Range(0, threadCount).Select(i => new Thread(() =>
        {
            // Each thread sets its own: Linux keeps the nice value per thread.
            outcomes[i] = ThreadNice.TryRaiseCurrentThread(priorityBoost);
            started.Signal();
            Work();
        })
        {
            Name = $"{name}-{i}",
            IsBackground = true,
        })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }

        started.Wait();
        var threads = string.Join(", ", _threads.Select(t => t.Name));
        if (outcomes.FirstOrDefault(o => !o.Applied) is { Error: { } error } failed)
        {
            LogPriorityNotRaised(logger, threads, priorityBoost, failed.From, failed.To, error);
        }
        else
        {
            LogPriorityRaised(logger, threads, outcomes[0].To, priorityBoost, outcomes[0].From);
        }
    }

    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>Starts <paramref name="run"/> on these threads; it and every continuation of its awaits run here.</summary>
    public Task Run(Func<Task> run) => Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    /// <summary>Lets the threads finish the queued tasks and waits for them to end; not to be called on one of them.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _queue.Dispose();
    }

    protected override void QueueTask(Task task) => _queue.Add(task);

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => t_current == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Work()
    {
        t_current = this;
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    [LoggerMessage(EventId = 1403, Level = LogLevel.Information,
        Message = "Live pipeline threads {Threads} run at nice {Nice}, {Boost} above the priority they started with (nice {StartNice})")]
    private static partial void LogPriorityRaised(ILogger logger, string threads, int nice, int boost, int startNice);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning,
        Message = "Cannot raise the priority of live pipeline threads {Threads} by {Boost} (nice {StartNice} to {Nice}): {Error}; they run at the process's priority. " +
                  "It needs CAP_SYS_NICE or a nice limit that allows it (systemd LimitNICE=, as in the shipped unit); set EdgePose:Pipeline:LiveThreadPriorityBoost to 0 to not try")]
    private static partial void LogPriorityNotRaised(ILogger logger, string threads, int boost, int startNice, int nice, string error);
}
