using EdgePose.Core.Contract;
using EdgePose.Core.Objects;
using EdgePose.Runtime.Inference;
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

    /// <summary>
    /// Consecutive frames of the synthetic camera's scripted path at 30 fps (markers hidden only where the view hides
    /// them): what a live loop sees, where each frame's marker is near the previous frame's.
    /// </summary>
    public static List<RenderedScene> RenderSequence(int count)
    {
        var workcell = Workcell.Default;
        using var renderer = new SyntheticSceneRenderer(new SyntheticSceneOptions { Trajectory = TrajectoryKind.Scripted, Seed = 7 }, workcell.Camera, workcell.Objects);
        return [.. Enumerable.Range(0, count).Select(i => renderer.Render(i))];
    }

    /// <summary>Each frame letterboxed exactly as the daemon does it, copied out into pinned buffers an engine reads.</summary>
    public static float[][] Letterbox(IReadOnlyList<RenderedScene> scenes, ModelContract contract)
    {
        using var tensor = new LetterboxTensor(contract);
        var inputs = new float[scenes.Count][];
        for (var i = 0; i < scenes.Count; i++)
        {
            tensor.Fill(scenes[i].Image);
            var data = tensor.Value.GetTensorDataAsSpan<float>();
            inputs[i] = GC.AllocateArray<float>(data.Length, pinned: true);
            data.CopyTo(inputs[i]);
        }

        return inputs;
    }
}
