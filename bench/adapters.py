"""Adapter batching: marketplace calls and seconds to set 1,000 quantities, per marketplace.

Runs each marketplace's measurement (``bench/adapters_<name>.py``: batched through the
adapter's ``set_quantities`` versus one call per SKU, in the same run, against that
marketplace's sandbox over HTTP) and writes ``bench/results/adapters.json``.

    .venv/bin/python -m bench.adapters            # every marketplace
    .venv/bin/python -m bench.adapters shopify    # one; the others' figures are kept
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import adapters_ebay, adapters_shopify

OUTPUT = Path(__file__).resolve().parent / "results" / "adapters.json"
MEASUREMENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "ebay": adapters_ebay.run,
    "shopify": adapters_shopify.run,
}


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(MEASUREMENTS))
    if unknown:
        sys.exit(f"unknown marketplace {unknown[0]!r}; choose from {', '.join(MEASUREMENTS)}")
    kept: dict[str, Any] = {}
    if names and OUTPUT.exists():
        kept = json.loads(OUTPUT.read_text(encoding="utf-8")).get("results", {})
    chosen = names or list(MEASUREMENTS)
    results = {**kept, **{name: MEASUREMENTS[name]() for name in chosen}}
    report = {
        "benchmark": "set quantities for 1,000 SKUs: batched vs one call per SKU",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "results": results,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for name in chosen:
        figures = results[name]
        print(f"{name}: {json.dumps(figures)}")
    print(f"written to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
