"""Read-side services: what the API and web pages show, as plain data."""
