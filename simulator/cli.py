"""The command line, `alegra-sim …` (or `python -m simulator …`): serve, settings,
export-openapi, load."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys

from .config import load_settings, settings_table
from .errors import SettingsError


def _serve(args: argparse.Namespace) -> int:
    from . import create_app
    from .server import serve

    overrides = {
        name: value
        for name, value in vars(args).items()
        if name in ("host", "port", "seed", "products", "churn_per_minute", "admin_token", "config") and value is not None
    }
    settings = load_settings(overrides=overrides)
    serve(settings, lambda: create_app(settings, background=True))
    return 0


def _export_openapi(args: argparse.Namespace) -> int:
    from . import create_app

    app = create_app({"products": 0, "churn_per_minute": 0, "log_level": "warning"})
    with app.test_client() as client:
        spec = client.get("/openapi.json").get_json()
    text = json.dumps(spec, indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _settings(args: argparse.Namespace) -> int:
    print("| variable | type | default | what it does |\n| --- | --- | --- | --- |")
    for env, kind, default, doc in settings_table():
        shown = f"`{default}`" if default != "" else "(empty)"
        print(f"| `{env}` | {kind} | {shown} | {doc} |")
    return 0


def _load(argv: list[str]) -> int:
    """`python -m loadtests.run` with these arguments, in a child process.

    A child process rather than an import: the load scenarios depend on this package
    (they start simulators with simulator.launch), so the package never imports them
    back, and Locust patches the standard library for gevent when imported.
    """
    missing = [name for name in ("loadtests", "locust") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"alegra-sim load: {' and '.join(missing)} not installed; pip install 'alegra-sim[load]'", file=sys.stderr)
        return 2
    try:
        return subprocess.call([sys.executable, "-m", "loadtests.run", *argv])
    except KeyboardInterrupt:  # the child got the same Ctrl-C and stops its Locust and simulator itself
        return 130


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["load"]:  # every argument, --help and `-- locust args` included, belongs to loadtests.run
        return _load(argv[1:])

    parser = argparse.ArgumentParser(prog="alegra-sim", description="alegra-sim: a simulated merchant backend.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the simulator (gunicorn + gevent); settings also come from SIM_* variables")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--seed", type=int)
    serve.add_argument("--products", type=int)
    serve.add_argument("--churn-per-minute", type=float, dest="churn_per_minute")
    serve.add_argument("--admin-token", dest="admin_token")
    serve.add_argument("--config", help="TOML file with settings")
    serve.set_defaults(run=_serve)

    export = commands.add_parser("export-openapi", help="write the OpenAPI document")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(run=_export_openapi)

    table = commands.add_parser("settings", help="print every setting with its default, as a Markdown table")
    table.set_defaults(run=_settings)

    commands.add_parser("load", add_help=False,
                        help="a headless Locust run against a fresh local simulator (`alegra-sim load --help`)")

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as error:
        print(f"alegra-sim: {error}", file=sys.stderr)
        return 2
