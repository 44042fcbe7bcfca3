"""The README's configuration table against the code: every setting it names is read by a
settings class or a deploy script, every one they read is in it, and the defaults agree."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from services.common.app import ConsumerSettings
from services.common.codec import InputLimits
from services.common.settings import ServiceSettings
from services.common.watchdog import LivenessSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_CLASSES: tuple[type[BaseSettings], ...] = (
    ServiceSettings,
    ConsumerSettings,
    InputLimits,
    LivenessSettings,
)
_SCRIPT_DEFAULT = re.compile(r"\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}")
_PYTHON_DEFAULT = re.compile(r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"(?:\s*,\s*\"([^\"]*)\")?")
_CELL = re.compile(r"`([^`]*)`")
_WORDS = {"none": None, "empty": "", "off": ""}


def table() -> dict[str, object]:
    """Each variable of the table with its default (None: not given as a value)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, object] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        name_cell, default_cell = line.split(" | ")[:2]
        names = _CELL.findall(name_cell)
        backticked = _CELL.findall(default_cell)
        if len(backticked) == len(names):
            defaults: list[object] = list(backticked)
        else:
            words = [w.strip().split(":")[0] for w in default_cell.split(" / ")]
            defaults = [_WORDS.get(w) for w in words] if len(words) == len(names) else []
        for i, name in enumerate(names):
            default = defaults[i] if i < len(defaults) else None
            # `<service>-<host>-...`: computed at run time, described rather than given
            rows[name] = None if isinstance(default, str) and "<" in default else default
    return rows


def settings_defaults() -> dict[str, set[object]]:
    found: dict[str, set[object]] = {}
    for cls in SETTINGS_CLASSES:
        for field, info in cls.model_fields.items():
            found.setdefault(field.upper(), set()).add(info.default)
    return found


def script_defaults() -> dict[str, set[object]]:
    """``${NAME:-default}`` in deploy/*.sh, ``os.environ.get("NAME", "default")`` in Python."""
    found: dict[str, set[object]] = {}
    for script in sorted((ROOT / "deploy").glob("*.sh")):
        for name, default in _SCRIPT_DEFAULT.findall(script.read_text()):
            found.setdefault(name, set()).add(default.replace("$STATE_DIR/", ".state/"))
    for module in [*sorted((ROOT / "deploy").glob("*.py")), *(ROOT / "services").rglob("*.py")]:
        for name, default in _PYTHON_DEFAULT.findall(module.read_text()):
            found.setdefault(name, set()).add(default or None)
    return found


def known() -> dict[str, set[object]]:
    merged = script_defaults()
    for name, defaults in settings_defaults().items():
        merged.setdefault(name, set()).update(defaults)
    return merged


def _same(documented: object, actual: object) -> bool:
    if documented is None or actual is None:
        return documented is None and actual is None
    text = str(documented)
    if isinstance(actual, bool):
        return text in ("1", "0") and (text == "1") == actual
    if isinstance(actual, int | float):
        try:
            return float(text) == float(actual)
        except ValueError:
            return False
    actual_text = str(actual)
    return text == actual_text or actual_text.endswith("/" + text) or text.endswith(actual_text)


def test_every_setting_in_the_table_is_read_by_the_code() -> None:
    unknown = sorted(set(table()) - set(known()))
    assert unknown == []


def test_every_setting_the_code_reads_is_in_the_table() -> None:
    missing = sorted(set(known()) - set(table()))
    assert missing == []


def test_the_documented_defaults_are_the_code_defaults() -> None:
    code = known()
    wrong = {
        name: (documented, sorted(map(str, code[name])))
        for name, documented in table().items()
        if documented is not None
        and name in code
        and not any(_same(documented, actual) for actual in code[name])
    }
    assert wrong == {}


def test_the_table_parser_sees_the_known_rows() -> None:
    rows = table()
    assert rows["MAX_MESSAGE_BYTES"] == "262144"
    assert rows["KAFKA_START_TIMEOUT"] == "120"
    assert rows["KAFKA_STOP_TIMEOUT"] == "30"
    assert rows["TOPIC_NAMESPACE"] == ""
    assert len(rows) >= 30
