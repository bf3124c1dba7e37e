"""Repositories: the only place that writes queries; one module per aggregate."""
