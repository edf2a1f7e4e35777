"""Socialdesk: a self-hosted social customer-support desk."""
