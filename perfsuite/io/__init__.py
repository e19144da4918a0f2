"""Below every phase: how the suite touches files and terminals.

files: a file written whole or not at all (never through a link already
there), a file read without ever blocking on a FIFO or a device, and one
suite per output folder. text: what is shown is inert (terminal output
without control characters, Markdown without HTML, CSV cells no spreadsheet
runs). signals: stop signals held back while something must not be cut in
two. Standard library only; no phase is imported here.
"""
