"""The policy's rules as pure functions: DataFrames (and an explicit time) in, DataFrames out."""
