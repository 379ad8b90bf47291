"""The ``airwave`` command: thin Click commands over the packages."""
