public import NeuronConfig

/// Why a board file was refused, or a board could not be brought up: the project's one configuration diagnostic,
/// `file:line:col: key.path: problem Fix: ...` (see `ConfigError`). Network and sweep files report the same type.
public typealias BoardError = ConfigError
