"""The service's routes, one module per resource: ingest, reads, export, stream, admin."""
