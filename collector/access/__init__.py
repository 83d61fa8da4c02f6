"""Who may talk to the collector: credentials, enrollment, API tokens, rate limits."""
