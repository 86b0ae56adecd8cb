using EdgePose.Runtime.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePose.Runtime.Inference;

/// <summary>
/// Loads the configured model off the startup path, serves it, and swaps in a replacement only once it has loaded,
/// passed the contract and warmed up beside the old one. Never throws out of loading: the baseline serves meanwhile.
/// </summary>
internal sealed class ModelHost : IModelHost, IHostedService, IDisposable
{
    private readonly ModelLoader _loader;
    private readonly InferenceOptions _options;
    private readonly PoseMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelHost> _logger;
    private readonly string? _path;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private volatile OnnxPoseModel? _current;
    private volatile string? _lastError;
    private volatile bool _disposed;
    private volatile ModelState _state;
    private Task _initialLoad = Task.CompletedTask;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;

    public ModelHost(ModelLoader loader, IOptions<InferenceOptions> options, PoseMetrics metrics, TimeProvider time, ILogger<ModelHost> logger)
    {
        _loader = loader;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _path = _options.ResolveModelPath();

        // Kept apart from the source: a watcher reload racing Dispose must see "cancelled", not a disposed source.
        _stoppingToken = _stopping.Token;
        (_state, _lastError) = _path is null
            ? (ModelState.Absent, $"No model configured ({InferenceOptions.SectionName}:{nameof(InferenceOptions.ModelPath)} is empty).")
            : (ModelState.Loading, null);
    }

    public ModelState State => _state;

    public string? LastError => _lastError;

    public IPoseModel? Current => _current;

    public Task Initialized => _initialized.Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_path is null)
        {
            _logger.NoModelConfigured();
            _metrics.SetModel(null, null, null, null);
            _initialized.TrySetResult();
            return Task.CompletedTask;
        }

        // Session creation and warm-up take seconds on an edge board; the daemon serves the baseline meanwhile.
        _initialLoad = ReloadAsync(_stoppingToken);
        if (_options.WatchModelFile)
        {
            Watch(_path);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        StopWatching();
        await _stopping.CancelAsync();
        try
        {
            await _initialLoad.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: a load still running is abandoned; Dispose releases whatever it produced.
        }
    }

    public async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        if (_path is null)
        {
            return false;
        }

        try
        {
            await _reloadGate.WaitAsync(cancellationToken);
            try
            {
                return await Task.Run(() => LoadAndSwap(_path), CancellationToken.None);
            }
            finally
            {
                _reloadGate.Release();
            }
        }
        finally
        {
            _initialized.TrySetResult();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        StopWatching();
        _stopping.Cancel();
        _stopping.Dispose();
        Interlocked.Exchange(ref _current, null)?.Dispose();
    }

    private bool LoadAndSwap(string path)
    {
        var start = _time.GetTimestamp();
        byte[] bytes;
        try
        {
            // A read that never returns (FIFO, hung mount) is abandoned: .NET cannot tell a FIFO from a file before opening it.
            var read = Task.Run(() => File.ReadAllBytes(path));
            if (!read.Wait(_options.ModelReadTimeout))
            {
                return Fail(
                    path,
                    $"{path}: reading the model file took longer than {_options.ModelReadTimeout.TotalSeconds:0.###} s ({InferenceOptions.SectionName}:{nameof(InferenceOptions.ModelReadTimeout)}); is it a FIFO or on a hung mount?",
                    null,
                    missing: false);
            }

            bytes = read.Result;
        }
        catch (AggregateException ex) when (ex.InnerException is FileNotFoundException or DirectoryNotFoundException)
        {
            return Fail(path, $"Model file '{path}' not found.", null, missing: true);
        }
        catch (AggregateException ex) when (ex.InnerException is { } inner)
        {
            return Fail(path, $"{path}: cannot read the model file: {inner.Message}", inner, missing: false);
        }

        var sha256 = ModelLoader.Sha256Of(bytes);
        if (_current is { } serving && serving.Info.Sha256 == sha256)
        {
            // File-system events also fire for touches and copies of identical content; rebuilding the session would only cost time.
            _logger.ModelUnchanged(path, sha256);
            _lastError = null;
            return true;
        }

        OnnxPoseModel model;
        try
        {
            model = _loader.Load(path, bytes, sha256);
        }
        catch (Exception ex)
        {
            // Contract messages already name file, tensor and expectation; anything else gets the file prefixed.
            return ex is ModelContractException
                ? Fail(path, ex.Message, null, missing: false)
                : Fail(path, $"{path}: {ex.Message}", ex, missing: false);
        }

        var previous = Interlocked.Exchange(ref _current, model);
        if (_disposed)
        {
            // Dispose ran while this model loaded; whichever of the two swaps comes last, the model ends up disposed.
            Interlocked.Exchange(ref _current, null)?.Dispose();
            previous?.Dispose();
            return false;
        }

        _state = ModelState.Loaded;
        _lastError = null;

        var info = model.Info;
        var elapsed = _time.GetElapsedTime(start);
        _metrics.ModelReloaded(true);
        _metrics.SetModel(Path.GetFileName(path), info.Sha256, info.Version, info.ExecutionProvider);
        _metrics.ObserveStage(PoseMetrics.StageModelLoad, elapsed);
        _logger.ModelLoaded(path, info.Version, info.Sha256, info.ExecutionProvider, elapsed.TotalMilliseconds);

        // An Estimate in flight on the old model finishes on it (Dispose frees it after); later callers already see the new one.
        previous?.Dispose();
        return true;
    }

    private bool Fail(string path, string message, Exception? exception, bool missing)
    {
        _lastError = message;
        if (_current is { } serving)
        {
            _metrics.ModelReloaded(false);
            _logger.ModelReloadFailed(exception, path, serving.Info.Sha256, message);
            return false;
        }

        _metrics.SetModel(null, null, null, null);
        if (missing)
        {
            // No model file is a deployment choice (baseline only), not a failed load.
            _state = ModelState.Absent;
            _logger.ModelAbsent(path);
        }
        else
        {
            _state = ModelState.Failed;
            _metrics.ModelReloaded(false);
            _logger.ModelLoadFailed(exception, path, message);
        }

        return false;
    }

    /// <summary>
    /// Watches the model's folder, not the file: deploy tools replace the file by renaming a new one over it,
    /// which a watch on the old file would never see. Events are debounced so a file still being written is read once, complete.
    /// </summary>
    private void Watch(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        try
        {
            _debounce = _time.CreateTimer(_ => OnDebounced(path), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _watcher = new FileSystemWatcher(directory, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnModelFileEvent;
            _watcher.Created += OnModelFileEvent;
            _watcher.Renamed += OnModelFileEvent;
            _watcher.Error += (_, e) => _logger.ModelWatchUnavailable(e.GetException(), directory);
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex)
        {
            _logger.ModelWatchUnavailable(ex, directory);
            StopWatching();
        }
    }

    private void OnModelFileEvent(object sender, FileSystemEventArgs e) =>
        _debounce?.Change(_options.ReloadDebounce, Timeout.InfiniteTimeSpan);

    private void OnDebounced(string path)
    {
        _logger.ModelFileChanged(path);
        _ = ReloadQuietlyAsync();
    }

    private async Task ReloadQuietlyAsync()
    {
        try
        {
            await ReloadAsync(_stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the watcher's reload is simply dropped.
        }
    }

    private void StopWatching()
    {
        _watcher?.Dispose();
        _watcher = null;
        _debounce?.Dispose();
        _debounce = null;
    }
}
