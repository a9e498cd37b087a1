"""Shared kernel: envelope, event store, outbox relay, inbox, errors, settings, logging, gRPC bootstrap.

Every service imports it; it imports no service.
"""
