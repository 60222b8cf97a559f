"""A witness (C2SP tlog-witness v1.0.0): cosigns a log's checkpoint only when it is consistent
with every checkpoint of that log it cosigned before, keeps its state durable before any
cosignature leaves, and keeps the log's conflicting signed notes as evidence.

``witness.Witness`` is the domain (no web framework); ``app.create_app`` its HTTP shell;
``cli`` the ``civicid witness`` commands.
"""
