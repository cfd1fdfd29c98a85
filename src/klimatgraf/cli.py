"""Placeholder; replaced by the Typer app."""


def main() -> None:
    raise SystemExit(0)
