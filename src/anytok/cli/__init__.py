"""The ``anytok`` command line: one module per command group; commands parse, call, print."""
