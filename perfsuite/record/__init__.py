"""What a suite leaves behind: results.json, time series, the fingerprint, history."""
