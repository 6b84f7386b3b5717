"""``stockbridge --help`` lists every command by the line kept beside it, without importing
the command modules; each line is the command's own help."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from stockbridge.cli import COMMANDS, build_command


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_is_listed_with_the_first_paragraph_of_its_own_help(name: str) -> None:
    module, attribute, summary = COMMANDS[name]
    command = build_command(name, getattr(importlib.import_module(module), attribute))

    own = " ".join((command.short_help or command.help or "").split("\n\n")[0].split())
    assert summary == own


def test_the_help_lists_every_command_and_imports_none_of_their_modules() -> None:
    probe = (
        "import contextlib, io, json, sys\n"
        "from stockbridge.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = main(['--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('stockbridge.cli.'))\n"
        "print(json.dumps({'code': code, 'help': out.getvalue(), 'loaded': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    found = json.loads(done.stdout)

    assert found["code"] == 0
    assert found["loaded"] == []
    for name in COMMANDS:
        assert f" {name} " in found["help"], name
