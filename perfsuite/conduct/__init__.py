"""Conducting a whole suite, between its report and the commands: its runs
in sequence and its capacity searches (runs), its end (finish), two versions
side by side (versions: --against, --pair), and what every command shares
(common: exit codes, a scenario file loaded with its problems printed, an
output folder claimed)."""
