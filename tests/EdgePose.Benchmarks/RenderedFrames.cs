using EdgePose.Core.Objects;
using EdgePose.Simulation.Scene;

namespace EdgePose.Benchmarks;

/// <summary>The benchmarks' frames: the daemon's default workcell rendered along a random trajectory, markers always visible.</summary>
internal static class RenderedFrames
{
    public static List<RenderedScene> Render(int count, int first = 0)
    {
        var workcell = Workcell.Default;
        using var renderer = new SyntheticSceneRenderer(
            new SyntheticSceneOptions { Trajectory = TrajectoryKind.Random, Seed = 7, MarkerHiddenProbability = 0 }, workcell.Camera, workcell.Objects);
        return [.. Enumerable.Range(first, count).Select(i => renderer.Render(i))];
    }
}
