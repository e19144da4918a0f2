"""The scenario format's JSON Schema, for editors (scenarios/schema.json): the
model's own (perfsuite.plan.format), with the server kinds the registry holds."""

from __future__ import annotations

from typing import Any

from perfsuite.plan.format import SuiteFile
from perfsuite.plan.servers import SERVER_KIND_NAMES


def json_schema() -> dict[str, Any]:
    schema = SuiteFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "perfsuite scenario file"
    kind = schema["$defs"]["ServerConfig"]["properties"]["server"]
    kind.pop("maxLength", None)
    kind.update({"description": "server kind: " + ", ".join(SERVER_KIND_NAMES), "enum": list(SERVER_KIND_NAMES)})
    return schema
