"""The generated contract docs: events.md, the AsyncAPI document and the JSON Schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.asyncapi import address, asyncapi_document, channel_id
from schemas.events_doc import example, provider_topics, render_events_doc
from schemas.export import ASYNCAPI_DOC, EVENTS_DOC, JSON_DIR, main, stale_files
from schemas.topics import ALL_TOPICS, CONSUMERS
from services.common.codec import decode
from services.common.messages import RawRecord, Received

PROVIDER_MODELS = [(spec, model) for spec in provider_topics() for model in spec.models]


def test_generated_files_are_committed_and_up_to_date() -> None:
    assert stale_files() == []
    assert EVENTS_DOC.read_text() == render_events_doc()
    assert main(["--check"]) == 0


@pytest.mark.parametrize(("spec", "model"), PROVIDER_MODELS, ids=lambda x: getattr(x, "name", x))
def test_events_doc_lists_every_provider_event_with_fields_and_a_valid_example(
    spec: Any, model: Any
) -> None:
    doc = EVENTS_DOC.read_text()
    section = doc.split(f"### `{model.model_fields['type'].default}` ({model.__name__})")[1]
    section = section.split("\n### ")[0].split("\n## ")[0]
    for field in model.model_fields:
        assert f"| `{field}` |" in section
    value = json.dumps(example(model)).encode()
    assert json.dumps(example(model), indent=2) in section
    assert isinstance(decode(RawRecord(spec, spec.name, 0, 0, None, value)), Received)


def test_events_doc_has_the_bound_table() -> None:
    doc = EVENTS_DOC.read_text()
    assert "| money (pence) | JSON integer, 0-1,000,000,000 |" in doc
    assert "262,144 bytes" in doc


def all_refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in all_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in all_refs(v)]
    return []


def resolve(document: dict[str, Any], ref: str) -> object:
    assert ref.startswith("#/")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_asyncapi_document_is_committed_and_version_3() -> None:
    committed = json.loads(ASYNCAPI_DOC.read_text())
    assert committed == asyncapi_document()
    assert committed["asyncapi"].startswith("3.")


def test_asyncapi_has_a_channel_per_topic_and_every_ref_resolves() -> None:
    document = asyncapi_document()
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {address(spec) for spec in ALL_TOPICS}
    assert "provider.{provider_id}.intake.v1" in addresses
    refs = all_refs(document)
    assert refs
    for ref in refs:
        assert resolve(document, ref) is not None


def test_asyncapi_operations_follow_owners_and_consumers() -> None:
    operations = asyncapi_document()["operations"]
    for spec in ALL_TOPICS:
        send = operations[f"{spec.owner}-send-{channel_id(spec)}"]
        assert send["action"] == "send"
        assert send["channel"] == {"$ref": f"#/channels/{channel_id(spec)}"}
    for service, specs in CONSUMERS.items():
        for spec in specs:
            assert operations[f"{service}-receive-{channel_id(spec)}"]["action"] == "receive"


def test_json_schemas_require_type_and_take_hours_as_decimal_strings() -> None:
    hours_seen = 0
    for spec in ALL_TOPICS:
        schema = json.loads((JSON_DIR / f"{spec.name}.schema.json").read_text())
        for model in schema["$defs"].values():
            if "type" in model.get("properties", {}):
                assert model["required"][0] == "type"
            for name in ("weekly_hours", "hours_worked"):
                prop = model.get("properties", {}).get(name)
                if prop is not None and spec.owner == "providers":
                    hours_seen += 1
                    assert prop["type"] == "string"
                    assert "pattern" in prop
    assert hours_seen == 2
