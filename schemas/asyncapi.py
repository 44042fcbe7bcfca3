"""``docs/asyncapi.json``: an AsyncAPI 3.0 document generated from the topic registry.

One channel per topic of ``schemas.topics`` (address, key, partitions, messages), one
``send`` operation per topic for its owner and one ``receive`` operation per consumer,
and the message payloads as JSON Schema from the models. ``make schemas`` regenerates
it; a test fails when the committed file is stale.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.topics import ALL_TOPICS, CONSUMERS, PROVIDER_PREFIX, TopicSpec, configured_providers

ASYNCAPI_VERSION: Final = "3.0.0"
DOCUMENT_VERSION: Final = "1.0.0"
_KAFKA_BINDING: Final = "0.5.0"


def channel_id(spec: TopicSpec) -> str:
    """A component key (``^[A-Za-z0-9_-]+$``) for the topic, e.g. ``provider-intake-v1``."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", spec.name)


def _message_id(model: type[BaseModel]) -> str:
    return model.__name__


def address(spec: TopicSpec) -> str:
    """The topic's name; a per-provider kind with its ``{provider_id}`` parameter."""
    if not spec.per_provider:
        return spec.name
    return f"{PROVIDER_PREFIX}{{provider_id}}.{spec.name.removeprefix(PROVIDER_PREFIX)}"


def _channel(spec: TopicSpec) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": address(spec),
        "title": spec.name,
        "description": f"{spec.description}. Owner (only writer): {spec.owner}.",
        "messages": {
            _message_id(m): {"$ref": f"#/components/messages/{_message_id(m)}"} for m in spec.models
        },
        "bindings": {
            "kafka": {
                "topic": address(spec),
                "partitions": spec.partitions,
                "bindingVersion": _KAFKA_BINDING,
            }
        },
    }
    if spec.per_provider:
        channel["parameters"] = {
            "provider_id": {
                "description": "A provider of contracts.json (one topic each)",
                "enum": list(configured_providers()),
            }
        }
    return channel


def _operation(spec: TopicSpec, action: str, who: str) -> dict[str, Any]:
    ref = f"#/channels/{channel_id(spec)}"
    verb = "publishes to" if action == "send" else "consumes"
    return {
        "action": action,
        "title": f"{who} {verb} {spec.name}",
        "channel": {"$ref": ref},
        "messages": [{"$ref": f"{ref}/messages/{_message_id(m)}"} for m in spec.models],
    }


def _operations() -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for spec in ALL_TOPICS:
        operations[f"{spec.owner}-send-{channel_id(spec)}"] = _operation(spec, "send", spec.owner)
    for service, specs in CONSUMERS.items():
        for spec in specs:
            key = f"{service}-receive-{channel_id(spec)}"
            operations[key] = _operation(spec, "receive", service)
    return operations


def _messages(schemas: dict[str, Any]) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for spec in ALL_TOPICS:
        for model in spec.models:
            name = _message_id(model)
            doc = " ".join((model.__doc__ or name).split())
            messages[name] = {
                "name": name,
                "title": str(schemas[name]["properties"]["type"]["const"]),
                "summary": doc,
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{name}"},
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "description": spec.key_field},
                        "bindingVersion": _KAFKA_BINDING,
                    }
                },
            }
    return messages


def _schemas() -> dict[str, Any]:
    models = sorted(
        {m for spec in ALL_TOPICS for m in spec.models}, key=lambda m: (m.__module__, m.__name__)
    )
    _, top = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
    )
    defs: dict[str, Any] = top["$defs"]
    return defs


def asyncapi_document() -> dict[str, Any]:
    schemas = _schemas()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "London employment-support outcomes platform",
            "version": DOCUMENT_VERSION,
            "description": (
                "Providers publish referrals, job starts and in-work evidence; the intake, "
                "placement, sustainment and payments services turn them into participants, "
                "placements, milestones and provider payments. Generated from "
                "schemas/topics.py by `make schemas`; field bounds in docs/events.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "Local broker started by `make up` (tests use a topic namespace)",
            }
        },
        "channels": {channel_id(spec): _channel(spec) for spec in ALL_TOPICS},
        "operations": _operations(),
        "components": {"messages": _messages(schemas), "schemas": schemas},
    }
