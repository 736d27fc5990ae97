"""The HTTP service: REST endpoints and CDS Hooks 2.0 over the library, on uvicorn."""
