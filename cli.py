"""Top-level shim asked for by the design card: `python cli.py …` runs the same Typer app."""

from klimatgraf.cli import main

if __name__ == "__main__":
    main()
