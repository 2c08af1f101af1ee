"""Clients for the three systems. Pagination, rate limits, retries and auth live here only."""
