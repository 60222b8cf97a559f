"""The composition root: the ``civicid`` command, ``demo``, ``up`` and the service harness
that tests and benchmarks use. The only package that imports the parts and wires them
together; nothing imports it."""
