"""Request entries shared by mix.py and burst.py (not a locustfile itself).

A mix arrives as a JSON list in the scenario file's `mix:` shape (name, path,
method, headers, json, expect_status, weight or count), so the locustfiles
work alone and in Locust's web UI, where the argument is editable. The
suite passes it as a file instead (--mix-file; an argument is limited by the
kernel's argument size): the master reads the file into --mix, which Locust
then hands to every worker, remote ones included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from locust import events


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    expect_status: int = 200
    weight: int = 1
    count: int = 1
    kwargs: dict[str, Any] = field(default_factory=dict)  # for client.request, made once


def _kwargs(name: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
    made: dict[str, Any] = {"name": name, "catch_response": True}
    if headers:
        made["headers"] = headers
    if body is not None:
        made["json"] = body
    return made


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--mix-file", default="", include_in_web_ui=False,
                        help="read --mix from this file (set by the suite)")  # fmt: skip


@events.init.add_listener
def _read_mix_file(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    path = getattr(options, "mix_file", "") if options is not None else ""
    if path:
        with open(path, encoding="utf-8") as file:
            options.mix = file.read()
        options.mix_file = ""  # workers get the mix itself from the master


def parse_mix(text: str) -> list[Entry]:
    raw = json.loads(text)
    if not isinstance(raw, list) or not raw:
        raise ValueError("--mix must be a non-empty JSON list of entries")
    return [
        Entry(
            name=item["name"],
            path=item["path"],
            method=str(item.get("method", "GET")).upper(),
            headers=dict(item.get("headers") or {}),
            body=item.get("json"),
            expect_status=int(item.get("expect_status", 200)),
            weight=int(item["weight"]) if item.get("weight") is not None else 1,
            count=int(item["count"]) if item.get("count") is not None else 1,
            kwargs=_kwargs(item["name"], dict(item.get("headers") or {}), item.get("json")),
        )
        for item in raw
    ]


def settle(response: Any, entry: Entry) -> bool:
    """Mark a caught response: any status other than `expect_status` is a failure. True if it was not."""
    if response.status_code == entry.expect_status:
        response.success()
        return True
    if not response.status_code and getattr(response, "error", None) is not None:
        response.failure(f"no response: {response.error!r}")
    else:
        response.failure(f"status {response.status_code}, expected {entry.expect_status}")
    return False


def send(client: Any, entry: Entry) -> None:
    """One request, settled by `settle`."""
    with client.request(entry.method, entry.path, **entry.kwargs) as response:
        settle(response, entry)
