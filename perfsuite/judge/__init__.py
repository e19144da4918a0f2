"""What the numbers mean: expectations, flags, aggregates, SLOs, baselines, the verdict."""
