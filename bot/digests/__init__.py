"""Digest subscriptions: when each channel's digest is due, and posting it exactly once."""
