"""The scenario file: its format, reading it, and the plan of runs it resolves to."""
