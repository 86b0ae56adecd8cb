using System.Globalization;
using System.Threading.Channels;
using EdgePose.Runtime.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;

namespace EdgePose.Runtime.Tests.Pipeline;

public sealed class LiveThreadSchedulerTests
{
    [Fact]
    public async Task A_task_started_there_resumes_every_await_on_its_own_threads()
    {
        using var scheduler = new LiveThreadScheduler("test-live", threadCount: 2, priorityBoost: 0, NullLogger.Instance);
        var channel = Channel.CreateBounded<int>(1);
        var seen = new List<(string? Name, bool Pool)>();
        void Note() => seen.Add((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));

        await scheduler.Run(async () =>
        {
            Note();
            // Completed from a pool thread, as the capture thread and Kestrel complete the live loop's waits.
            _ = Task.Run(async () =>
            {
                await Task.Delay(20);
                await channel.Writer.WriteAsync(1);
            });
            await channel.Reader.WaitToReadAsync();
            Note();
            await Task.Delay(10);
            Note();
            await Task.Run(() => Thread.Sleep(10));
            Note();
            // How PoseEstimator starts the baseline beside the model.
            await Task.Factory.StartNew(Note, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Current);
            Note();
        }).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(6, seen.Count);
        Assert.All(seen, s =>
        {
            Assert.False(s.Pool);
            Assert.Matches("^test-live-[01]$", s.Name);
        });
    }

    [Fact]
    public async Task Its_threads_run_the_boost_above_their_creator_where_permitted_and_it_says_which()
    {
        var logger = new FakeLogger();
        var creatorNice = CurrentThreadNice();
        var nice = int.MinValue;
        using (var scheduler = new LiveThreadScheduler("test-nice", threadCount: 1, priorityBoost: 3, logger))
        {
            await scheduler.Run(() =>
            {
                nice = CurrentThreadNice();
                return Task.CompletedTask;
            }).WaitAsync(TimeSpan.FromSeconds(10));
        }

        // As root or with CAP_SYS_NICE (or a nice limit) it is applied; elsewhere it is logged and the threads run as created.
        var record = Assert.Single(logger.Collector.GetSnapshot());
        if (record.Id.Id == 1403)
        {
            Assert.Equal(Math.Max(-20, creatorNice - 3), nice);
            Assert.Contains("test-nice-0", record.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(1404, record.Id.Id);
            Assert.Equal(creatorNice, nice);
            Assert.Contains("LiveThreadPriorityBoost", record.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Field 19 of /proc/thread-self/stat; the fields after the command name, which may hold spaces, start at field 3.</summary>
    private static int CurrentThreadNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[19 - 3], CultureInfo.InvariantCulture);
    }
}
