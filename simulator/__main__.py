"""`python -m simulator …`: serve, export-openapi, settings."""

from __future__ import annotations

import argparse
import json
import sys

from .config import SettingsError, load_settings, settings_table


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="alegra-sim: a simulated merchant backend.")
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

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as error:
        print(f"alegra-sim: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
