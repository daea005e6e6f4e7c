"""`python -m bench [--quick] [--json PATH] [SECTION ...]`: run benchmark sections.

Exits 0 when every section ran (a MISS is a finding, reported, not a crash), 1 when
a section failed to run, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import signal
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from .report import RESULTS, SectionResult, relative, render, summary

SECTIONS = ("seeding", "export", "http", "memory", "pricing", "basket", "login", "contention", "latency", "load", "checkout", "scale",
            "catalog")
DEFAULT_JSON = RESULTS / "latest.json"


def _terminate(signum, frame):
    # Turn SIGTERM into an exception, so that every server's `finally` stops its process group.
    raise SystemExit(128 + signum)


def run_section(name: str, quick: bool) -> SectionResult:
    started = time.perf_counter()
    try:
        result = importlib.import_module(f"bench.{name}").run(quick=quick)
    except Exception as error:  # one failed section must not lose the others' figures
        result = SectionResult(name, f"{name} (failed)", error=f"{type(error).__name__}: {error}")
        result.notes.append(traceback.format_exc(limit=3).strip().replace("\n", "\n      "))
    result.seconds = time.perf_counter() - started
    return result


def write_json(path: Path, sections: list[SectionResult], quick: bool, seconds: float, started_at: str) -> None:
    payload = {
        "started_at": started_at,
        "seconds": round(seconds, 1),
        "quick": quick,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sections": {section.name: section.to_json() for section in sections},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"sections to run, in this order: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter runs (a smoke test)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write the figures (default {relative(DEFAULT_JSON)})")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    chosen = [name for name in SECTIONS if name in args.sections] if args.sections else list(SECTIONS)

    signal.signal(signal.SIGTERM, _terminate)
    started_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.perf_counter()
    print(f"alegra-sim bench{' --quick' if args.quick else ''}: {', '.join(chosen)}  "
          f"({os.cpu_count()} CPUs, Python {platform.python_version()})\n", flush=True)
    results: list[SectionResult] = []
    try:
        for name in chosen:
            result = run_section(name, args.quick)
            results.append(result)
            print(render(result) + "\n", flush=True)
    except KeyboardInterrupt:
        print("interrupted: servers stopped; figures so far are written", file=sys.stderr)
        write_json(args.json, results, args.quick, time.perf_counter() - started, started_at)
        return 130
    elapsed = time.perf_counter() - started
    print(summary(results))
    write_json(args.json, results, args.quick, elapsed, started_at)
    print(f"\n{len(results)} section(s) in {elapsed:.0f} s; figures written to {relative(args.json)}")
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
