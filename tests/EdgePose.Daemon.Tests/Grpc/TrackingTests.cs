using EdgePose.Core.Objects;
using EdgePose.Runtime.Capture;
using EdgePose.Simulation.Scene;
using EdgePose.V1;
using Grpc.Core;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenCvSharp;

namespace EdgePose.Daemon.Tests.Grpc;

/// <summary>The tracker through the real daemon and a real gRPC channel: the filtered pose next to the raw one, and the drop.</summary>
public sealed class TrackingTests
{
    [Fact]
    public async Task The_filtered_pose_sits_next_to_the_raw_pose_and_the_track_is_dropped_once_the_object_is_gone()
    {
        var camera = new VanishingObjectCamera();
        await using var daemon = await RunningDaemon.StartAsync(
            new Dictionary<string, string?> { ["EdgePose:Tracking:DropAfter"] = "00:00:00.500" }, camera.Install);
        await daemon.WaitForFirstPoseAsync();

        ObjectPose? tracked = null;
        await RunningDaemon.WaitUntilAsync(
            async () =>
            {
                tracked = Assert.Single((await daemon.Poses.GetLatestPoseAsync(new GetLatestPoseRequest { ObjectId = "box" })).Result.Poses);
                return tracked.Found && tracked.Filtered?.State == TrackState.Tracking && tracked.Filtered.RawVerdict == RawPoseVerdict.Accepted;
            },
            TimeSpan.FromSeconds(30),
            "a tracked pose");
        var filtered = tracked!.Filtered;
        Assert.Equal(36, filtered.Covariance.Count);
        Assert.Equal(1, Math.Sqrt((filtered.Orientation.W * filtered.Orientation.W) + (filtered.Orientation.X * filtered.Orientation.X)
            + (filtered.Orientation.Y * filtered.Orientation.Y) + (filtered.Orientation.Z * filtered.Orientation.Z)), 6);
        var apart = Math.Sqrt(Math.Pow(filtered.Position.X - tracked.Position.X, 2) + Math.Pow(filtered.Position.Y - tracked.Position.Y, 2)
            + Math.Pow(filtered.Position.Z - tracked.Position.Z, 2));
        Assert.True(apart < 0.02, $"filtered and raw pose of an accepted frame are {apart * 1000:0.0} mm apart");
        Assert.NotNull(filtered.LinearVelocity);
        Assert.True(filtered.SinceSighting.ToTimeSpan() < TimeSpan.FromSeconds(0.5));

        // Taken out of view: the track coasts on its prediction, then is dropped and says so.
        using var stream = daemon.Poses.StreamPoses(new StreamPosesRequest { ObjectId = "box" }, deadline: DateTime.UtcNow.AddSeconds(30));
        camera.ObjectVisible = false;
        var states = new List<TrackState>();
        await foreach (var result in stream.ResponseStream.ReadAllAsync())
        {
            var pose = Assert.Single(result.Poses);
            if (!pose.Found)
            {
                states.Add(pose.Filtered.State);
                Assert.Equal(pose.Filtered.State == TrackState.Lost, pose.Filtered.Position is null);
                if (pose.Filtered.State == TrackState.Lost)
                {
                    break;
                }
            }
        }

        Assert.Contains(TrackState.Coasting, states);
        var latest = Assert.Single((await daemon.Poses.GetLatestPoseAsync(new GetLatestPoseRequest { ObjectId = "box" })).Result.Poses);
        Assert.Equal((TrackState.Lost, RawPoseVerdict.NotFound), (latest.Filtered.State, latest.Filtered.RawVerdict));
        Assert.Null(latest.Filtered.Position);
        Assert.Empty(latest.Filtered.Covariance);
        Assert.True(latest.Filtered.SinceSighting.ToTimeSpan() > TimeSpan.FromSeconds(0.5));

        // A single image is not tracked.
        Cv2.ImEncode(".png", new Mat(240, 320, MatType.CV_8UC3, new Scalar(90, 90, 90)), out var png);
        var single = await daemon.Poses.EstimatePoseAsync(new EstimatePoseRequest { Image = ByteString.CopyFrom(png) });
        Assert.Null(Assert.Single(single.Result.Poses).Filtered);
    }

    /// <summary>The synthetic camera on its scripted path, whose object can be taken out of view: then it sends an empty grey scene.</summary>
    private sealed class VanishingObjectCamera
    {
        private volatile bool _visible = true;

        public bool ObjectVisible
        {
            get => _visible;
            set => _visible = value;
        }

        public void Install(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<IFrameSourceFactory>(
            sp => new Factory(this, sp.GetRequiredService<Workcell>())));

        private sealed class Factory(VanishingObjectCamera owner, Workcell workcell) : IFrameSourceFactory
        {
            public IFrameSource Create() => new Device(owner, new SyntheticFrameSource(new SyntheticSceneOptions(), workcell, TimeProvider.System));
        }

        private sealed class Device(VanishingObjectCamera owner, SyntheticFrameSource scene) : IFrameSource
        {
            public string Description => "test camera with a vanishing object";

            public double NominalFramesPerSecond => scene.NominalFramesPerSecond;

            public void Open() => scene.Open();

            public ReadOutcome Read(Mat destination, CancellationToken cancellationToken)
            {
                var outcome = scene.Read(destination, cancellationToken);
                if (!owner.ObjectVisible)
                {
                    destination.SetTo(new Scalar(90, 90, 90));
                }

                return outcome;
            }

            public void Dispose() => scene.Dispose();
        }
    }
}
