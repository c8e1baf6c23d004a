"""Suggestions derived from the store's text: HS codes for products and inquiries."""
