"""The server's queue: requests the model says wait for a slot, beside what the
kernel held for the server in the window (pure)."""

from __future__ import annotations

from perfsuite.record.results import RunResult
from perfsuite.report.cells import Cell, Table, number, text_cell

QUEUE_HEADER = ["Server", "Level", "Waiting (model)", "In the kernel: mean", "Peak", "Accept queue", "Unread", "Seen"]


def queue_table(runs: list[RunResult]) -> Table | None:
    """Per run with a measured queue: the model's waiting requests beside the kernel's count,
    or why the kernel cannot see this server's queue."""
    rows = []
    for run in runs:
        queue, model = run.queue, run.model
        if not run.ok or queue is None or run.mode == "burst":  # a burst has no model to set beside it
            continue
        predicted = model.waiting if model is not None and model.applies else None
        unbounded = model is not None and model.applies and model.slots is None
        rows.append(
            [
                text_cell(run.server),
                Cell(run.key.level.short),
                Cell("none (no slot limit)" if unbounded else number(predicted, 2)),
                Cell(number(queue.mean, 2)),
                Cell("–" if queue.peak is None else str(queue.peak)),
                Cell(number(queue.accept_mean, 2)),
                Cell(number(queue.unread_mean, 2)),
                text_cell(f"unseen: {queue.unseen}" if queue.unseen else "yes"),
            ]
        )
    return Table(QUEUE_HEADER, rows) if rows else None
