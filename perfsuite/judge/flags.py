"""Flags on a run whose numbers cannot be taken at face value (pure functions).

errors             more requests failed than the scenario allows (default: any);
                   fails the verdict (exit 1), and the config is not ranked
loadgen_saturated  Locust above 90% of a core for half the window or more:
                   throughput is a lower bound, the server may do better
upstream_slow      the upstream took > 5% longer than configured: the wait
                   was not what the scenario declares
loadgen_behind     open mode: the generator could not keep its schedule: it
                   sent requests more than BEHIND_MS late (waits for a free
                   slot under max_in_flight aside) for longer than
                   BEHIND_SHARE of the window and BEHIND_MIN_S: the numbers
                   cannot be trusted. A duration means the same at every rate
                   (a percentile of the lag would read one stall among 80
                   requests as the p99 of a run at 20/s). Late starts (1 ms or more) are
                   reported, not flagged: a Python generator on this machine
                   sends 1-2 ms late for a few % of requests at any rate
                   (gevent's timers, responses handled on the same thread)
overloaded         open mode: answers under 95% of the requests offered (and
                   short by more than one), or latency
                   rising through the window (last third over twice the first):
                   the server cannot take this rate; a finding, not an error
model_mismatch     throughput > 10% from the model (or more than one wave of
                   min(users, slots) requests per window, where that is
                   coarser), with the likely reason; stream mode: streams
                   held > 10% from the model's, or a mean time to the first
                   event > 10% from the model's wait for a slot where that
                   wait is longer than a tenth of a stream
streams_cut        stream mode: the server ended streams before their end
messages_lost      websocket fan-out: subscribers missed messages (exit 1, as
                   failed requests do)
event_failed       an event under load failed more requests than
                   max_failed_per_event, or throughput was not back within
                   recover_within (perfsuite.judge.events; exit 1)
"""

from __future__ import annotations

from perfsuite.judge.expectation import TOLERANCE
from perfsuite.judge.slo import holds
from perfsuite.plan.runs import NO_ERRORS, beyond_generator
from perfsuite.record.open_stats import BEHIND_MS
from perfsuite.record.request_errors import statuses
from perfsuite.record.results import (
    Flag,
    ModelResult,
    OpenResult,
    RequestError,
    Resources,
    StreamResult,
    UpstreamStats,
    WebSocketResult,
)

UPSTREAM_TOLERANCE = 0.05
LAG_P99_MS = 5.0  # results of schema 4 and before, which lack behind_s
BEHIND_SHARE = 0.05  # of the window
BEHIND_MIN_S = 0.25
ACHIEVED_SHARE = 0.95
LATENCY_RISE = 2.0
SERVER_BUSY = 0.9  # share of its cores


def _flag(kind: str, message: str) -> Flag:
    return Flag(kind=kind, message=message)


def upstream_slow(stats: UpstreamStats | None) -> bool:
    return stats is not None and stats.ratio is not None and stats.ratio > 1 + UPSTREAM_TOLERANCE


def server_busy(resources: Resources | None, cores: int) -> float | None:
    """Mean CPU of the server's tree as a share of its cores."""
    mean = resources.cpu_percent.mean if resources is not None else None
    return None if mean is None else mean / (100.0 * max(cores, 1))


def short_of_offered(result: OpenResult) -> bool:
    """Fewer answers than ACHIEVED_SHARE of the requests sent in the window (offered,
    less what the generator dropped: those the server never saw), by more than one
    request (a short window at a low rate holds few)."""
    answered = result.answered if result.answered is not None else result.completed + result.failed
    return answered < ACHIEVED_SHARE * (result.offered - result.dropped) - 1


def open_flags(result: OpenResult | None, senders: int = 1) -> list[Flag]:
    """loadgen_behind, or else overloaded, for an open run (`senders`: its generator's processes)."""
    if result is None:
        return []
    if (behind := _behind(result)) is not None:
        late = result.late_starts / result.offered if result.offered else 0.0
        dropped = f"; {result.dropped:,} dropped, never sent" if result.dropped else ""
        beyond = beyond_generator(result.rate, senders)
        return [
            _flag(
                "loadgen_behind",
                f"the load generator fell behind its schedule ({behind}; lag p99"
                f" {result.schedule_lag_ms.p99 or 0:.1f} ms; {late:.1%} of requests sent 1 ms or more late"
                f"{dropped}): what was offered is not {result.rate:g} req/s"
                + (f"; {beyond}: spread it with loadgen: {{processes: N}}" if beyond else ""),
            )
        ]
    reasons = []
    if short_of_offered(result):
        reasons.append(f"answered {result.achieved_rps:,.1f} of {result.rate:g} req/s offered")
    if result.latency_rise is not None and result.latency_rise > LATENCY_RISE:
        reasons.append(f"latency rose {result.latency_rise:.1f}x from the window's first third to its last")
    if reasons:
        return [_flag("overloaded", f"the server cannot take {result.rate:g} req/s: " + "; ".join(reasons))]
    return []


def _behind(result: OpenResult) -> str | None:
    """How the generator fell behind, when it did for long enough to matter; else None."""
    if result.behind_s is None:  # an older file: its lag's p99
        lag = result.schedule_lag_ms.p99
        return f"lag p99 over {LAG_P99_MS:g} ms" if lag is not None and lag > LAG_P99_MS else None
    window_s = result.offered / result.rate if result.rate > 0 else 0.0
    if result.behind_s <= max(BEHIND_SHARE * window_s, BEHIND_MIN_S):
        return None
    return f"{result.behind_s:.2f} s of a {window_s:.0f} s window sent over {BEHIND_MS:g} ms late or dropped"


def _model_or_server(model: ModelResult | None, ratio: float) -> str:
    """Both sides of a disagreement: the server's concurrency, or the model's service time."""
    held = (model.slots_source if model is not None else None) or "its declared slots"
    service = f"{1000 * model.service_s:.1f} ms" if model is not None and model.service_s else "the service time"
    source = f" ({model.service_source})" if model is not None and model.service_source else ""
    if ratio < 1:
        return (
            f"the server holds fewer requests at once than the model assumes ({held}: a pool, backlog or worker"
            f" limit), or requests take longer under load than {service}{source} (contention, a slower dependency)"
        )
    return (
        f"the server holds more requests at once than the model assumes ({held}), or requests take less time"
        f" under load than {service}{source} (a cache, a declared service_ms too long)"
    )


def run_flags(
    *,
    requests: int,
    failures: int,
    loadgen: Resources | None,
    upstream: UpstreamStats | None,
    server: Resources | None,
    server_cores: int,
    model: ModelResult | None,
    allowed_errors: str = NO_ERRORS,
    request_errors: list[RequestError] | None = None,
) -> list[Flag]:
    flags = []
    rate = failures / requests if requests else 0.0
    if failures and not holds(rate, allowed_errors):
        what = statuses(request_errors or [])
        flags.append(
            _flag(
                "errors",
                f"{failures:,} of {requests:,} requests failed ({rate:.1%}; allowed: error rate {allowed_errors})"
                + (f": {what}" if what else ""),
            )
        )
    saturated = loadgen is not None and loadgen.saturated
    if saturated and loadgen is not None:
        share = loadgen.share_above_90_percent or 0.0
        flags.append(
            _flag(
                "loadgen_saturated",
                f"Locust was above 90% of its core for {share:.0%} of the window: throughput is a lower bound",
            )
        )
    slow = upstream_slow(upstream)
    if slow and upstream is not None:
        flags.append(
            _flag(
                "upstream_slow",
                f"the upstream took {upstream.taken_ms_mean or 0:.1f} ms for {upstream.requested_ms_mean or 0:.1f} ms "
                f"asked ({(upstream.ratio or 1) - 1:+.1%})",
            )
        )
    ratio = model.ratio if model is not None else None
    tolerance = (model.tolerance if model is not None else None) or TOLERANCE
    if ratio is not None and abs(ratio - 1) > tolerance:
        busy = server_busy(server, server_cores)
        if failures:
            why = "errors"
        elif saturated:
            why = "load generator saturated"
        elif slow:
            why = "upstream slow"
        elif busy is not None and busy >= SERVER_BUSY:
            why = f"server overloaded: its CPU at {busy:.0%} of {server_cores} core(s)"
        else:
            why = _model_or_server(model, ratio)
        flags.append(_flag("model_mismatch", f"throughput {ratio:.2f}x the model's; likely: {why}"))
    return flags


def _held_mismatch(held: int, what: str, model: ModelResult) -> list[Flag]:
    """Connections held more than the tolerance from the model's."""
    if model.ratio is None or abs(model.ratio - 1) <= (model.tolerance or TOLERANCE):
        return []
    message = f"{held:,} {what} at most, {model.ratio:.2f}x the model's {model.expected_held:g}"
    return [_flag("model_mismatch", message)]


def stream_flags(stream: StreamResult | None, model: ModelResult | None) -> list[Flag]:
    """Stream mode: streams cut by the server, and streams held or waited for unlike the model."""
    if stream is None:
        return []
    flags = []
    if stream.cut:
        flags.append(_flag("streams_cut", f"the server ended {stream.cut:,} streams before their end"))
    if model is None or not model.applies:
        return flags
    flags += _held_mismatch(stream.held, "streams held", model)
    wait, length = model.expected_ttfb_ms or 0.0, model.stream_length_ms or 0.0
    measured = stream.ttfb_mean_ms
    if measured is not None and wait > 0.1 * length and abs(measured / wait - 1) > (model.tolerance or TOLERANCE):
        flags.append(
            _flag(
                "model_mismatch",
                f"time to the first event {measured:,.0f} ms on average, {measured / wait:.2f}x the model's wait"
                f" for a slot ({wait:,.0f} ms)",
            )
        )
    return flags


def websocket_flags(found: WebSocketResult | None, model: ModelResult | None) -> list[Flag]:
    """Websocket mode: messages a fan-out lost, and connections held unlike the model."""
    if found is None:
        return []
    flags = []
    if found.lost:
        silent = f"; {found.silent:,} subscribers heard nothing" if found.silent else ""
        flags.append(
            _flag(
                "messages_lost",
                f"{found.lost:,} messages never reached a subscriber ({found.published:,} published{silent})",
            )
        )
    if model is not None and model.applies:
        flags += _held_mismatch(found.held, "connections open", model)
    return flags
