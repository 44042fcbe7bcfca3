"""Generate the committed contract files: ``python -m schemas.export [--check]``.

- ``schemas/json/<topic>.schema.json``: JSON Schema of every model that may appear on a topic;
- ``docs/events.md``: every provider event with fields, types, bounds and an example;
- ``docs/asyncapi.json``: an AsyncAPI 3.0 document of the topic registry.

``--check`` exits 1 when a committed file is stale, missing or extra.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from schemas.asyncapi import asyncapi_document
from schemas.events_doc import render_events_doc
from schemas.topics import ALL_TOPICS, TopicSpec

JSON_DIR = Path(__file__).parent / "json"
DOCS_DIR = Path(__file__).parent.parent / "docs"
EVENTS_DOC = DOCS_DIR / "events.md"
ASYNCAPI_DOC = DOCS_DIR / "asyncapi.json"


def schema_for(spec: TopicSpec) -> dict[str, object]:
    schema: dict[str, object] = spec.adapter.json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": spec.name,
        "description": f"{spec.description}. Owner: {spec.owner}; key: {spec.key_field}.",
        **{k: v for k, v in schema.items() if k not in {"title", "description"}},
    }


def render(spec: TopicSpec) -> str:
    return json.dumps(schema_for(spec), indent=2, sort_keys=True) + "\n"


def render_asyncapi() -> str:
    return json.dumps(asyncapi_document(), indent=2) + "\n"


def expected_files() -> dict[Path, str]:
    files = {JSON_DIR / f"{spec.name}.schema.json": render(spec) for spec in ALL_TOPICS}
    files[EVENTS_DOC] = render_events_doc()
    files[ASYNCAPI_DOC] = render_asyncapi()
    return files


def stale_files() -> list[str]:
    """Names of committed files that differ from the models (or are missing/extra)."""
    expected = expected_files()
    stale = [p.name for p, text in expected.items() if not p.exists() or p.read_text() != text]
    extra = [p.name for p in JSON_DIR.glob("*.schema.json") if p not in expected]
    return sorted(stale + extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.export", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed files are stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        if stale:
            print(f"stale generated files (run make schemas): {', '.join(stale)}")
            return 1
        print("JSON Schema files and docs are up to date")
        return 0
    JSON_DIR.mkdir(exist_ok=True)
    DOCS_DIR.mkdir(exist_ok=True)
    for old in JSON_DIR.glob("*.schema.json"):
        old.unlink()
    for path, text in expected_files().items():
        path.write_text(text)
    print(f"wrote {len(ALL_TOPICS)} schema files to {JSON_DIR}, {EVENTS_DOC} and {ASYNCAPI_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
