"""`python -m klimatgraf` runs the same command line as the `klimatgraf` console script."""

from klimatgraf.cli import main

main()
