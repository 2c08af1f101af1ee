"""Signing in to the real systems: OAuth2 (PKCE for Xero), the token store, the settings file,
and the connections a diagnosis of the signed-in organisations uses."""
