using System.Collections.Immutable;
using EdgePose.Runtime.Geometry;
using EdgePose.Runtime.Objects;

namespace EdgePose.Runtime.Scene;

/// <summary>Renders textured, marker-carrying boxes over clutter with exact labels. Thread-safe for concurrent Render calls.</summary>
public sealed class SyntheticSceneRenderer : IDisposable
{
    private readonly SyntheticSceneOptions _options;
    private readonly CameraIntrinsics _camera;
    private readonly ImmutableArray<TargetObject> _objects;

    public SyntheticSceneRenderer(SyntheticSceneOptions options, CameraIntrinsics camera, ImmutableArray<TargetObject> objects)
    {
        _options = options;
        _camera = camera;
        _objects = objects;
    }

    /// <summary>Frame <paramref name="index"/> of the configured trajectory; the same (Seed, index) gives identical pixels and truth.</summary>
    public RenderedScene Render(long index) => throw new NotImplementedException($"{_options.Seed} {_camera.Width} {_objects.Length} {index}");

    /// <summary>Renders explicit poses (T_camera_object, index-aligned with the objects) under explicit conditions.</summary>
    public RenderedScene Render(long index, IReadOnlyList<RigidTransform> poses, SceneConditions conditions) => throw new NotImplementedException();

    public void Dispose()
    {
    }
}
