"""Integration API use cases: intake (API, 12315, files), export and push delivery through the outbox."""
