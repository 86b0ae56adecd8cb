namespace EdgePose.Core.Contract;

/// <summary>
/// The model file does not satisfy the model contract (<see cref="ModelContractKeys"/>). The message names the file,
/// the tensor or metadata key, and what was expected versus found.
/// </summary>
public sealed class ModelContractException : Exception
{
    public ModelContractException()
    {
    }

    public ModelContractException(string message)
        : base(message)
    {
    }

    public ModelContractException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
