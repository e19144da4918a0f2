"""An app whose import fails when the server loads it (a dependency missing):
validation finds the module on disk; only the server's import can fail."""

import no_such_dependency  # noqa: F401

app = None
