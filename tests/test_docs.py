"""The README is part of the interface: its commands and options must exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from videokit.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    found = re.findall(
        r"videokit ((?:produce|approve|unpublish|status|social|serve|models|samples|team|studio)[^`\n]*)",
        README,
    )
    return sorted(set(c.split("  #")[0].strip() for c in found))


def test_readme_shows_exactly_the_two_setup_commands():
    block = README.split("## Set-up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == [
        "make run",
        "make test",
    ]


@pytest.mark.parametrize("command", _commands())
def test_every_documented_command_parses(command):
    argv = shlex.split(command.replace("…", "x").replace("<slug>", "slug"))
    argv = [a for a in argv if not a.startswith("<")]
    args = build_parser().parse_args(argv)
    assert callable(args.func)


def test_there_are_documented_commands():
    assert {c.split()[0] for c in _commands()} >= {
        "produce",
        "approve",
        "status",
        "serve",
        "models",
    }


def test_every_parameter_a_staff_member_sees_in_the_prefect_ui_is_described():
    from flows.pickup import pickup
    from flows.produce import produce

    for flow_ in (produce, pickup):
        schema = flow_.parameters.model_dump()["properties"]
        undescribed = [name for name, p in schema.items() if not p.get("description")]
        assert schema and not undescribed, (flow_.name, undescribed)
