"""One module per command of run_suite.py."""
